// Package graphtest is a fake Meta Graph API for the WhatsApp Cloud API, for
// tests: it takes the bot's sends (/messages, /media) and answers as the Cloud
// API does, serves inbound media behind short-lived URLs, delivers people's
// messages and the delivery statuses to the bot's webhook signed with the app
// secret (retrying on a non-200, as Meta does), records every request, injects
// faults (error codes, 5xx, slow answers, dropped connections) and enforces the
// platform's rules: a bot that breaks one (more than 3 buttons, a title over 20
// characters, more than 10 list rows, a free-form message outside the 24-hour
// window, a first message to a number that never wrote, the number's rate or
// the pair rate) fails the test at cleanup.
package graphtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a Server.
const (
	DefaultToken         = "EAAtest-cloud-api-token-0123456789"
	DefaultPhoneNumberID = "109876543210987"
	DefaultDisplayPhone  = "6281100001111"
	DefaultAppSecret     = "app-secret-for-the-fake"
	DefaultVerifyToken   = "verify-token-for-the-fake"
	DefaultWABAID        = "102030405060708"
)

// Limits are the Cloud API limits the fake enforces; a send over one is
// answered as Meta would (130429, 131056) and recorded as a violation.
type Limits struct {
	// PerSecond bounds the number's requests to /messages in any one second (Meta: 80).
	PerSecond float64
	// PairGap and PairBurst bound the messages to one person: one every PairGap
	// after a burst of PairBurst (Meta: about one every 6 s, short bursts pass).
	PairGap   time.Duration
	PairBurst int
	// Slack forgives clock jitter between the bot's pacing and the fake's clock.
	Slack time.Duration
}

// DefaultLimits are the Cloud API's defaults as the bot paces to them: 80/s,
// one message every 6 s to one person after a burst of 10.
func DefaultLimits() Limits {
	return Limits{PerSecond: 80, PairGap: 6 * time.Second, PairBurst: 10, Slack: 50 * time.Millisecond}
}

// Template is an approved template message: its name and language, the body
// with {{1}}... placeholders and its quick replies.
type Template struct {
	Name     string
	Language string
	Body     string
	Buttons  []string
}

// Options configure a Server.
type Options struct {
	Token, PhoneNumberID, AppSecret, VerifyToken string // defaults above
	// Limits enforced; the zero value means DefaultLimits().
	Limits Limits
	// Templates are the approved templates; a template send naming another fails with 132001.
	Templates []Template
	// Now is the clock of the 24-hour window and of webhook timestamps (default time.Now).
	Now func() time.Time
	// WebhookRetryDelay is how long the fake waits before delivering a refused webhook call again (default 50ms).
	WebhookRetryDelay time.Duration
	// MediaURLTTL is how long an inbound media URL works (default 5 minutes, as Meta's).
	MediaURLTTL time.Duration
	// MillisTimestamps writes webhook timestamps in milliseconds instead of seconds.
	MillisTimestamps bool
	// NoStatuses turns off the automatic sent/delivered/read statuses.
	NoStatuses bool
}

// Fault is what the fake does instead of answering a request normally.
type Fault struct {
	Code       int           // answer with this Graph API error code (130429, 131056, 131047, 190, 368, 131026...)
	HTTPStatus int           // the HTTP status of the error (default 400; 401 for 190), or alone a bare 5xx
	Delay      time.Duration // wait this long first; without anything else the request then succeeds
	Drop       bool          // close the connection without an answer; the request has no effect
	// Async accepts the send (200 and a message id) and then reports it failed
	// with Code in a statuses webhook, as Meta does for many errors.
	Async bool
}

// Request is one call the bot made.
type Request struct {
	Method string // HTTP method
	Path   string // without the version: "PHONE_ID/messages", "MEDIA_ID", "PHONE_ID/media"
	Kind   string // "send", "read", "upload", "media", "download", "phone", "other"
	Type   string // a send's message type: text, interactive, image, location, template
	To     string // a send's recipient
	Body   []byte
	At     time.Time
	Status int // HTTP status answered; 0 when the connection was dropped
	Code   int // the Graph API error code answered, 0 on success
	Fault  *Fault
}

// Row is one row of a list message.
type Row struct {
	ID, Title, Description string
}

// Message is one message the bot sent and the fake accepted.
type Message struct {
	ID   string // wamid
	To   string
	Type string // text, image, location, interactive, template
	// Interactive is the interactive type: button, list, location_request_message.
	Interactive string
	// Text is what the phone shows as the message's text: the body, the caption or the rendered template.
	Text string
	// Buttons are the reply buttons' or the template's quick replies' titles; ButtonIDs their ids or payloads.
	Buttons   []string
	ButtonIDs []string
	// ListButton and Rows are a list message's.
	ListButton string
	Rows       []Row
	Photo      []byte
	Lat, Lng   float64
	// Template and Params are a template message's name and body parameters.
	Template string
	Params   []string
	// Callback is the biz_opaque_callback_data the bot attached.
	Callback string
	At       time.Time
	// Status is the last status the fake reported: sent, delivered, read or failed.
	Status string
}

// User is a WhatsApp user who writes to the bot.
type User struct {
	Phone  string // wa_id; empty for a user known only by their business-scoped id
	UserID string // business-scoped user id (BSUID), e.g. "ID.1234567890"
	Name   string
}

// Key is how the bot addresses the user: the phone number, else the BSUID.
func (u User) Key() string {
	if u.Phone != "" {
		return u.Phone
	}
	return u.UserID
}

// Server is the fake Graph API; URL is the base to give the bot as WHATSAPP_GRAPH_URL.
type Server struct {
	URL                                          string
	Token, PhoneNumberID, AppSecret, VerifyToken string

	tb     testing.TB
	opts   Options
	hs     *httptest.Server
	ctx    context.Context
	cancel context.CancelFunc
	client *http.Client

	mu          sync.Mutex
	changed     chan struct{}
	users       map[string]*User // by phone and by BSUID
	lastInbound map[string]time.Time
	inbound     map[string]string // inbound wamid -> user key
	reads       []string
	typing      int
	msgs        map[string][]*Message // by user key
	byID        map[string]*Message
	media       map[string]*mediaFile // media id -> file (uploads and inbound photos)
	downloads   map[string]string     // download token -> media id
	requests    []Request
	violations  []string
	window      []time.Time
	pairTAT     map[string]time.Time
	blocked     map[string]bool
	faults      func(Request) *Fault
	tokenBad    bool
	restricted  bool
	seq         int
	hook        *hookState
	lanes       map[string]*lane
	batches     map[string][]byte // delivered message wamid -> the body it came in, for Duplicate
	wg          sync.WaitGroup
	stats       Stats
}

// Stats measure the fake's own cost.
type Stats struct {
	Requests    int
	HandlerTime time.Duration
	Webhooks    int // webhook calls made
}

type mediaFile struct {
	data    []byte
	mime    string
	expires time.Time // of its download URL
}

// New starts a fake Graph API; it is closed, and every rule the bot broke
// reported with tb.Errorf, at cleanup.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.PhoneNumberID == "" {
		opts.PhoneNumberID = DefaultPhoneNumberID
	}
	if opts.AppSecret == "" {
		opts.AppSecret = DefaultAppSecret
	}
	if opts.VerifyToken == "" {
		opts.VerifyToken = DefaultVerifyToken
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WebhookRetryDelay <= 0 {
		opts.WebhookRetryDelay = 50 * time.Millisecond
	}
	if opts.MediaURLTTL <= 0 {
		opts.MediaURLTTL = 5 * time.Minute
	}
	s := &Server{
		Token: opts.Token, PhoneNumberID: opts.PhoneNumberID, AppSecret: opts.AppSecret, VerifyToken: opts.VerifyToken,
		tb: tb, opts: opts, changed: make(chan struct{}),
		users: map[string]*User{}, lastInbound: map[string]time.Time{}, inbound: map[string]string{},
		msgs: map[string][]*Message{}, byID: map[string]*Message{}, media: map[string]*mediaFile{}, downloads: map[string]string{},
		pairTAT: map[string]time.Time{}, blocked: map[string]bool{}, lanes: map[string]*lane{}, batches: map[string][]byte{},
		client: &http.Client{Timeout: 30 * time.Second},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	tb.Cleanup(func() {
		s.Close()
		s.Check(tb)
	})
	return s
}

// Close stops webhook delivery and the server.
func (s *Server) Close() {
	// Cancel under the lock: startLaneLocked checks the context and calls wg.Add under
	// it, so no Add can follow the Wait below (a race the detector caught).
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// Check reports every rule the bot broke as a test error.
func (s *Server) Check(tb testing.TB) {
	tb.Helper()
	for _, v := range s.Violations() {
		tb.Errorf("graphtest: the bot broke a WhatsApp Cloud API rule: %s", v)
	}
}

// Violations lists the rules broken so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// SetLimits changes the enforced limits.
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

// Block makes every send to the user fail after acceptance with 131026, as
// for a person who blocked the business.
func (s *Server) Block(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[key] = true
}

// Unblock undoes Block.
func (s *Server) Unblock(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, key)
}

// ExpireToken makes every call fail with 190 (the access token expired) until RenewToken.
func (s *Server) ExpireToken() { s.setFlag(&s.tokenBad, true) }

// RenewToken undoes ExpireToken.
func (s *Server) RenewToken() { s.setFlag(&s.tokenBad, false) }

// Restrict makes every send fail with 368 (the account is restricted) until Lift.
func (s *Server) Restrict() { s.setFlag(&s.restricted, true) }

// Lift undoes Restrict.
func (s *Server) Lift() { s.setFlag(&s.restricted, false) }

func (s *Server) setFlag(f *bool, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*f = v
}

// Requests returns every request so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests of kind ("send", "read"...) were answered
// with code (0: success; or an HTTP status like 500 for a bare fault, -1 for a dropped connection).
func (s *Server) Count(kind string, code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Kind != kind {
			continue
		}
		switch {
		case code == -1 && r.Status == 0,
			code == 0 && r.Status == http.StatusOK,
			code > 0 && (r.Code == code || r.Code == 0 && r.Status == code):
			n++
		}
	}
	return n
}

// Messages returns copies of the messages the bot sent to the user, oldest first.
func (s *Server) Messages(key string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs[key]))
	for _, m := range s.msgs[key] {
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
		if r.Kind == "send" && r.Status == http.StatusOK {
			out = append(out, r.At)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// Reads lists the inbound message ids the bot marked read, in order, and how
// many of those calls showed a typing indicator.
func (s *Server) Reads() (ids []string, typing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reads...), s.typing
}

// Stats returns the fake's own request count and handler time.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// WaitMessages waits until the user has at least n messages and returns them.
func (s *Server) WaitMessages(key string, n int, timeout time.Duration) ([]Message, error) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		got := len(s.msgs[key])
		ch := s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages(key), nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return s.Messages(key), fmt.Errorf("graphtest: %s has %d messages, want %d", key, got, n)
		}
		select {
		case <-ch:
		case <-time.After(left):
		}
	}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// AddUser registers a WhatsApp user (a phone number, a BSUID, or both).
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.userLocked(u)
}

func (s *Server) userLocked(u User) *User {
	if u.Phone != "" {
		if old, ok := s.users[u.Phone]; ok {
			return old
		}
	}
	if u.UserID != "" {
		if old, ok := s.users[u.UserID]; ok {
			return old
		}
	}
	if u.UserID == "" {
		u.UserID = "ID." + strings.TrimLeft(u.Phone, "+") + "0"
	}
	if u.Name == "" {
		u.Name = "Warga " + u.Key()
	}
	p := &u
	if u.Phone != "" {
		s.users[u.Phone] = p
	}
	s.users[u.UserID] = p
	return p
}

// user returns the registered user of a key, creating a phone user for an unknown number.
func (s *Server) user(key string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[key]; ok {
		return u
	}
	return s.userLocked(User{Phone: key})
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}
