package complaint_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// countingNotifier counts notifications and does no database work, so the benchmark's query
// count is the deadline worker's own.
type countingNotifier struct{ n atomic.Int64 }

func (c *countingNotifier) Notify(context.Context, *gorm.DB, complaint.Notification) error {
	c.n.Add(1)
	return nil
}

// BenchmarkDeadlines files 10,000 complaints spread over a month (every category, so triage
// reports carry a routing deadline too), then moves the clock past every deadline and lets
// River's workers fire every reminder and escalation. It reports the wall time of firing them,
// timers per second, and the SQL statements the worker issues per timer (BEGIN and COMMIT not
// counted; the Notifier's own work is not included).
//
//	go test ./complaint -run '^$' -bench BenchmarkDeadlines -benchtime 1x
func BenchmarkDeadlines(b *testing.B) {
	for _, kind := range modeltest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				benchDeadlines(b, benchDB(b, kind), 10000)
			}
		})
	}
}

func benchDeadlines(b *testing.B, db *gorm.DB, complaints int) {
	ctx := context.Background()
	w := newWorld(b, db)
	counter := &countingNotifier{}
	w.svc.Notifier = counter
	cats, err := models.Categories(ctx, db)
	require.NoError(b, err)

	start := w.at("2026-11-02 08:00")
	month := 30 * 24 * time.Hour
	const batch = 500
	for i := 0; i < complaints; i += batch {
		require.NoError(b, db.Transaction(func(tx *gorm.DB) error {
			for j := i; j < min(i+batch, complaints); j++ {
				w.clock.Set(start.Add(time.Duration(j) * month / time.Duration(complaints)))
				_, err := w.svc.Submit(ctx, tx, complaint.SubmitInput{CitizenID: w.warga.ID, Channel: "telegram",
					CategoryCode: cats[j%len(cats)].Code, Description: fmt.Sprintf("Laporan uji nomor %d", j)})
				if err != nil {
					return err
				}
			}
			return nil
		}))
	}
	sqlDB, err := db.DB()
	require.NoError(b, err)
	kindArg := complaint.DeadlineArgs{}.Kind()
	var timers int64
	require.NoError(b, sqlDB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND state = 'scheduled'`, kindArg).Scan(&timers))

	// The clock jumps past every deadline. River schedules on the real clock, so every timer is
	// made available now (not timed), and the workers start afterwards.
	w.clock.Set(w.at("2027-03-01 08:00"))
	var after *river.JobListCursor
	for {
		p := river.NewJobListParams().States(rivertype.JobStateScheduled).Kinds(kindArg).First(1000)
		if after != nil {
			p = p.After(after)
		}
		res, err := w.river.JobList(ctx, p)
		require.NoError(b, err)
		if len(res.Jobs) == 0 {
			break
		}
		require.NoError(b, db.Transaction(func(tx *gorm.DB) error {
			for _, j := range res.Jobs {
				if _, err := w.river.JobRetryTx(ctx, tx.Statement.ConnPool.(*sql.Tx), j.ID); err != nil {
					return err
				}
			}
			return nil
		}))
		after = res.LastCursor
	}

	var queries atomic.Int64
	count := func(*gorm.DB) { queries.Add(1) }
	cb := db.Callback()
	require.NoError(b, cb.Query().After("gorm:query").Register("bench:count_query", count))
	require.NoError(b, cb.Create().After("gorm:create").Register("bench:count_create", count))
	require.NoError(b, cb.Update().After("gorm:update").Register("bench:count_update", count))
	require.NoError(b, cb.Delete().After("gorm:delete").Register("bench:count_delete", count))
	require.NoError(b, cb.Row().After("gorm:row").Register("bench:count_row", count))
	require.NoError(b, cb.Raw().After("gorm:raw").Register("bench:count_raw", count))
	counter.n.Store(0)

	b.StartTimer()
	began := time.Now()
	w.start()
	for {
		var left int64
		require.NoError(b, sqlDB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND state NOT IN ('completed', 'discarded', 'cancelled')`,
			kindArg).Scan(&left))
		if left == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(began)
	b.StopTimer()

	var fired, failed int64
	require.NoError(b, sqlDB.QueryRow(`SELECT COUNT(*) FROM deadline_alerts`).Scan(&fired))
	require.NoError(b, sqlDB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND state <> 'completed'`, kindArg).Scan(&failed))
	require.Zero(b, failed)
	require.Equal(b, timers, fired, "every reminder and escalation fired, once")
	var breaches int64
	require.NoError(b, sqlDB.QueryRow(`SELECT COUNT(*) FROM deadline_alerts WHERE stage = 'breach'`).Scan(&breaches))
	require.Equal(b, fired+breaches, counter.n.Load(), "one notification per reminder, two (kepala, admins) per escalation")

	b.ReportMetric(float64(timers), "timers")
	b.ReportMetric(elapsed.Seconds(), "s_firing")
	b.ReportMetric(float64(timers)/elapsed.Seconds(), "timers/s")
	b.ReportMetric(float64(queries.Load())/float64(timers), "queries/timer")
	b.Logf("%d complaints, %d timers (%d breaches) fired in %v: %.0f timers/s, %.2f statements/timer",
		complaints, timers, breaches, elapsed.Round(time.Millisecond), float64(timers)/elapsed.Seconds(), float64(queries.Load())/float64(timers))
}

// benchDB opens a fresh migrated database of kind for a benchmark (modeltest.Open wants a *testing.T).
func benchDB(b *testing.B, kind string) *gorm.DB {
	b.Helper()
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	if kind == models.DialectPostgres {
		base := os.Getenv(modeltest.EnvURL)
		var buf [6]byte
		_, err := rand.Read(buf[:])
		require.NoError(b, err)
		schema := "b_" + hex.EncodeToString(buf[:])
		admin, err := models.Open(ctx, base)
		require.NoError(b, err)
		require.NoError(b, admin.Exec(`CREATE SCHEMA `+schema).Error)
		b.Cleanup(func() {
			_ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`).Error
			_ = models.Close(admin)
		})
		u, err := url.Parse(base)
		require.NoError(b, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	db, err := models.Open(ctx, dsn)
	require.NoError(b, err)
	b.Cleanup(func() { _ = models.Close(db) })
	require.NoError(b, models.Migrate(ctx, db))
	return db
}
