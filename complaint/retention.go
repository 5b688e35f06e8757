package complaint

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// RetentionArgs is the periodic job that applies the retention rule (models.ApplyRetention).
type RetentionArgs struct{}

// Kind names the job in River.
func (RetentionArgs) Kind() string { return "retention" }

// RetentionInterval is how often the retention job runs (and once at start).
const RetentionInterval = 6 * time.Hour

// RetentionCutoff is the moment before which a closed complaint's personal data is no
// longer kept: years before now.
func RetentionCutoff(now time.Time, years int) time.Time { return now.AddDate(-years, 0, 0) }

// RetentionWorker anonymizes the complaints closed more than Years ago and removes their
// photo originals.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	DB      *gorm.DB
	DataDir string
	Years   int
	Now     func() time.Time
	Log     *slog.Logger
}

// Work applies the rule once.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	rep, err := models.ApplyRetention(ctx, w.DB, w.DataDir, RetentionCutoff(now, w.Years), now, false)
	if err != nil {
		return err
	}
	if rep != (models.RetentionReport{}) && w.Log != nil {
		w.Log.InfoContext(ctx, "retention applied", slog.Int("complaints", rep.Complaints), slog.Int("originals", rep.Originals),
			slog.Int("citizens", rep.Citizens), slog.Int("leftovers", rep.Leftovers))
	}
	return nil
}

// RetentionJob is the periodic job for River's config.
func RetentionJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(RetentionInterval), func() (river.JobArgs, *river.InsertOpts) {
		return RetentionArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
