package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// fakeChannel records what it sends; each message goes out in parts requests,
// and fail may refuse a request.
type fakeChannel struct {
	mu    sync.Mutex
	parts int
	sent  []string // "ref/part"
	fail  func(ref int64, part int) error
	gate  chan struct{} // when set, each request waits for it
}

func (c *fakeChannel) Name() string                                    { return "fake" }
func (c *fakeChannel) Run(ctx context.Context, _ InboundHandler) error { <-ctx.Done(); return nil }

func (c *fakeChannel) Send(ctx context.Context, out Outbound) (string, error) {
	att := AttemptFrom(ctx)
	parts := max(c.parts, 1)
	for i := att.Resume(); i < parts; i++ {
		if err := att.Sending(ctx, i); err != nil {
			return "", err
		}
		if c.gate != nil {
			<-c.gate
		}
		if c.fail != nil {
			if err := c.fail(out.Ref, i); err != nil {
				return "", err
			}
		}
		c.mu.Lock()
		c.sent = append(c.sent, fmt.Sprintf("%d/%d", out.Ref, i))
		c.mu.Unlock()
		att.Accepted(i)
	}
	return fmt.Sprintf("p%d", out.Ref), nil
}

func (c *fakeChannel) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// reportingChannel reports its requests to the Attempt (as Telegram does).
type reportingChannel struct{ *fakeChannel }

func (reportingChannel) ReportsAttempts() {}

// idempotentChannel shows a message once whatever the resends (as the web chat does).
type idempotentChannel struct{ *fakeChannel }

func (idempotentChannel) Uncertain() UncertainPolicy { return ResendAlways }

type deliverySetup struct {
	db  *gorm.DB
	w   *Deliverer
	cit models.Citizen
}

func newDeliverySetup(t *testing.T, db *gorm.DB, ch Channel) *deliverySetup {
	s := &deliverySetup{db: db, cit: models.Citizen{Name: "Warga", Lang: "id"}}
	require.NoError(t, db.Create(&s.cit).Error)
	s.w = &Deliverer{DB: db, Channels: map[string]Channel{"fake": ch}, BookkeepingBackoff: time.Millisecond}
	return s
}

// queue records n queued messages to chat and returns their ids.
func (s *deliverySetup) queue(t *testing.T, chat string, n int) []int64 {
	var ids []int64
	for i := range n {
		m := models.Message{CitizenID: s.cit.ID, Direction: models.DirectionOut, Channel: "fake", ChatID: chat, Kind: "text",
			Text: fmt.Sprintf("pesan %d", i), Status: models.MessageQueued, CreatedAt: time.Now().UTC()}
		require.NoError(t, s.db.Create(&m).Error)
		ids = append(ids, m.ID)
	}
	return ids
}

func (s *deliverySetup) work(chat string) error {
	return s.w.Work(context.Background(), &river.Job[DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: DeliverArgs{Channel: "fake", ChatID: chat}})
}

func (s *deliverySetup) message(t *testing.T, id int64) models.Message {
	var m models.Message
	require.NoError(t, s.db.First(&m, id).Error)
	return m
}

// TestDeliveryBookkeepingNeverResends: the database fails the "sent" record
// three times (as during a restart); the worker retries the record, not the send.
func TestDeliveryBookkeepingNeverResends(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ch := &fakeChannel{}
		s := newDeliverySetup(t, db, ch)
		ids := s.queue(t, "1", 2)
		var mu sync.Mutex
		failures := 0
		require.NoError(t, db.Callback().Update().Before("gorm:update").Register("test:fail_mark_sent", func(tx *gorm.DB) {
			if upd, ok := tx.Statement.Dest.(map[string]any); ok && upd["status"] == models.MessageSent {
				mu.Lock()
				defer mu.Unlock()
				if failures < 3 {
					failures++
					_ = tx.AddError(errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
				}
			}
		}))
		require.NoError(t, s.work("1"))
		require.Equal(t, []string{fmt.Sprintf("%d/0", ids[0]), fmt.Sprintf("%d/0", ids[1])}, ch.requests(), "each message went to the platform once")
		require.Equal(t, 3, failures)
		for _, id := range ids {
			m := s.message(t, id)
			require.Equal(t, models.MessageSent, m.Status)
			require.Equal(t, fmt.Sprintf("p%d", id), *m.PlatformID)
			require.Zero(t, m.Resends)
		}
	})
}

// TestDeliveryUncertainMessages: a message left in flight by a dead process is
// sent again once and counted; if that resend's outcome is unknown too, it is
// marked failed. An idempotent channel resends without counting.
func TestDeliveryUncertainMessages(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ch := &fakeChannel{}
		s := newDeliverySetup(t, db, reportingChannel{ch})
		ids := s.queue(t, "2", 3)
		// A dead process had the first in flight, and the second's resend in flight.
		require.NoError(t, db.Model(&models.Message{}).Where("id = ?", ids[0]).Update("status", models.MessageSending).Error)
		require.NoError(t, db.Model(&models.Message{}).Where("id = ?", ids[1]).Updates(map[string]any{"status": models.MessageSending, "resends": 1}).Error)
		require.NoError(t, s.work("2"))
		require.Equal(t, []string{fmt.Sprintf("%d/0", ids[0]), fmt.Sprintf("%d/0", ids[2])}, ch.requests())
		first, second, third := s.message(t, ids[0]), s.message(t, ids[1]), s.message(t, ids[2])
		require.Equal(t, models.MessageSent, first.Status)
		require.Equal(t, 1, first.Resends, "the resend is counted")
		require.Equal(t, models.MessageFailed, second.Status, "not sent a third time")
		require.Equal(t, models.MessageSent, third.Status)
		require.Zero(t, third.Resends)

		web := &fakeChannel{}
		s.w.Channels["fake"] = idempotentChannel{web}
		more := s.queue(t, "3", 1)
		require.NoError(t, db.Model(&models.Message{}).Where("id = ?", more[0]).Update("status", models.MessageSending).Error)
		require.NoError(t, s.work("3"))
		m := s.message(t, more[0])
		require.Equal(t, models.MessageSent, m.Status)
		require.Zero(t, m.Resends, "an idempotent resend cannot show twice")
	})
}

// TestDeliveryResumesAfterTheLastAcceptedPart: a message in three requests whose
// second fails is retried from the second; after a crash during the third,
// only the third goes again.
func TestDeliveryResumesAfterTheLastAcceptedPart(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ch := &fakeChannel{parts: 3}
		failed := false
		ch.fail = func(_ int64, part int) error {
			if part == 1 && !failed {
				failed = true
				return errors.New("telegram sendMessage: 502 Bad Gateway")
			}
			return nil
		}
		s := newDeliverySetup(t, db, reportingChannel{ch})
		ids := s.queue(t, "4", 1)
		require.Error(t, s.work("4"))
		m := s.message(t, ids[0])
		require.Equal(t, models.MessageQueued, m.Status, "the platform said no: not in flight")
		require.Equal(t, 1, m.PartsSent)
		require.NoError(t, s.work("4"))
		id := ids[0]
		require.Equal(t, []string{fmt.Sprintf("%d/0", id), fmt.Sprintf("%d/1", id), fmt.Sprintf("%d/2", id)}, ch.requests())
		m = s.message(t, id)
		require.Equal(t, models.MessageSent, m.Status)
		require.Zero(t, m.PartsSent)

		more := s.queue(t, "4", 1)
		require.NoError(t, db.Model(&models.Message{}).Where("id = ?", more[0]).Updates(map[string]any{"status": models.MessageSending, "parts_sent": 2}).Error)
		require.NoError(t, s.work("4"))
		require.Equal(t, fmt.Sprintf("%d/2", more[0]), ch.requests()[3], "only the part in flight goes again")
		require.Len(t, ch.requests(), 4)
		require.Equal(t, 1, s.message(t, more[0]).Resends)
	})
}

// TestDeliveryOneJobPerChat: a second job for a chat being delivered ends at
// once and the running job sends what was queued meanwhile, in order.
func TestDeliveryOneJobPerChat(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ch := &fakeChannel{gate: make(chan struct{})}
		s := newDeliverySetup(t, db, reportingChannel{ch})
		ids := s.queue(t, "5", 1)
		done := make(chan error, 1)
		go func() { done <- s.work("5") }()
		require.Eventually(t, func() bool { return s.message(t, ids[0]).Status == models.MessageSending }, 10*time.Second, time.Millisecond)
		ids = append(ids, s.queue(t, "5", 2)...)
		require.NoError(t, s.work("5"), "the chat is busy: the second job leaves it to the first")
		for range 3 {
			ch.gate <- struct{}{}
		}
		require.NoError(t, <-done)
		var want []string
		for _, id := range ids {
			want = append(want, fmt.Sprintf("%d/0", id))
			require.Equal(t, models.MessageSent, s.message(t, id).Status)
		}
		require.Equal(t, want, ch.requests())
	})
}

// TestDeliverySweep: chats with waiting messages get one job each, and a chat
// whose only job is "running" (a dead process's) gets a new one.
func TestDeliverySweep(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newDeliverySetup(t, db, &fakeChannel{})
		s.queue(t, "6", 2)
		s.queue(t, "7", 1)
		sent := s.queue(t, "8", 1)
		require.NoError(t, db.Model(&models.Message{}).Where("id = ?", sent[0]).Update("status", models.MessageSent).Error)
		sqlDB, err := db.DB()
		require.NoError(t, err)
		var jobs JobInserter
		if models.Dialect(db) == models.DialectPostgres {
			jobs, err = river.NewClient(riverdatabasesql.New(sqlDB), &river.Config{})
		} else {
			jobs, err = river.NewClient(riversqlite.New(sqlDB), &river.Config{})
		}
		require.NoError(t, err)
		sw := &DeliverySweeper{DB: db, Jobs: jobs}
		n, err := sw.Sweep(t.Context(), 0)
		require.NoError(t, err)
		require.Equal(t, 2, n, "chats 6 and 7")
		n, err = sw.Sweep(t.Context(), 0)
		require.NoError(t, err)
		require.Zero(t, n, "their jobs wait: no pile-up")
		n, err = sw.Sweep(t.Context(), time.Hour)
		require.NoError(t, err)
		require.Zero(t, n, "nothing that old")

		argsText := "args::text"
		if models.Dialect(db) == models.DialectSQLite {
			argsText = "json(args)"
		}
		require.NoError(t, db.Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ? WHERE `+argsText+` LIKE ?`, time.Now().UTC(), `%"6"%`).Error)
		n, err = sw.Sweep(t.Context(), 0)
		require.NoError(t, err)
		require.Equal(t, 1, n, "chat 6's job belongs to a dead process")
	})
}
