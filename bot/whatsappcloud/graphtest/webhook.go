package graphtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

type hookState struct {
	url string
}

// lane is one ordered queue of webhook calls: each person's messages go in
// their own lane (in order), statuses in another, and lanes run at once.
type lane struct {
	queue    [][]byte
	statuses []map[string]any // statuses waiting to be sent together
	busy     bool
}

const statusLane = "\x00statuses"

// Subscribe does Meta's verification of a callback URL (GET with hub.mode,
// hub.verify_token and hub.challenge, expecting the challenge back) and, when
// it passes, delivers every webhook call there from then on.
func (s *Server) Subscribe(callback, verifyToken string) error {
	challenge := fmt.Sprintf("%d", time.Now().UnixNano())
	u, err := url.Parse(callback)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.verify_token", verifyToken)
	q.Set("hub.challenge", challenge)
	u.RawQuery = q.Encode()
	resp, err := s.client.Get(u.String())
	if err != nil {
		return fmt.Errorf("graphtest: verify the callback URL: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != challenge {
		return fmt.Errorf("graphtest: the callback URL did not verify: HTTP %d, %q", resp.StatusCode, body)
	}
	s.mu.Lock()
	s.hook = &hookState{url: callback}
	for key := range s.lanes {
		s.startLaneLocked(key)
	}
	s.mu.Unlock()
	return nil
}

// WebhookURL returns the subscribed callback URL, "" before Subscribe.
func (s *Server) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook == nil {
		return ""
	}
	return s.hook.url
}

// PostWebhook posts body to the subscribed URL with the given signature header
// ("" for none), once, and returns the HTTP status: for signature tests.
func (s *Server) PostWebhook(body []byte, signature string) (int, error) {
	u := s.WebhookURL()
	if u == "" {
		return 0, errors.New("graphtest: no webhook subscribed")
	}
	s.learnInbound(body)
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// learnInbound remembers the messages of a hand-made webhook body as the
// people's, so the bot may mark them read and answer them.
func (s *Server) learnInbound(body []byte) {
	var p struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						From, ID   string
						FromUserID string `json:"from_user_id"`
					} `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &p) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				u := s.userLocked(User{Phone: m.From, UserID: m.FromUserID})
				s.inbound[m.ID] = u.Key()
				s.lastInbound[u.Key()] = s.opts.Now()
			}
		}
	}
}

// Sign is the signature Meta puts on body with the app secret.
func (s *Server) Sign(body []byte) string { return sign(s.AppSecret, body) }

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// enqueueLocked adds a webhook call to a lane and starts delivering it.
func (s *Server) enqueueLocked(key string, body []byte) {
	l := s.laneLocked(key)
	l.queue = append(l.queue, body)
	s.startLaneLocked(key)
}

// enqueueStatusLocked adds a status; statuses waiting together go in one call.
func (s *Server) enqueueStatusLocked(st map[string]any) {
	l := s.laneLocked(statusLane)
	l.statuses = append(l.statuses, st)
	s.startLaneLocked(statusLane)
}

func (s *Server) laneLocked(key string) *lane {
	l, ok := s.lanes[key]
	if !ok {
		l = &lane{}
		s.lanes[key] = l
	}
	return l
}

func (s *Server) startLaneLocked(key string) {
	l := s.lanes[key]
	if l == nil || l.busy || s.hook == nil || (len(l.queue) == 0 && len(l.statuses) == 0) || s.ctx.Err() != nil {
		return
	}
	l.busy = true
	s.wg.Add(1)
	go s.drain(key, l)
}

// drain delivers a lane's calls in order, each until it is answered 200.
func (s *Server) drain(key string, l *lane) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(l.queue) == 0 && len(l.statuses) > 0 {
			n := min(len(l.statuses), 50)
			l.queue = append(l.queue, s.envelope(map[string]any{"statuses": l.statuses[:n]}))
			l.statuses = append([]map[string]any(nil), l.statuses[n:]...)
		}
		if len(l.queue) == 0 || s.hook == nil || s.ctx.Err() != nil {
			l.busy = false
			s.notifyLocked()
			s.mu.Unlock()
			return
		}
		body := l.queue[0]
		s.mu.Unlock()
		for !s.post(s.WebhookURL(), body) {
			select {
			case <-s.ctx.Done():
				s.mu.Lock()
				l.busy = false
				s.mu.Unlock()
				return
			case <-time.After(s.opts.WebhookRetryDelay):
			}
		}
		s.mu.Lock()
		l.queue = l.queue[1:]
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// post makes one signed webhook call; true when it was answered 200.
func (s *Server) post(u string, body []byte) bool {
	if u == "" {
		return false
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", s.Sign(body))
	s.mu.Lock()
	s.stats.Webhooks++
	s.mu.Unlock()
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// Pending counts webhook calls (and statuses) not yet answered 200.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lanes {
		n += len(l.queue) + len(l.statuses)
	}
	return n
}

// WaitIdle waits until every webhook call was answered 200.
func (s *Server) WaitIdle(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		busy := 0
		for _, l := range s.lanes {
			if l.busy || len(l.queue) > 0 || len(l.statuses) > 0 {
				busy++
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if busy == 0 {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("graphtest: %d webhook lanes still delivering", busy)
		}
		select {
		case <-ch:
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
}

// envelope wraps a change value in a webhook body.
func (s *Server) envelope(value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": DefaultDisplayPhone, "phone_number_id": s.PhoneNumberID}
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": DefaultWABAID, "changes": []any{
			map[string]any{"field": "messages", "value": value},
		}}},
	})
	return body
}

// timestamp is t as Meta writes it: unix seconds as a string (milliseconds with MillisTimestamps).
func (s *Server) timestamp(t time.Time) string {
	if s.opts.MillisTimestamps {
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// statusLocked queues a status of a message the bot sent.
func (s *Server) statusLocked(m *Message, status string, errs ...map[string]any) {
	if s.opts.NoStatuses && status != "failed" {
		return
	}
	u := s.users[m.To]
	st := map[string]any{"id": m.ID, "status": status, "timestamp": s.timestamp(s.opts.Now())}
	if u != nil {
		if u.Phone != "" {
			st["recipient_id"] = u.Phone
		}
		st["recipient_user_id"] = u.UserID
	}
	if m.Callback != "" {
		st["biz_opaque_callback_data"] = m.Callback
	}
	if status != "failed" {
		st["pricing"] = map[string]any{"billable": m.Type == "template", "pricing_model": "PMP",
			"category": map[bool]string{true: "utility", false: "service"}[m.Type == "template"]}
	}
	if len(errs) > 0 {
		st["errors"] = errs
	}
	m.Status = status
	s.enqueueStatusLocked(st)
}

// errorObject is an error as Meta writes it in a webhook.
func errorObject(code int) map[string]any {
	title, details := errorText(code)
	return map[string]any{"code": code, "title": title, "message": title, "error_data": map[string]any{"details": details}}
}
