package complaint_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestLifecycle walks one report through every transition: accept, reply, ask for info and the
// citizen's answer, forward to another OPD, finish with proof, reopen, finish again, confirm, rate.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)

		c := w.submit("jalan", false)
		got := w.rec.take()
		require.Equal(t, []string{"petugas:petugas.laporan_baru"}, keys(got))
		n := got[0]
		require.Equal(t, w.agency["PUPR"], n.N.AgencyID)
		require.ElementsMatch(t, []int64{w.ids["Andi PUPR"], w.ids["Rina PUPR"], w.ids["Kepala PUPR"]}, n.To, "the OPD's officers and head")
		require.Equal(t, "🆕 Laporan baru untuk Dinas PUPR — "+c.Code+"\nKategori: Jalan & jembatan · Kec. Kayu Agung, Kedaton\n"+
			"Alamat: depan Pasar Kayuagung\n\"Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan\"\nPelapor: Budi Santoso\n"+
			"Batas tanggapan: Jumat, 4 Desember 2026 (5 hari kerja)", n.Text[w.ids["Andi PUPR"]])
		require.Contains(t, n.Text[w.ids["Rina PUPR"]], "Category: Roads & bridges", "rendered in the officer's language")
		require.Contains(t, n.Text[w.ids["Rina PUPR"]], "Respond by: Friday, 4 December 2026")
		require.Len(t, w.timers(), 4, "respond and resolve: a reminder and a breach each")

		// Accept: terdisposisi → diproses.
		c2, err := w.svc.Accept(ctx, nil, c.Code, w.pupr)
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDiproses, c2.Status)
		require.NotNil(t, c2.FirstResponseAt)
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.diterima"}, keys(got))
		require.Equal(t, []int64{w.warga.ID}, got[0].To)
		require.Equal(t, "📣 Laporan "+c.Code+" sudah diterima Dinas PUPR dan sedang diproses. Target selesai: Kamis, 17 Desember 2026.",
			got[0].Text[w.warga.ID])

		// Reply: relayed with the status; the status stays diproses.
		c2, err = w.svc.Reply(ctx, nil, strings.ToLower(c.Code), w.pupr2, "  Tim kami akan meninjau lokasi besok pagi. ")
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDiproses, c2.Status)
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.tanggapan"}, keys(got))
		require.Equal(t, "Tim kami akan meninjau lokasi besok pagi.", got[0].N.Data["teks"])
		require.Equal(t, "📣 Tanggapan untuk laporan "+c.Code+" dari Dinas PUPR:\n\"Tim kami akan meninjau lokasi besok pagi.\"\nStatus: sedang diproses.",
			got[0].Text[w.warga.ID])

		// AskInfo: → perlu_info, and the citizen's next message answers it.
		c2, err = w.svc.AskInfo(ctx, nil, c.Code, w.pupr, "Di sisi jalan sebelah mana lubangnya?")
		require.NoError(t, err)
		require.Equal(t, complaint.StatusPerluInfo, c2.Status)
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.minta_info"}, keys(got))
		require.Equal(t, complaint.FlowJawabInfo, got[0].N.Flow)
		require.Equal(t, map[string]string{"kode": c.Code}, got[0].N.FlowData)

		img, err := models.SaveAttachment(ctx, db, t.TempDir(), pngBytes(t), "image/png", 1<<20)
		require.NoError(t, err)
		c2, err = w.svc.AnswerInfo(ctx, nil, c.Code, w.warga.ID, "Sebelah kiri dari arah pasar", []int64{img.ID})
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDiproses, c2.Status)
		got = w.rec.take()
		require.Equal(t, []string{"petugas:petugas.info_warga", "warga:notifikasi.info_diterima"}, keys(got))
		require.Equal(t, []int64{img.ID}, got[0].N.Data["foto_ids"])
		require.Contains(t, got[0].Text[w.ids["Andi PUPR"]], "\"Sebelah kiri dari arah pasar\"")

		// Forward: bukan_wewenang → terdisposisi at DLH; clocks restart, the old OPD loses it.
		w.clock.Set(w.at("2026-12-01 09:00"))
		c2, err = w.svc.Forward(ctx, nil, c.Code, w.pupr, "dlh", "Ini tumpukan sampah, bukan kerusakan jalan")
		require.NoError(t, err)
		require.Equal(t, complaint.StatusTerdisposisi, c2.Status)
		require.Equal(t, w.agency["DLH"], c2.AgencyID)
		require.Equal(t, int64(1), c2.DeadlineGen)
		require.Nil(t, c2.FirstResponseAt)
		require.True(t, w.at("2026-12-08 23:59").Add(59*1e9).Equal(c2.RespondBy), "5 working days from Tuesday: %v", c2.RespondBy)
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.dialihkan", "petugas:petugas.laporan_baru"}, keys(got))
		require.Equal(t, []int64{w.ids["Dedi DLH"]}, got[1].To)
		require.Contains(t, got[1].Text[w.ids["Dedi DLH"]], "Dialihkan dari Dinas PUPR: \"Ini tumpukan sampah, bukan kerusakan jalan\"")
		require.Equal(t, "📣 Laporan "+c.Code+" dialihkan dari Dinas PUPR ke Dinas Lingkungan Hidup, dengan alasan: \"Ini tumpukan sampah, bukan kerusakan jalan\"\n"+
			"Dinas wajib menanggapi paling lambat Selasa, 8 Desember 2026.", got[0].Text[w.warga.ID])
		_, err = w.svc.Reply(ctx, nil, c.Code, w.pupr, "masih saya?")
		require.ErrorIs(t, err, complaint.ErrForbidden)

		// Finish with a proof photo: → selesai; the citizen gets the survey.
		proof, err := models.SaveAttachment(ctx, db, t.TempDir(), testImage(2), "image/png", 1<<20)
		require.NoError(t, err)
		c2, err = w.svc.Finish(ctx, nil, c.Code, w.dlh, "Sampah sudah diangkut hari ini.", &proof.ID)
		require.NoError(t, err)
		require.Equal(t, complaint.StatusSelesai, c2.Status)
		require.NotNil(t, c2.ResolvedAt)
		require.NotNil(t, c2.CloseBy)
		require.NotNil(t, c2.FirstResponseAt, "finishing is a response too")
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.selesai"}, keys(got))
		require.Equal(t, complaint.FlowSurvei, got[0].N.Flow)
		require.Equal(t, &proof.ID, got[0].N.AttachmentID)
		require.Equal(t, "📣 DLH menandai laporan "+c.Code+" selesai: \"Sampah sudah diangkut hari ini.\"\n"+
			"Jika tidak ada keberatan, laporan ditutup otomatis pada Selasa, 15 Desember 2026.", got[0].Text[w.warga.ID])

		// Rating is refused for another citizen (not found) and outside 1..5.
		require.ErrorIs(t, w.svc.Rate(ctx, nil, c.Code, w.tamu.ID, 5, ""), complaint.ErrNotFound)
		require.ErrorIs(t, w.svc.Rate(ctx, nil, c.Code, w.warga.ID, 6, ""), complaint.ErrInvalid)

		// Not fixed: reopen (→ diproses), the OPD is told, the resolution clock restarts.
		w.clock.Set(w.at("2026-12-02 10:00"))
		c2, err = w.svc.Confirm(ctx, nil, c.Code, w.warga.ID, false)
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDiproses, c2.Status)
		require.Nil(t, c2.ResolvedAt)
		require.Nil(t, c2.CloseBy)
		require.Equal(t, int64(2), c2.DeadlineGen)
		require.True(t, w.at("2026-12-22 23:59").Add(59*1e9).Equal(c2.ResolveBy), "the category's 14 working days: %v", c2.ResolveBy)
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.dibuka_kembali", "petugas:petugas.dibuka_kembali"}, keys(got))
		require.Equal(t, []int64{w.ids["Dedi DLH"]}, got[1].To)

		// Finished again, then confirmed and rated.
		_, err = w.svc.Finish(ctx, nil, c.Code, w.dlh, "", nil)
		require.NoError(t, err)
		w.rec.take()
		c2, err = w.svc.Confirm(ctx, nil, c.Code, w.warga.ID, true)
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDitutup, c2.Status)
		require.NotNil(t, c2.ClosedAt)
		require.Equal(t, []string{"warga:notifikasi.ditutup", "petugas:petugas.ditutup_warga"}, keys(w.rec.take()))
		require.NoError(t, w.svc.Rate(ctx, nil, c.Code, w.warga.ID, 4, " Cepat ditangani "))
		final := w.complaint(c.Code)
		require.Equal(t, 4, *final.Rating)
		require.Equal(t, "Cepat ditangani", final.RatingComment)

		var kinds []string
		for _, ev := range w.events(&final) {
			kinds = append(kinds, ev.Kind+":"+ev.FromStatus+">"+ev.ToStatus)
		}
		require.Equal(t, []string{
			"dibuat:>baru", "terdisposisi:baru>terdisposisi", "diterima:terdisposisi>diproses", "tanggapan:diproses>diproses",
			"minta_info:diproses>perlu_info", "info_warga:perlu_info>diproses", "bukan_wewenang:diproses>bukan_wewenang",
			"dialihkan:bukan_wewenang>terdisposisi", "selesai:terdisposisi>selesai", "dibuka_kembali:selesai>diproses",
			"selesai:diproses>selesai", "ditutup:selesai>ditutup", "penilaian:ditutup>ditutup",
		}, kinds)
		evs := w.events(&final)
		require.Equal(t, models.ActorPetugas, evs[2].ActorKind)
		require.Equal(t, w.pupr.ID, *evs[2].ActorID)
		require.Equal(t, "Tim kami akan meninjau lokasi besok pagi.", evs[3].Text)
		require.Equal(t, w.pupr2.ID, *evs[3].ActorID)
		require.Equal(t, img.ID, *evs[5].AttachmentID)
		require.Equal(t, models.ActorWarga, evs[5].ActorKind)
		require.Equal(t, "Ini tumpukan sampah, bukan kerusakan jalan", evs[6].Text)
		require.Equal(t, "Dinas Lingkungan Hidup", evs[7].Text)
		require.Equal(t, proof.ID, *evs[8].AttachmentID)
		require.Equal(t, "4", evs[12].Text)

		var links []models.ComplaintAttachment
		require.NoError(t, db.Where("complaint_id = ?", c.ID).Order("attachment_id").Find(&links).Error)
		require.Len(t, links, 2)
		require.Equal(t, models.AttachmentFoto, links[0].Kind)
		require.Equal(t, models.AttachmentBukti, links[1].Kind)

		// Satisfaction per OPD: the rating counts for DLH, which handled it.
		sat, err := w.svc.Satisfaction(ctx, nil)
		require.NoError(t, err)
		byCode := map[string]complaint.AgencySatisfaction{}
		for _, s := range sat {
			byCode[s.Code] = s
		}
		require.Len(t, sat, 11)
		require.Equal(t, int64(1), byCode["DLH"].Count)
		require.InDelta(t, 4.0, byCode["DLH"].Average, 1e-9)
		require.Zero(t, byCode["PUPR"].Count)
	})
}

// TestRejectAndRefusedTransitions checks the transition table: every action outside it is refused
// with a TransitionError carrying a locale key, and nothing changes.
func TestRejectAndRefusedTransitions(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)

		// Fresh (terdisposisi): the citizen cannot answer, confirm or rate yet.
		c := w.submit("jalan", false)
		w.rec.take()
		_, err := w.svc.AnswerInfo(ctx, nil, c.Code, w.warga.ID, "jawaban", nil)
		requireTransition(t, err, complaint.StatusTerdisposisi, complaint.ActionAnswerInfo, "survei.tidak_berlaku")
		_, err = w.svc.Confirm(ctx, nil, c.Code, w.warga.ID, true)
		requireTransition(t, err, complaint.StatusTerdisposisi, complaint.ActionConfirm, "survei.tidak_berlaku")
		err = w.svc.Rate(ctx, nil, c.Code, w.warga.ID, 5, "")
		requireTransition(t, err, complaint.StatusTerdisposisi, complaint.ActionRate, "survei.tidak_berlaku")

		// Diproses: accepting twice is refused.
		_, err = w.svc.Accept(ctx, nil, c.Code, w.pupr)
		require.NoError(t, err)
		_, err = w.svc.Accept(ctx, nil, c.Code, w.pupr)
		requireTransition(t, err, complaint.StatusDiproses, complaint.ActionAccept, "petugas.aksi_tidak_bisa")
		key, data, ok := complaint.ErrorKey(err, c.Code)
		require.True(t, ok)
		require.Equal(t, "Tindakan ini tidak dapat dilakukan karena laporan "+c.Code+" berstatus sedang diproses.",
			catalogT("id", key, complaint.TemplateData("id", data)))
		w.rec.take()

		// Empty texts and a forward to the same OPD or an unknown one are invalid.
		_, err = w.svc.Reply(ctx, nil, c.Code, w.pupr, "   ")
		require.ErrorIs(t, err, complaint.ErrInvalid)
		_, err = w.svc.Reject(ctx, nil, c.Code, w.pupr, "")
		require.ErrorIs(t, err, complaint.ErrInvalid)
		_, err = w.svc.Forward(ctx, nil, c.Code, w.pupr, "PUPR", "salah")
		require.ErrorIs(t, err, complaint.ErrInvalid)
		_, err = w.svc.Forward(ctx, nil, c.Code, w.pupr, "NOPE", "salah")
		require.ErrorIs(t, err, complaint.ErrNotFound)
		_, err = w.svc.Reply(ctx, nil, "OKI-2611-9999", w.pupr, "halo")
		require.ErrorIs(t, err, complaint.ErrNotFound)

		// Reject: → ditolak, final.
		c2, err := w.svc.Reject(ctx, nil, c.Code, w.kepala, "Jalan ini jalan nasional, kewenangan Balai Besar")
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDitolak, c2.Status)
		require.NotNil(t, c2.ClosedAt)
		got := w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.ditolak"}, keys(got))
		require.Contains(t, got[0].Text[w.warga.ID], "\"Jalan ini jalan nasional, kewenangan Balai Besar\"")

		officerActions := map[string]func() error{
			complaint.ActionAccept: func() error { _, err := w.svc.Accept(ctx, nil, c.Code, w.pupr); return err },
			complaint.ActionReply:  func() error { _, err := w.svc.Reply(ctx, nil, c.Code, w.pupr, "x"); return err },
			complaint.ActionAskInfo: func() error {
				_, err := w.svc.AskInfo(ctx, nil, c.Code, w.pupr, "x")
				return err
			},
			complaint.ActionForward: func() error {
				_, err := w.svc.Forward(ctx, nil, c.Code, w.pupr, "DLH", "x")
				return err
			},
			complaint.ActionFinish: func() error { _, err := w.svc.Finish(ctx, nil, c.Code, w.pupr, "x", nil); return err },
			complaint.ActionReject: func() error { _, err := w.svc.Reject(ctx, nil, c.Code, w.pupr, "x"); return err },
		}
		for action, fn := range officerActions {
			requireTransition(t, fn(), complaint.StatusDitolak, action, "petugas.aksi_tidak_bisa")
		}
		_, err = w.svc.Confirm(ctx, nil, c.Code, w.warga.ID, false)
		requireTransition(t, err, complaint.StatusDitolak, complaint.ActionConfirm, "survei.tidak_berlaku")
		err = w.svc.Rate(ctx, nil, c.Code, w.warga.ID, 3, "")
		requireTransition(t, err, complaint.StatusDitolak, complaint.ActionRate, "survei.tidak_berlaku")
		require.Empty(t, w.rec.take(), "refused actions tell nobody")
		require.Len(t, w.events(c2), 4, "refused actions write no timeline")

		// Closed (ditutup) is final for officers too; selesai refuses officer actions but Finish twice too.
		d := w.submit("jalan", false)
		_, err = w.svc.Finish(ctx, nil, d.Code, w.pupr, "Sudah ditambal", nil)
		require.NoError(t, err)
		for action, fn := range map[string]func() error{
			complaint.ActionFinish: func() error { _, err := w.svc.Finish(ctx, nil, d.Code, w.pupr, "x", nil); return err },
			complaint.ActionReply:  func() error { _, err := w.svc.Reply(ctx, nil, d.Code, w.pupr, "x"); return err },
			complaint.ActionAnswerInfo: func() error {
				_, err := w.svc.AnswerInfo(ctx, nil, d.Code, w.warga.ID, "x", nil)
				return err
			},
		} {
			require.ErrorIs(t, fn(), complaint.ErrTransition, action)
		}
		_, err = w.svc.Confirm(ctx, nil, d.Code, w.warga.ID, true)
		require.NoError(t, err)
		_, err = w.svc.Confirm(ctx, nil, d.Code, w.warga.ID, false)
		requireTransition(t, err, complaint.StatusDitutup, complaint.ActionConfirm, "survei.tidak_berlaku")
		require.NoError(t, w.svc.Rate(ctx, nil, d.Code, w.warga.ID, 2, ""), "a closed report can still be rated")

		require.False(t, complaint.Allowed(complaint.ActionAccept, complaint.StatusBaru))
		require.True(t, complaint.Allowed(complaint.ActionForward, complaint.StatusPerluInfo))
	})
}

func requireTransition(t *testing.T, err error, from, action, key string) {
	t.Helper()
	require.ErrorIs(t, err, complaint.ErrTransition)
	var te *complaint.TransitionError
	require.ErrorAs(t, err, &te)
	require.Equal(t, from, te.From, action)
	require.Equal(t, action, te.Action)
	require.Equal(t, key, te.Key)
}

// TestAuthorization: an officer of another OPD can neither see nor change a complaint by any
// method; a kepala and an admin can; a confidential reporter is hidden from every officer.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		c := w.submit("jalan", true)
		got := w.rec.take()
		require.Equal(t, []string{"petugas:petugas.laporan_baru"}, keys(got))
		_, hasName := got[0].N.Data["pelapor"]
		require.False(t, hasName, "a confidential reporter's name is not in the officers' data")
		for _, text := range got[0].Text {
			require.NotContains(t, text, "Budi")
		}
		require.Contains(t, got[0].Text[w.ids["Andi PUPR"]], "Pelapor: dirahasiakan")
		require.Contains(t, got[0].Text[w.ids["Rina PUPR"]], "Reporter: confidential")

		forged := complaint.Actor{Kind: models.ActorPetugas, ID: w.dlh.ID, AgencyID: w.agency["PUPR"]} // claims PUPR
		unknown := complaint.Actor{Kind: models.ActorPetugas, ID: 999999, AgencyID: w.agency["PUPR"]}
		notAdmin := complaint.Actor{Kind: models.ActorAdmin, ID: w.pupr.ID}
		for _, by := range []complaint.Actor{w.dlh, forged, unknown, notAdmin, {Kind: models.ActorWarga, ID: w.warga.ID}} {
			_, err := w.svc.View(ctx, nil, c.Code, by)
			require.ErrorIs(t, err, complaint.ErrForbidden, "view as %+v", by)
			for name, fn := range map[string]func() error{
				"accept":  func() error { _, err := w.svc.Accept(ctx, nil, c.Code, by); return err },
				"reply":   func() error { _, err := w.svc.Reply(ctx, nil, c.Code, by, "x"); return err },
				"ask":     func() error { _, err := w.svc.AskInfo(ctx, nil, c.Code, by, "x"); return err },
				"forward": func() error { _, err := w.svc.Forward(ctx, nil, c.Code, by, "DLH", "x"); return err },
				"finish":  func() error { _, err := w.svc.Finish(ctx, nil, c.Code, by, "x", nil); return err },
				"reject":  func() error { _, err := w.svc.Reject(ctx, nil, c.Code, by, "x"); return err },
			} {
				err := fn()
				require.ErrorIs(t, err, complaint.ErrForbidden, "%s as %+v", name, by)
				key, _, ok := complaint.ErrorKey(err, c.Code)
				require.True(t, ok)
				require.Equal(t, "petugas.bukan_opd_anda", key)
			}
		}
		// Another citizen cannot answer, confirm or rate it either: for them it does not exist.
		_, err := w.svc.AnswerInfo(ctx, nil, c.Code, w.tamu.ID, "x", nil)
		require.ErrorIs(t, err, complaint.ErrNotFound)
		_, err = w.svc.Confirm(ctx, nil, c.Code, w.tamu.ID, true)
		require.ErrorIs(t, err, complaint.ErrNotFound)
		require.ErrorIs(t, w.svc.Rate(ctx, nil, c.Code, w.tamu.ID, 5, ""), complaint.ErrNotFound)
		require.Empty(t, w.rec.take())
		require.Equal(t, complaint.StatusTerdisposisi, w.complaint(c.Code).Status)

		// A deactivated officer loses access.
		gone := w.officer("Mantan PUPR", "PUPR", models.RolePetugas, "id")
		require.NoError(t, db.Model(&models.Officer{}).Where("id = ?", gone.ID).Update("active", false).Error)
		_, err = w.svc.View(ctx, nil, c.Code, gone)
		require.ErrorIs(t, err, complaint.ErrForbidden)

		// The OPD's officer, its kepala and an admin see it, without the confidential reporter.
		for _, by := range []complaint.Actor{w.pupr, w.kepala, w.admin} {
			v, err := w.svc.View(ctx, nil, c.Code, by)
			require.NoError(t, err)
			require.Equal(t, "PUPR", v.Agency.Code)
			require.Empty(t, v.ReporterName)
			require.Empty(t, v.ReporterContact)
			require.Equal(t, "Kedaton", v.Region.Name)
			require.Equal(t, "Kayu Agung", v.Kecamatan.Name)
			require.Len(t, v.Events, 2)
		}
		// Not confidential: the name, and a WhatsApp reporter's number.
		require.NoError(t, db.Create(&models.Identity{CitizenID: w.warga.ID, Channel: "whatsapp", Address: "6281234567890@s.whatsapp.net"}).Error)
		d := w.submit("jalan", false)
		v, err := w.svc.View(ctx, nil, d.Code, w.pupr)
		require.NoError(t, err)
		require.Equal(t, "Budi Santoso", v.ReporterName)
		require.Equal(t, "+6281234567890", v.ReporterContact)

		// An admin acts on any OPD's complaint; /tugas lists an OPD's open ones, most urgent first.
		_, err = w.svc.Accept(ctx, nil, c.Code, w.admin)
		require.NoError(t, err)
		open, err := w.svc.OpenForAgency(ctx, nil, w.agency["PUPR"], 0)
		require.NoError(t, err)
		require.Len(t, open, 2)
		require.Equal(t, c.Code, open[0].Code)
		open, err = w.svc.OpenForAgency(ctx, nil, w.agency["DLH"], 10)
		require.NoError(t, err)
		require.Empty(t, open)
		_, err = w.svc.Reject(ctx, nil, d.Code, w.pupr, "duplikat")
		require.NoError(t, err)
		open, err = w.svc.OpenForAgency(ctx, nil, w.agency["PUPR"], 1)
		require.NoError(t, err)
		require.Len(t, open, 1)
	})
}

// TestActionsJoinCallersTransaction: a change made inside the caller's transaction rolls back with it.
func TestActionsJoinCallersTransaction(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		c := w.submit("jalan", false)
		before := len(w.timers())
		err := db.Transaction(func(tx *gorm.DB) error {
			if _, err := w.svc.Finish(ctx, tx, c.Code, w.pupr, "selesai", nil); err != nil {
				return err
			}
			return gorm.ErrInvalidData // the caller fails after the change
		})
		require.ErrorIs(t, err, gorm.ErrInvalidData)
		require.Equal(t, complaint.StatusTerdisposisi, w.complaint(c.Code).Status)
		require.Len(t, w.events(c), 2)
		require.Len(t, w.timers(), before, "the auto-close timer rolled back too")
	})
}
