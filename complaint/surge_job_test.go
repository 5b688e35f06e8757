package complaint_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// surgeRiver is a River client running the surge check as the app does: the hourly periodic
// job (run at start) on the service's clock.
func surgeRiver(t *testing.T, w *world, consoleURL string) *river.Client[*sql.Tx] {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &complaint.SurgeWorker{Service: w.svc, ConsoleURL: consoleURL})
	cfg := &river.Config{
		Logger:            quiet(),
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{complaint.QueueTimers: {MaxWorkers: 2}},
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		PeriodicJobs:      []*river.PeriodicJob{complaint.SurgePeriodicJob(w.clock.Now)},
	}
	sqlDB, err := w.db.DB()
	require.NoError(t, err)
	var c *river.Client[*sql.Tx]
	if models.Dialect(w.db) == models.DialectSQLite {
		c, err = river.NewClient(riversqlite.New(sqlDB), cfg)
	} else {
		c, err = river.NewClient(riverdatabasesql.New(sqlDB), cfg)
	}
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer c2()
		_ = c.Stop(stopCtx)
		cancel()
	})
	return c
}

// surgeJobsDone waits until n surge jobs completed and none waits.
func surgeJobsDone(t *testing.T, c *river.Client[*sql.Tx], n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		res, err := c.JobList(context.Background(), river.NewJobListParams().Kinds(complaint.SurgeArgs{}.Kind()).First(100))
		require.NoError(t, err)
		done := 0
		for _, j := range res.Jobs {
			switch j.State {
			case rivertype.JobStateCompleted:
				done++
			case rivertype.JobStateRetryable, rivertype.JobStateDiscarded:
				t.Fatalf("surge job failed: %v", j.Errors)
			}
		}
		return done == n && len(res.Jobs) == n
	}, 20*time.Second, 20*time.Millisecond)
}

func TestSurgeAlertedOnceAcrossHourlyRuns(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		region := func(code string) models.Region {
			var r models.Region
			require.NoError(t, db.Where("code = ?", code).Take(&r).Error)
			return r
		}
		category := func(code string) models.Category {
			var c models.Category
			require.NoError(t, db.Where("code = ?", code).Take(&c).Error)
			return c
		}
		kedaton, ulak := region("16.02.05.1007"), region("16.02.02.2001") // desa of Kayu Agung and of Tanjung Lubuk
		jalan, sampah := category("jalan"), category("sampah")
		seq := 0
		file := func(desa models.Region, cat models.Category, status string, at time.Time, n int) {
			for range n {
				seq++
				c := models.Complaint{Code: fmt.Sprintf("OKI-TEST-%05d", seq), CitizenID: w.warga.ID, CategoryID: cat.ID,
					AgencyID: cat.AgencyID, RegionID: &desa.ID, Description: "uji lonjakan", Status: status, Channel: "telegram",
					RouteBy: at, RespondBy: at, ResolveBy: at, CreatedAt: at, UpdatedAt: at}
				require.NoError(t, db.Create(&c).Error)
			}
		}

		// A pimpinan whose console account is linked to a chat officer is told; one without a
		// chat, or inactive, cannot be.
		w.officer("Sekda OKI", "DISKOMINFO", models.RolePetugas, "id")
		var sekda models.Officer
		require.NoError(t, db.Where("citizen_id = ?", w.ids["Sekda OKI"]).Take(&sekda).Error)
		w.officer("Asisten OKI", "DISKOMINFO", models.RolePetugas, "en")
		var asisten models.Officer
		require.NoError(t, db.Where("citizen_id = ?", w.ids["Asisten OKI"]).Take(&asisten).Error)
		for _, u := range []models.User{
			{Email: "sekda@oki.go.id", Name: "Sekda", Role: models.UserPimpinan, Active: true, OfficerID: &sekda.ID, PasswordHash: "x"},
			{Email: "bupati@oki.go.id", Name: "Bupati", Role: models.UserPimpinan, Active: true, PasswordHash: "x"},
			{Email: "asisten@oki.go.id", Name: "Asisten", Role: models.UserPimpinan, Active: false, OfficerID: &asisten.ID, PasswordHash: "x"},
		} {
			require.NoError(t, db.Create(&u).Error)
		}

		// The check runs at 14:00 on Wednesday 2 December 2026 (WIB): its window is from 14:00 on
		// Tuesday. Eight weeks of history, the same Tuesday-to-Wednesday hours each week.
		end := time.Date(2026, 12, 2, 14, 0, 0, 0, w.loc)
		start := end.Add(-24 * time.Hour)
		for i, n := range []int{1, 0, 2, 1, 0, 1, 1, 2} { // roads in Kayu Agung: about one a day
			file(kedaton, jalan, complaint.StatusSelesai, start.AddDate(0, 0, -7*(i+1)).Add(3*time.Hour), n)
		}
		for i := range 8 { // rubbish in Tanjung Lubuk: always busy
			file(ulak, sampah, complaint.StatusDitutup, start.AddDate(0, 0, -7*(i+1)).Add(time.Duration(i)*time.Hour), 10)
		}
		// Outside every window: does not count.
		file(kedaton, jalan, complaint.StatusSelesai, start.AddDate(0, 0, -4), 20)
		file(kedaton, jalan, complaint.StatusSelesai, end.AddDate(0, 0, -7), 9) // the end of a window is outside it
		// The last 24 hours: a flooded road in Kayu Agung (12, the first one at 14:00 sharp),
		// rubbish as usual (12 is within 10 + 3), and rejected reports, which never count.
		file(kedaton, jalan, complaint.StatusDiproses, start, 1)
		file(kedaton, jalan, complaint.StatusTerdisposisi, end.Add(-5*time.Hour), 11)
		file(ulak, sampah, complaint.StatusDiproses, end.Add(-10*time.Hour), 12)
		file(ulak, jalan, complaint.StatusDitolak, end.Add(-2*time.Hour), 9)

		// First hourly run: the periodic job River runs at start, at 14:20 on the clock.
		w.clock.Set(end.Add(20 * time.Minute))
		w.rec.take()
		rc := surgeRiver(t, w, "https://lapor.example/konsol")
		surgeJobsDone(t, rc, 1)
		got := w.rec.take()
		require.Len(t, got, 2, "the admin and the linked pimpinan")
		var to []int64
		for _, s := range got {
			require.Equal(t, "petugas.lonjakan", s.N.Key)
			require.Len(t, s.To, 1)
			to = append(to, s.To...)
			text := s.Text[s.To[0]]
			require.Contains(t, text, "Lonjakan laporan Jalan")
			require.Contains(t, text, "Kec. Kayu Agung")
			require.Contains(t, text, "12 laporan dalam 24 jam terakhir")
			require.Contains(t, text, "biasanya sekitar 1 ")
			require.Contains(t, text, "https://lapor.example/konsol/pengaduan?dari=2026-12-01&kategori=jalan&kecamatan=16.02.05")
		}
		require.ElementsMatch(t, []int64{w.ids["Admin Kominfo"], w.ids["Sekda OKI"]}, to)

		var surges []models.Surge
		require.NoError(t, db.Find(&surges).Error)
		require.Len(t, surges, 1)
		require.Equal(t, region("16.02.05").ID, surges[0].KecamatanID)
		require.Equal(t, jalan.ID, surges[0].CategoryID)
		require.Equal(t, 12, surges[0].Count)
		require.InDelta(t, 1.0, surges[0].Usual, 1e-9)
		require.True(t, start.Equal(surges[0].WindowStart), surges[0].WindowStart)

		// The same hour again (a second replica, a retry) is not even inserted.
		res, err := rc.Insert(ctx, complaint.SurgeArgs{End: end.UTC()}, nil)
		require.NoError(t, err)
		require.True(t, res.UniqueSkippedAsDuplicate)

		// Second hourly run, at 15:00, with two more reports: the same surge, no new alert.
		file(kedaton, jalan, complaint.StatusDiproses, end.Add(30*time.Minute), 2)
		w.clock.Set(end.Add(80 * time.Minute))
		_, err = rc.Insert(ctx, complaint.SurgeArgs{End: end.Add(time.Hour).UTC()}, nil)
		require.NoError(t, err)
		surgeJobsDone(t, rc, 2)
		require.Empty(t, w.rec.take(), "a surge is alerted once")
		surges = nil
		require.NoError(t, db.Find(&surges).Error)
		require.Len(t, surges, 1)
		require.Equal(t, 13, surges[0].Peak) // 12 - the one at 14:00 on Tuesday (now outside) + 2
		require.True(t, end.Add(time.Hour).Equal(surges[0].LastSeenAt), surges[0].LastSeenAt)

		// The check itself, run twice for one hour, alerts nothing more.
		for range 2 {
			found, err := w.svc.CheckSurges(ctx, end.Add(time.Hour), "")
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.False(t, found[0].New)
		}
		require.Empty(t, w.rec.take())

		// New reports within 24 hours of the last surge are still the same surge ...
		file(kedaton, jalan, complaint.StatusDiproses, end.Add(20*time.Hour), 12)
		found, err := w.svc.CheckSurges(ctx, end.Add(21*time.Hour), "")
		require.NoError(t, err)
		require.Len(t, found, 1)
		require.False(t, found[0].New)
		require.Empty(t, w.rec.take())
		// ... a day later the road is quiet ...
		found, err = w.svc.CheckSurges(ctx, end.Add(46*time.Hour), "")
		require.NoError(t, err)
		require.Empty(t, found)
		// ... and a surge that starts after a full day without one is a new one, alerted again.
		file(kedaton, jalan, complaint.StatusDiproses, end.Add(72*time.Hour), 8)
		found, err = w.svc.CheckSurges(ctx, end.Add(73*time.Hour), "")
		require.NoError(t, err)
		require.Len(t, found, 1)
		require.True(t, found[0].New)
		got = w.rec.take()
		require.Len(t, got, 2)
		require.True(t, strings.Contains(got[0].Text[got[0].To[0]], "8 laporan"), got[0].Text)
		require.NotContains(t, got[0].Text[got[0].To[0]], "konsol:", "no console address, no link")
	})
}
