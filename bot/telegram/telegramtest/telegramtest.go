// Package telegramtest is a fake Telegram Bot API server for tests. It serves
// scripted updates by long polling (with offsets) or by webhook (with the
// secret header, retrying on a non-200), records every request and every
// message the bot sends, injects faults (429 with retry_after, 5xx, slow
// answers, dropped connections) and enforces Telegram's limits: a bot that
// breaks one fails the test at cleanup.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// DefaultToken is the bot token the fake accepts unless Options.Token says otherwise.
const DefaultToken = "123456:TEST-token_for-the-fake"

// BotUsername is the username getMe reports.
const BotUsername = "SuaraWargaTestBot"

// Limits are the Telegram limits the fake enforces; a request over one is
// answered as Telegram would (429 or 400) and recorded as a violation.
type Limits struct {
	// GlobalPerSecond bounds sends and edits in any one-second window (Telegram: about 30).
	GlobalPerSecond float64
	// ChatPerSecond and ChatBurst bound the sends to one chat (Telegram: about 1/s, short bursts pass).
	ChatPerSecond float64
	ChatBurst     int
	// Slack forgives clock jitter between the bot's pacing and the fake's clock.
	Slack time.Duration
}

// DefaultLimits are Telegram's: 30/s overall, 1/s per chat with bursts of 3.
func DefaultLimits() Limits {
	return Limits{GlobalPerSecond: 30, ChatPerSecond: 1, ChatBurst: 3, Slack: 50 * time.Millisecond}
}

// Options configure a Server.
type Options struct {
	Token  string // default DefaultToken
	Limits Limits // zero value: DefaultLimits()
	// WebhookRetryDelay is how long the fake waits before retrying a webhook call that did not get a 200 (default 50ms).
	WebhookRetryDelay time.Duration
	// MaxConnections bounds concurrent webhook calls (one per chat at a time; default 40).
	MaxConnections int
}

// Fault is what the fake does instead of answering normally.
type Fault struct {
	Status      int           // answer with this error status (429, 500, 502...)
	RetryAfter  int           // seconds, with a 429
	Description string        // error description (a default per status otherwise)
	Delay       time.Duration // wait this long first; without Status or Drop the request then succeeds
	Drop        bool          // close the connection without an answer; the request has no effect
}

// Request is one API call the bot made.
type Request struct {
	Method string
	Params url.Values
	ChatID int64 // from the chat_id parameter, 0 when absent
	At     time.Time
	Status int    // HTTP status answered; 0 when the connection was dropped
	Fault  *Fault // the injected fault, if any
}

// Button is one keyboard button of a sent message.
type Button struct {
	Text            string
	Data            string // callback_data of an inline button
	RequestLocation bool
}

// Message is one message the bot sent and the fake accepted.
type Message struct {
	ID          int
	ChatID      int64
	Method      string // sendMessage, sendPhoto, sendLocation
	Text        string // the text, or the photo's caption
	Photo       []byte
	HasLocation bool
	Lat, Lng    float64
	// Inline is the message's current inline keyboard (edits applied).
	Inline [][]Button
	// Reply is the reply keyboard sent with it; RemoveKeyboard reports a ReplyKeyboardRemove.
	Reply          [][]Button
	RemoveKeyboard bool
	At             time.Time
	Edits          int
}

// Stats measure the fake's own cost.
type Stats struct {
	Requests    int
	HandlerTime time.Duration // summed wall time inside the fake's handlers (long-poll waits excluded)
}

type update struct {
	seq    int // unique per entry; a duplicate has its own
	id     int
	chat   int64
	body   []byte
	ghost  bool // a duplicate: served once whatever the offset
	served bool
}

type hook struct {
	url, secret string
	stop        chan struct{}
}

// Server is the fake Bot API; URL is the base to give the bot as TELEGRAM_API_URL.
type Server struct {
	URL   string
	Token string

	opts   Options
	hs     *httptest.Server
	ctx    context.Context
	cancel context.CancelFunc
	client *http.Client

	mu          sync.Mutex
	changed     chan struct{}
	nextUpdate  int
	nextSeq     int
	pending     []*update
	sentBodies  []sentBody
	presses     []int
	inflight    map[int64]bool
	webhook     *hook
	webhookErrs int
	nextMsg     map[int64]int
	msgs        map[int64][]*Message
	files       map[string][]byte // file_id -> bytes
	paths       map[string]string // file_path -> file_id
	requests    []Request
	violations  []string
	window      []time.Time
	chatTAT     map[int64]time.Time
	blocked     map[int64]string
	faults      func(Request) *Fault
	answered    []string
	stats       Stats
	nextCB      int
	polling     int // getUpdates calls in progress
	wg          sync.WaitGroup
}

// New starts a fake server; it is closed, and any limit the bot broke reported
// with tb.Errorf, at cleanup.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := Start(opts)
	tb.Cleanup(func() {
		s.Close()
		s.Check(tb)
	})
	return s
}

// Start starts a fake server outside a test (cmd/swchaos); the caller closes it
// and reads Violations itself.
func Start(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	if opts.WebhookRetryDelay <= 0 {
		opts.WebhookRetryDelay = 50 * time.Millisecond
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 40
	}
	s := &Server{
		Token: opts.Token, opts: opts, changed: make(chan struct{}), nextUpdate: 1000,
		inflight: map[int64]bool{}, nextMsg: map[int64]int{}, msgs: map[int64][]*Message{}, files: map[string][]byte{},
		paths: map[string]string{}, chatTAT: map[int64]time.Time{}, blocked: map[int64]string{},
		client: &http.Client{Timeout: 30 * time.Second},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	return s
}

// Close stops webhook delivery and the server; waiting long polls return at once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.webhook != nil {
		close(s.webhook.stop)
		s.webhook = nil
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// Check reports every limit the bot broke as a test error.
func (s *Server) Check(tb testing.TB) {
	tb.Helper()
	for _, v := range s.Violations() {
		tb.Errorf("telegramtest: the bot broke a Telegram limit: %s", v)
	}
}

// Violations lists the limits broken so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// SetLimits changes the enforced limits (for a test that paces faster than Telegram).
func (s *Server) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Limits = l
}

// SetFaults installs f, asked before each request is handled; a nil answer means no fault.
func (s *Server) SetFaults(f func(Request) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Block makes every send to chat fail with 403 "Forbidden: bot was blocked by the user".
func (s *Server) Block(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chat] = "Forbidden: bot was blocked by the user"
}

// Requests returns every request so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests of method were answered with status.
func (s *Server) Count(method string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Method == method && r.Status == status {
			n++
		}
	}
	return n
}

// Messages returns copies of the messages the bot sent to chat, oldest first.
func (s *Server) Messages(chat int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs[chat]))
	for _, m := range s.msgs[chat] {
		out = append(out, *m)
	}
	return out
}

// Sent counts all messages the bot sent.
func (s *Server) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ms := range s.msgs {
		n += len(ms)
	}
	return n
}

// SendTimes returns the times of all accepted sends, oldest first.
func (s *Server) SendTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, r := range s.requests {
		if isSend(r.Method) && r.Status == http.StatusOK {
			out = append(out, r.At)
		}
	}
	return out
}

// Answered lists the callback query ids the bot answered.
func (s *Server) Answered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.answered...)
}

// Stats returns the fake's own request count and handler time.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Pending counts updates not yet confirmed by the bot.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// WebhookURL returns the webhook set by the bot, "" in polling mode.
func (s *Server) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook == nil {
		return ""
	}
	return s.webhook.url
}

// WaitMessages waits until chat has at least n messages and returns them.
func (s *Server) WaitMessages(chat int64, n int, timeout time.Duration) ([]Message, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got := len(s.msgs[chat])
		ch := s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages(chat), nil
		}
		select {
		case <-ch:
		case <-deadline:
			ms := s.Messages(chat)
			return ms, fmt.Errorf("chat %d: %d messages after %s, want %d", chat, len(ms), timeout, n)
		}
	}
}

// WaitIdle waits until no update is pending (all confirmed by the bot).
func (s *Server) WaitIdle(timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		n := len(s.pending)
		ch := s.changed
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			return fmt.Errorf("%d updates still pending after %s", n, timeout)
		}
	}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// --- the citizen's side ---------------------------------------------------

// User is the sender object the fake uses for chat (a private chat's id is its user's id).
func User(chat int64) map[string]any {
	return map[string]any{"id": chat, "is_bot": false, "first_name": "Warga", "last_name": strconv.FormatInt(chat, 10), "language_code": "id"}
}

func privateChat(chat int64) map[string]any {
	return map[string]any{"id": chat, "type": "private", "first_name": "Warga"}
}

// PushUpdate queues an update (the fake sets update_id) and returns its id.
func (s *Server) PushUpdate(u map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	id := s.nextUpdate
	u["update_id"] = id
	body, err := json.Marshal(u)
	if err != nil {
		panic(err)
	}
	if _, isPress := u["callback_query"]; isPress {
		s.presses = append(s.presses, id)
	}
	s.pushLocked(id, chatOf(u), body, false)
	return id
}

// Pushed counts the updates queued so far (duplicates made with Duplicate not included).
func (s *Server) Pushed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sentBodies)
}

// CallbackUpdateIDs lists the update ids of the button presses queued so far.
func (s *Server) CallbackUpdateIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.presses...)
}

// PushRaw queues an update from raw JSON object members (without braces), for
// malformed updates: `"message":{"text":5}`. The fake adds update_id.
func (s *Server) PushRaw(members string, chat int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	id := s.nextUpdate
	body := `{"update_id":` + strconv.Itoa(id)
	if members != "" {
		body += "," + members
	}
	body += "}"
	s.pushLocked(id, chat, []byte(body), false)
	return id
}

// Duplicate delivers update id once more, as Telegram does after a lost
// acknowledgement (polling: served again whatever the offset; webhook: POSTed again).
func (s *Server) Duplicate(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.pending {
		if u.id == id {
			s.pushLocked(id, u.chat, u.body, true)
			return nil
		}
	}
	return s.duplicateConfirmedLocked(id)
}

func (s *Server) duplicateConfirmedLocked(id int) error {
	for _, r := range s.sentBodies {
		if r.id == id {
			s.pushLocked(id, r.chat, r.body, true)
			return nil
		}
	}
	return fmt.Errorf("telegramtest: no update %d", id)
}

func (s *Server) pushLocked(id int, chat int64, body []byte, ghost bool) {
	s.nextSeq++
	u := &update{seq: s.nextSeq, id: id, chat: chat, body: body, ghost: ghost}
	s.pending = append(s.pending, u)
	if !ghost {
		s.sentBodies = append(s.sentBodies, sentBody{id: id, chat: chat, body: body})
	}
	s.notifyLocked()
}

type sentBody struct {
	id   int
	chat int64
	body []byte
}

func chatOf(u map[string]any) int64 {
	for _, k := range []string{"message", "edited_message"} {
		if m, ok := u[k].(map[string]any); ok {
			if c, ok := m["chat"].(map[string]any); ok {
				return toInt64(c["id"])
			}
		}
	}
	if cq, ok := u["callback_query"].(map[string]any); ok {
		if m, ok := cq["message"].(map[string]any); ok {
			if c, ok := m["chat"].(map[string]any); ok {
				return toInt64(c["id"])
			}
		}
	}
	return 0
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

// SendMessage queues a private message from chat's user with the given fields ("text", "sticker"...).
func (s *Server) SendMessage(chat int64, fields map[string]any) int {
	m := map[string]any{"message_id": s.userMsgID(), "date": time.Now().Unix(), "chat": privateChat(chat), "from": User(chat)}
	for k, v := range fields {
		m[k] = v
	}
	return s.PushUpdate(map[string]any{"message": m})
}

func (s *Server) userMsgID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextCB++
	return 1_000_000 + s.nextCB
}

// SendText queues a text message from chat.
func (s *Server) SendText(chat int64, text string) int {
	return s.SendMessage(chat, map[string]any{"text": text})
}

// SendLocation queues a shared location from chat.
func (s *Server) SendLocation(chat int64, lat, lng float64) int {
	return s.SendMessage(chat, map[string]any{"location": map[string]any{"latitude": lat, "longitude": lng}})
}

// SendPhoto queues a photo from chat in two sizes, a thumbnail and data itself
// (the largest, which the bot must pick), both downloadable through getFile.
func (s *Server) SendPhoto(chat int64, data []byte) int {
	s.mu.Lock()
	s.nextCB++
	n := s.nextCB
	thumb, big := fmt.Sprintf("thumb-%d", n), fmt.Sprintf("photo-%d", n)
	s.files[thumb] = []byte("not the photo you want")
	s.files[big] = data
	s.mu.Unlock()
	return s.SendMessage(chat, map[string]any{"photo": []any{
		map[string]any{"file_id": thumb, "file_unique_id": "u" + thumb, "width": 90, "height": 90, "file_size": len("not the photo you want")},
		map[string]any{"file_id": big, "file_unique_id": "u" + big, "width": 1280, "height": 960, "file_size": len(data)},
	}})
}

// AddFile registers a downloadable file and returns its id.
func (s *Server) AddFile(data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextCB++
	id := fmt.Sprintf("file-%d", s.nextCB)
	s.files[id] = data
	return id
}

// SendGroupText queues a message in a group chat (a negative id) from user.
func (s *Server) SendGroupText(chat, user int64, text string) int {
	return s.PushUpdate(map[string]any{"message": map[string]any{
		"message_id": s.userMsgID(), "date": time.Now().Unix(), "from": User(user),
		"chat": map[string]any{"id": chat, "type": "group", "title": "Grup Warga"}, "text": text,
	}})
}

// Press presses the button labelled label: an inline button of the latest bot
// message in chat that has one (a callback query), or a text button of the
// latest reply keyboard (its label sent as text).
func (s *Server) Press(chat int64, label string) (int, error) {
	return s.press(chat, 0, label)
}

// PressIn presses the inline button labelled label of the bot message msgID in chat,
// as a person scrolling back to an earlier message would.
func (s *Server) PressIn(chat int64, msgID int, label string) (int, error) {
	return s.press(chat, msgID, label)
}

func (s *Server) press(chat int64, msgID int, label string) (int, error) {
	s.mu.Lock()
	ms := s.msgs[chat]
	var found *Message
	var data string
	var reply bool
	for i := len(ms) - 1; i >= 0 && found == nil; i-- {
		if msgID != 0 {
			if ms[i].ID != msgID {
				continue
			}
			for _, row := range ms[i].Inline {
				for _, b := range row {
					if b.Text == label {
						found, data = ms[i], b.Data
					}
				}
			}
			break
		}
		for _, row := range ms[i].Inline {
			for _, b := range row {
				if b.Text == label {
					found, data = ms[i], b.Data
				}
			}
		}
		if found == nil && len(ms[i].Reply) > 0 {
			for _, row := range ms[i].Reply {
				for _, b := range row {
					if b.Text == label && !b.RequestLocation {
						found, reply = ms[i], true
					}
				}
			}
			if found == nil {
				break // the latest reply keyboard hides older inline ones from a scripted citizen's view
			}
		}
	}
	if found == nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("chat %d, label %q: %w", chat, label, ErrNoButton)
	}
	s.nextCB++
	cbID := fmt.Sprintf("cb-%d", s.nextCB)
	msg := messageJSON(found)
	s.mu.Unlock()
	if reply {
		return s.SendText(chat, label), nil
	}
	return s.PushUpdate(map[string]any{"callback_query": map[string]any{
		"id": cbID, "from": User(chat), "chat_instance": "ci", "data": data, "message": msg,
	}}), nil
}

// Buttons returns the labels of the latest inline keyboard in chat.
func (s *Server) Buttons(chat int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.msgs[chat]
	for i := len(ms) - 1; i >= 0; i-- {
		if len(ms[i].Inline) > 0 {
			var out []string
			for _, row := range ms[i].Inline {
				for _, b := range row {
					out = append(out, b.Text)
				}
			}
			return out
		}
	}
	return nil
}

func messageJSON(m *Message) map[string]any {
	out := map[string]any{"message_id": m.ID, "date": m.At.Unix(), "chat": privateChat(m.ChatID),
		"from": map[string]any{"id": 1, "is_bot": true, "first_name": "Suara Warga", "username": BotUsername}}
	switch {
	case m.Method == "sendPhoto":
		// A photo message has a caption and the photo's sizes, never a text.
		out["photo"] = []map[string]any{{"file_id": fmt.Sprintf("sent-%d-%d", m.ChatID, m.ID), "file_unique_id": fmt.Sprintf("u%d-%d", m.ChatID, m.ID),
			"width": 8, "height": 8, "file_size": len(m.Photo)}}
		if m.Text != "" {
			out["caption"] = m.Text
		}
	case m.Text != "":
		out["text"] = m.Text
	}
	if len(m.Inline) > 0 {
		var rows [][]map[string]any
		for _, row := range m.Inline {
			var r []map[string]any
			for _, b := range row {
				r = append(r, map[string]any{"text": b.Text, "callback_data": b.Data})
			}
			rows = append(rows, r)
		}
		out["reply_markup"] = map[string]any{"inline_keyboard": rows}
	}
	return out
}

// --- the Bot API side -------------------------------------------------------

func isSend(method string) bool {
	return method == "sendMessage" || method == "sendPhoto" || method == "sendLocation"
}

func isEdit(method string) bool {
	return strings.HasPrefix(method, "editMessage")
}

type apiResp struct {
	status int
	body   any
}

func ok(result any) apiResp {
	return apiResp{status: http.StatusOK, body: map[string]any{"ok": true, "result": result}}
}

func fail(status int, desc string, retryAfter int) apiResp {
	b := map[string]any{"ok": false, "error_code": status, "description": desc}
	if retryAfter > 0 {
		b["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	return apiResp{status: status, body: b}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if strings.HasPrefix(r.URL.Path, "/file/bot") {
		s.serveFile(w, r)
		s.account(start)
		return
	}
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, found2 := strings.Cut(rest, "/")
	if !found || !found2 {
		writeJSON(w, fail(http.StatusNotFound, "Not Found", 0))
		return
	}
	if token != s.Token {
		writeJSON(w, fail(http.StatusUnauthorized, "Unauthorized", 0))
		return
	}
	params, photo, err := readParams(r)
	if err != nil {
		writeJSON(w, fail(http.StatusBadRequest, "Bad Request: "+err.Error(), 0))
		return
	}
	req := Request{Method: method, Params: params, At: time.Now()}
	req.ChatID, _ = strconv.ParseInt(params.Get("chat_id"), 10, 64)

	s.mu.Lock()
	faults := s.faults
	s.mu.Unlock()
	var f *Fault
	if faults != nil {
		f = faults(req)
	}
	if f != nil {
		req.Fault = f
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
			case <-s.ctx.Done():
			}
		}
		switch {
		case f.Drop:
			s.record(req, 0)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case f.Status != 0:
			desc := f.Description
			if desc == "" {
				desc = http.StatusText(f.Status)
				if f.Status == http.StatusTooManyRequests {
					desc = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
				}
			}
			resp := fail(f.Status, desc, f.RetryAfter)
			s.record(req, resp.status)
			writeJSON(w, resp)
			return
		}
		req.At = time.Now()
	}
	var resp apiResp
	if method == "getUpdates" {
		resp = s.getUpdates(r.Context(), params)
		start = time.Now() // the wait is the bot's choice, not the fake's cost
	} else {
		resp = s.call(req, params, photo)
	}
	s.record(req, resp.status)
	writeJSON(w, resp)
	s.account(start)
}

func (s *Server) account(start time.Time) {
	s.mu.Lock()
	s.stats.Requests++
	s.stats.HandlerTime += time.Since(start)
	s.mu.Unlock()
}

func (s *Server) record(req Request, status int) {
	req.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, r apiResp) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	_ = json.NewEncoder(w).Encode(r.body)
}

// readParams reads form or multipart parameters; photo holds an uploaded file.
func readParams(r *http.Request) (url.Values, []byte, error) {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			return nil, nil, err
		}
		vals := url.Values(r.MultipartForm.Value)
		var photo []byte
		if fhs := r.MultipartForm.File["photo"]; len(fhs) > 0 {
			photo = readPart(fhs[0])
		}
		return vals, photo, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(ct, "application/json") {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
			vals := url.Values{}
			for k, v := range m {
				switch t := v.(type) {
				case string:
					vals.Set(k, t)
				default:
					b, _ := json.Marshal(t)
					vals.Set(k, string(b))
				}
			}
			return vals, nil, nil
		}
	}
	return r.Form, nil, nil
}

func readPart(fh *multipart.FileHeader) []byte {
	f, err := fh.Open()
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return b
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/file/bot")
	token, path, _ := strings.Cut(rest, "/")
	if token != s.Token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	id, okPath := s.paths[path]
	data := s.files[id]
	s.mu.Unlock()
	if !okPath {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func (s *Server) call(req Request, p url.Values, photo []byte) apiResp {
	switch req.Method {
	case "getMe":
		return ok(map[string]any{"id": 1, "is_bot": true, "first_name": "Suara Warga", "username": BotUsername})
	case "setWebhook":
		return s.setWebhook(p)
	case "deleteWebhook":
		s.mu.Lock()
		if s.webhook != nil {
			close(s.webhook.stop)
			s.webhook = nil
		}
		if p.Get("drop_pending_updates") == "true" {
			s.pending = nil
		}
		s.mu.Unlock()
		return ok(true)
	case "getWebhookInfo":
		return ok(map[string]any{"url": s.WebhookURL(), "pending_update_count": s.Pending()})
	case "answerCallbackQuery":
		s.mu.Lock()
		s.answered = append(s.answered, p.Get("callback_query_id"))
		s.mu.Unlock()
		return ok(true)
	case "getFile":
		id := p.Get("file_id")
		s.mu.Lock()
		data, found := s.files[id]
		path := "photos/" + id + ".jpg"
		if found {
			s.paths[path] = id
		}
		s.mu.Unlock()
		if !found {
			return fail(http.StatusBadRequest, "Bad Request: invalid file_id", 0)
		}
		if len(data) > 20<<20 {
			return fail(http.StatusBadRequest, "Bad Request: file is too big", 0)
		}
		return ok(map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_size": len(data), "file_path": path})
	case "sendMessage", "sendPhoto", "sendLocation":
		return s.send(req, p, photo)
	case "editMessageReplyMarkup", "editMessageText":
		return s.edit(req, p)
	}
	return fail(http.StatusNotFound, "Not Found: method not found", 0)
}

func (s *Server) setWebhook(p url.Values) apiResp {
	u := p.Get("url")
	if u == "" {
		return fail(http.StatusBadRequest, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", 0)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook != nil {
		close(s.webhook.stop)
	}
	h := &hook{url: u, secret: p.Get("secret_token"), stop: make(chan struct{})}
	s.webhook = h
	s.wg.Add(1)
	go s.deliverWebhook(h)
	return ok(true)
}

func (s *Server) getUpdates(ctx context.Context, p url.Values) apiResp {
	// Only one getUpdates at a time: a second bot instance polling gets 409.
	s.mu.Lock()
	if s.polling > 0 {
		s.violations = append(s.violations, "getUpdates called while another getUpdates was waiting (two bot instances polling)")
		s.mu.Unlock()
		return fail(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", 0)
	}
	s.polling++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.mu.Unlock()
	}()
	offset, _ := strconv.Atoi(p.Get("offset"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		if s.webhook != nil {
			s.mu.Unlock()
			return fail(http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
		}
		if offset > 0 {
			kept := s.pending[:0]
			for _, u := range s.pending {
				if u.id < offset && (u.served || !u.ghost) {
					continue
				}
				kept = append(kept, u)
			}
			s.pending = kept
		}
		var out []json.RawMessage
		for _, u := range s.pending {
			if len(out) == limit {
				break
			}
			if u.id >= offset || (u.ghost && !u.served) {
				u.served = true
				out = append(out, u.body)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			if out == nil {
				out = []json.RawMessage{}
			}
			return ok(out)
		}
		select {
		case <-ch:
		case <-deadline:
			return ok([]json.RawMessage{})
		case <-ctx.Done():
			return ok([]json.RawMessage{})
		case <-s.ctx.Done():
			return ok([]json.RawMessage{})
		}
	}
}

// deliverWebhook POSTs pending updates to the webhook, one at a time per chat
// and in order, chats in parallel; an update stays pending until a 200.
func (s *Server) deliverWebhook(h *hook) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		var batch []*update
		seen := map[int64]bool{}
		for _, u := range s.pending {
			if seen[u.chat] || len(batch) >= s.opts.MaxConnections {
				continue
			}
			seen[u.chat] = true
			batch = append(batch, u)
		}
		ch := s.changed
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-ch:
				continue
			case <-h.stop:
				return
			case <-s.ctx.Done():
				return
			}
		}
		var wg sync.WaitGroup
		failed := false
		var fmu sync.Mutex
		for _, u := range batch {
			wg.Go(func() {
				if s.post(h, u) {
					s.mu.Lock()
					for i, p := range s.pending {
						if p.seq == u.seq {
							s.pending = append(s.pending[:i], s.pending[i+1:]...)
							break
						}
					}
					s.notifyLocked()
					s.mu.Unlock()
					return
				}
				fmu.Lock()
				failed = true
				fmu.Unlock()
			})
		}
		wg.Wait()
		if failed {
			select {
			case <-time.After(s.opts.WebhookRetryDelay):
			case <-h.stop:
				return
			case <-s.ctx.Done():
				return
			}
		}
		select {
		case <-h.stop:
			return
		default:
		}
	}
}

func (s *Server) post(h *hook, u *update) bool {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, h.url, bytes.NewReader(u.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.countWebhookError()
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.countWebhookError()
		return false
	}
	return true
}

func (s *Server) countWebhookError() {
	s.mu.Lock()
	s.webhookErrs++
	s.mu.Unlock()
}

// WebhookErrors counts webhook calls that did not get a 200.
func (s *Server) WebhookErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookErrs
}

// PostWebhook makes one webhook call with the given secret and body, as
// Telegram (or an attacker) would, and returns the status.
func (s *Server) PostWebhook(url, secret string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// rateLocked checks and counts one send (perChat) or edit against the limits.
func (s *Server) rateLocked(now time.Time, chat int64, perChat bool) string {
	l := s.opts.Limits
	cutoff := now.Add(-time.Second + l.Slack)
	kept := s.window[:0]
	for _, t := range s.window {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	s.window = kept
	if l.GlobalPerSecond > 0 && float64(len(s.window)+1) > l.GlobalPerSecond {
		return fmt.Sprintf("%d requests within one second (limit %.0f/s)", len(s.window)+1, l.GlobalPerSecond)
	}
	if perChat && l.ChatPerSecond > 0 {
		every := time.Duration(float64(time.Second) / l.ChatPerSecond)
		burst := max(l.ChatBurst, 1)
		tat := s.chatTAT[chat]
		if now.Before(tat.Add(-time.Duration(burst-1)*every - l.Slack)) {
			return fmt.Sprintf("chat %d: more than %d messages in a burst at %.1f/s", chat, burst, l.ChatPerSecond)
		}
		if tat.Before(now) {
			tat = now
		}
		s.chatTAT[chat] = tat.Add(every)
	}
	s.window = append(s.window, now)
	return ""
}

type markup struct {
	InlineKeyboard [][]struct {
		Text         string  `json:"text"`
		CallbackData *string `json:"callback_data"`
	} `json:"inline_keyboard"`
	Keyboard [][]struct {
		Text            string `json:"text"`
		RequestLocation bool   `json:"request_location"`
	} `json:"keyboard"`
	RemoveKeyboard bool `json:"remove_keyboard"`
}

func parseMarkup(raw string) (markup, string) {
	var m markup
	if raw == "" {
		return m, ""
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return m, "Bad Request: can't parse reply keyboard markup JSON object"
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > 64) {
				return m, "Bad Request: BUTTON_DATA_INVALID"
			}
			if b.Text == "" {
				return m, "Bad Request: text buttons are unallowed in the inline keyboard"
			}
		}
	}
	return m, ""
}

func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func (s *Server) send(req Request, p url.Values, photo []byte) apiResp {
	chat := req.ChatID
	if chat == 0 {
		return fail(http.StatusBadRequest, "Bad Request: chat not found", 0)
	}
	text := p.Get("text")
	if req.Method == "sendPhoto" {
		text = p.Get("caption")
	}
	mk, bad := parseMarkup(p.Get("reply_markup"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if desc, isBlocked := s.blocked[chat]; isBlocked {
		return fail(http.StatusForbidden, desc, 0)
	}
	switch {
	case bad != "":
		s.violations = append(s.violations, fmt.Sprintf("%s to %d: %s", req.Method, chat, bad))
		return fail(http.StatusBadRequest, bad, 0)
	case req.Method == "sendMessage" && strings.TrimSpace(text) == "":
		s.violations = append(s.violations, fmt.Sprintf("sendMessage to %d: empty text", chat))
		return fail(http.StatusBadRequest, "Bad Request: message text is empty", 0)
	case req.Method == "sendMessage" && textLen(text) > 4096:
		s.violations = append(s.violations, fmt.Sprintf("sendMessage to %d: text of %d characters (limit 4096)", chat, textLen(text)))
		return fail(http.StatusBadRequest, "Bad Request: message is too long", 0)
	case req.Method == "sendPhoto" && textLen(text) > 1024:
		s.violations = append(s.violations, fmt.Sprintf("sendPhoto to %d: caption of %d characters (limit 1024)", chat, textLen(text)))
		return fail(http.StatusBadRequest, "Bad Request: message caption is too long", 0)
	case req.Method == "sendPhoto" && len(photo) == 0:
		s.violations = append(s.violations, fmt.Sprintf("sendPhoto to %d: no photo", chat))
		return fail(http.StatusBadRequest, "Bad Request: there is no photo in the request", 0)
	}
	if v := s.rateLocked(req.At, chat, true); v != "" {
		s.violations = append(s.violations, v)
		return fail(http.StatusTooManyRequests, "Too Many Requests: retry after 1", 1)
	}
	s.nextMsg[chat]++
	m := &Message{ID: s.nextMsg[chat], ChatID: chat, Method: req.Method, Text: text, Photo: photo, At: req.At, RemoveKeyboard: mk.RemoveKeyboard}
	if req.Method == "sendLocation" {
		m.HasLocation = true
		m.Lat, _ = strconv.ParseFloat(p.Get("latitude"), 64)
		m.Lng, _ = strconv.ParseFloat(p.Get("longitude"), 64)
	}
	m.Inline = inlineButtons(mk)
	for _, row := range mk.Keyboard {
		var r []Button
		for _, b := range row {
			r = append(r, Button{Text: b.Text, RequestLocation: b.RequestLocation})
		}
		m.Reply = append(m.Reply, r)
	}
	s.msgs[chat] = append(s.msgs[chat], m)
	s.notifyLocked()
	res := messageJSON(m)
	if m.HasLocation {
		res["location"] = map[string]any{"latitude": m.Lat, "longitude": m.Lng}
	}
	return ok(res)
}

func inlineButtons(mk markup) [][]Button {
	var out [][]Button
	for _, row := range mk.InlineKeyboard {
		var r []Button
		for _, b := range row {
			bt := Button{Text: b.Text}
			if b.CallbackData != nil {
				bt.Data = *b.CallbackData
			}
			r = append(r, bt)
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) edit(req Request, p url.Values) apiResp {
	chat := req.ChatID
	id, _ := strconv.Atoi(p.Get("message_id"))
	mk, bad := parseMarkup(p.Get("reply_markup"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if bad != "" {
		s.violations = append(s.violations, fmt.Sprintf("%s in %d: %s", req.Method, chat, bad))
		return fail(http.StatusBadRequest, bad, 0)
	}
	var m *Message
	for _, x := range s.msgs[chat] {
		if x.ID == id {
			m = x
		}
	}
	if m == nil {
		return fail(http.StatusBadRequest, "Bad Request: message to edit not found", 0)
	}
	if v := s.rateLocked(req.At, chat, false); v != "" {
		s.violations = append(s.violations, v)
		return fail(http.StatusTooManyRequests, "Too Many Requests: retry after 1", 1)
	}
	if req.Method == "editMessageText" {
		if m.Method == "sendPhoto" {
			s.violations = append(s.violations, fmt.Sprintf("editMessageText in %d: message %d is a photo", chat, id))
			return fail(http.StatusBadRequest, "Bad Request: there is no text in the message to edit", 0)
		}
		text := p.Get("text")
		if textLen(text) > 4096 {
			s.violations = append(s.violations, fmt.Sprintf("editMessageText in %d: text of %d characters", chat, textLen(text)))
			return fail(http.StatusBadRequest, "Bad Request: message is too long", 0)
		}
		m.Text = text
	}
	m.Inline = inlineButtons(mk)
	m.Edits++
	s.notifyLocked()
	return ok(messageJSON(m))
}

// ErrNoButton is returned by Press when no message offers the label.
var ErrNoButton = errors.New("telegramtest: no such button")
