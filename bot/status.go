package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

var (
	_ StatusHandler      = (*Deliverer)(nil)
	_ StatusBatchHandler = (*Deliverer)(nil)
)

// StatusBatchHandler is an optional StatusHandler capability: it records many
// statuses at once (a webhook call brings up to dozens).
type StatusBatchHandler interface {
	HandleStatuses(ctx context.Context, sts []StatusUpdate) error
}

// HandleStatuses records a batch: the receipts (sent, delivered, read) in one
// transaction with one statement each, the failures one by one.
func (w *Deliverer) HandleStatuses(ctx context.Context, sts []StatusUpdate) error {
	var receipts []StatusUpdate
	strongest := map[int64]int{} // ref -> index in receipts: a message's sent, delivered and read become one statement
	rank := map[string]int{DeliverySent: 1, DeliveryDelivered: 2, DeliveryRead: 3}
	for _, st := range sts {
		switch st.State {
		case DeliveryFailed:
			if err := w.HandleStatus(ctx, st); err != nil {
				return err
			}
		case DeliverySent, DeliveryDelivered, DeliveryRead:
			if st.Ref != 0 && !st.Final {
				continue // an earlier part of a long message: its last part's status counts
			}
			if i, ok := strongest[st.Ref]; ok && st.Ref != 0 {
				if rank[st.State] > rank[receipts[i].State] {
					receipts[i] = st
				}
				continue
			}
			if st.Ref != 0 {
				strongest[st.Ref] = len(receipts)
			}
			receipts = append(receipts, st)
		}
	}
	if len(receipts) == 0 {
		return nil
	}
	return w.DB.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		for _, st := range receipts {
			if err := w.receipt(tx, st); err != nil {
				return err
			}
		}
		return nil
	}, &sql.TxOptions{})
}

// receipt records one sent, delivered or read status in one statement: the
// receipt's time once, and a message still queued or in flight (accepted before
// the process could record it: it died in between, or is about to record it)
// as sent, so it is not sent again.
func (w *Deliverer) receipt(tx *gorm.DB, st StatusUpdate) error {
	at := st.At.UTC()
	if st.At.IsZero() {
		at = w.now()
	}
	q := tx.Model(&models.Message{}).Where("channel = ? AND direction = ?", st.Channel, models.DirectionOut)
	switch {
	case st.Ref != 0:
		q = q.Where("id = ?", st.Ref)
	case st.PlatformID != "":
		q = q.Where("platform_id = ?", st.PlatformID)
	default:
		return nil
	}
	upd := map[string]any{
		"status":  gorm.Expr("CASE WHEN status IN (?, ?) THEN ? ELSE status END", models.MessageQueued, models.MessageSending, models.MessageSent),
		"sent_at": gorm.Expr("COALESCE(sent_at, ?)", at),
	}
	if st.PlatformID != "" {
		upd["platform_id"] = gorm.Expr("COALESCE(platform_id, ?)", st.PlatformID)
	}
	if st.State == DeliverySent {
		q = q.Where("status IN ?", []string{models.MessageQueued, models.MessageSending})
	} else {
		upd["delivered_at"] = gorm.Expr("COALESCE(delivered_at, ?)", at)
		if st.State == DeliveryRead {
			upd["read_at"] = gorm.Expr("COALESCE(read_at, ?)", at)
		}
		q = q.Where("status IN ?", []string{models.MessageQueued, models.MessageSending, models.MessageSent})
	}
	if err := q.Updates(upd).Error; err != nil {
		return fmt.Errorf("record a %s status: %w", st.State, err)
	}
	return nil
}

// HandleStatus records what the platform reported about a message it had
// accepted: when it reached the phone and was read, a failure after the fact
// (the person cannot be reached, or the message must go again another way),
// and a send that went out but was never recorded (the process stopped between
// the send and its bookkeeping), so it is not sent twice.
func (w *Deliverer) HandleStatus(ctx context.Context, st StatusUpdate) error {
	switch st.State {
	case DeliverySent, DeliveryDelivered, DeliveryRead:
		if st.Ref != 0 && !st.Final {
			return nil // an earlier part of a long message: its last part's status counts
		}
		return w.receipt(w.DB.WithContext(context.WithoutCancel(ctx)), st)
	case DeliveryFailed:
	default:
		return nil
	}
	m, err := w.statusRow(ctx, st)
	if err != nil || m == nil {
		return err
	}
	switch {
	case errors.Is(st.Err, ErrUnreachable):
		w.log().Info("recipient unreachable (reported after the send); dropping its queued messages",
			slog.String("channel", m.Channel), slog.Int64("citizen_id", m.CitizenID))
		if err := w.setStatus(ctx, m.ID, models.MessageFailed, "unreachable"); err != nil {
			return err
		}
		return w.markUnreachable(ctx, *m)
	case errors.Is(st.Err, ErrResend):
		if m.Status == models.MessageQueued || m.Status == models.MessageSending {
			return nil // not recorded as sent yet: it goes (again) anyway
		}
		return w.resend(ctx, *m)
	case errors.Is(st.Err, ErrAwaitReply):
		w.log().Info("message waits until the person writes again (reported after the send)", slog.String("channel", m.Channel), slog.Int64("message_id", m.ID))
		return w.setStatus(ctx, m.ID, models.MessageWaiting, st.Err.Error())
	}
	reason := "failed"
	if st.Err != nil {
		reason = st.Err.Error()
	}
	w.log().Warn("message failed after the platform accepted it", slog.String("channel", m.Channel),
		slog.Int64("message_id", m.ID), slog.String("reason", reason))
	return w.setStatus(ctx, m.ID, models.MessageFailed, reason)
}

// statusRow finds the outbound row a failure is about. A status of a message
// the bot does not know (sent before the database was restored, or by hand
// from the platform's tools) is nil.
func (w *Deliverer) statusRow(ctx context.Context, st StatusUpdate) (*models.Message, error) {
	var m models.Message
	q := w.DB.WithContext(ctx).Where("channel = ? AND direction = ?", st.Channel, models.DirectionOut)
	switch {
	case st.Ref != 0:
		q = q.Where("id = ?", st.Ref)
	case st.PlatformID != "":
		q = q.Where("platform_id = ?", st.PlatformID) // Send records the id of the last part
	default:
		return nil, nil
	}
	if err := q.Limit(1).Find(&m).Error; err != nil {
		return nil, fmt.Errorf("find the message of a %s status: %w", st.State, err)
	}
	if m.ID == 0 {
		w.log().Debug("status of an unknown message ignored", slog.String("channel", st.Channel), slog.String("state", st.State))
		return nil, nil
	}
	return &m, nil
}

// resend queues a message the platform dropped once more, with a delivery job.
func (w *Deliverer) resend(ctx context.Context, m models.Message) error {
	if w.Jobs == nil {
		return fmt.Errorf("resend message %d: the delivery worker has no job inserter", m.ID)
	}
	w.log().Info("message dropped by the platform after the send; sending it again", slog.String("channel", m.Channel), slog.Int64("message_id", m.ID))
	return w.DB.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.Message{}).Where("id = ?", m.ID).
			Updates(map[string]any{"status": models.MessageQueued, "error": "", "platform_id": nil, "parts_sent": 0}).Error; err != nil {
			return fmt.Errorf("requeue message %d: %w", m.ID, err)
		}
		return insertJobs(ctx, tx, w.Jobs, []river.InsertManyParams{{Args: DeliverArgs{Channel: m.Channel, ChatID: m.ChatID}}})
	}, &sql.TxOptions{})
}
