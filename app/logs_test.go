package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/bot/whatsapp/whatsapptest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// TestLogsHoldNoCredential runs the bot at debug level through the paths where
// a credential or a person's words could reach a log — a web chat message sent
// twice (its id embeds the sw_chat cookie), broken and oversized input, a NIK
// and a phone number typed into the chat, a WhatsApp message delivered twice,
// a photo that does not decode, console sign-ins that fail and succeed — and
// the log guard (logguard_test.go, on every app test) finds none of them in
// the log: no cookie value, token, password, phone number, NIK-like number or
// message text.
func TestLogsHoldNoCredential(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startAllChannels(t, db)
		web := newWebParty(b)
		web.say("/start")
		// The same client id twice: the second is a duplicate, dropped (and logged at debug).
		dup := map[string]any{"kind": "text", "text": "Buat pengaduan", "client_id": "dup-1"}
		for range 2 {
			data, _ := json.Marshal(dup)
			resp, err := web.client.Post(b.web.URL+"/api/chat/send", "application/json", bytes.NewReader(data))
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
		}
		b.settle()
		web.say("Jalan & jembatan")
		web.say("NIK saya 1601234567890123, HP saya 081234567890, rumah di Jl. Mawar 7 dekat masjid")
		// A file that says it is a JPEG but does not decode: refused with a message, logged without the bytes.
		broken := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("bukan foto, hanya teks rahasia warga")...)
		web.photo(broken)
		for _, body := range []string{`{"kind":"text","text":"","client_id":"e1"}`, `{"kind":"text","text":"` + strings.Repeat("a", 5000) + `","client_id":"e2"}`, `not json`} {
			resp, err := web.client.Post(b.web.URL+"/api/chat/send", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			resp.Body.Close()
			require.GreaterOrEqual(t, resp.StatusCode, 400)
		}

		wa := &waParty{b: b, phone: "628129990001"}
		wa.say("/start")
		msg := whatsapptest.TextMessage("Lampu jalan di depan rumah saya mati sejak minggu lalu")
		for range 2 {
			require.True(t, b.wa.Emit(whatsapptest.Event(wa.phone, "WA-DUP-1", msg)))
		}
		b.settle()
		tg := &tgParty{b: b, chat: 8301}
		tg.say("/start")
		tg.say("Saya mau lapor pungli di kantor desa, nomor saya 081298765432")

		// Console: a wrong password, a good one; the session cookie must not be logged.
		_, err := console.CreateUser(t.Context(), db, console.NewUser{Email: "admin@oki.go.id", Name: "Admin Kominfo", Role: models.UserAdmin,
			Password: "kata-sandi-rahasia-123"}, console.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, nil, time.Now())
		require.NoError(t, err)
		failed := consoleHTTPClient(t)
		csrf := consoleCSRF(t, failed, b.web.URL)
		resp, err := failed.PostForm(b.web.URL+"/konsol/masuk", url.Values{"csrf": {csrf}, "email": {"admin@oki.go.id"}, "password": {"salah-kata-sandi-999"}})
		require.NoError(t, err)
		resp.Body.Close()
		b.logs.secret("salah-kata-sandi-999")
		admin := consoleHTTPLogin(t, b.web.URL, "admin@oki.go.id", "kata-sandi-rahasia-123")
		u, _ := url.Parse(b.web.URL + "/konsol/")
		for _, c := range admin.Jar.Cookies(u) {
			b.logs.secret(c.Value)
		}
		resp, err = admin.Get(b.web.URL + "/konsol/pengaduan")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b.settle()

		// The duplicates were seen (and so logged at debug), not answered twice.
		require.Contains(t, b.logs.text(), "duplicate inbound dropped")
		var n int64
		require.NoError(t, db.Model(&models.Message{}).Where("platform_id = ?", "WA-DUP-1").Count(&n).Error)
		require.EqualValues(t, 1, n)
	})
}

// TestLogGuardCatchesLeaks: the guard itself finds each kind of leak, so a
// passing app test means the log was clean, not that nothing was looked at.
func TestLogGuardCatchesLeaks(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		h.send("0123456789abcdef0123456789abcdef", bot.Inbound{Kind: bot.KindText, Text: "Jembatan kayu di Desa Sukamaju patah"})
		h.waitDelivered("")
		for _, c := range []struct{ kind, line string }{
			{"web chat cookie", `level=DEBUG msg="duplicate inbound dropped" message_id=0123456789abcdef0123456789abcdef:c1`},
			{"message's text", `level=INFO msg=x text="Jembatan kayu di Desa Sukamaju patah"`},
			{"a credential", `level=ERROR msg=x url=http://api/bot` + "123456:TEST-token_for-the-fake" + `/getMe`},
			{"NIK-like", `level=INFO msg=x nik=1601234567890123`},
			{"phone", `level=INFO msg=x from=6281234567890`},
		} {
			s := detachedSink()
			_, _ = fmt.Fprintln(s, c.line)
			require.NotEmpty(t, logLeaks(t, db, s), "the guard misses a %s: %s", c.kind, c.line)
		}
		s := detachedSink()
		_, _ = fmt.Fprintln(s, `level=INFO msg="deadline reminder" ticket=OKI-2611-0001 duration=0.0812345678s chat=`+bot.LogRef("0123456789abcdef0123456789abcdef"))
		require.Empty(t, logLeaks(t, db, s), "a ticket code, a duration and a hashed ref are fine")
	})
}

// detachedSink is a sink of its own, checked by no cleanup.
func detachedSink() *logSink { return &logSink{secrets: []string{telegramtest.DefaultToken}} }
