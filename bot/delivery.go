package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// UncertainPolicy is what the delivery worker does with a message whose outcome
// is unknown: a process died (or gave up its bookkeeping) after the message was
// recorded in flight and before the platform's answer was recorded, so the
// platform may or may not have it.
type UncertainPolicy int

const (
	// ResendOnce sends it again once and counts it (messages.resends, the
	// suarawarga_delivery_resends_total metric): the chat may get it twice, but
	// never loses it. If the resend's outcome is unknown too, the message is
	// marked failed rather than sent a third time (a crash loop must end). The
	// default, for platforms without an idempotency key (Telegram, WhatsApp).
	ResendOnce UncertainPolicy = iota
	// ResendAlways sends it again, uncounted: the channel is idempotent by
	// Outbound.Ref, so a resend can never show twice (the web chat).
	ResendAlways
)

// UncertainSender is an optional Channel capability: the channel's policy for
// messages whose outcome is unknown. A channel without it gets ResendOnce.
type UncertainSender interface {
	Uncertain() UncertainPolicy
}

// SequencedChannel is an optional Channel capability: its page reads a chat's
// history in the order messages became visible (the web chat's cursor), so the
// worker numbers each message when it records it as sent (models.SetVisible).
type SequencedChannel interface {
	SequencedHistory()
}

// AttemptReporter is an optional Channel capability: its Send reports every
// platform request to the Attempt in its context (AttemptFrom), right before the
// request and after the platform accepted it. The delivery worker then records
// the message in flight only while a request is really out (not while the
// adapter waits for its rate limiter), and a message sent in several requests
// resumes after the last part accepted. For a channel without it, the worker
// records the message in flight just before calling Send.
type AttemptReporter interface {
	ReportsAttempts()
}

// Attempt is one delivery of one message, handed to Channel.Send in its context.
type Attempt interface {
	// Resume is the number of parts of the message accepted by earlier attempts:
	// an adapter sending in parts starts at that part.
	Resume() int
	// Sending records that the request for part (counted from 0) is about to go
	// out; the adapter must not make the request when it returns an error.
	Sending(ctx context.Context, part int) error
	// Accepted tells that the platform accepted part.
	Accepted(part int)
}

type attemptKey struct{}

// WithAttempt returns ctx carrying a.
func WithAttempt(ctx context.Context, a Attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

// AttemptFrom returns the Attempt in ctx, or one that records nothing (a Send
// called outside the delivery worker).
func AttemptFrom(ctx context.Context) Attempt {
	if a, ok := ctx.Value(attemptKey{}).(Attempt); ok {
		return a
	}
	return noAttempt{}
}

type noAttempt struct{}

func (noAttempt) Resume() int                        { return 0 }
func (noAttempt) Sending(context.Context, int) error { return nil }
func (noAttempt) Accepted(int)                       {}

// ChatLock keeps one chat's delivery in one worker across processes; with a
// single process the worker's own in-process exclusion is enough (nil).
type ChatLock interface {
	// TryLock takes the chat's lock without waiting; ok is false when another
	// process holds it. held is ctx, cancelled when the lock is lost (the
	// database connection holding it broke): the worker stops sending then.
	// unlock releases it.
	TryLock(ctx context.Context, channel, chatID string) (held context.Context, unlock func(), ok bool, err error)
}

// Deliverer is the River worker that sends queued outbound messages, one chat
// at a time and in the order they were queued, and records each as sent so it
// is never sent twice.
//
// Each message is recorded in flight ("sending") before its platform request
// and as sent after it; a failure to record the result is retried with backoff
// until the database answers, never by calling the platform again. A message
// found in flight when a chat's delivery starts is one whose outcome is unknown
// (the process died in between): the channel's UncertainPolicy decides.
type Deliverer struct {
	river.WorkerDefaults[DeliverArgs]
	DB       *gorm.DB
	Channels map[string]Channel
	Pacer    Pacer
	// Jobs queues a delivery again when a platform drops a message after the fact.
	Jobs JobInserter
	Log  *slog.Logger
	Now  func() time.Time
	// Lock keeps a chat in one worker across processes (PostgreSQL replicas).
	Lock ChatLock
	// MaxJobTime is how long one job sends before it yields the worker to
	// other chats and comes back (default 45 s).
	MaxJobTime time.Duration
	// BookkeepingBackoff is the first wait before retrying a failed write of a
	// message's result; it doubles up to 5 s (default 100 ms).
	BookkeepingBackoff time.Duration
	// Stopping, when closed, ends bookkeeping retries (the process is going
	// away; what was not recorded is then an unknown outcome for the next one).
	Stopping <-chan struct{}

	mu    sync.Mutex
	chats map[string]*chatRun
}

// chatRun is one chat being delivered in this process; again asks the running
// job to look for queued messages once more before it stops, so a job that
// found the chat busy can finish at once without a message being stranded.
type chatRun struct{ again bool }

// Timeout bounds a delivery job; it yields after MaxJobTime, and a result being
// recorded is never abandoned by the cancellation.
func (w *Deliverer) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.maxJobTime() + time.Minute
}

// NextRetry retries a failed delivery soon (0.5 s doubling up to 10 s): a
// platform that is back must not find chats waiting for River's long backoff.
func (w *Deliverer) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := 500 * time.Millisecond << min(max(job.Attempt-1, 0), 5)
	d = min(d, 10*time.Second)
	d += time.Duration(rand.Int64N(int64(d/5)+1)) - d/10
	return time.Now().Add(d)
}

// Work sends every queued message of the chat, oldest first.
func (w *Deliverer) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	args := job.Args
	ch, ok := w.Channels[args.Channel]
	if !ok {
		return fmt.Errorf("deliver: channel %q is not running", args.Channel)
	}
	key := args.Channel + "\x00" + args.ChatID
	if !w.begin(key) {
		return nil // a job of this process is sending to the chat; it will look again
	}
	defer w.end(key)
	if w.Lock != nil {
		held, unlock, ok, err := w.Lock.TryLock(ctx, args.Channel, args.ChatID)
		if err != nil {
			return fmt.Errorf("deliver: lock chat: %w", err)
		}
		if !ok {
			// Another process is sending to this chat; come back when it is likely done.
			return river.JobSnooze(time.Second + time.Duration(rand.Int64N(int64(time.Second))))
		}
		defer unlock()
		ctx = held
	}
	deadline := time.Now().Add(w.maxJobTime())
	for {
		err := w.drain(ctx, ch, args, deadline)
		if err != nil {
			return err
		}
		if !w.again(key) {
			return nil
		}
	}
}

// drain sends the chat's queued messages until none is left.
func (w *Deliverer) drain(ctx context.Context, ch Channel, args DeliverArgs, deadline time.Time) error {
	for {
		var batch []models.Message
		err := w.DB.WithContext(ctx).
			Where("channel = ? AND chat_id = ? AND direction = ? AND status IN ?", args.Channel, args.ChatID, models.DirectionOut,
				[]string{models.MessageQueued, models.MessageSending}).
			Order("id").Limit(20).Find(&batch).Error
		if err != nil {
			return fmt.Errorf("deliver: load queued messages: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			if time.Now().After(deadline) {
				return river.JobSnooze(0) // let other chats have the worker; this job comes back at once
			}
			if err := w.sendOne(ctx, ch, m); err != nil {
				return err
			}
		}
	}
}

// begin marks the chat as being delivered by this process; false means it
// already is, and the running job was asked to look once more.
func (w *Deliverer) begin(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.chats == nil {
		w.chats = map[string]*chatRun{}
	}
	if r, ok := w.chats[key]; ok {
		r.again = true
		return false
	}
	w.chats[key] = &chatRun{}
	return true
}

// again reports (and clears) a request to look for queued messages once more.
func (w *Deliverer) again(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.chats[key]
	if r == nil || !r.again {
		return false
	}
	r.again = false
	return true
}

// end forgets the chat's run. A job that ends with an error comes back
// (River retries it), and the messages another job asked about with it.
func (w *Deliverer) end(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.chats, key)
}

func (w *Deliverer) sendOne(ctx context.Context, ch Channel, m models.Message) error {
	policy := ResendOnce
	if u, ok := ch.(UncertainSender); ok {
		policy = u.Uncertain()
	}
	a := &attempt{w: w, m: &m, parts: m.PartsSent, resends: m.Resends}
	if m.Status == models.MessageSending {
		// The outcome of the last request is unknown: the process that made it
		// died (or stopped) before it could record the answer.
		switch {
		case policy == ResendAlways:
			a.inFlight = true
		case m.Resends >= 1:
			w.log().Error("message outcome unknown twice; marked failed, not sent a third time",
				slog.String("channel", m.Channel), slog.Int64("message_id", m.ID))
			return w.markFailed(ctx, m.ID, "outcome unknown twice")
		default:
			a.inFlight, a.resends = true, m.Resends+1
			w.log().Warn("message outcome unknown after a restart; sending it again (the chat may get it twice)",
				slog.String("channel", m.Channel), slog.Int64("message_id", m.ID), slog.Int("part", m.PartsSent))
		}
	}
	var out Outbound
	if m.Payload != "" {
		if err := json.Unmarshal([]byte(m.Payload), &out); err != nil {
			return w.markFailed(ctx, m.ID, "payload: "+err.Error())
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
	_, reports := ch.(AttemptReporter)
	if !reports && policy != ResendAlways {
		// An idempotent channel needs no in-flight record: a crash leaves the
		// message queued and it is simply sent again.
		if err := a.Sending(ctx, a.parts); err != nil {
			return err
		}
	}
	platformID, err := ch.Send(WithAttempt(ctx, a), out)
	var ra *RetryAfterError
	switch {
	case err == nil:
	case errors.As(err, &ra):
		w.log().Warn("channel asked to slow down", slog.String("channel", m.Channel), slog.Duration("retry_after", ra.After))
		if err := a.requeue(ctx); err != nil {
			return err
		}
		return river.JobSnooze(ra.After)
	case errors.Is(err, ErrUnreachable):
		w.log().Info("recipient unreachable; dropping its queued messages", slog.String("channel", m.Channel), slog.Int64("citizen_id", m.CitizenID))
		return w.markUnreachable(ctx, m)
	case errors.Is(err, ErrAwaitReply):
		w.log().Info("message waits until the person writes again", slog.String("channel", m.Channel), slog.Int64("message_id", m.ID))
		return w.setStatus(ctx, m.ID, models.MessageWaiting, err.Error())
	case errors.Is(err, ErrRejected):
		w.log().Warn("message rejected by platform", slog.String("channel", m.Channel), slog.Int64("message_id", m.ID), slog.Any("error", err))
		return w.markFailed(ctx, m.ID, err.Error())
	default:
		if rerr := a.requeue(ctx); rerr != nil {
			return rerr
		}
		return fmt.Errorf("deliver message %d: %w", m.ID, err)
	}
	upd := map[string]any{"status": models.MessageSent, "sent_at": w.now(), "error": "", "parts_sent": 0, "resends": a.resends}
	if platformID != "" {
		upd["platform_id"] = platformID
	}
	// Only a row still queued or in flight: a platform's status webhook may have
	// recorded the message already (sent, failed, waiting) while the answer was on its way.
	markSent := func(db *gorm.DB) (int64, error) {
		res := db.Model(&models.Message{}).Where("id = ? AND status IN ?", m.ID, []string{models.MessageQueued, models.MessageSending}).Updates(upd)
		return res.RowsAffected, res.Error
	}
	_, sequenced := ch.(SequencedChannel)
	if err := w.settle(ctx, m.ID, "mark sent", func(db *gorm.DB) error {
		if !sequenced {
			_, err := markSent(db)
			return err
		}
		// The page reads the chat in the order messages became visible: number
		// it in the transaction that makes it so, as its last write.
		return db.Transaction(func(tx *gorm.DB) error {
			n, err := markSent(tx)
			if err != nil || n == 0 {
				return err
			}
			_, err = models.SetVisible(tx, m.ID, m.Channel, m.ChatID)
			return err
		}, &sql.TxOptions{})
	}); err != nil {
		return err
	}
	if obs, ok := ch.(SentObserver); ok {
		obs.Sent(ctx, out, platformID)
	}
	return nil
}

// attempt is the Deliverer's Attempt for one message.
type attempt struct {
	w        *Deliverer
	m        *models.Message
	parts    int  // parts accepted so far, by this attempt or earlier ones
	resends  int  // the message's resend count to record
	inFlight bool // the database says "sending" for a part whose answer is not recorded
}

func (a *attempt) Resume() int { return a.parts }

// Sending records the message in flight with the parts accepted so far: one
// write, which also records the answer to the previous part.
func (a *attempt) Sending(ctx context.Context, part int) error {
	now := a.w.now()
	err := a.w.DB.WithContext(ctx).Model(&models.Message{}).Where("id = ?", a.m.ID).
		Updates(map[string]any{"status": models.MessageSending, "parts_sent": part, "sending_at": now, "resends": a.resends}).Error
	if err != nil {
		return fmt.Errorf("deliver: record message %d in flight: %w", a.m.ID, err)
	}
	a.parts, a.inFlight = part, true
	return nil
}

func (a *attempt) Accepted(part int) { a.parts = part + 1 }

// requeue records that the platform did not take the message (or took only
// some parts of it), so the next attempt is an ordinary one.
func (a *attempt) requeue(ctx context.Context) error {
	if !a.inFlight && a.parts == a.m.PartsSent {
		return nil
	}
	upd := map[string]any{"status": models.MessageQueued, "parts_sent": a.parts, "resends": a.resends}
	return a.w.settle(ctx, a.m.ID, "requeue", func(db *gorm.DB) error {
		return db.Model(&models.Message{}).Where("id = ?", a.m.ID).Updates(upd).Error
	})
}

// settle writes a message's result, retrying with backoff until the database
// takes it: the platform already answered, so giving up here would send the
// message again. It ends early only when the process is stopping.
func (w *Deliverer) settle(ctx context.Context, id int64, what string, write func(db *gorm.DB) error) error {
	ctx = context.WithoutCancel(ctx)
	backoff := w.BookkeepingBackoff
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	for tries := 1; ; tries++ {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := write(w.DB.WithContext(wctx))
		cancel()
		if err == nil {
			if tries > 1 {
				w.log().Info("delivery bookkeeping recorded after retries", slog.String("what", what), slog.Int64("message_id", id), slog.Int("tries", tries))
			}
			return nil
		}
		if tries == 1 || tries%20 == 0 {
			w.log().Warn("delivery bookkeeping failed; retrying without sending again", slog.String("what", what),
				slog.Int64("message_id", id), slog.Int("tries", tries), slog.Any("error", err))
		}
		select {
		case <-w.Stopping:
			return fmt.Errorf("deliver: %s of message %d not recorded before stopping: %w", what, id, err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (w *Deliverer) markFailed(ctx context.Context, id int64, reason string) error {
	return w.setStatus(ctx, id, models.MessageFailed, reason)
}

// setStatus records a message's final (or waiting) status, with the settle
// retries: the platform has answered.
func (w *Deliverer) setStatus(ctx context.Context, id int64, status, reason string) error {
	return w.settle(ctx, id, "mark "+status, func(db *gorm.DB) error {
		return db.Model(&models.Message{}).Where("id = ?", id).
			Updates(map[string]any{"status": status, "error": reason, "parts_sent": 0}).Error
	})
}

func (w *Deliverer) markUnreachable(ctx context.Context, m models.Message) error {
	return w.settle(ctx, m.ID, "mark unreachable", func(db *gorm.DB) error {
		return db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(&models.Message{}).
				Where("channel = ? AND chat_id = ? AND direction = ? AND status IN ?", m.Channel, m.ChatID, models.DirectionOut,
					[]string{models.MessageQueued, models.MessageSending}).
				Updates(map[string]any{"status": models.MessageFailed, "error": "unreachable"}).Error; err != nil {
				return err
			}
			return tx.Model(&models.Citizen{}).Where("id = ?", m.CitizenID).Update("unreachable", true).Error
		}, &sql.TxOptions{})
	})
}

func (w *Deliverer) maxJobTime() time.Duration {
	if w.MaxJobTime > 0 {
		return w.MaxJobTime
	}
	return 45 * time.Second
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
