package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/webchat/webchattest"
)

// errorKeys are the answers the API may give a request it refuses.
var errorKeys = map[string]bool{
	webchat.ErrKeyBusy: true, webchat.ErrKeyTooFast: true, webchat.ErrKeyTooLong: true, webchat.ErrKeyEmpty: true,
	webchat.ErrKeyInvalid: true, webchat.ErrKeyPhotoSize: true, webchat.ErrKeyNotImage: true,
}

// FuzzRequest sends the chat API arbitrary request bodies: a JSON send, a
// multipart photo (the fuzzer's bytes as the photo part, or as the whole
// multipart body), a history poll with an arbitrary cursor, each with an
// arbitrary cookie and content type. Every answer must be 200 with what the
// endpoint promises, or a clear JSON error whose key the page can translate;
// a message the API accepted reaches the bot once, well formed.
func FuzzRequest(f *testing.F) {
	for _, s := range []struct {
		route        uint8
		body, cookie string
	}{
		{0, `{"client_id":"6f1c2a9e-1b2c-4d5e","kind":"text","text":"Jalan berlubang\ndi depan pasar"}`, ""},
		{0, `{"client_id":"a","kind":"choice","choice_id":"pengaduan","text":"Pengaduan"}`, "0123456789abcdef0123456789abcdef"},
		{0, `{"client_id":"b","kind":"location","lat":-3.39,"lng":104.83}`, ""},
		{0, `{"client_id":"c","kind":"location","lat":91,"lng":1e400}`, ""},
		{0, `{"client_id":"d","kind":"text","text":"   "}`, ""},
		{0, `{"client_id":"bad id!","kind":"text","text":"x"}`, ""},
		{0, `{"client_id":"e","kind":"text","text":"\u0000\ud800"}`, ""},
		{0, `{"client_id":"f","kind":"voice"}`, ""},
		{0, `[1,2,3]`, ""},
		{0, `{"client_id":"g","kind":"text","text":"a"} trailing`, ""},
		{1, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ""},
		{1, "GIF89a", ""},
		{1, "not an image", ""},
		{2, "--X\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nh\r\n--X--\r\n", ""},
		{3, "0", ""},
		{3, "-1", ""},
		{3, "99999999999999999999", ""},
		{4, `{"client_id":"i","kind":"text","text":"x"}`, "sw_lang=en"},
	} {
		f.Add(s.route, []byte(s.body), s.cookie)
	}
	hist := webchattest.NewHistory()
	ch := webchat.New(hist, webchat.Options{PollTimeout: time.Millisecond, MaxPhotoBytes: 1 << 16, RateBurst: 1 << 30,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b := &webchattest.Bot{History: hist, Channel: ch, Reply: func(in bot.Inbound) []bot.Outbound {
		return []bot.Outbound{{Text: "Terima kasih", Choices: []bot.Choice{{ID: "ya", Label: "Ya"}}}}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx, b) }()
	f.Cleanup(func() { cancel(); <-done })
	mux := http.NewServeMux()
	ch.Register(mux)
	for start := time.Now(); ; {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/chat/send", strings.NewReader(`{"client_id":"warmup","kind":"text","text":"/start"}`))
		req.Header.Set("Content-Type", "application/json")
		mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			break
		}
		if time.Since(start) > 5*time.Second {
			f.Fatalf("the channel does not run: %d %s", rec.Code, rec.Body)
		}
		time.Sleep(5 * time.Millisecond)
	}

	f.Fuzz(func(t *testing.T, route uint8, body []byte, cookie string) {
		var req *http.Request
		send := false
		switch route % 5 {
		case 0, 4: // a JSON send; 4 with an odd content type
			req = httptest.NewRequest(http.MethodPost, "/api/chat/send", bytes.NewReader(body))
			req.Header.Set("Content-Type", map[bool]string{true: "application/json; charset=utf-8", false: cookie}[route%5 == 0])
			send = true
		case 1: // the bytes as the photo part
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("client_id", "photo-1")
			pw, _ := mw.CreateFormFile("photo", "x.jpg")
			_, _ = pw.Write(body)
			_ = mw.Close()
			req = httptest.NewRequest(http.MethodPost, "/api/chat/photo", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			send = true
		case 2: // the bytes as the whole multipart body
			req = httptest.NewRequest(http.MethodPost, "/api/chat/photo", bytes.NewReader(body))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=X")
			send = true
		case 3: // a poll with the bytes as the cursor
			req = httptest.NewRequest(http.MethodGet, "/api/chat/messages?wait=0&after="+queryEscape(body), nil)
		}
		if cookie != "" {
			req.Header.Set("Cookie", "sw_chat="+strings.Map(headerSafe, cookie)+"; "+strings.Map(headerSafe, cookie))
		}
		before := len(b.Inbound())
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var answer map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		got := b.Inbound()[before:]
		if rec.Code != http.StatusOK {
			var key string
			_ = json.Unmarshal(answer["error"], &key)
			if !errorKeys[key] || len(answer["message"]) == 0 {
				t.Fatalf("status %d without a known error key: %s", rec.Code, rec.Body)
			}
			if rec.Code >= 500 {
				t.Fatalf("status %d for a request the bot was free to take: %s", rec.Code, rec.Body)
			}
			if len(got) != 0 {
				t.Fatalf("refused with %d but the bot got %+v", rec.Code, got)
			}
			return
		}
		if !send {
			var items []webchat.Item
			if err := json.Unmarshal(answer["messages"], &items); err != nil || items == nil {
				t.Fatalf("poll answered without a message list: %s", rec.Body)
			}
			return
		}
		if len(got) != 1 {
			t.Fatalf("accepted, and the bot got %d messages", len(got))
		}
		in := got[0]
		if in.Channel != webchat.Name || in.Kind == "" || !strings.HasPrefix(in.MessageID, in.ChatID+":") || len(in.ChatID) != 32 {
			t.Fatalf("malformed inbound: %+v", in)
		}
		if in.Kind == bot.KindPhoto && (len(in.Photo) == 0 || !strings.HasPrefix(in.PhotoMIME, "image/")) {
			t.Fatalf("photo without bytes or type: %q", in.PhotoMIME)
		}
	})
}

func queryEscape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= '0' && c <= '9' || c == '-' {
			sb.WriteByte(c)
		} else {
			sb.WriteString("%")
			sb.WriteString(strings.ToUpper(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])))
		}
	}
	return sb.String()
}

// headerSafe drops what cannot appear in a header value.
func headerSafe(r rune) rune {
	if r < 0x20 || r == 0x7f || r > 0x7e {
		return -1
	}
	return r
}
