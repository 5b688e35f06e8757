package complaint_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

func (w *world) alerts() []string {
	w.t.Helper()
	var as []models.DeadlineAlert
	require.NoError(w.t, w.db.Order("fired_at, kind, stage").Find(&as).Error)
	var out []string
	for _, a := range as {
		out = append(out, a.Kind+"/"+a.Stage)
	}
	return out
}

// TestDeadlines: the response reminder and escalation, the resolution reminder and escalation,
// and the auto-close, each once, through real River jobs and clock jumps.
func TestDeadlines(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.start()
		c := w.submit("jalan", false) // Friday 27 Nov 10:00: respond by Fri 4 Dec, resolve by Thu 17 Dec
		w.rec.take()
		ts := w.timers()
		require.Len(t, ts, 4)
		require.Equal(t, complaint.DeadlineArgs{ComplaintID: c.ID, Deadline: complaint.DeadlineRespond, Stage: complaint.StageRemind,
			DueAt: w.at("2026-12-03 08:00").UTC()}, ts[0], "a reminder one working day before, at 08:00")
		require.Equal(t, w.at("2026-12-05 00:00").UTC(), ts[1].DueAt, "the breach right after the deadline")
		require.Equal(t, complaint.StageBreach, ts[1].Stage)

		w.advanceTo(w.at("2026-12-03 07:59"))
		require.Empty(t, w.rec.take())
		w.advanceTo(w.at("2026-12-03 09:00"))
		got := w.rec.take()
		require.Equal(t, []string{"petugas:petugas.pengingat_respond"}, keys(got))
		require.ElementsMatch(t, []int64{w.ids["Andi PUPR"], w.ids["Rina PUPR"], w.ids["Kepala PUPR"]}, got[0].To)
		require.Equal(t, "⏰ Pengingat: laporan "+c.Code+" belum ditanggapi. Mohon tanggapi paling lambat Jumat, 4 Desember 2026.",
			got[0].Text[w.ids["Andi PUPR"]])

		w.advanceTo(w.at("2026-12-05 09:00"))
		got = w.rec.take()
		require.Equal(t, []string{"kepala:petugas.eskalasi_respond", "admin:petugas.eskalasi_respond"}, keys(got))
		require.Equal(t, []int64{w.ids["Kepala PUPR"]}, got[0].To)
		require.Equal(t, []int64{w.ids["Admin Kominfo"]}, got[1].To)
		require.Equal(t, "⚠️ Laporan "+c.Code+" di Dinas PUPR melewati batas tanggapan (Jumat, 4 Desember 2026) tanpa tanggapan. Mohon segera ditindaklanjuti.",
			got[1].Text[w.ids["Admin Kominfo"]])
		evs := w.events(c)
		last := evs[len(evs)-1]
		require.Equal(t, complaint.EventEskalasi, last.Kind)
		require.Equal(t, complaint.DeadlineRespond, last.Text)
		require.Equal(t, models.ActorSistem, last.ActorKind)

		// Late acceptance; the resolution reminder and escalation still come.
		_, err := w.svc.Accept(ctx, nil, c.Code, w.pupr)
		require.NoError(t, err)
		w.rec.take()
		w.advanceTo(w.at("2026-12-16 09:00"))
		require.Equal(t, []string{"petugas:petugas.pengingat_resolve"}, keys(w.rec.take()))
		w.advanceTo(w.at("2026-12-18 08:00"))
		got = w.rec.take()
		require.Equal(t, []string{"kepala:petugas.eskalasi_resolve", "admin:petugas.eskalasi_resolve"}, keys(got))
		require.Contains(t, got[0].Text[w.ids["Kepala PUPR"]], "belum selesai (status: sedang diproses)")

		// Finished on Friday 18 Dec: ten working days skip Christmas, New Year and Isra Mikraj 2027.
		c2, err := w.svc.Finish(ctx, nil, c.Code, w.pupr, "Sudah ditambal", nil)
		require.NoError(t, err)
		require.True(t, w.at("2027-01-07 23:59").Add(59*time.Second).Equal(*c2.CloseBy), "close by %v", c2.CloseBy.In(w.loc))
		w.rec.take()
		w.advanceTo(w.at("2027-01-07 23:00"))
		require.Empty(t, w.rec.take(), "no reminder before the auto-close")
		w.advanceTo(w.at("2027-01-08 08:00"))
		got = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.ditutup_otomatis"}, keys(got))
		final := w.complaint(c.Code)
		require.Equal(t, complaint.StatusDitutup, final.Status)
		require.NotNil(t, final.ClosedAt)
		evs = w.events(&final)
		require.Equal(t, complaint.EventDitutupOtomatis, evs[len(evs)-1].Kind)
		require.Equal(t, []string{"respond/remind", "respond/breach", "resolve/remind", "resolve/breach", "autoclose/breach"}, w.alerts())
		require.Empty(t, w.timers())

		// A timer that runs again takes effect once.
		res, err := w.river.JobList(ctx, riverParams().First(100))
		require.NoError(t, err)
		for _, j := range res.Jobs {
			w.runJob(j.ID)
		}
		require.Empty(t, w.rec.take())
		require.Len(t, w.alerts(), 5)
	})
}

// TestStaleTimers: after the OPD responds, after a forward and after a reopen, the earlier
// timers do nothing; the new generation's timers fire.
func TestStaleTimers(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.start()

		// Answered in time: no response reminder or escalation.
		a := w.submit("jalan", false)
		_, err := w.svc.Reply(ctx, nil, a.Code, w.pupr, "Segera kami tinjau")
		require.NoError(t, err)
		// Forwarded on Monday 30 Nov: PUPR's timers are stale, DLH's run from Monday.
		b := w.submit("jalan", false)
		w.clock.Set(w.at("2026-11-30 10:00"))
		_, err = w.svc.Forward(ctx, nil, b.Code, w.pupr, "DLH", "Soal sampah")
		require.NoError(t, err)
		w.rec.take()
		require.Len(t, w.timers(), 4+4+4)

		w.advanceTo(w.at("2026-12-05 09:00")) // past the first generation's response deadline (Fri 4 Dec)
		got := w.rec.take()
		require.Equal(t, []string{"petugas:petugas.pengingat_respond"}, keys(got), "only the forwarded one, for DLH, due Mon 7 Dec")
		require.Equal(t, b.ID, got[0].N.ComplaintID)
		require.Equal(t, []int64{w.ids["Dedi DLH"]}, got[0].To)
		w.advanceTo(w.at("2026-12-08 09:00"))
		got = w.rec.take()
		require.Equal(t, []string{"kepala:petugas.eskalasi_respond", "admin:petugas.eskalasi_respond"}, keys(got))
		require.Empty(t, got[0].To, "DLH has no kepala in this world")
		require.Equal(t, []int64{w.ids["Admin Kominfo"]}, got[1].To)
		require.Equal(t, b.ID, got[1].N.ComplaintID)

		// Finished, reopened, finished again: the first auto-close is stale.
		w.clock.Set(w.at("2026-12-08 10:00"))
		_, err = w.svc.Finish(ctx, nil, a.Code, w.pupr, "Sudah", nil) // close by Tue 22 Dec
		require.NoError(t, err)
		w.clock.Set(w.at("2026-12-09 10:00"))
		_, err = w.svc.Confirm(ctx, nil, a.Code, w.warga.ID, false)
		require.NoError(t, err)
		w.clock.Set(w.at("2026-12-14 10:00"))
		c2, err := w.svc.Finish(ctx, nil, a.Code, w.pupr, "Sudah, benar-benar", nil)
		require.NoError(t, err)
		require.True(t, w.at("2026-12-30 23:59").Add(59*time.Second).Equal(*c2.CloseBy), "close by %v", c2.CloseBy.In(w.loc))
		w.rec.take()
		w.advanceTo(w.at("2026-12-29 09:00"))
		for _, s := range w.rec.take() {
			require.NotEqual(t, a.ID, s.N.ComplaintID, "nothing for the finished report: %s", s.N.Key)
		}
		require.Equal(t, complaint.StatusSelesai, w.complaint(a.Code).Status)
		w.advanceTo(w.at("2026-12-31 09:00"))
		var closed []string
		for _, s := range w.rec.take() {
			if s.N.ComplaintID == a.ID {
				closed = append(closed, s.N.Key)
			}
		}
		require.Equal(t, []string{"notifikasi.ditutup_otomatis"}, closed)
		require.Equal(t, complaint.StatusDitutup, w.complaint(a.Code).Status)
	})
}

// TestTriageRouteDeadline: a report for the triage OPD must be routed within three working days.
func TestTriageRouteDeadline(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.start()
		c := w.submit("lainnya", false) // route by Wed 2 Dec
		require.Len(t, w.timers(), 6)
		w.rec.take()
		w.advanceTo(w.at("2026-12-03 00:30"))
		got := w.rec.take()
		require.Equal(t, []string{"petugas:petugas.pengingat_route", "kepala:petugas.eskalasi_route", "admin:petugas.eskalasi_route"}, keys(got))
		require.Equal(t, c.ID, got[2].N.ComplaintID)
		require.Contains(t, got[2].Text[w.ids["Admin Kominfo"]], "melewati batas penerusan (Rabu, 2 Desember 2026)")
	})
}

// TestTimersSurviveRestart: timers scheduled before the River client stops fire after a new
// client starts on the same database, once each.
func TestTimersSurviveRestart(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.start()
		a := w.submit("jalan", false)
		b := w.submit("sampah", true)
		w.rec.take()
		w.restart()
		w.advanceTo(w.at("2026-12-20 09:00"))
		perComplaint := map[int64][]string{}
		for _, s := range w.rec.take() {
			perComplaint[s.N.ComplaintID] = append(perComplaint[s.N.ComplaintID], string(s.N.Audience)+":"+s.N.Key)
		}
		want := []string{"petugas:petugas.pengingat_respond", "kepala:petugas.eskalasi_respond", "admin:petugas.eskalasi_respond",
			"petugas:petugas.pengingat_resolve", "kepala:petugas.eskalasi_resolve", "admin:petugas.eskalasi_resolve"}
		require.ElementsMatch(t, want, perComplaint[a.ID])
		require.ElementsMatch(t, want, perComplaint[b.ID])
		require.Len(t, w.alerts(), 8)
		require.Empty(t, w.timers())
	})
}
