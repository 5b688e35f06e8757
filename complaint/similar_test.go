package complaint_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// Pasar Kayuagung, in desa Jua-jua.
const pasarLat, pasarLng = -3.4026, 104.8291

// metresNorth is the point m metres north of (lat, lng).
func metresNorth(lat, lng, m float64) (float64, float64) {
	return lat + m/(6371008.8*math.Pi/180), lng
}

func (w *world) fileAt(citizen int64, category string, lat, lng float64, confidential bool) *models.Complaint {
	w.t.Helper()
	c, err := w.svc.Submit(context.Background(), nil, complaint.SubmitInput{CitizenID: citizen, Channel: "telegram",
		CategoryCode: category, Description: "Rahasia-uraian: jalan amblas di depan rumah Pak Harjo 081234567890",
		Lat: &lat, Lng: &lng, Confidential: confidential, Address: "Lorong Mawar no. 7"})
	require.NoError(w.t, err)
	return c
}

func codesOf(rs []complaint.SimilarReport) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func TestSimilarRadiusWindowAndOrder(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		now := w.clock.Now()

		at := func(m float64) *models.Complaint {
			lat, lng := metresNorth(pasarLat, pasarLng, m)
			return w.fileAt(w.warga.ID, "jalan", lat, lng, false)
		}
		in249, out251 := at(249), at(251)
		lat, lng := pasarLat, pasarLng
		q := complaint.SimilarQuery{CategoryCode: "jalan", Lat: &lat, Lng: &lng, CitizenID: w.tamu.ID}
		got, err := w.svc.Similar(ctx, nil, q)
		require.NoError(t, err)
		require.Equal(t, []string{in249.Code}, codesOf(got), "249 m is near, 251 m is not")
		require.InDelta(t, 249, got[0].Distance, 0.5)
		require.Equal(t, "Jua-jua", got[0].Place)
		_ = out251

		// The 30-day edge: a minute inside the window and a minute outside it.
		w.clock.Set(now.Add(-complaint.SimilarWindow - time.Minute))
		old := at(5)
		w.clock.Set(now.Add(-complaint.SimilarWindow + time.Minute))
		recent := at(20)
		w.clock.Set(now)
		got, err = w.svc.Similar(ctx, nil, q)
		require.NoError(t, err)
		require.Equal(t, []string{recent.Code, in249.Code}, codesOf(got), "filed 30 days and a minute ago is too old")
		require.NotContains(t, codesOf(got), old.Code)

		// Nearest first, at most three; another category, a finished one, the asker's own are left out.
		near := at(100)
		w.fileAt(w.warga.ID, "sampah", pasarLat, pasarLng, false)
		done := at(1)
		_, err = w.svc.Finish(ctx, nil, done.Code, w.pupr, "Sudah ditambal", nil)
		require.NoError(t, err)
		mine := w.fileAt(w.tamu.ID, "jalan", pasarLat, pasarLng, false)
		got, err = w.svc.Similar(ctx, nil, q)
		require.NoError(t, err)
		require.Equal(t, []string{recent.Code, near.Code, in249.Code}, codesOf(got))
		require.NotContains(t, codesOf(got), mine.Code)

		// The same desa counts whatever the distance; without a point only the desa does.
		farLat, farLng := metresNorth(pasarLat, pasarLng, 600)
		far := w.fileAt(w.warga.ID, "jalan", farLat, farLng, false)
		require.NotNil(t, far.RegionID)
		var desa models.Region
		require.NoError(t, db.Where("id = ?", *far.RegionID).Take(&desa).Error)
		require.Equal(t, "16.02.05.1001", desa.Code, "600 m north of the market is still Jua-jua")
		got, err = w.svc.Similar(ctx, nil, complaint.SimilarQuery{CategoryCode: "jalan", RegionCode: desa.Code, CitizenID: w.tamu.ID})
		require.NoError(t, err)
		require.Len(t, got, 3)
		for _, r := range got {
			require.Less(t, r.Distance, 0.0, "no point, no distance")
		}
		require.Equal(t, far.Code, got[0].Code, "newest first when the distance is not known")
		got, err = w.svc.Similar(ctx, nil, complaint.SimilarQuery{CategoryCode: "jalan", RegionCode: "16.02.05.1002", CitizenID: w.tamu.ID})
		require.NoError(t, err)
		require.Empty(t, got, "another desa, no point")

		// A complaint marked a duplicate is never offered.
		_, err = w.svc.MarkDuplicate(ctx, nil, recent.Code, near.Code, w.pupr)
		require.NoError(t, err)
		got, err = w.svc.Similar(ctx, nil, q)
		require.NoError(t, err)
		require.Equal(t, []string{near.Code, in249.Code}, codesOf(got))
	})
}

func TestSupporterGetsUpdatesNotIdentities(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		c := w.fileAt(w.warga.ID, "jalan", pasarLat, pasarLng, true)
		w.rec.take()

		_, err := w.svc.Support(ctx, nil, c.Code, w.warga.ID)
		require.True(t, errors.Is(err, complaint.ErrOwnComplaint), "the reporter cannot support their own report: %v", err)

		got, err := w.svc.Support(ctx, nil, c.Code, w.tamu.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.Supporters)
		notes := w.rec.take()
		require.Equal(t, []string{"petugas:petugas.dukungan_baru"}, keys(notes))
		for _, text := range notes[0].Text {
			require.Regexp(t, `1 (pendukung|supporters)`, text)
			require.NotContains(t, text, w.tamu.Name)
		}
		_, err = w.svc.Support(ctx, nil, c.Code, w.tamu.ID)
		require.NoError(t, err)
		require.Empty(t, w.rec.take(), "supporting twice changes nothing")
		require.Equal(t, 1, w.complaint(c.Code).Supporters)

		// The OPD's reply reaches the supporter; its question is for the reporter alone.
		_, err = w.svc.Reply(ctx, nil, c.Code, w.pupr, "Tim kami meninjau besok pagi.")
		require.NoError(t, err)
		notes = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.tanggapan", "pendukung:notifikasi.tanggapan"}, keys(notes))
		require.Equal(t, []int64{w.tamu.ID}, notes[1].To)
		_, err = w.svc.AskInfo(ctx, nil, c.Code, w.pupr, "Di sisi mana lubangnya?")
		require.NoError(t, err)
		require.Equal(t, []string{"warga:notifikasi.minta_info"}, keys(w.rec.take()))
		_, err = w.svc.AnswerInfo(ctx, nil, c.Code, w.warga.ID, "Sisi kiri dari arah pasar, dekat rumah saya", nil)
		require.NoError(t, err)
		w.rec.take()

		// The supporter's status shows nothing the reporter wrote, and no name of anyone.
		v, err := w.svc.Status(ctx, nil, c.Code, w.tamu.ID)
		require.NoError(t, err)
		for _, ev := range v.Events {
			require.NotEqual(t, complaint.EventInfoWarga, ev.Kind)
			require.NotContains(t, ev.Text, "rumah saya")
		}
		_, err = w.svc.Status(ctx, nil, c.Code, w.ids["Andi PUPR"])
		require.ErrorIs(t, err, complaint.ErrNotFound, "a citizen who neither reports nor supports sees nothing")

		// Done: both get the survey. The supporter's answers are theirs; the status is the reporter's.
		_, err = w.svc.Finish(ctx, nil, c.Code, w.pupr, "Sudah ditambal", nil)
		require.NoError(t, err)
		notes = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.selesai", "pendukung:notifikasi.selesai"}, keys(notes))
		require.Equal(t, complaint.FlowSurvei, notes[1].N.Flow)
		for _, text := range notes[1].Text {
			require.NotContains(t, text, w.warga.Name)
		}
		_, err = w.svc.Confirm(ctx, nil, c.Code, w.tamu.ID, false)
		require.NoError(t, err)
		require.Equal(t, []string{"petugas:petugas.pendukung_belum", "seorang:dukungan.belum_diterima"}, keys(w.rec.take()))
		require.Equal(t, complaint.StatusSelesai, w.complaint(c.Code).Status, "a supporter's no does not reopen it")
		require.NoError(t, w.svc.Rate(ctx, nil, c.Code, w.tamu.ID, 4, ""))
		var sup models.ComplaintSupporter
		require.NoError(t, db.Where("complaint_id = ? AND citizen_id = ?", c.ID, w.tamu.ID).Take(&sup).Error)
		require.NotNil(t, sup.Fixed)
		require.False(t, *sup.Fixed)
		require.Equal(t, 4, *sup.Rating)
		require.Nil(t, w.complaint(c.Code).Rating, "the reporter's rating stays theirs")

		_, err = w.svc.Confirm(ctx, nil, c.Code, w.warga.ID, true)
		require.NoError(t, err)
		require.Equal(t, []string{"warga:notifikasi.ditutup", "petugas:petugas.ditutup_warga", "pendukung:dukungan.ditutup"}, keys(w.rec.take()))
	})
}

func TestMarkDuplicate(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		orig := w.fileAt(w.warga.ID, "jalan", pasarLat, pasarLng, false)
		dup := w.fileAt(w.tamu.ID, "jalan", pasarLat, pasarLng, false)
		w.rec.take()

		_, err := w.svc.MarkDuplicate(ctx, nil, dup.Code, orig.Code, w.dlh)
		require.ErrorIs(t, err, complaint.ErrForbidden, "another OPD's officer")
		_, err = w.svc.MarkDuplicate(ctx, nil, dup.Code, dup.Code, w.pupr)
		require.ErrorIs(t, err, complaint.ErrInvalid, "itself")

		got, err := w.svc.MarkDuplicate(ctx, nil, dup.Code, orig.Code, w.pupr)
		require.NoError(t, err)
		require.Equal(t, complaint.StatusDitutup, got.Status)
		require.Equal(t, orig.ID, *got.DuplicateOfID)
		notes := w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.duplikat"}, keys(notes), "the duplicate had no supporters of its own")
		require.Equal(t, []int64{w.tamu.ID}, notes[0].To)
		text := notes[0].Text[w.tamu.ID]
		require.Contains(t, text, orig.Code)
		require.NotContains(t, text, w.warga.Name)
		require.Equal(t, 1, w.complaint(orig.Code).Supporters)

		v, err := w.svc.View(ctx, nil, orig.Code, w.pupr)
		require.NoError(t, err)
		require.Equal(t, []string{dup.Code}, v.Duplicates)
		v, err = w.svc.View(ctx, nil, dup.Code, w.pupr)
		require.NoError(t, err)
		require.Equal(t, orig.Code, v.DuplicateOf)
		kinds := []string{}
		for _, ev := range w.events(&models.Complaint{ID: orig.ID}) {
			kinds = append(kinds, ev.Kind)
		}
		require.Contains(t, kinds, complaint.EventDigabung)

		// The duplicate's reporter now follows the original.
		_, err = w.svc.Reply(ctx, nil, orig.Code, w.pupr, "Kami tinjau besok.")
		require.NoError(t, err)
		notes = w.rec.take()
		require.Equal(t, []string{"warga:notifikasi.tanggapan", "pendukung:notifikasi.tanggapan"}, keys(notes))
		require.Equal(t, []int64{w.tamu.ID}, notes[1].To)
		require.True(t, strings.Contains(notes[1].Text[w.tamu.ID], "Kami tinjau besok."))

		_, err = w.svc.MarkDuplicate(ctx, nil, dup.Code, orig.Code, w.pupr)
		require.ErrorIs(t, err, complaint.ErrTransition, "already closed")
	})
}
