package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// DeliverySweeper finds chats with outbound messages waiting (queued, or in
// flight when a process died) and no delivery job waiting to run, and gives each
// a job. It runs once when the process starts, which resumes the chats a killed
// process left behind (their jobs stay "running" in River until River's
// rescuer gives up on them), and then every Interval as a safety net for
// anything else (a job River discarded after its last attempt).
type DeliverySweeper struct {
	DB   *gorm.DB
	Jobs JobInserter
	Log  *slog.Logger
	// Interval between sweeps (default 15 s).
	Interval time.Duration
	// MinAge skips messages younger than this in the periodic sweeps: their own
	// job was inserted with them (default 5 s).
	MinAge time.Duration
	// Now is the clock messages were stamped with (default time.Now).
	Now func() time.Time
}

// Run sweeps at once and then every Interval until ctx ends.
func (s *DeliverySweeper) Run(ctx context.Context) {
	interval := s.Interval
	if interval <= 0 {
		interval = 15 * time.Second
	}
	minAge := s.MinAge
	if minAge <= 0 {
		minAge = 5 * time.Second
	}
	age := time.Duration(0) // the first sweep takes everything: nothing of a dead process is still moving
	for {
		n, err := s.Sweep(ctx, age)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log().Warn("delivery sweep failed; trying again", slog.Any("error", err))
		case n > 0:
			s.log().Info("delivery resumed for waiting chats", slog.Int("chats", n))
		}
		if err == nil {
			age = minAge
		}
		t := time.NewTimer(interval)
		if err != nil {
			t.Reset(min(interval, 2*time.Second))
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// maxSweep bounds the chats one sweep gives jobs to; the next sweep takes the rest.
const maxSweep = 5000

// Sweep inserts a delivery job for every chat with an outbound message older
// than minAge (0: any) still queued or in flight, unless a delivery job for that chat
// is available, scheduled or waiting to be retried. Running jobs do not count:
// after a crash they belong to the dead process. It returns the chats given a job.
func (s *DeliverySweeper) Sweep(ctx context.Context, minAge time.Duration) (int, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var chats []DeliverArgs
	q := s.DB.WithContext(ctx).Model(&models.Message{}).Select("channel, chat_id").
		Where("direction = ? AND status IN ?", models.DirectionOut, []string{models.MessageQueued, models.MessageSending})
	if minAge > 0 {
		q = q.Where("created_at <= ?", now().UTC().Add(-minAge))
	}
	err := q.Group("channel, chat_id").Limit(maxSweep).Scan(&chats).Error
	if err != nil {
		return 0, fmt.Errorf("sweep: chats with waiting messages: %w", err)
	}
	if len(chats) == 0 {
		return 0, nil
	}
	// River keeps args as jsonb on PostgreSQL and as SQLite's binary JSON: read them as text.
	argsText := "args::text"
	if models.Dialect(s.DB) == models.DialectSQLite {
		argsText = "json(args)"
	}
	var raw []string
	err = s.DB.WithContext(ctx).Raw(`SELECT `+argsText+` FROM river_job WHERE kind = ? AND state IN ('available', 'pending', 'scheduled', 'retryable')`,
		DeliverArgs{}.Kind()).Scan(&raw).Error
	if err != nil {
		return 0, fmt.Errorf("sweep: waiting delivery jobs: %w", err)
	}
	waiting := make(map[DeliverArgs]bool, len(raw))
	for _, r := range raw {
		var a DeliverArgs
		if json.Unmarshal([]byte(r), &a) == nil {
			waiting[a] = true
		}
	}
	var params []river.InsertManyParams
	for _, c := range chats {
		if !waiting[c] {
			params = append(params, river.InsertManyParams{Args: c})
		}
	}
	if len(params) == 0 {
		return 0, nil
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return insertJobs(ctx, tx, s.Jobs, params)
	}, &sql.TxOptions{})
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	return len(params), nil
}

func (s *DeliverySweeper) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
