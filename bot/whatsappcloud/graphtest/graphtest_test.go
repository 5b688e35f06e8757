package graphtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recordingTB is a test that keeps its errors and cleanups instead of failing
// the real one: it shows that a broken rule fails the test using the fake.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// end runs the cleanups as the test's end would and returns the errors reported.
func (r *recordingTB) end() []string {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// domainClock is the fake's clock for the 24-hour window, moved by the test.
type domainClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *domainClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *domainClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// post sends a Graph API request as the bot would and returns the HTTP status
// and the error code of the answer (0 on success).
func post(t *testing.T, s *Server, path string, body any) (int, int) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v23.0/"+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	if e.Error != nil {
		return resp.StatusCode, e.Error.Code
	}
	return resp.StatusCode, 0
}

func send(t *testing.T, s *Server, to, typ string, obj any) (int, int) {
	t.Helper()
	return post(t, s, s.PhoneNumberID+"/messages", map[string]any{
		"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": typ, typ: obj})
}

func buttons(titles ...string) map[string]any {
	var bs []any
	for i, title := range titles {
		bs = append(bs, map[string]any{"type": "reply", "reply": map[string]any{"id": fmt.Sprintf("b%d", i), "title": title}})
	}
	return map[string]any{"type": "button", "body": map[string]any{"text": "Pilih:"}, "action": map[string]any{"buttons": bs}}
}

func list(button string, titles ...string) map[string]any {
	var rows []any
	for i, title := range titles {
		rows = append(rows, map[string]any{"id": fmt.Sprintf("r%d", i), "title": title})
	}
	return map[string]any{"type": "list", "body": map[string]any{"text": "Pilih:"},
		"action": map[string]any{"button": button, "sections": []any{map[string]any{"rows": rows}}}}
}

func labels(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("Pilihan %d", i+1))
	}
	return out
}

var approved = []Template{{Name: "suarawarga_tanggapan", Language: "id", Body: "Tanggapan untuk laporan {{1}}."}}

func template(code string) map[string]any {
	return map[string]any{"name": "suarawarga_tanggapan", "language": map[string]any{"code": "id"},
		"components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": code}}}}}
}

// TestFakeFailsTheTestOnEachBrokenRule breaks every rule the issue names, one
// fake each: the fake answers as Meta would and the test using it fails with
// the rule named. A bot that keeps every rule leaves the test green.
func TestFakeFailsTheTestOnEachBrokenRule(t *testing.T) {
	t.Parallel()
	const person = "6281200000001"
	for _, tc := range []struct {
		name     string
		act      func(t *testing.T, s *Server, clock *domainClock)
		code     int    // the error code the last request was answered with (0: accepted)
		violated string // what the test's error says; "" when nothing was broken
	}{
		{"keeps every rule", func(t *testing.T, s *Server, clock *domainClock) {
			s.MarkWrote(person)
			for _, obj := range []map[string]any{buttons(labels(3)...), buttons("Rahasiakan identitas"), list("Lihat pilihan", labels(10)...),
				list("Lihat pilihan", "Kec. Pedamaran Timur")} {
				status, code := send(t, s, person, "interactive", obj)
				require.Equal(t, http.StatusOK, status)
				require.Zero(t, code)
			}
			clock.advance(25 * time.Hour)
			status, _ := send(t, s, person, "template", template("OKI-2611-0001"))
			require.Equal(t, http.StatusOK, status, "a template outside the window is allowed")
		}, 0, ""},
		{"more than 3 buttons", func(t *testing.T, s *Server, _ *domainClock) {
			s.MarkWrote(person)
			send(t, s, person, "interactive", buttons(labels(4)...))
		}, 131009, "4 reply buttons, 1 to 3 allowed"},
		{"a button title over 20", func(t *testing.T, s *Server, _ *domainClock) {
			s.MarkWrote(person)
			send(t, s, person, "interactive", buttons("Rahasiakan identitas saya"))
		}, 131009, "1 to 20 allowed"},
		{"more than 10 list rows", func(t *testing.T, s *Server, _ *domainClock) {
			s.MarkWrote(person)
			send(t, s, person, "interactive", list("Lihat pilihan", labels(11)...))
		}, 131009, "11 list rows, 1 to 10 allowed"},
		{"a row title over 24", func(t *testing.T, s *Server, _ *domainClock) {
			s.MarkWrote(person)
			send(t, s, person, "interactive", list("Lihat pilihan", "Kecamatan Sirah Pulau Padang"))
		}, 131009, "row title"},
		{"a list button over 20", func(t *testing.T, s *Server, _ *domainClock) {
			s.MarkWrote(person)
			send(t, s, person, "interactive", list("Lihat semua pilihan kecamatan", labels(2)...))
		}, 131009, "list button"},
		{"a free-form message outside the 24-hour window", func(t *testing.T, s *Server, clock *domainClock) {
			s.MarkWrote(person)
			clock.advance(24*time.Hour + time.Minute)
			send(t, s, person, "text", map[string]any{"body": "Masih di sana?"})
		}, 0, "outside the 24-hour window"},
		{"a first message to a number that never wrote", func(t *testing.T, s *Server, _ *domainClock) {
			send(t, s, "6281299999999", "template", template("OKI-2611-0001"))
		}, 131026, "a number that never wrote"},
		{"a first message to a known person who never wrote", func(t *testing.T, s *Server, _ *domainClock) {
			s.AddUser(User{Phone: person})
			send(t, s, person, "template", template("OKI-2611-0001"))
		}, 0, "who never wrote to the bot"},
		{"the number's rate", func(t *testing.T, s *Server, _ *domainClock) {
			s.SetLimits(Limits{PerSecond: 2, Slack: time.Millisecond})
			for i := range 3 {
				p := fmt.Sprintf("62812000001%02d", i)
				s.MarkWrote(p)
				send(t, s, p, "text", map[string]any{"body": "Kabar"})
			}
		}, 130429, "3 requests within one second (limit 2/s)"},
		{"the pair rate", func(t *testing.T, s *Server, _ *domainClock) {
			s.SetLimits(Limits{PerSecond: 1000, PairGap: time.Hour, PairBurst: 2, Slack: time.Millisecond})
			s.MarkWrote(person)
			for range 3 {
				send(t, s, person, "text", map[string]any{"body": "Kabar"})
			}
		}, 131056, "pair rate: more than 2 messages to " + person},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			clock := &domainClock{}
			s := New(rec, Options{Templates: approved, Now: clock.Now, NoStatuses: true})
			tc.act(t, s, clock)
			reqs := s.Requests()
			last := reqs[len(reqs)-1]
			require.Equal(t, tc.code, last.Code, "the answer Meta would give")
			errs := rec.end()
			if tc.violated == "" {
				require.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1, "the test using the fake fails, once")
			require.Contains(t, errs[0], "broke a WhatsApp Cloud API rule")
			require.Contains(t, errs[0], tc.violated)
		})
	}
}

// TestFakeWindowFailsAfterAcceptance: like Meta, a free-form message outside
// the window is accepted (a message id) and then reported failed with 131047.
func TestFakeWindowFailsAfterAcceptance(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	clock := &domainClock{}
	s := New(rec, Options{Templates: approved, Now: clock.Now})
	s.MarkWrote("6281200000002")
	clock.advance(30 * time.Hour)
	status, _ := send(t, s, "6281200000002", "text", map[string]any{"body": "Halo"})
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, s.Messages("6281200000002"), "nothing reaches the phone")
	s.mu.Lock()
	var failed []map[string]any
	for _, l := range s.lanes {
		failed = append(failed, l.statuses...)
	}
	s.mu.Unlock()
	require.Len(t, failed, 1)
	require.Equal(t, "failed", failed[0]["status"])
	require.Contains(t, fmt.Sprint(failed[0]["errors"]), "131047")
	errs := rec.end()
	require.Len(t, errs, 1)
	require.True(t, strings.Contains(errs[0], "free-form text message"), errs[0])
}
