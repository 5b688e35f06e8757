package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// ErrUnreachable is returned by Channel.Send when the person blocked the bot or
// the address no longer exists; the message is not retried.
var ErrUnreachable = errors.New("recipient unreachable")

// ErrRejected is returned by Channel.Send when the platform refuses this one
// message for good (bad request); it is marked failed and the next one is sent.
var ErrRejected = errors.New("message rejected by platform")

// ErrAwaitReply is returned by Channel.Send when the platform allows this
// message only after the person writes again (a notice outside the WhatsApp
// Cloud API's 24-hour window with no template for it, or its photo): the
// message waits and goes out when they next write.
var ErrAwaitReply = errors.New("message waits until the person writes again")

// ErrResend is the failure of a StatusUpdate for a message the platform
// accepted and then dropped in a way the adapter can avoid on a second try
// (the WhatsApp Cloud API's 131047: the window had closed; it sends the
// template then).
var ErrResend = errors.New("message dropped by the platform; send it again")

// RetryAfterError is returned by Channel.Send when the platform asks the bot to
// pause (a 429); the chat's messages wait at least After and then go out.
type RetryAfterError struct{ After time.Duration }

func (e *RetryAfterError) Error() string { return fmt.Sprintf("rate limited, retry after %s", e.After) }

// DeliverArgs asks the delivery worker to send one chat's queued messages in order.
type DeliverArgs struct {
	Channel string `json:"channel"`
	ChatID  string `json:"chat_id"`
}

// Kind names the job for River.
func (DeliverArgs) Kind() string { return "deliver" }

// InsertOpts puts delivery on its own queue so timers never wait behind sends.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDeliver, MaxAttempts: 30}
}

// QueueDeliver is the River queue that sends outbound messages.
const QueueDeliver = "deliver"

// Pacer waits until a message to chatID on channel may go out. An adapter with
// platform limits provides one, unless it paces inside Send (Telegram does: its
// limiter counts each request from the moment it returned); nil means no pacing.
type Pacer interface {
	Wait(ctx context.Context, channel, chatID string) error
}

// Deliverer is the River worker that sends queued outbound messages, one chat
// at a time and in the order they were queued, and records each as sent so it
// is never sent twice.
type Deliverer struct {
	river.WorkerDefaults[DeliverArgs]
	DB       *gorm.DB
	Channels map[string]Channel
	Pacer    Pacer
	// Jobs queues a delivery again when a platform drops a message after the fact.
	Jobs JobInserter
	Log  *slog.Logger
	Now  func() time.Time

	locks sync.Map // channel+chat -> *sync.Mutex
}

// Work sends every queued message of the chat, oldest first.
func (w *Deliverer) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	args := job.Args
	ch, ok := w.Channels[args.Channel]
	if !ok {
		return fmt.Errorf("deliver: channel %q is not running", args.Channel)
	}
	mu, _ := w.locks.LoadOrStore(args.Channel+"\x00"+args.ChatID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	for {
		var batch []models.Message
		err := w.DB.WithContext(ctx).
			Where("channel = ? AND chat_id = ? AND direction = ? AND status = ?", args.Channel, args.ChatID, models.DirectionOut, models.MessageQueued).
			Order("id").Limit(20).Find(&batch).Error
		if err != nil {
			return fmt.Errorf("deliver: load queued messages: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			if err := w.sendOne(ctx, ch, m); err != nil {
				return err
			}
		}
	}
}

func (w *Deliverer) sendOne(ctx context.Context, ch Channel, m models.Message) error {
	var out Outbound
	if m.Payload != "" {
		if err := json.Unmarshal([]byte(m.Payload), &out); err != nil {
			w.markFailed(ctx, m.ID, "payload: "+err.Error())
			return nil
		}
	}
	out.Channel, out.ChatID, out.Ref = m.Channel, m.ChatID, m.ID
	if out.Text == "" {
		out.Text = m.Text
	}
	if w.Pacer != nil {
		if err := w.Pacer.Wait(ctx, m.Channel, m.ChatID); err != nil {
			return err
		}
	}
	platformID, err := ch.Send(ctx, out)
	var ra *RetryAfterError
	switch {
	case err == nil:
	case errors.As(err, &ra):
		w.log().Warn("channel asked to slow down", slog.String("channel", m.Channel), slog.Duration("retry_after", ra.After))
		return river.JobSnooze(ra.After)
	case errors.Is(err, ErrUnreachable):
		w.log().Info("recipient unreachable; dropping its queued messages", slog.String("channel", m.Channel), slog.Int64("citizen_id", m.CitizenID))
		return w.markUnreachable(ctx, m)
	case errors.Is(err, ErrAwaitReply):
		w.log().Info("message waits until the person writes again", slog.String("channel", m.Channel), slog.Int64("message_id", m.ID))
		return w.setStatus(ctx, m.ID, models.MessageWaiting, err.Error())
	case errors.Is(err, ErrRejected):
		w.log().Warn("message rejected by platform", slog.String("channel", m.Channel), slog.Int64("message_id", m.ID), slog.Any("error", err))
		w.markFailed(ctx, m.ID, err.Error())
		return nil
	default:
		return fmt.Errorf("deliver message %d: %w", m.ID, err)
	}
	now := w.now()
	upd := map[string]any{"status": models.MessageSent, "sent_at": now, "error": ""}
	if platformID != "" {
		upd["platform_id"] = platformID
	}
	if err := w.DB.WithContext(context.WithoutCancel(ctx)).Model(&models.Message{}).Where("id = ?", m.ID).Updates(upd).Error; err != nil {
		return fmt.Errorf("deliver: mark message %d sent: %w", m.ID, err)
	}
	if obs, ok := ch.(SentObserver); ok {
		obs.Sent(ctx, out, platformID)
	}
	return nil
}

func (w *Deliverer) markFailed(ctx context.Context, id int64, reason string) {
	if err := w.setStatus(ctx, id, models.MessageFailed, reason); err != nil {
		w.log().Error("mark message failed", slog.Int64("message_id", id), slog.Any("error", err))
	}
}

func (w *Deliverer) setStatus(ctx context.Context, id int64, status, reason string) error {
	err := w.DB.WithContext(context.WithoutCancel(ctx)).Model(&models.Message{}).Where("id = ?", id).
		Updates(map[string]any{"status": status, "error": reason}).Error
	if err != nil {
		return fmt.Errorf("deliver: mark message %d %s: %w", id, status, err)
	}
	return nil
}

func (w *Deliverer) markUnreachable(ctx context.Context, m models.Message) error {
	return w.DB.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.Message{}).
			Where("channel = ? AND chat_id = ? AND direction = ? AND status = ?", m.Channel, m.ChatID, models.DirectionOut, models.MessageQueued).
			Updates(map[string]any{"status": models.MessageFailed, "error": "unreachable"}).Error; err != nil {
			return err
		}
		return tx.Model(&models.Citizen{}).Where("id = ?", m.CitizenID).Update("unreachable", true).Error
	}, &sql.TxOptions{})
}

func (w *Deliverer) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

func (w *Deliverer) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}
