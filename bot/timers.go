package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// Timer events a waiting conversation can receive.
const (
	TimerRemind = "remind"
	TimerExpire = "expire"
)

// QueueTimers is the River queue for conversation and deadline timers.
const QueueTimers = "timers"

// FlowTimerArgs is a conversation's reminder or expiry, valid only while the
// conversation still waits at the point (Seq) it was scheduled for.
type FlowTimerArgs struct {
	ConversationID int64  `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Event          string `json:"event"`
	// DueAt is when the timer falls due on the bot's clock; River's schedule is derived from it.
	DueAt time.Time `json:"due_at"`
}

// Kind names the job for River.
func (FlowTimerArgs) Kind() string { return "flow_timer" }

// InsertOpts puts timers on their own queue.
func (FlowTimerArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTimers, MaxAttempts: 10}
}

// FlowTimerWorker fires conversation reminders and expiries.
type FlowTimerWorker struct {
	river.WorkerDefaults[FlowTimerArgs]
	Handler *Handler
}

// Work runs the timer through the flow engine unless the conversation moved on.
func (w *FlowTimerWorker) Work(ctx context.Context, job *river.Job[FlowTimerArgs]) error {
	h := w.Handler
	return h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var conv models.Conversation
		err := tx.First(&conv, job.Args.ConversationID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load conversation %d: %w", job.Args.ConversationID, err)
		}
		if conv.Status != models.ConversationActive || conv.WaitSeq != job.Args.Seq {
			return nil // the citizen answered or the conversation ended: the timer is stale
		}
		var cit models.Citizen
		if err := tx.First(&cit, conv.CitizenID).Error; err != nil {
			return fmt.Errorf("load citizen %d: %w", conv.CitizenID, err)
		}
		var ident models.Identity
		if err := tx.Where("citizen_id = ?", cit.ID).Order("id DESC").First(&ident).Error; err != nil {
			return fmt.Errorf("load identity of citizen %d: %w", cit.ID, err)
		}
		var last models.Message
		if err := tx.Where("citizen_id = ? AND direction = ?", cit.ID, models.DirectionIn).Order("id DESC").First(&last).Error; err == nil {
			ident.Channel, ident.Address = last.Channel, last.ChatID
		}
		kind := flows.InputRemind
		if job.Args.Event == TimerExpire {
			kind = flows.InputExpire
		}
		who := &sender{conv: &conv}
		switch _, err := models.OfficerByCitizen(ctx, tx, cit.ID); {
		case err == nil:
			who.officer = true
		case !errors.Is(err, models.ErrNotFound):
			return err
		}
		return h.advance(ctx, tx, &cit, who, ident.Channel, ident.Address, flows.Input{Kind: kind})
	}, &sql.TxOptions{})
}
