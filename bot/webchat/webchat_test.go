package webchat_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/webchat/webchattest"
)

// testTranslator renders "lang:key" plus its data, so tests can see which message was chosen.
type testTranslator struct{}

func (testTranslator) T(lang, key string, data map[string]any) string {
	if len(data) == 0 {
		return lang + ":" + key
	}
	return fmt.Sprintf("%s:%s%v", lang, key, data)
}

// signalHistory tells the test each time a poll has read the history.
type signalHistory struct {
	*webchattest.History
	read chan struct{}
}

func (h signalHistory) Messages(ctx context.Context, chatID string, after int64, limit int) ([]webchat.Item, error) {
	items, err := h.History.Messages(ctx, chatID, after, limit)
	select {
	case h.read <- struct{}{}:
	default:
	}
	return items, err
}

type testBundle struct {
	channel *webchat.Channel
	history *webchattest.History
	bot     *webchattest.Bot
	server  *httptest.Server
	client  *http.Client
	read    chan struct{}
}

func setup(t *testing.T, opts webchat.Options) *testBundle {
	t.Helper()
	hist := webchattest.NewHistory()
	read := make(chan struct{}, 1)
	if opts.Translator == nil {
		opts.Translator = testTranslator{}
	}
	ch := webchat.New(signalHistory{History: hist, read: read}, opts)
	b := &webchattest.Bot{History: hist, Channel: ch}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ch.Run(ctx, b)
	}()
	mux := http.NewServeMux()
	ch.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &testBundle{channel: ch, history: hist, bot: b, server: srv, client: &http.Client{Jar: jar}, read: read}
}

func (tb *testBundle) send(t *testing.T, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := tb.client.Post(tb.server.URL+"/api/chat/send", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	return resp, decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

func (tb *testBundle) messages(t *testing.T, query string) []webchat.Item {
	t.Helper()
	resp, err := tb.client.Get(tb.server.URL + "/api/chat/messages?" + query)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		Messages []webchat.Item `json:"messages"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.NotNil(t, body.Messages, "an empty list is [] not null")
	return body.Messages
}

// running sends until the handler is installed; Run starts in a goroutine.
func running(t *testing.T, tb *testBundle) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, _ := tb.send(t, map[string]any{"client_id": "warmup", "kind": "text", "text": "/start"})
		return resp.StatusCode == http.StatusOK
	}, 2*time.Second, 5*time.Millisecond)
}

func TestSendText(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{})
	running(t, tb)

	resp, body := tb.send(t, map[string]any{"client_id": "6f1c2a9e-1b2c-4d5e-8f90-123456789abc", "kind": "text", "text": "Jalan berlubang\ndi depan pasar"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, true, body["ok"])

	got := tb.bot.Inbound()
	require.Len(t, got, 2)
	in := got[1]
	require.Equal(t, "webchat", in.Channel)
	require.Len(t, in.ChatID, 32)
	require.Equal(t, in.ChatID+":6f1c2a9e-1b2c-4d5e-8f90-123456789abc", in.MessageID, "client_id passed through, namespaced by chat")
	require.Equal(t, bot.KindText, in.Kind)
	require.Equal(t, "Jalan berlubang\ndi depan pasar", in.Text)
	require.Empty(t, in.Lang, "no language chosen")
	require.False(t, in.ReceivedAt.IsZero())
	require.Equal(t, got[0].ChatID, in.ChatID, "the cookie keeps the chat")

	// The same client_id again reaches the handler with the same MessageID (it dedupes).
	resp, _ = tb.send(t, map[string]any{"client_id": "6f1c2a9e-1b2c-4d5e-8f90-123456789abc", "kind": "text", "text": "Jalan berlubang\ndi depan pasar"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got = tb.bot.Inbound()
	require.Len(t, got, 3)
	require.Equal(t, got[1].MessageID, got[2].MessageID)
}

func TestSendChoiceAndLocation(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{})
	running(t, tb)

	resp, _ := tb.send(t, map[string]any{"client_id": "c1", "kind": "choice", "choice_id": "jalan", "text": "Jalan & jembatan"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = tb.send(t, map[string]any{"client_id": "c2", "kind": "location", "lat": -3.4, "lng": 104.83})
	require.Equal(t, http.StatusOK, resp.StatusCode)

	got := tb.bot.Inbound()
	require.Len(t, got, 3)
	require.Equal(t, bot.KindChoice, got[1].Kind)
	require.Equal(t, "jalan", got[1].ChoiceID)
	require.Equal(t, "Jalan & jembatan", got[1].Text)
	require.Equal(t, bot.KindLocation, got[2].Kind)
	require.InDelta(t, -3.4, got[2].Lat, 1e-9)
	require.InDelta(t, 104.83, got[2].Lng, 1e-9)

	for name, body := range map[string]map[string]any{
		"no client id":      {"kind": "text", "text": "halo"},
		"bad client id":     {"client_id": "a b", "kind": "text", "text": "halo"},
		"unknown kind":      {"client_id": "x1", "kind": "voice"},
		"choice without id": {"client_id": "x2", "kind": "choice"},
		"location missing":  {"client_id": "x3", "kind": "location", "lat": -3.4},
		"location out":      {"client_id": "x4", "kind": "location", "lat": 91, "lng": 104},
	} {
		resp, got := tb.send(t, body)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		require.Equal(t, webchat.ErrKeyInvalid, got["error"], name)
		require.Equal(t, "id:"+webchat.ErrKeyInvalid, got["message"], name)
	}
	resp, got2 := tb.send(t, map[string]any{"client_id": "x5", "kind": "text", "text": "  \n "})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyEmpty, got2["error"])
	require.Len(t, tb.bot.Inbound(), 3, "refused messages never reach the handler")

	// A form post (not JSON) is refused: a cross-site form cannot send JSON.
	r, err := tb.client.Post(tb.server.URL+"/api/chat/send", "application/x-www-form-urlencoded", strings.NewReader("client_id=z&kind=text&text=hi"))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnsupportedMediaType, r.StatusCode)
	_ = r.Body.Close()
}

func TestCookie(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		publicURL string
		tls       bool
		secure    bool
	}{
		"plain http":       {publicURL: "http://localhost:8080", secure: false},
		"https public url": {publicURL: "https://lapor.okikab.go.id", secure: true},
		"tls request":      {tls: true, secure: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ch := webchat.New(webchattest.NewHistory(), webchat.Options{PublicURL: tc.publicURL})
			r := httptest.NewRequest(http.MethodGet, "/api/chat/messages?after=0&wait=0", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			id := ch.ChatID(w, r)
			require.Len(t, id, 32)
			cookies := w.Result().Cookies()
			require.Len(t, cookies, 1)
			ck := cookies[0]
			require.Equal(t, webchat.ChatCookie, ck.Name)
			require.Equal(t, id, ck.Value)
			require.True(t, ck.HttpOnly)
			require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			require.Equal(t, "/", ck.Path)
			require.Equal(t, tc.secure, ck.Secure)
			require.Equal(t, id, ch.ChatID(httptest.NewRecorder(), r), "the same request keeps its new id")

			// A valid cookie is kept, a forged malformed one is replaced.
			r2 := httptest.NewRequest(http.MethodGet, "/", nil)
			r2.AddCookie(&http.Cookie{Name: webchat.ChatCookie, Value: id})
			w2 := httptest.NewRecorder()
			require.Equal(t, id, ch.ChatID(w2, r2))
			require.Empty(t, w2.Result().Cookies())
			r3 := httptest.NewRequest(http.MethodGet, "/", nil)
			r3.AddCookie(&http.Cookie{Name: webchat.ChatCookie, Value: "../../etc"})
			require.NotEqual(t, "../../etc", ch.ChatID(httptest.NewRecorder(), r3))
		})
	}
}

func TestLang(t *testing.T) {
	t.Parallel()
	ch := webchat.New(webchattest.NewHistory(), webchat.Options{})
	w := httptest.NewRecorder()
	require.Equal(t, "en", ch.Lang(w, httptest.NewRequest(http.MethodGet, "/?lang=en-US", nil)))
	cookies := w.Result().Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, webchat.LangCookie, cookies[0].Name)
	require.Equal(t, "en", cookies[0].Value)

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: webchat.LangCookie, Value: "en"})
	require.Equal(t, "en", ch.Lang(httptest.NewRecorder(), r))
	require.Equal(t, "", ch.Lang(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)))
	require.Equal(t, "", ch.Lang(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/?lang=fr", nil)))
}

func TestLangReachesInboundAndErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{})
	u, err := url.Parse(tb.server.URL)
	require.NoError(t, err)
	tb.client.Jar.SetCookies(u, []*http.Cookie{{Name: webchat.LangCookie, Value: "en"}})
	running(t, tb)
	require.Equal(t, "en", tb.bot.Inbound()[0].Lang)
	_, body := tb.send(t, map[string]any{"client_id": "q", "kind": "nope"})
	require.Equal(t, "en:"+webchat.ErrKeyInvalid, body["message"])
}

func TestOversizeText(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{})
	running(t, tb)

	ok := strings.Repeat("é", 4000)
	resp, _ := tb.send(t, map[string]any{"client_id": "ok", "kind": "text", "text": ok})
	require.Equal(t, http.StatusOK, resp.StatusCode, "4000 runes are fine")

	resp, body := tb.send(t, map[string]any{"client_id": "long", "kind": "text", "text": ok + "x"})
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyTooLong, body["error"])
	require.Equal(t, "id:"+webchat.ErrKeyTooLong+"map[max:4000]", body["message"])

	resp, body = tb.send(t, map[string]any{"client_id": "huge", "kind": "text", "text": strings.Repeat("x", 200_000)})
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyTooLong, body["error"])
	require.Len(t, tb.bot.Inbound(), 2)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tb := setup(t, webchat.Options{RateBurst: 3, RateWindow: 3 * time.Second, Now: clock})
	running(t, tb) // takes one token

	for i := range 2 {
		resp, _ := tb.send(t, map[string]any{"client_id": fmt.Sprintf("m%d", i), "kind": "text", "text": "halo"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, body := tb.send(t, map[string]any{"client_id": "m9", "kind": "text", "text": "halo"})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyTooFast, body["error"])
	require.Equal(t, "1", resp.Header.Get("Retry-After"))

	// Another browser is not limited by the first one.
	other := &http.Client{}
	b, _ := json.Marshal(map[string]any{"client_id": "o1", "kind": "text", "text": "halo"})
	r, err := other.Post(tb.server.URL+"/api/chat/send", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.StatusCode)
	_ = r.Body.Close()

	mu.Lock()
	now = now.Add(time.Second) // one token back
	mu.Unlock()
	resp, _ = tb.send(t, map[string]any{"client_id": "m10", "kind": "text", "text": "halo"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestHandlerErrorIs503(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{})
	running(t, tb)
	tb.bot.Fail = func(in bot.Inbound) error {
		if in.Text == "gagal" {
			return fmt.Errorf("database is locked")
		}
		return nil
	}
	resp, body := tb.send(t, map[string]any{"client_id": "f1", "kind": "text", "text": "gagal"})
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyBusy, body["error"])
	require.Equal(t, "id:"+webchat.ErrKeyBusy, body["message"])
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
}

func TestNotRunningIs503(t *testing.T) {
	t.Parallel()
	ch := webchat.New(webchattest.NewHistory(), webchat.Options{})
	mux := http.NewServeMux()
	ch.Register(mux)
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/api/chat/send", strings.NewReader(`{"client_id":"a","kind":"text","text":"halo"}`))
	r.Header.Set("Content-Type", "application/json")
	mux.ServeHTTP(w, r)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Contains(t, w.Body.String(), webchat.ErrKeyBusy)
}

func TestSendReturnsPlatformID(t *testing.T) {
	t.Parallel()
	ch := webchat.New(webchattest.NewHistory(), webchat.Options{})
	require.Equal(t, "webchat", ch.Name())
	id, err := ch.Send(context.Background(), bot.Outbound{ChatID: "abc", Text: "halo", Ref: 42})
	require.NoError(t, err)
	require.Equal(t, "web-42", id)
}

func TestMessagesHistoryAndLongPoll(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{PollTimeout: 10 * time.Second})
	tb.bot.Reply = func(in bot.Inbound) []bot.Outbound {
		return []bot.Outbound{{Text: "Laporan Anda tentang apa?", Choices: []bot.Choice{{ID: "jalan", Label: "Jalan & jembatan"}}}}
	}
	running(t, tb)
	chatID := tb.bot.Inbound()[0].ChatID

	items := tb.messages(t, "after=0")
	require.Len(t, items, 2)
	require.Equal(t, webchat.DirectionIn, items[0].Direction)
	require.Equal(t, "/start", items[0].Text)
	require.Equal(t, webchat.DirectionOut, items[1].Direction)
	require.Equal(t, []bot.Choice{{ID: "jalan", Label: "Jalan & jembatan"}}, items[1].Choices)
	last := items[1].Seq

	// Nothing after last: the poll waits until Send wakes it.
	drain(tb.read)
	type result struct {
		items []webchat.Item
		took  time.Duration
	}
	res := make(chan result, 1)
	go func() {
		start := time.Now()
		it := tb.messages(t, fmt.Sprintf("after=%d", last))
		res <- result{it, time.Since(start)}
	}()
	<-tb.read // the poll subscribed and found nothing
	out := bot.Outbound{Channel: "webchat", ChatID: chatID, Text: "Pesan baru dari dinas"}
	out.Ref = tb.history.AddOut(out).ID
	platformID, err := tb.channel.Send(context.Background(), out)
	require.NoError(t, err)
	tb.channel.Sent(context.Background(), out, platformID) // the delivery worker recorded it as sent
	select {
	case r := <-res:
		require.Len(t, r.items, 1)
		require.Equal(t, "Pesan baru dari dinas", r.items[0].Text)
		require.Less(t, r.took, 5*time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("the long-poll did not wake once the message was sent")
	}

	// wait=0 never waits.
	require.Empty(t, tb.messages(t, fmt.Sprintf("after=%d&wait=0", out.Ref)))

	resp, err := tb.client.Get(tb.server.URL + "/api/chat/messages?after=-1")
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	_ = resp.Body.Close()
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{PollTimeout: 100 * time.Millisecond})
	start := time.Now()
	require.Empty(t, tb.messages(t, "after=0"))
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

func TestRunStopReleasesPolls(t *testing.T) {
	t.Parallel()
	hist := webchattest.NewHistory()
	read := make(chan struct{}, 1)
	ch := webchat.New(signalHistory{History: hist, read: read}, webchat.Options{PollTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- ch.Run(ctx, &webchattest.Bot{History: hist}) }()
	mux := http.NewServeMux()
	ch.Register(mux)
	done := make(chan int, 1)
	go func() {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/chat/messages?after=0", nil))
		done <- w.Code
	}()
	<-read
	cancel()
	require.NoError(t, <-runDone)
	select {
	case code := <-done:
		require.Equal(t, http.StatusOK, code)
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting poll survived the channel's shutdown")
	}
}

func TestPhoto(t *testing.T) {
	t.Parallel()
	tb := setup(t, webchat.Options{MaxPhotoBytes: 64 << 10})
	running(t, tb)

	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 40, 30))
	m.Set(1, 1, color.RGBA{R: 200, A: 255})
	require.NoError(t, png.Encode(&img, m))

	resp, _ := tb.upload(t, "p1", img.Bytes())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := tb.bot.Inbound()
	require.Len(t, got, 2)
	require.Equal(t, bot.KindPhoto, got[1].Kind)
	require.Equal(t, img.Bytes(), got[1].Photo)
	require.Equal(t, "image/png", got[1].PhotoMIME)
	require.Equal(t, got[1].ChatID+":p1", got[1].MessageID)

	resp, body := tb.upload(t, "p2", []byte("%PDF-1.4 not a photo"))
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyNotImage, body["error"])

	big := append(bytes.Clone(img.Bytes()), make([]byte, 64<<10)...)
	resp, body = tb.upload(t, "p3", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyPhotoSize, body["error"])

	resp, body = tb.upload(t, "", img.Bytes())
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, webchat.ErrKeyInvalid, body["error"])
	require.Len(t, tb.bot.Inbound(), 2)
}

func (tb *testBundle) upload(t *testing.T, clientID string, data []byte) (*http.Response, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if clientID != "" {
		require.NoError(t, mw.WriteField("client_id", clientID))
	}
	fw, err := mw.CreateFormFile("photo", "foto.jpg")
	require.NoError(t, err)
	_, err = io.Copy(fw, bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	resp, err := tb.client.Post(tb.server.URL+"/api/chat/photo", mw.FormDataContentType(), &buf)
	require.NoError(t, err)
	return resp, decode(t, resp)
}

func drain(ch chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// Opening starts a new chat's conversation once and returns its welcome; a chat with a
// history gets it back without a second start; a reply that is late leaves the page to poll.
func TestOpening(t *testing.T) {
	tb := setup(t, webchat.Options{})
	tb.bot.Reply = func(in bot.Inbound) []bot.Outbound {
		if in.Text == webchat.StartText {
			return []bot.Outbound{{Text: "Selamat datang", Choices: []bot.Choice{{ID: "pengaduan", Label: "📝 Buat pengaduan"}}}}
		}
		return nil
	}
	ctx := context.Background()
	chat := strings.Repeat("a", 32)
	var items []webchat.Item
	// Before Run has its handler Opening returns nothing (the page then starts by itself).
	require.Eventually(t, func() bool {
		var err error
		items, err = tb.channel.Opening(ctx, chat, "en", time.Second)
		require.NoError(t, err)
		return items != nil
	}, 5*time.Second, 10*time.Millisecond)
	require.Len(t, items, 2)
	require.Equal(t, webchat.StartText, items[0].Text)
	require.Equal(t, "Selamat datang", items[1].Text)
	require.Equal(t, "📝 Buat pengaduan", items[1].Choices[0].Label)
	require.Equal(t, "en", tb.bot.Inbound()[0].Lang)

	again, err := tb.channel.Opening(ctx, chat, "en", time.Second)
	require.NoError(t, err)
	require.Equal(t, items, again)
	require.Len(t, tb.bot.Inbound(), 1, "started once")

	tb.bot.Reply = func(bot.Inbound) []bot.Outbound { return nil }
	slow := strings.Repeat("b", 32)
	began := time.Now()
	items, err = tb.channel.Opening(ctx, slow, "", 200*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, items, 1, "only the start's echo: the welcome comes with the first poll")
	require.Less(t, time.Since(began), 2*time.Second)
}
