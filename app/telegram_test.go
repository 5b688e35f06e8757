package app

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/telegram"
	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

var tgTicketRe = regexp.MustCompile(`OKI-\d{4}-\d{4}`)

const tgWebhookSecret = "rahasia_Webhook-123"

// tgLimits pace tests that are not about pacing faster than Telegram, with the fake enforcing the same.
var tgLimits = telegramtest.Limits{GlobalPerSecond: 200, ChatPerSecond: 20, ChatBurst: 3, Slack: 50 * time.Millisecond}

// tgBot is the whole bot with the Telegram channel against the fake Bot API, run by App.Run.
type tgBot struct {
	t      testing.TB
	app    *App
	cancel context.CancelFunc
	done   chan error
}

type tgOptions struct {
	webhook bool
	clock   *testClock
	limits  telegramtest.Limits
}

func newFake(t testing.TB, limits telegramtest.Limits) *telegramtest.Server {
	if limits == (telegramtest.Limits{}) {
		limits = tgLimits
	}
	return telegramtest.New(t, telegramtest.Options{Limits: limits, WebhookRetryDelay: 50 * time.Millisecond})
}

// startTelegram builds an App on db talking to fake and runs it until stop or cleanup.
func startTelegram(t testing.TB, db *gorm.DB, fake *telegramtest.Server, o tgOptions) *tgBot {
	t.Helper()
	if o.clock == nil {
		o.clock = newTestClock()
	}
	if o.limits == (telegramtest.Limits{}) {
		o.limits = tgLimits
	}
	cfg := Config{DatabaseURL: "test", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), TZ: "Asia/Jakarta", MaxPhotoSize: 1 << 20}
	cfg.TelegramToken, cfg.TelegramAPIURL = fake.Token, fake.URL
	cfg.TelegramRate, cfg.TelegramChatRate = o.limits.GlobalPerSecond, o.limits.ChatPerSecond
	var handler atomic.Value
	if o.webhook {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h, _ := handler.Load().(http.Handler)
			if h == nil {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		cfg.PublicURL, cfg.TelegramWebhookSecret = srv.URL, tgWebhookSecret
	}
	log, logs := testLogger(t)
	a, err := New(t.Context(), cfg, log, Options{DB: db, Now: o.clock.Now, PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	guardLogs(t, db, logs) // after the app stops (b.stop below), before Close
	handler.Store(a.Web.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	b := &tgBot{t: t, app: a, cancel: cancel, done: make(chan error, 1)}
	go func() { b.done <- a.Run(ctx) }()
	t.Cleanup(b.stop)
	return b
}

// stop cancels the app's context, as a killed process would stop taking work, and waits for Run.
func (b *tgBot) stop() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	b.cancel = nil
	select {
	case err := <-b.done:
		require.NoError(b.t, err)
	case <-time.After(30 * time.Second):
		b.t.Error("the app did not stop")
	}
}

// citizen is one scripted Telegram user.
type citizen struct {
	t    *testing.T
	fake *telegramtest.Server
	chat int64
	seen int
}

// replies waits for n new messages and returns them; it then checks no extra one follows soon.
func (c *citizen) replies(n int) []telegramtest.Message {
	c.t.Helper()
	ms, err := c.fake.WaitMessages(c.chat, c.seen+n, 30*time.Second)
	require.NoError(c.t, err, "chat %d: %s", c.chat, lastTexts(ms))
	out := ms[c.seen:]
	c.seen = len(ms)
	return out
}

func lastTexts(ms []telegramtest.Message) string {
	var parts []string
	for _, m := range ms[max(0, len(ms)-3):] {
		parts = append(parts, fmt.Sprintf("%q", m.Text))
	}
	return strings.Join(parts, ", ")
}

func (c *citizen) say(text string) telegramtest.Message {
	c.t.Helper()
	c.fake.SendText(c.chat, text)
	return c.replies(1)[0]
}

func (c *citizen) press(label string) telegramtest.Message {
	c.t.Helper()
	_, err := c.fake.Press(c.chat, label)
	require.NoError(c.t, err)
	return c.replies(1)[0]
}

// fileByButtons files a complaint by pressing buttons by their labels, sharing a
// location and sending a photo, and returns the ticket code.
func (c *citizen) fileByButtons() string {
	c.t.Helper()
	return c.fileDescribing("Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh")
}

// fileDescribing is fileByButtons with the citizen's own description.
func (c *citizen) fileDescribing(desc string) string {
	c.t.Helper()
	m := c.say("/start")
	require.Contains(c.t, m.Text, "Selamat datang")
	m = c.press("📝 Buat pengaduan")
	require.Contains(c.t, m.Text, "Laporan Anda tentang apa?")
	m = c.press("Jalan & jembatan")
	require.Contains(c.t, m.Text, "Ceritakan masalahnya")
	m = c.say(desc)
	require.Contains(c.t, m.Text, "Di mana lokasinya?")
	require.NotEmpty(c.t, m.Reply, "the location question shows a reply keyboard")
	require.True(c.t, m.Reply[0][0].RequestLocation)
	require.Equal(c.t, "📍 Kirim lokasi saya", m.Reply[0][0].Text)
	require.Empty(c.t, m.Inline)
	c.fake.SendLocation(c.chat, -3.3937, 104.8306)
	m = c.replies(1)[0]
	if strings.Contains(m.Text, "laporan serupa") {
		m = c.press("Tetap buat laporan baru") // another citizen reported it here before
	}
	require.Contains(c.t, m.Text, "Ada foto?")
	c.fake.SendPhoto(c.chat, testPNG(int(c.chat%200)))
	m = c.replies(1)[0]
	require.Contains(c.t, m.Text, "identitas")
	m = c.press("Boleh (biasa)")
	require.Contains(c.t, m.Text, "Mohon periksa laporan Anda")
	require.Contains(c.t, m.Text, "Foto: 1")
	m = c.press("✅ Kirim")
	require.Contains(c.t, m.Text, "laporan Anda sudah kami terima")
	// The ticket ends with its buttons (a message with inline buttons cannot also remove the
	// one-time location keyboard, which hid itself when it was used).
	var labels []string
	for _, row := range m.Inline {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	require.Equal(c.t, []string{"🔎 Cek status", "📝 Laporan baru", "🏠 Menu"}, labels)
	code := tgTicketRe.FindString(m.Text)
	require.NotEmpty(c.t, code, m.Text)
	return code
}

// checkStatus asks for the report by /status CODE and by "cek status".
func (c *citizen) checkStatus(code string) {
	c.t.Helper()
	m := c.say("/status " + code)
	require.Contains(c.t, m.Text, "Laporan "+code)
	require.Contains(c.t, m.Text, "Status:")
	m = c.say("cek status")
	require.Contains(c.t, m.Text, "Laporan "+code, "a status question shows the latest report, no code needed")
	m = c.say(strings.ToLower(code))
	require.Contains(c.t, m.Text, "Laporan "+code)
	require.Contains(c.t, m.Text, "Telegram", "the timeline names the channel")
}

func complaintCount(t *testing.T, db *gorm.DB) int64 {
	var n int64
	require.NoError(t, db.Model(&models.Complaint{}).Count(&n).Error)
	return n
}

// TestTelegramEndToEnd files a complaint by buttons, location and photo, then
// checks its status both ways, over polling and over the webhook.
func TestTelegramEndToEnd(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				fake := newFake(t, telegramtest.Limits{})
				b := startTelegram(t, db, fake, tgOptions{webhook: mode == "webhook"})
				c := &citizen{t: t, fake: fake, chat: 7001}
				code := c.fileByButtons()
				c.checkStatus(code)
				require.Equal(t, int64(1), complaintCount(t, db))

				var att []models.Attachment
				require.NoError(t, db.Find(&att).Error)
				require.Len(t, att, 1, "the largest photo size is stored, not the thumbnail")
				stored, err := png.Decode(bytes.NewReader(mustRead(t, b.app.Config.DataDir, att[0])))
				require.NoError(t, err)
				sent, err := png.Decode(bytes.NewReader(testPNG(int(c.chat % 200))))
				require.NoError(t, err)
				require.Equal(t, sent.Bounds(), stored.Bounds())
				require.Equal(t, sent.At(3, 5), stored.At(3, 5), "the pixels are kept (re-encoded without metadata)")

				// Every press was answered and its keyboard replaced by the choice, so it cannot be pressed twice.
				ms := fake.Messages(c.chat)
				pressed := 0
				for _, m := range ms {
					if m.Edits > 0 {
						pressed++
						require.Len(t, m.Inline, 1)
						require.True(t, strings.HasPrefix(m.Inline[0][0].Text, "✓ "), m.Inline[0][0].Text)
					}
				}
				require.Equal(t, 4, pressed)
				require.Len(t, fake.Answered(), 4)
				if mode == "webhook" {
					require.NotEmpty(t, fake.WebhookURL())
					require.Zero(t, fake.Count("getUpdates", http.StatusOK), "no polling in webhook mode")
				} else {
					require.Empty(t, fake.WebhookURL())
				}
				// Every outbound message carries Telegram's message id (once the worker has recorded the last one).
				require.Eventually(t, func() bool {
					var queued int64
					require.NoError(t, db.Model(&models.Message{}).Where("status IN ?", []string{models.MessageQueued, models.MessageSending}).Count(&queued).Error)
					return queued == 0
				}, 10*time.Second, 10*time.Millisecond)
				var ids []string
				require.NoError(t, db.Model(&models.Message{}).Where("direction = ? AND channel = ?", models.DirectionOut, telegram.Name).
					Pluck("platform_id", &ids).Error)
				require.Len(t, ids, len(ms))
				for _, id := range ids {
					require.True(t, strings.HasPrefix(id, "7001:"), id)
				}
			})
		})
	}
}

func mustRead(t *testing.T, dataDir string, a models.Attachment) []byte {
	t.Helper()
	b, err := os.ReadFile(models.AttachmentFile(dataDir, &a))
	require.NoError(t, err)
	return b
}

// TestTelegramWebhookSecret refuses calls without the right secret header and never handles them.
func TestTelegramWebhookSecret(t *testing.T) {
	t.Parallel()
	db := modeltest.Open(t, models.DialectSQLite)
	fake := newFake(t, telegramtest.Limits{})
	startTelegram(t, db, fake, tgOptions{webhook: true})
	require.Eventually(t, func() bool { return fake.WebhookURL() != "" }, 10*time.Second, 10*time.Millisecond)
	body := []byte(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"X"},"text":"/start"}}`)
	for _, secret := range []string{"", "salah", tgWebhookSecret + "x"} {
		status, err := fake.PostWebhook(fake.WebhookURL(), secret, body)
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, status)
	}
	status, err := fake.PostWebhook(fake.WebhookURL(), tgWebhookSecret, body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	_, err = fake.WaitMessages(5, 1, 20*time.Second)
	require.NoError(t, err)
	var in int64
	require.NoError(t, db.Model(&models.Message{}).Where("direction = ?", models.DirectionIn).Count(&in).Error)
	require.Equal(t, int64(1), in, "only the call with the right secret was handled")
}

// TestTelegramDuplicateUpdate delivers the same update twice (polling after a
// lost offset, a webhook retry): one complaint, one reply.
func TestTelegramDuplicateUpdate(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				fake := newFake(t, telegramtest.Limits{})
				startTelegram(t, db, fake, tgOptions{webhook: mode == "webhook"})
				c := &citizen{t: t, fake: fake, chat: 7101}
				c.say("/start")
				c.press("📝 Buat pengaduan")
				c.press("Sampah & kebersihan")
				c.say("Sampah menumpuk di pinggir Jalan Lintas Timur sejak dua minggu, baunya menyengat")
				c.say("Jalan Lintas Timur km 3, Kayuagung")
				c.press("Lewati")
				c.press("Boleh (biasa)")
				_, err := fake.Press(c.chat, "✅ Kirim")
				require.NoError(t, err)
				m := c.replies(1)[0]
				require.Contains(t, m.Text, "laporan Anda sudah kami terima")
				ids := pressIDs(fake)
				last := ids[len(ids)-1]
				require.NoError(t, fake.Duplicate(last))
				require.NoError(t, fake.WaitIdle(20*time.Second))
				// A text update duplicated too: still one reply.
				id := fake.SendText(c.chat, "menu")
				c.replies(1)
				require.NoError(t, fake.Duplicate(id))
				require.NoError(t, fake.WaitIdle(20*time.Second))
				time.Sleep(300 * time.Millisecond)
				require.Len(t, fake.Messages(c.chat), c.seen, "a duplicate gets no second reply")
				require.Equal(t, int64(1), complaintCount(t, db))
			})
		})
	}
}

// pressIDs lists the update ids of callback queries, from the fake's confirmed updates.
func pressIDs(fake *telegramtest.Server) []int {
	return fake.CallbackUpdateIDs()
}

// TestTelegramRestartMidBatch cancels the app while updates of many chats are
// in flight, starts a new App on the same database and checks every
// conversation continues with each reply sent exactly once.
func TestTelegramRestartMidBatch(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := newFake(t, telegramtest.Limits{})
		clock := newTestClock()
		b := startTelegram(t, db, fake, tgOptions{clock: clock})
		const chats = 12
		cits := make([]*citizen, chats)
		for i := range cits {
			cits[i] = &citizen{t: t, fake: fake, chat: int64(8000 + i)}
			cits[i].say("/start")
		}
		// Each chat presses, then writes twice in a row; the app is killed while these are handled.
		for _, c := range cits {
			_, err := fake.Press(c.chat, "📝 Buat pengaduan")
			require.NoError(t, err)
			fake.SendText(c.chat, "2")
			fake.SendText(c.chat, "Lampu jalan di depan kantor camat mati total sejak sepekan, gelap sekali")
		}
		time.Sleep(40 * time.Millisecond)
		b.stop()
		var committed int64
		require.NoError(t, db.Model(&models.Message{}).Where("direction = ?", models.DirectionIn).Count(&committed).Error)
		t.Logf("when the app stopped: %d updates unconfirmed, %d inbound messages committed", fake.Pending(), committed)
		startTelegram(t, db, fake, tgOptions{clock: clock})
		require.NoError(t, fake.WaitIdle(60*time.Second))
		for _, c := range cits {
			ms := c.replies(3)
			require.Contains(t, ms[0].Text, "Laporan Anda tentang apa?")
			require.Contains(t, ms[1].Text, "Ceritakan masalahnya")
			require.Contains(t, ms[2].Text, "Di mana lokasinya?")
			m := c.say("Depan kantor camat Kayuagung")
			require.Contains(t, m.Text, "Ada foto?")
		}
		time.Sleep(300 * time.Millisecond)
		for _, c := range cits {
			require.Len(t, fake.Messages(c.chat), c.seen, "chat %d got a reply twice", c.chat)
		}
		var queued int64
		require.NoError(t, db.Model(&models.Message{}).Where("status IN ?", []string{models.MessageQueued, models.MessageSending}).Count(&queued).Error)
		require.Zero(t, queued)
	})
}

// TestTelegramFaults runs conversations through 429 storms, 5xx answers, slow
// answers and dropped connections: every reply arrives once, in order, and no
// limit is broken.
func TestTelegramFaults(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := newFake(t, telegramtest.Limits{})
		var mu sync.Mutex
		perChat := map[int64]int{}
		lastFailed := map[int64]bool{}
		var storm atomic.Int32
		fake.SetFaults(func(r telegramtest.Request) *telegramtest.Fault {
			if r.Method != "sendMessage" {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			perChat[r.ChatID]++
			n := perChat[r.ChatID]
			// Never two failures in a row for one chat: River's second retry waits 16 s.
			var f *telegramtest.Fault
			switch {
			case lastFailed[r.ChatID]:
			case n%2 == 0 && storm.Load() > 0:
				storm.Add(-1)
				f = &telegramtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1}
			case n%5 == 2:
				f = &telegramtest.Fault{Status: http.StatusBadGateway}
			case n%5 == 4:
				f = &telegramtest.Fault{Delay: 200 * time.Millisecond, Drop: true}
			case n%5 == 3:
				return &telegramtest.Fault{Delay: 300 * time.Millisecond} // slow, then answered
			}
			lastFailed[r.ChatID] = f != nil
			return f
		})
		startTelegram(t, db, fake, tgOptions{})
		const chats = 6
		storm.Store(8)
		var wg sync.WaitGroup
		for i := range chats {
			c := &citizen{t: t, fake: fake, chat: int64(9000 + i)}
			wg.Go(func() {
				m := c.say("/start")
				require.Contains(t, m.Text, "Selamat datang")
				m = c.press("📝 Buat pengaduan")
				require.Contains(t, m.Text, "Laporan Anda tentang apa?")
				m = c.press("Sekolah")
				require.Contains(t, m.Text, "Ceritakan masalahnya")
				m = c.say("Atap ruang kelas 3 SD Negeri 5 Kayuagung bocor setiap hujan, murid dipindah")
				require.Contains(t, m.Text, "Di mana lokasinya?")
				m = c.say("SD Negeri 5 Kayuagung, Jalan Merdeka")
				require.Contains(t, m.Text, "Ada foto?")
			})
		}
		wg.Wait()
		require.Positive(t, fake.Count("sendMessage", http.StatusTooManyRequests))
		require.Positive(t, fake.Count("sendMessage", http.StatusBadGateway))
		require.Positive(t, fake.Count("sendMessage", 0), "some connections were dropped")
	})
}

// TestTelegramMalformedUpdates feeds updates a real bot may meet, and some it
// should never meet: each is answered or ignored, and the chat carries on.
func TestTelegramMalformedUpdates(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := newFake(t, telegramtest.Limits{})
		startTelegram(t, db, fake, tgOptions{})
		const chat = 9500
		c := &citizen{t: t, fake: fake, chat: chat}
		c.say("/start")
		msg := func(fields string) string {
			return fmt.Sprintf(`"message":{"message_id":5,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"first_name":"W"}%s}`, chat, chat, fields)
		}
		fake.PushRaw(`"poll_answer":{"poll_id":"1"}`, 0)                           // an unknown type: ignored
		fake.PushRaw(`"message":{"text":5}`, chat)                                 // wrong field types: ignored
		fake.PushRaw(`"message":{"message_id":1,"text":"tanpa chat"}`, 0)          // no chat: ignored
		fake.PushRaw(`"callback_query":{"id":"x","data":"pengaduan"}`, 0)          // a press without its message: answered, ignored
		fake.PushRaw(msg(",\"text\":\"halo \xff\xfe dunia \\u0000\""), chat)       // invalid UTF-8 and a NUL: answered
		fake.PushRaw(msg(`,"text":"`+strings.Repeat("panjang ", 12800)+`"`), chat) // 100 KB of text: answered
		fake.PushRaw(msg(`,"sticker":{"file_id":"s","file_unique_id":"s","width":1,"height":1,"is_animated":false}`), chat)
		fake.PushRaw(msg(`,"voice":{"file_id":"v","file_unique_id":"v","duration":3}`), chat)
		fake.PushRaw(msg(`,"contact":{"phone_number":"0812","first_name":"A"}`), chat)
		fake.PushRaw(msg(`,"document":{"file_id":"d","file_unique_id":"d","mime_type":"application/pdf"}`), chat)
		fake.PushRaw(fmt.Sprintf(`"edited_message":{"message_id":5,"date":1,"edit_date":2,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"first_name":"W"},"text":"ubah"}`, chat, chat), chat)
		fake.PushRaw(msg(`,"pinned_message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"}}`), chat) // service message: ignored
		fake.SendGroupText(-100123, 42, "halo bot")
		fake.SendGroupText(-100123, 43, "halo lagi")
		require.NoError(t, fake.WaitIdle(30*time.Second))
		ms := c.replies(7)
		want := []string{"", "", "stiker", "pesan suara", "kontak", "dokumen", "pesan yang diubah"}
		for i, w := range want {
			require.NotEmpty(t, ms[i].Text)
			require.LessOrEqual(t, len([]rune(ms[i].Text)), telegram.MaxTextLen)
			if w != "" {
				require.Contains(t, ms[i].Text, w)
			}
		}
		group, err := fake.WaitMessages(-100123, 1, 10*time.Second)
		require.NoError(t, err)
		require.Len(t, group, 1, "a group hears one polite line, once")
		require.Contains(t, group[0].Text, "percakapan pribadi")
		// The chat still works.
		m := c.say("menu")
		require.Contains(t, m.Text, "Apa yang ingin Anda lakukan?")
		time.Sleep(200 * time.Millisecond)
		require.Len(t, fake.Messages(chat), c.seen)
		require.Len(t, fake.Messages(-100123), 1)
	})
}

// benchDB opens a fresh migrated database of kind for a benchmark (a file, or a new PostgreSQL schema).
func benchDB(b *testing.B, kind string) *gorm.DB {
	b.Helper()
	ctx := context.Background()
	dsn := "sqlite:" + b.TempDir() + "/bench.db"
	if kind == models.DialectPostgres {
		base := os.Getenv(modeltest.EnvURL)
		schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
		admin, err := models.Open(ctx, base)
		require.NoError(b, err)
		require.NoError(b, admin.Exec("CREATE SCHEMA "+schema).Error)
		b.Cleanup(func() {
			_ = admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error
			_ = models.Close(admin)
		})
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		dsn = base + sep + "search_path=" + schema
	}
	db, err := models.Open(ctx, dsn)
	require.NoError(b, err)
	b.Cleanup(func() { _ = models.Close(db) })
	require.NoError(b, models.Migrate(ctx, db))
	return db
}

// BenchmarkTelegramOutbound queues 3,000 replies to 1,000 chats and lets the
// delivery worker send them at Telegram's default limits; it reports the
// achieved rate, which must be within 5% of 30 messages/s with no 429 and no
// violation of the fake's limits. Takes about 100 s per database:
// go test ./app -run '^$' -bench BenchmarkTelegramOutbound -benchtime 1x
func BenchmarkTelegramOutbound(b *testing.B) {
	for _, kind := range modeltest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				db := benchDB(b, kind)
				fake := newFake(b, telegramtest.DefaultLimits())
				bt := startTelegram(b, db, fake, tgOptions{limits: telegramtest.DefaultLimits()})
				const chats, each = 1000, 3
				ctx := context.Background()
				for i := range chats {
					cit := models.Citizen{Name: "Warga", Lang: "id"}
					require.NoError(b, db.Create(&cit).Error)
					outs := make([]bot.Outbound, each)
					for j := range outs {
						outs[j] = bot.Outbound{Text: fmt.Sprintf("Kabar %d untuk warga %d.", j+1, i)}
					}
					require.NoError(b, db.Transaction(func(tx *gorm.DB) error {
						return bot.QueueOutbound(ctx, tx, bt.app.River, cit.ID, nil, telegram.Name, fmt.Sprint(100000+i), outs, time.Now())
					}))
				}
				deadline := time.Now().Add(200 * time.Second)
				for fake.Sent() < chats*each && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
				require.Equal(b, chats*each, fake.Sent())
				times := fake.SendTimes()
				span := times[len(times)-1].Sub(times[0])
				rate := float64(len(times)-1) / span.Seconds()
				b.ReportMetric(rate, "msg/s")
				b.ReportMetric(float64(fake.Count("sendMessage", http.StatusTooManyRequests)), "429s")
				b.ReportMetric(float64(len(fake.Violations())), "violations")
				require.InDelta(b, 30, rate, 1.5, "achieved rate")
				require.Zero(b, fake.Count("sendMessage", http.StatusTooManyRequests), "429s")
				require.Empty(b, fake.Violations())
				bt.stop()
			}
		})
	}
}

// BenchmarkTelegramInbound measures updates per second from the fake's
// getUpdates through the dispatcher, handler and database to replies accepted
// by the fake, with the fake's own handler time reported separately (fake_ms,
// fake_share). Run on PostgreSQL with TEST_DATABASE_URL set:
// go test ./app -run '^$' -bench BenchmarkTelegramInbound -benchtime 1x
func BenchmarkTelegramInbound(b *testing.B) {
	fast := telegramtest.Limits{GlobalPerSecond: 1e6, ChatPerSecond: 1e4, ChatBurst: 100, Slack: time.Millisecond}
	for _, kind := range modeltest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				db := benchDB(b, kind)
				fake := newFake(b, fast)
				const chats, each = 500, 4
				for i := range chats {
					for j := range each {
						fake.SendText(int64(200000+i), []string{"/start", "menu", "bantuan", "menu"}[j])
					}
				}
				start := time.Now()
				bt := startTelegram(b, db, fake, tgOptions{limits: fast})
				deadline := time.Now().Add(300 * time.Second)
				for fake.Sent() < chats*each && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				elapsed := time.Since(start)
				require.Equal(b, chats*each, fake.Sent())
				st := fake.Stats()
				b.ReportMetric(float64(chats*each)/elapsed.Seconds(), "updates/s")
				b.ReportMetric(float64(st.HandlerTime.Milliseconds()), "fake_ms")
				b.ReportMetric(st.HandlerTime.Seconds()/elapsed.Seconds(), "fake_share")
				b.ReportMetric(float64(st.Requests), "fake_requests")
				bt.stop()
			}
		})
	}
}
