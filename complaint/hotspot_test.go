package complaint_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// hotspotAlerts waits (at most a minute, as the issue allows) until n hotspot alerts were
// sent to the OPD and as many to the admins, and returns the officers' ones.
func (w *world) hotspotAlerts(n int) []sent {
	w.t.Helper()
	var got []sent
	require.Eventually(w.t, func() bool {
		got = slices.DeleteFunc(w.seen(), func(s sent) bool { return s.N.Key != "petugas.hotspot" })
		return len(got) >= 2*n
	}, time.Minute, 10*time.Millisecond, "hotspot alerts: want %d", n)
	var ops []sent
	admins := 0
	for _, s := range got {
		switch s.N.Audience {
		case complaint.AudienceOfficers:
			ops = append(ops, s)
		case complaint.AudienceAdmins:
			admins++
		}
	}
	require.Len(w.t, ops, n)
	require.Equal(w.t, n, admins)
	return ops
}

// seen is everything sent so far, kept (unlike take).
func (w *world) seen() []sent {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	return slices.Clone(w.rec.got)
}

// settle waits until no hotspot check is waiting or running.
func (w *world) settle() {
	w.t.Helper()
	require.Eventually(w.t, func() bool {
		res, err := w.river.JobList(context.Background(), river.NewJobListParams().Kinds(complaint.HotspotArgs{}.Kind()).First(1000))
		require.NoError(w.t, err)
		for _, j := range res.Jobs {
			require.Empty(w.t, j.Errors, "hotspot check %d failed", j.ID)
			if j.FinalizedAt == nil {
				return false
			}
		}
		return true
	}, time.Minute, 10*time.Millisecond)
}

func TestHotspotAlertsOnceAndWhenItDoubles(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.start()
		ctx := context.Background()
		file := func(m float64) *models.Complaint {
			lat, lng := metresNorth(pasarLat, pasarLng, m)
			return w.fileAt(w.warga.ID, "jalan", lat, lng, false)
		}
		// Two old ones (49 hours ago) do not count.
		now := w.clock.Now()
		w.clock.Set(now.Add(-49 * time.Hour))
		file(0)
		file(10)
		w.clock.Set(now)
		a := file(20)
		b := file(600) // still Jua-jua, far from the others
		w.settle()
		require.Empty(t, slices.DeleteFunc(w.seen(), func(s sent) bool { return s.N.Key != "petugas.hotspot" }), "two recent reports are no hotspot")

		// The third weight is a supporter: 2 complaints + 1 supporter in one desa.
		started := time.Now()
		_, err := w.svc.Support(ctx, nil, b.Code, w.tamu.ID)
		require.NoError(t, err)
		alerts := w.hotspotAlerts(1)
		t.Logf("hotspot alert %s after the completing change", time.Since(started).Round(time.Millisecond))
		text := alerts[0].Text[w.ids["Andi PUPR"]]
		require.Contains(t, text, "🔥 Titik rawan: 2 laporan Jalan & jembatan dan 1 dukungan warga dalam 48 jam terakhir di Desa Jua-jua, Kec. Kayu Agung (16.02.05.1001)")
		require.Contains(t, text, "• "+a.Code+"\n• "+b.Code)
		require.Contains(t, text, "https://www.google.com/maps/search/?api=1&query=")
		require.ElementsMatch(t, []int64{w.ids["Andi PUPR"], w.ids["Rina PUPR"], w.ids["Kepala PUPR"]}, alerts[0].To)
		require.NotContains(t, text, "Rahasia-uraian", "no description in the alert")

		// Marked, and first in the OPD's list (once the check's transaction committed: the
		// recorder hears the alert inside it).
		w.settle()
		var hs []models.Hotspot
		require.NoError(t, db.Find(&hs).Error)
		require.Len(t, hs, 1)
		require.Equal(t, 3, hs[0].Weight)
		plain := w.fileAt(w.warga.ID, "jalan", -3.3100, 104.9000, false) // elsewhere
		open, err := w.svc.OpenForAgency(ctx, nil, w.agency["PUPR"], 0)
		require.NoError(t, err)
		require.Equal(t, hs[0].ID, *open[0].HotspotID)
		require.Equal(t, hs[0].ID, *open[1].HotspotID)
		require.Equal(t, plain.Code, open[len(open)-1].Code)

		// Exactly once: checking the same complaint again, also by a new process after a
		// restart (a retried job), sends nothing more; growing to 5 neither.
		_, err = w.svc.CheckHotspot(ctx, b.ID)
		require.NoError(t, err)
		w.restart()
		_, err = w.river.Insert(ctx, complaint.HotspotArgs{ComplaintID: b.ID}, nil)
		require.NoError(t, err)
		file(30)
		file(40)
		w.settle()
		w.hotspotAlerts(1)

		// Doubled (6 = 2 × 3): told again, once.
		file(50)
		alerts = w.hotspotAlerts(2)
		require.Contains(t, alerts[1].Text[w.ids["Andi PUPR"]], "🔥 Titik rawan makin besar: 5 laporan")
		file(60)
		w.settle()
		w.hotspotAlerts(2)
		require.NoError(t, db.Find(&hs).Error)
		require.Len(t, hs, 1, "one hotspot all along")
		require.Equal(t, 2, hs[0].Alerts)
	})
}

// Around a point with no desa (outside the regency's boundaries), three reports within
// 300 m make a hotspot; a report 400 m away does not join it.
func TestHotspotAroundAPoint(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.start()
		const lat, lng = -2.9761, 104.7458 // Palembang
		file := func(m float64) *models.Complaint {
			la, ln := metresNorth(lat, lng, m)
			c := w.fileAt(w.warga.ID, "sampah", la, ln, false)
			require.Nil(t, c.RegionID)
			return c
		}
		file(0)
		file(-400)
		w.settle()
		c := file(290) // 290 m from the first, 690 m from the second
		w.settle()
		require.Empty(t, slices.DeleteFunc(w.seen(), func(s sent) bool { return s.N.Key != "petugas.hotspot" }))
		file(150)
		alerts := w.hotspotAlerts(1)
		w.settle()
		text := alerts[0].Text[w.ids["Dedi DLH"]]
		require.Contains(t, text, "3 laporan Sampah & kebersihan dalam 48 jam terakhir dalam radius 300 m")
		require.Equal(t, complaint.AudienceOfficers, alerts[0].N.Audience)
		require.Equal(t, w.agency["DLH"], alerts[0].N.AgencyID)
		require.True(t, strings.Contains(text, c.Code))
	})
}

// Many reports at once (several River workers, the transactions racing) still make one
// hotspot and one alert.
func TestHotspotConcurrentReports(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.start()
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lat, lng := metresNorth(pasarLat, pasarLng, float64(i*10))
				w.fileAt(w.warga.ID, "jalan", lat, lng, false)
			}()
		}
		wg.Wait()
		w.settle()
		w.hotspotAlerts(1)
		var n int64
		require.NoError(t, db.Model(&models.Hotspot{}).Count(&n).Error)
		require.EqualValues(t, 1, n)
	})
}
