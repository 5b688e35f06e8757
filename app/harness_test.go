package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// testClock is the domain clock of a test: a fixed start that moves with real
// time plus whatever the test advanced.
type testClock struct {
	mu       sync.Mutex
	start    time.Time
	realBase time.Time
	advanced time.Duration
}

func newTestClock() *testClock {
	wib := time.FixedZone("WIB", 7*3600)
	return &testClock{start: time.Date(2026, 11, 27, 9, 0, 0, 0, wib), realBase: time.Now()}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.realBase) + c.advanced)
}

func (c *testClock) Advance(d time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanced += d
	return c.advanced
}

// Set moves the clock forward to t (never back).
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.start.Add(time.Since(c.realBase) + c.advanced)
	if t.After(now) {
		c.advanced += t.Sub(now)
	}
}

// harness is a whole bot (database, River workers, handler, web chat channel)
// without the HTTP server, for tests that talk to it as a channel would.
type harness struct {
	t     *testing.T
	db    *gorm.DB
	app   *App
	clock *testClock
	seq   atomic.Int64
	logs  *logSink
	named bool // see knownCitizens
}

func testConfig(t *testing.T) Config {
	return Config{DatabaseURL: "test", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), TZ: "Asia/Jakarta", MaxPhotoSize: 1 << 20,
		MapTiles: "http://127.0.0.1:9/{z}/{x}/{y}.png"} // tests are offline: the map's tiles fail at once
}

func newHarness(t *testing.T, db *gorm.DB, opt Options) *harness {
	t.Helper()
	h := &harness{t: t, db: db, clock: newTestClock()}
	opt.DB = db
	if opt.Now == nil {
		opt.Now = h.clock.Now
	}
	if opt.PollInterval == 0 {
		opt.PollInterval = 20 * time.Millisecond
	}
	log, logs := testLogger(t)
	a, err := New(t.Context(), testConfig(t), log, opt)
	require.NoError(t, err)
	h.app = a
	t.Cleanup(func() { _ = a.Close() }) // runs after River stops (cleanups run last-in first-out)
	h.logs = logs
	guardLogs(t, db, logs) // after River stops, before Close
	if !opt.NoWorkers {
		ctx, cancel := context.WithCancel(context.Background())
		require.NoError(t, a.River.Start(ctx))
		go a.Sweeper.Run(ctx)
		t.Cleanup(func() {
			stopCtx, c2 := context.WithTimeout(context.Background(), 10*time.Second)
			defer c2()
			_ = a.River.Stop(stopCtx)
			cancel()
		})
	}
	return h
}

// knownCitizens makes the harness's chats (web chat ids) count as a channel that knows who
// writes and their name, as Telegram and WhatsApp do: the transcripts are shared with the
// WhatsApp runner, so they take the same identity question. The web chat's own (an offer to
// give a name) is tested in the browser tests.
func (h *harness) knownCitizens() {
	h.app.Handler.AnonymousChannels = nil
	h.named = true
}

// send hands one message from chat to the bot, as an adapter would, and waits until it is committed.
func (h *harness) send(chat string, in bot.Inbound) {
	h.t.Helper()
	require.NoError(h.t, h.sendErr(chat, in))
}

func (h *harness) sendErr(chat string, in bot.Inbound) error {
	in.Channel, in.ChatID = "webchat", chat
	if h.named && in.Name == "" {
		in.Name = "Warga " + chat
	}
	if in.MessageID == "" {
		in.MessageID = fmt.Sprintf("%s-%d", chat, h.seq.Add(1))
	}
	if in.Kind == "" {
		in.Kind = bot.KindText
	}
	return h.app.Dispatcher.HandleInbound(context.Background(), in)
}

// waitDelivered waits until no outbound message of chat (all chats when empty) is still queued or in flight.
func (h *harness) waitDelivered(chat string) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		q := h.db.Model(&models.Message{}).Where("direction = ? AND status IN ?", models.DirectionOut, []string{models.MessageQueued, models.MessageSending})
		if chat != "" {
			q = q.Where("chat_id = ?", chat)
		}
		var n int64
		require.NoError(h.t, q.Count(&n).Error)
		return n == 0
	}, 30*time.Second, 10*time.Millisecond)
}

// sent returns chat's delivered messages with id > after.
func (h *harness) sent(chat string, after int64) []models.Message {
	h.t.Helper()
	var ms []models.Message
	require.NoError(h.t, h.db.Where("chat_id = ? AND direction = ? AND status = ? AND id > ?", chat, models.DirectionOut, models.MessageSent, after).
		Order("id").Find(&ms).Error)
	return ms
}

// advance moves the clock and runs every flow and deadline timer that falls due, in order.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	target := h.clock.Now().Add(d)
	defer h.clock.Set(target)
	ctx := h.t.Context()
	for range 1000 {
		res, err := h.app.River.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateScheduled).Kinds(bot.FlowTimerArgs{}.Kind(), complaint.DeadlineArgs{}.Kind()).First(1000))
		require.NoError(h.t, err)
		var due *rivertype.JobRow
		var dueAt time.Time
		for _, j := range res.Jobs {
			var args struct {
				DueAt time.Time `json:"due_at"`
			}
			require.NoError(h.t, json.Unmarshal(j.EncodedArgs, &args))
			if !args.DueAt.After(target) && (due == nil || args.DueAt.Before(dueAt)) {
				due, dueAt = j, args.DueAt
			}
		}
		if due == nil {
			return
		}
		// Each timer fires at its own time, so what it schedules next counts from there.
		h.clock.Set(dueAt)
		_, err = h.app.River.JobRetry(ctx, due.ID)
		require.NoError(h.t, err)
		require.Eventually(h.t, func() bool {
			j, err := h.app.River.JobGet(ctx, due.ID)
			require.NoError(h.t, err)
			require.Empty(h.t, j.Errors, "timer job %d failed", j.ID)
			return j.State == rivertype.JobStateCompleted || j.State == rivertype.JobStateDiscarded || j.State == rivertype.JobStateCancelled
		}, 30*time.Second, 10*time.Millisecond)
		h.waitDelivered("")
	}
	h.t.Fatal("timers kept falling due")
}

// chatDriver plays transcripts through the whole bot as one web chat citizen.
type chatDriver struct {
	h      *harness
	chat   string
	lastID int64
	photos int
}

func (d *chatDriver) Send(ctx context.Context, in flows.Input) error {
	msg := bot.Inbound{}
	switch in.Kind {
	case flows.InputChoice:
		msg.Kind, msg.ChoiceID = bot.KindChoice, in.ChoiceID
	case flows.InputLocation:
		msg.Kind, msg.Lat, msg.Lng = bot.KindLocation, in.Lat, in.Lng
	case flows.InputPhoto:
		d.photos++
		msg.Kind, msg.Photo, msg.PhotoMIME = bot.KindPhoto, testPNG(d.photos), "image/png"
	case flows.InputUnsupported:
		msg.Kind, msg.Unsupported = bot.KindUnsupported, in.Unsupported
	default:
		msg.Kind, msg.Text = bot.KindText, in.Text
	}
	return d.h.sendErr(d.chat, msg)
}

func (d *chatDriver) Advance(ctx context.Context, dur time.Duration) error {
	d.h.advance(dur)
	return nil
}

func (d *chatDriver) Take(ctx context.Context) ([]flows.Message, error) {
	d.h.waitDelivered(d.chat)
	var out []flows.Message
	for _, m := range d.h.sent(d.chat, d.lastID) {
		d.lastID = m.ID
		var o bot.Outbound
		if err := json.Unmarshal([]byte(m.Payload), &o); err != nil {
			return nil, err
		}
		fm := flows.Message{Text: o.Text, AskLocation: o.AskLocation}
		for _, c := range o.Choices {
			fm.Choices = append(fm.Choices, flows.Choice{ID: c.ID, Label: c.Label, Literal: true})
		}
		out = append(out, fm)
	}
	return out, nil
}

// testPNG is a small, valid image that differs for each n.
func testPNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 30), uint8(y * 30), 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
