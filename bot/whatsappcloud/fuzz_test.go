package whatsappcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
	"github.com/suarawarga/suarawarga/locales"
)

// fuzzInbound records what the webhook hands to the bot.
type fuzzInbound struct {
	mu  sync.Mutex
	got []bot.Inbound
}

func (r *fuzzInbound) HandleInbound(_ context.Context, in bot.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, in)
	return nil
}

func (r *fuzzInbound) take() []bot.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// FuzzWebhook posts arbitrary signed bodies to the Cloud API webhook. The Graph
// API behind it is a stub that accepts every send and read receipt and knows no
// media (graphtest would rightly refuse receipts for messages it never sent, and
// the fuzzer's messages come from nowhere). A
// signed body must always be answered 200 (a malformed one is dropped, since
// Meta would send the same bytes forever), nothing may panic, what reaches the
// bot must be a well-formed Inbound with cleaned text, and every message of the
// batch that has an id and a sender reaches it exactly once. An unsigned body
// is refused and reaches nothing.
func FuzzWebhook(f *testing.F) {
	msg := func(m string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
			`"metadata":{"phone_number_id":"` + graphtest.DefaultPhoneNumberID + `"},"contacts":[{"profile":{"name":"Siti"},"wa_id":"6281234567890"}],"messages":[` + m + `]}}]}]}`
	}
	for _, m := range []string{
		`{"from":"6281234567890","id":"wamid.1","timestamp":"1700000000","type":"text","text":{"body":"Jalan berlubang"}}`,
		`{"from":"6281234567890","id":"wamid.2","timestamp":1700000001,"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"pengaduan","title":"Pengaduan"}}}`,
		`{"from":"6281234567890","id":"wamid.3","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"~p10","title":"Berikutnya"}}}`,
		`{"from":"6281234567890","id":"wamid.4","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"~tabc","title":"Jalan rus…","description":"Jalan rusak"}}}`,
		`{"from":"6281234567890","id":"wamid.5","type":"location","location":{"latitude":-3.39,"longitude":104.83,"name":"Pasar"}}`,
		`{"from":"6281234567890","id":"wamid.6","type":"image","image":{"id":"media1","mime_type":"image/jpeg","sha256":"x","caption":"foto"}}`,
		`{"from":"6281234567890","id":"wamid.7","type":"document","document":{"id":"media2","mime_type":"image/png"}}`,
		`{"from":"6281234567890","id":"wamid.8","type":"button","button":{"payload":"ya","text":"Ya"}}`,
		`{"from":"6281234567890","id":"wamid.9","type":"reaction","reaction":{"message_id":"wamid.x","emoji":""}}`,
		`{"from":"6281234567890","id":"wamid.10","type":"system"}`,
		`{"from_user_id":"ID.123","id":"wamid.11","timestamp":"1700000000000","type":"text","text":{"body":"\u0000\ud800"},"context":{"id":"wamid.bot"}}`,
		`{"from":"6281234567890","id":"wamid.12","type":"text"}`,
		`{"id":"wamid.13","type":"text","text":{"body":"no sender"}}`,
		`{"from":"6281234567890","id":"wamid.14","type":"unsupported"}`,
		`"not an object"`,
	} {
		f.Add([]byte(msg(m)), true)
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.s","status":"failed","biz_opaque_callback_data":"sw:1:1:1","errors":[{"code":131047}]}]}}]}]}`), true)
	f.Add([]byte(`{"object":"page"}`), true)
	f.Add([]byte(`not json`), true)
	f.Add([]byte(msg(`{"from":"6281234567890","id":"wamid.1","type":"text","text":{"body":"x"}}`)), false)

	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			_, _ = io.WriteString(w, `{"success":true,"messaging_product":"whatsapp","messages":[{"id":"wamid.out"}]}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"message":"Unsupported get request","type":"GraphMethodException","code":100}}`)
	}))
	f.Cleanup(graph.Close)
	cat, err := locales.Load()
	if err != nil {
		f.Fatal(err)
	}
	hist := &memHistory{last: map[string]time.Time{}, choices: map[string][]bot.Choice{}}
	ch, err := New(Options{
		Token: graphtest.DefaultToken, PhoneNumberID: graphtest.DefaultPhoneNumberID, AppSecret: graphtest.DefaultAppSecret,
		VerifyToken: graphtest.DefaultVerifyToken, History: hist, Statuses: &statusLog{}, GraphURL: graph.URL,
		Limiter: NewLimiter(fastLimits.PerSecond, fastLimits.PairGap, fastLimits.PairBurst), DataDir: f.TempDir(),
		MaxPhotoBytes: 1 << 16, RequestTimeout: 2 * time.Second, Translator: cat, Logger: testLogger(),
	})
	if err != nil {
		f.Fatal(err)
	}
	rec := &fuzzInbound{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx, rec) }()
	f.Cleanup(func() { cancel(); <-done })
	for start := time.Now(); ch.currentHandler() == nil; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			f.Fatal("the channel does not run")
		}
	}

	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		req := httptest.NewRequest(http.MethodPost, WebhookPath, bytes.NewReader(body))
		if signed {
			req.Header.Set(SignatureHeader, Sign(graphtest.DefaultAppSecret, body))
		}
		w := httptest.NewRecorder()
		ch.ServeHTTP(w, req)
		got := rec.take()
		if !signed {
			if w.Code != http.StatusForbidden || len(got) > 0 {
				t.Fatalf("unsigned body answered %d, handed over %d messages", w.Code, len(got))
			}
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("signed body answered %d: %s", w.Code, w.Body)
		}
		seen := map[string]int{}
		for _, in := range got {
			seen[in.MessageID]++
			if in.Channel != Name || in.Kind == "" || in.ChatID == "" || in.MessageID == "" || in.ReceivedAt.IsZero() {
				t.Fatalf("malformed inbound: %+v", in)
			}
			for _, s := range []string{in.Text, in.Name, in.ChoiceID} {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > maxInboundRunes {
					t.Fatalf("text not cleaned: %q", s)
				}
			}
			if in.Kind == bot.KindUnsupported && in.Unsupported == "" {
				t.Fatalf("unsupported without a reason: %+v", in)
			}
		}
		// Every readable message of our number reaches the bot once, unless it needs no answer.
		var p Payload
		if json.Unmarshal(body, &p) != nil || p.Object != "" && p.Object != "whatsapp_business_account" {
			return
		}
		want := map[string]int{}
		for _, e := range p.Entry {
			for _, c := range e.Changes {
				if c.Field != "" && c.Field != "messages" || c.Value.Metadata.PhoneNumberID != "" && c.Value.Metadata.PhoneNumberID != graphtest.DefaultPhoneNumberID {
					continue
				}
				for _, raw := range c.Value.Messages {
					var m Message
					if json.Unmarshal(raw, &m) != nil || m.ID == "" || m.ChatID() == "" {
						continue
					}
					if tr := Translate(m, c.Value.Contacts); !tr.Ignore && tr.Page < 0 {
						want[m.ID]++
					}
				}
			}
		}
		for id, n := range want {
			if seen[id] == 0 {
				t.Fatalf("message %q (%d in the batch) never reached the bot", id, n)
			}
		}
		for id := range seen {
			if want[id] == 0 {
				t.Fatalf("message %q reached the bot unasked", id)
			}
		}
	})
}
