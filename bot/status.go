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

var _ StatusHandler = (*Deliverer)(nil)

// HandleStatus records what the platform reported about a message it had
// accepted: when it reached the phone and was read, a failure after the fact
// (the person cannot be reached, or the message must go again another way),
// and a send that went out but was never recorded (the process stopped between
// the send and its bookkeeping), so it is not sent twice.
func (w *Deliverer) HandleStatus(ctx context.Context, st StatusUpdate) error {
	m, final, err := w.statusRow(ctx, st)
	if err != nil || m == nil {
		return err
	}
	db := w.DB.WithContext(context.WithoutCancel(ctx)).Model(&models.Message{}).Where("id = ?", m.ID)
	at := st.At.UTC()
	if st.At.IsZero() {
		at = w.now()
	}
	switch st.State {
	case DeliverySent, DeliveryDelivered, DeliveryRead:
		upd := map[string]any{}
		if final && (m.Status == models.MessageQueued || m.Status == models.MessageSending) {
			// Accepted before the process could record it (it died in between, or is
			// about to record it): record it now, so the worker does not send it again.
			upd["status"], upd["sent_at"], upd["error"] = models.MessageSent, at, ""
			if st.PlatformID != "" && m.PlatformID == nil {
				upd["platform_id"] = st.PlatformID
			}
		}
		if st.State != DeliverySent && final && m.DeliveredAt == nil {
			upd["delivered_at"] = at
		}
		if st.State == DeliveryRead && final && m.ReadAt == nil {
			upd["read_at"] = at
		}
		if len(upd) == 0 {
			return nil
		}
		if err := db.Updates(upd).Error; err != nil {
			return fmt.Errorf("record %s status of message %d: %w", st.State, m.ID, err)
		}
		return nil
	case DeliveryFailed:
		switch {
		case errors.Is(st.Err, ErrUnreachable):
			w.log().Info("recipient unreachable (reported after the send); dropping its queued messages",
				slog.String("channel", m.Channel), slog.Int64("citizen_id", m.CitizenID))
			if err := w.setStatus(ctx, m.ID, models.MessageFailed, "unreachable"); err != nil {
				return err
			}
			return w.markUnreachable(ctx, *m)
		case errors.Is(st.Err, ErrResend):
			if m.Status == models.MessageQueued {
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
	return nil
}

// statusRow finds the outbound row a status is about; final reports that the
// status is about its last part. A status of a message the bot does not know
// (sent before the database was restored, or by hand from the platform's tools) is nil.
func (w *Deliverer) statusRow(ctx context.Context, st StatusUpdate) (*models.Message, bool, error) {
	var m models.Message
	q := w.DB.WithContext(ctx).Where("channel = ? AND direction = ?", st.Channel, models.DirectionOut)
	final := st.Final
	switch {
	case st.Ref != 0:
		q = q.Where("id = ?", st.Ref)
	case st.PlatformID != "":
		// Send records the id of the last part.
		q, final = q.Where("platform_id = ?", st.PlatformID), true
	default:
		return nil, false, nil
	}
	if err := q.Limit(1).Find(&m).Error; err != nil {
		return nil, false, fmt.Errorf("find the message of a %s status: %w", st.State, err)
	}
	if m.ID == 0 {
		w.log().Debug("status of an unknown message ignored", slog.String("channel", st.Channel), slog.String("state", st.State))
		return nil, false, nil
	}
	return &m, final, nil
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
