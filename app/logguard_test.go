package app

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
)

// logSink records everything a test's bot logs, at debug level, so that the
// test can fail when a log line holds a credential or what a person wrote.
// Every App the app tests build logs into one (see testLogger), so every path
// the fixtures exercise — transcripts, parties, Telegram, WhatsApp, web chat,
// console — is checked.
type logSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	secrets []string // known to the test, not in the database: tokens, passwords, cookies
	checked bool     // a check ran while the database was open
}

// sinks holds each test's sink: the Apps one test builds (a restart builds a
// second) log into one, checked while the database is still open.
var sinks sync.Map // testing.TB -> *logSink

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if os.Getenv("SW_TEST_LOG") != "" {
		_, _ = os.Stderr.Write(p)
	}
	return s.buf.Write(p)
}

// secret adds values that must never be logged.
func (s *logSink) secret(vs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, vs...)
}

func (s *logSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// testLogger is the logger of a test's App: debug level, into a sink that
// check reads. SW_TEST_LOG=1 also prints it.
func testLogger(t testing.TB) (*slog.Logger, *logSink) {
	v, loaded := sinks.LoadOrStore(t, &logSink{secrets: []string{telegramtest.DefaultToken, tgWebhookSecret, "kata-sandi-rahasia-123"}})
	s := v.(*logSink)
	if !loaded {
		t.Cleanup(func() { sinks.Delete(t) })
	}
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug})), s
}

// quietLogger discards logs unless SW_TEST_LOG=1 asks for them on stderr; for
// the few tests that build no App.
func quietLogger() *slog.Logger {
	if os.Getenv("SW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// nikLike is a 16-digit number, the shape of an Indonesian NIK (and of a card number).
var nikLike = regexp.MustCompile(`(^|[^0-9])[0-9]{16}([^0-9]|$)`)

// phoneLike is an Indonesian mobile number, local or international.
var phoneLike = regexp.MustCompile(`(^|[^0-9.])(\+?62|0)8[0-9]{7,12}([^0-9.]|$)`)

// ticketOnly is a message that is only a ticket code.
var ticketOnly = regexp.MustCompile(`(?i)^[#/a-z ]*[a-z]+-[0-9]{4}-[0-9]{4}$`)

// guardLogs registers the check of s against db's people and messages. Call it
// after the App's Close is registered and before its workers' stop, so that
// it runs once the workers stopped and while the database is open.
func guardLogs(t testing.TB, db *gorm.DB, s *logSink) {
	t.Cleanup(func() {
		for _, f := range logLeaks(t, db, s) {
			t.Error(f)
		}
	})
}

// logLeaks lists the log lines that hold a web chat cookie value, a token or
// password, a phone number, a NIK-like number, a person's name or a message's text.
func logLeaks(t testing.TB, db *gorm.DB, s *logSink) []string {
	t.Helper()
	logs := s.text()
	if logs == "" {
		return nil
	}
	var leaks []string
	type secret struct{ what, value string }
	var secrets []secret
	s.mu.Lock()
	for _, v := range s.secrets {
		secrets = append(secrets, secret{"a credential", v})
	}
	s.mu.Unlock()
	var msgs []models.Message
	if err := db.Select("channel", "chat_id", "text", "platform_id").Find(&msgs).Error; err != nil {
		s.mu.Lock()
		done := s.checked
		s.mu.Unlock()
		if done {
			return nil // another App of this test closed the database after checking the same sink
		}
		require.NoError(t, err)
	}
	s.mu.Lock()
	s.checked = true
	s.mu.Unlock()
	for _, m := range msgs {
		switch m.Channel {
		case webchat.Name:
			secrets = append(secrets, secret{"a web chat cookie (chat id)", m.ChatID})
		case "whatsapp", "whatsappcloud":
			secrets = append(secrets, secret{"a phone number", strings.TrimSuffix(strings.SplitN(m.ChatID, "@", 2)[0], "+")})
		}
		for _, line := range append([]string{m.Text}, strings.Split(m.Text, "\n")...) {
			// A ticket code is public (logs name complaints by it); what a person wrote is not.
			if line = strings.TrimSpace(line); utf8.RuneCountInString(line) >= 12 && !ticketOnly.MatchString(line) {
				secrets = append(secrets, secret{"a message's text", line})
			}
		}
	}
	var ids []models.Identity
	require.NoError(t, db.Find(&ids).Error)
	for _, id := range ids {
		if id.Channel == webchat.Name {
			secrets = append(secrets, secret{"a web chat cookie (identity)", id.Address})
		}
	}
	var names []string
	require.NoError(t, db.Model(&models.Citizen{}).Where("name <> ''").Pluck("name", &names).Error)
	for _, n := range names {
		if utf8.RuneCountInString(n) >= 8 {
			secrets = append(secrets, secret{"a person's name", n})
		}
	}
	var descs []string
	require.NoError(t, db.Model(&models.Complaint{}).Pluck("description", &descs).Error)
	for _, d := range descs {
		secrets = append(secrets, secret{"a complaint's description", d})
	}
	lines := strings.Split(logs, "\n")
	seen := map[string]bool{}
	for _, sec := range secrets {
		if len(sec.value) < 6 || seen[sec.value] {
			continue
		}
		seen[sec.value] = true
		for _, l := range lines {
			if strings.Contains(l, sec.value) {
				leaks = append(leaks, fmt.Sprintf("the log holds %s (%q): %s", sec.what, sec.value, l))
				break
			}
		}
	}
	for _, l := range lines {
		if nikLike.MatchString(l) {
			leaks = append(leaks, "the log holds a NIK-like number: "+l)
		}
		if phoneLike.MatchString(l) {
			leaks = append(leaks, "the log holds a phone number: "+l)
		}
	}
	return leaks
}
