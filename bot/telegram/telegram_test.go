package telegram

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
)

var fastLimits = telegramtest.Limits{GlobalPerSecond: 500, ChatPerSecond: 100, ChatBurst: 3, Slack: 20 * time.Millisecond}

type setup struct {
	fake *telegramtest.Server
	ch   *Channel
	dir  string
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	fake := telegramtest.New(t, telegramtest.Options{Limits: fastLimits})
	dir := t.TempDir()
	ch, err := New(t.Context(), Options{Token: fake.Token, APIURL: fake.URL, DataDir: dir, MaxPhotoBytes: 1000,
		Limiter: NewLimiter(fastLimits.GlobalPerSecond, fastLimits.ChatPerSecond, fastLimits.ChatBurst),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)), PollTimeout: time.Second})
	require.NoError(t, err)
	require.Error(t, ch.Ready(), "not ready before getMe")
	require.NoError(t, ch.Connect(t.Context()))
	require.NoError(t, ch.Ready())
	require.Equal(t, telegramtest.BotUsername, ch.BotUsername())
	return &setup{fake: fake, ch: ch, dir: dir}
}

// recorder is an InboundHandler that keeps what it got and can fail on demand.
type recorder struct {
	mu   sync.Mutex
	got  []bot.Inbound
	fail func(bot.Inbound) error
}

func (r *recorder) HandleInbound(_ context.Context, in bot.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(in); err != nil {
			return err
		}
	}
	r.got = append(r.got, in)
	return nil
}

func (r *recorder) all() []bot.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Inbound(nil), r.got...)
}

func (s *setup) run(t *testing.T, h bot.InboundHandler) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.ch.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

func TestSplitText(t *testing.T) {
	para := strings.Repeat("Kalimat pendek di sini. ", 100) // 2400 characters
	long := para + "\n\n" + para + "\n\n" + para
	parts := splitText(long, MaxTextLen)
	require.Len(t, parts, 3, "cut at the paragraph breaks")
	for _, p := range parts {
		require.LessOrEqual(t, textLen(p), MaxTextLen)
		require.True(t, strings.HasSuffix(p, "."), "a part ends a sentence")
	}
	// No break at all: cut at the limit, on a rune boundary; emoji count two.
	emoji := strings.Repeat("😀", 3000)
	parts = splitText(emoji, MaxTextLen)
	require.Len(t, parts, 2)
	require.Equal(t, MaxTextLen, textLen(parts[0]))
	require.Equal(t, emoji, parts[0]+parts[1])
	require.Equal(t, []string{"pendek"}, splitText(" pendek ", MaxTextLen))
}

func TestSendRendersKeyboardsSplitsAndPhotos(t *testing.T) {
	s := newSetup(t)
	ctx := t.Context()
	longID := strings.Repeat("pilihan-yang-sangat-panjang-", 4)
	id, err := s.ch.Send(ctx, bot.Outbound{ChatID: "42", Text: strings.Repeat("Paragraf panjang sekali. ", 200) + "\n\n" + "Pilih satu:",
		Choices: []bot.Choice{{ID: "ya", Label: "Ya"}, {ID: "tidak", Label: "Tidak"}, {ID: longID, Label: "Yang panjang"}}, Ref: 1})
	require.NoError(t, err)
	ms := s.fake.Messages(42)
	require.Len(t, ms, 2, "5000 characters go out in two messages")
	require.Empty(t, ms[0].Inline)
	require.True(t, strings.HasSuffix(ms[1].Text, "sekali. \n\nPilih satu:"), "cut at a sentence end, the paragraph kept")
	require.Equal(t, "42:2", id, "the platform id is the last part's")
	require.Equal(t, [][]telegramtest.Button{{{Text: "Ya", Data: "ya"}, {Text: "Tidak", Data: "tidak"}}, {{Text: "Yang panjang", Data: ms[1].Inline[1][0].Data}}}, ms[1].Inline)
	require.LessOrEqual(t, len(ms[1].Inline[1][0].Data), MaxCallbackData)
	got, known := s.ch.choiceID(ms[1].Inline[1][0].Data)
	require.True(t, known)
	require.Equal(t, longID, got)

	// Asking for a location shows a one-time reply keyboard; the next plain message removes it.
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "42", Text: "Di mana?", AskLocation: true, Choices: []bot.Choice{{ID: "pilih_kecamatan", Label: "Pilih kecamatan"}}, Ref: 2})
	require.NoError(t, err)
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "42", Text: "Ada foto?", Choices: []bot.Choice{{ID: "lewati", Label: "Lewati"}}, Ref: 3})
	require.NoError(t, err)
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "42", Text: "Terima kasih.", Ref: 4})
	require.NoError(t, err)
	ms = s.fake.Messages(42)
	require.Equal(t, [][]telegramtest.Button{{{Text: "telegram.kirim_lokasi", RequestLocation: true}}, {{Text: "Pilih kecamatan"}}}, ms[2].Reply)
	require.False(t, ms[3].RemoveKeyboard, "a message with inline buttons cannot also remove the reply keyboard")
	require.True(t, ms[4].RemoveKeyboard)

	// A photo with a caption longer than 1024 characters: the rest follows as text; then a map point.
	require.NoError(t, os.MkdirAll(filepath.Join(s.dir, "attachments"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "attachments", "bukti.png"), []byte("PNGDATA"), 0o600))
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "43", Text: strings.Repeat("Bukti perbaikan. ", 100), PhotoPath: "attachments/bukti.png",
		HasLocation: true, Lat: -3.39, Lng: 104.83, Ref: 5})
	require.NoError(t, err)
	ms = s.fake.Messages(43)
	require.Len(t, ms, 3)
	require.Equal(t, "sendPhoto", ms[0].Method)
	require.Equal(t, []byte("PNGDATA"), ms[0].Photo)
	require.LessOrEqual(t, textLen(ms[0].Text), MaxCaptionLen)
	require.Equal(t, "sendMessage", ms[1].Method)
	require.True(t, ms[2].HasLocation)
	require.InDelta(t, -3.39, ms[2].Lat, 1e-9)

	// A path outside the data directory is never read.
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "44", Text: "Foto", PhotoPath: "../../etc/passwd", Ref: 6})
	require.NoError(t, err)
	require.Equal(t, "sendMessage", s.fake.Messages(44)[0].Method)
}

func TestSendErrors(t *testing.T) {
	s := newSetup(t)
	ctx := t.Context()
	var mode string
	var mu sync.Mutex
	s.fake.SetFaults(func(r telegramtest.Request) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		switch mode {
		case "429":
			return &telegramtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2}
		case "502":
			return &telegramtest.Fault{Status: http.StatusBadGateway}
		case "400":
			return &telegramtest.Fault{Status: http.StatusBadRequest, Description: "Bad Request: can't parse entities"}
		case "drop":
			return &telegramtest.Fault{Drop: true}
		}
		return nil
	})
	set := func(m string) { mu.Lock(); mode = m; mu.Unlock() }

	set("429")
	_, err := s.ch.Send(ctx, bot.Outbound{ChatID: "1", Text: "a"})
	var ra *bot.RetryAfterError
	require.ErrorAs(t, err, &ra)
	require.Equal(t, 2*time.Second, ra.After)
	require.Greater(t, s.ch.Limiter().PausedFor(), time.Second, "a 429 pauses every chat")
	s.ch.Limiter().Pause(-time.Hour)

	for _, m := range []string{"502", "drop"} {
		set(m)
		_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "1", Text: "a"})
		require.Error(t, err)
		require.False(t, errors.Is(err, bot.ErrRejected) || errors.Is(err, bot.ErrUnreachable), "%s is retried", m)
		require.NotContains(t, err.Error(), s.fake.Token, "the token never shows in an error")
	}
	set("400")
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "1", Text: "a"})
	require.ErrorIs(t, err, bot.ErrRejected)

	set("")
	s.fake.Block(2)
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "2", Text: "a"})
	require.ErrorIs(t, err, bot.ErrUnreachable)

	// A photo upload error loses its code in the library; the HTTP status still classifies it.
	set("429")
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "p.png"), []byte("x"), 0o600))
	_, err = s.ch.Send(ctx, bot.Outbound{ChatID: "1", Text: "a", PhotoPath: "p.png"})
	require.ErrorAs(t, err, &ra)
}

func TestSendResumesAfterPartialFailure(t *testing.T) {
	s := newSetup(t)
	calls := 0
	s.fake.SetFaults(func(r telegramtest.Request) *telegramtest.Fault {
		calls++
		if calls == 2 {
			return &telegramtest.Fault{Status: http.StatusInternalServerError}
		}
		return nil
	})
	out := bot.Outbound{ChatID: "7", Text: strings.Repeat("Satu kalimat. ", 400), Ref: 99}
	att := &partsAttempt{}
	ctx := bot.WithAttempt(t.Context(), att)
	_, err := s.ch.Send(ctx, out)
	require.Error(t, err)
	require.Equal(t, []int{0, 1}, att.sending, "each part is reported before its request")
	require.Equal(t, 1, att.Resume(), "the first part was accepted")
	_, err = s.ch.Send(ctx, out)
	require.NoError(t, err)
	require.Len(t, s.fake.Messages(7), 2, "the part that went out is not sent again")
	require.Equal(t, []int{0, 1, 1}, att.sending)
}

// partsAttempt is a bot.Attempt that remembers what the adapter reported.
type partsAttempt struct {
	sending  []int
	accepted int
}

func (a *partsAttempt) Resume() int { return a.accepted }
func (a *partsAttempt) Sending(_ context.Context, part int) error {
	a.sending = append(a.sending, part)
	return nil
}
func (a *partsAttempt) Accepted(part int) { a.accepted = part + 1 }

func TestConnectRetriesUntilTelegramAnswers(t *testing.T) {
	fake := telegramtest.New(t, telegramtest.Options{})
	var calls int
	var mu sync.Mutex
	fake.SetFaults(func(r telegramtest.Request) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != "getMe" {
			return nil
		}
		calls++
		switch calls {
		case 1:
			return &telegramtest.Fault{Status: http.StatusBadGateway}
		case 2:
			return &telegramtest.Fault{Drop: true}
		}
		return nil
	})
	ch, err := New(t.Context(), Options{Token: fake.Token, APIURL: fake.URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	_, err = ch.Send(t.Context(), bot.Outbound{ChatID: "5", Text: "x"})
	var ra *bot.RetryAfterError
	require.ErrorAs(t, err, &ra, "a send before getMe waits instead of failing the message")
	require.NoError(t, ch.Connect(t.Context()))
	require.Equal(t, 3, calls)
	require.Equal(t, telegramtest.BotUsername, ch.BotUsername())
}

func TestPollingTranslatesUpdates(t *testing.T) {
	s := newSetup(t)
	rec := &recorder{}
	failOnce := true
	rec.fail = func(in bot.Inbound) error {
		if in.Text == "gagal sekali" && failOnce {
			failOnce = false
			return errors.New("database busy")
		}
		return nil
	}
	_, err := s.ch.Send(t.Context(), bot.Outbound{ChatID: "10", Text: "Pilih", Choices: []bot.Choice{{ID: "kirim", Label: "✅ Kirim"}}})
	require.NoError(t, err)
	s.fake.SendText(10, "/start@"+telegramtest.BotUsername+" kampanye-1")
	s.fake.SendText(10, "gagal sekali")
	s.fake.SendText(10, "sesudahnya")
	_, err = s.fake.Press(10, "✅ Kirim")
	require.NoError(t, err)
	s.fake.SendLocation(10, -3.4, 104.8)
	s.fake.SendPhoto(10, []byte("\x89PNG\r\n\x1a\nfoto"))
	s.fake.SendPhoto(10, make([]byte, 2000)) // above MaxPhotoBytes
	s.fake.SendMessage(10, map[string]any{"voice": map[string]any{"file_id": "v", "file_unique_id": "v", "duration": 2}})
	s.run(t, rec)
	require.NoError(t, s.fake.WaitIdle(20*time.Second))
	got := rec.all()
	require.Len(t, got, 8)
	require.Equal(t, "/start kampanye-1", got[0].Text, "the deep-link payload is kept, the @botname dropped")
	require.Equal(t, "gagal sekali", got[1].Text, "a failed update is handled again before the next of its chat")
	require.Equal(t, "sesudahnya", got[2].Text)
	require.Equal(t, bot.Inbound{Channel: Name, ChatID: "10", MessageID: got[3].MessageID, Kind: bot.KindChoice, ChoiceID: "kirim", Text: "✅ Kirim", Name: "Warga 10", Lang: "id"}, got[3])
	require.Equal(t, bot.KindLocation, got[4].Kind)
	require.Equal(t, []byte("\x89PNG\r\n\x1a\nfoto"), got[5].Photo, "the largest size is downloaded")
	require.Len(t, got[6].Photo, 1001, "a photo over the limit is not downloaded; the handler refuses it")
	require.Equal(t, "voice", got[7].Unsupported)
	ids := map[string]bool{}
	for _, in := range got {
		require.False(t, ids[in.MessageID])
		ids[in.MessageID] = true
	}
	require.Eventually(t, func() bool {
		ms := s.fake.Messages(10)
		return ms[0].Edits == 1 && ms[0].Inline[0][0].Text == "telegram.terpilih" && ms[0].Inline[0][0].Data == noopData
	}, 5*time.Second, 10*time.Millisecond, "the pressed keyboard is replaced")
	require.Len(t, s.fake.Answered(), 1)
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(t.Context(), Options{})
	require.Error(t, err)
	_, err = New(t.Context(), Options{Token: "t", WebhookURL: "https://x/telegram/webhook", WebhookSecret: "bad secret!"})
	require.Error(t, err)
	fake := telegramtest.New(t, telegramtest.Options{})
	ch, err := New(t.Context(), Options{Token: "wrong", APIURL: fake.URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err, "New makes no request")
	err = ch.Connect(t.Context())
	require.ErrorIs(t, err, ErrBadToken, "a refused token is not retried")
	require.NotContains(t, err.Error(), "wrong")
	require.ErrorIs(t, ch.Run(t.Context(), bot.InboundHandlerFunc(func(context.Context, bot.Inbound) error { return nil })), ErrBadToken)
}
