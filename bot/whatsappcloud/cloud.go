// Package whatsappcloud is the WhatsApp channel through Meta's official
// WhatsApp Business Platform (Cloud API), in plain HTTPS with the standard
// library: a signed webhook brings messages and delivery statuses in, and the
// Graph API's /messages endpoint takes replies out, rendered as reply buttons,
// list messages, location requests, photos, map points and, outside the
// 24-hour customer service window, approved template messages. Sends are paced
// to the platform's limits (80 messages/s per number, about one message every
// 6 s to one person with short bursts) and its error codes are turned into the
// delivery worker's retry, backoff, unreachable and pause decisions.
package whatsappcloud

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/pace"
)

// Name is the channel's stable name (the messages table's channel column).
const Name = "whatsappcloud"

// The Cloud API's documented limits and the defaults derived from them.
const (
	DefaultGraphURL   = "https://graph.facebook.com"
	DefaultAPIVersion = "v23.0"
	// DefaultRate is the messages per second one business number may send.
	DefaultRate = 80.0
	// DefaultPairGap and DefaultPairBurst pace one recipient: Meta allows about
	// one message every 6 s with short bursts (error 131056 otherwise).
	DefaultPairGap   = 6 * time.Second
	DefaultPairBurst = 10
	// Window is the customer service window: free-form messages only this long
	// after the person's last message; templates outside it.
	Window = 24 * time.Hour
	// WindowMargin keeps the bot's idea of the window a little shorter than
	// Meta's, for clock differences.
	WindowMargin = 5 * time.Minute

	MaxTextLen        = 4096 // characters of a text message
	MaxCaptionLen     = 1024 // characters of a photo caption
	MaxBodyLen        = 1024 // characters of an interactive message's body
	MaxButtons        = 3    // reply buttons in one message
	MaxButtonTitle    = 20   // characters of a reply button's title
	MaxButtonID       = 256  // characters of a reply button's id
	MaxListRows       = 10   // rows of one list message, all sections together
	MaxRowTitle       = 24   // characters of a list row's title
	MaxRowDescription = 72   // characters of a list row's description
	MaxRowID          = 200  // characters of a list row's id
	MaxListButton     = 20   // characters of the button that opens a list
	MaxHeaderFooter   = 60   // characters of an interactive header or footer
	MaxTemplateBody   = 1024 // characters of a template's body with its parameters

	// WebhookPath is where the webhook is mounted on the bot's HTTP server.
	WebhookPath = "/whatsapp/webhook"
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the raw body.
	SignatureHeader = "X-Hub-Signature-256"
)

// Translator renders a locale key in a language; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// History answers what the adapter must know of a chat before it sends; the app
// implements it on the messages table.
type History interface {
	// LastInbound is when the chat last wrote to the bot; zero when it never did.
	LastInbound(ctx context.Context, chatID string) (time.Time, error)
	// LastChoices are the choices of the newest message sent to the chat that had
	// any, for the pages of a long list after a restart.
	LastChoices(ctx context.Context, chatID string) ([]bot.Choice, error)
}

// Alert is something the admins must hear of on their other channel.
type Alert struct {
	// Key is the locale key of the admins' message.
	Key string
	// Code is the Graph API error code behind it (190, 368...); 0 for a recovery.
	Code int
}

// Options configure a Channel; zero values take the documented defaults.
type Options struct {
	// Token is a system user access token with whatsapp_business_messaging; required, never logged.
	Token string
	// PhoneNumberID is the business number's id in the Graph API (not the number itself); required.
	PhoneNumberID string
	// AppSecret signs every webhook call (X-Hub-Signature-256); required.
	AppSecret string
	// VerifyToken is what the webhook's GET verification must present; required.
	VerifyToken string
	// GraphURL is the Graph API base (default https://graph.facebook.com); a test fake elsewhere.
	GraphURL string
	// APIVersion is the Graph API version in every path (default v23.0).
	APIVersion string
	// Templates are the approved template messages, by notice kind (default DefaultTemplates()).
	Templates *Templates
	// History is required: the 24-hour window and the first-contact rule read it.
	History History
	// Statuses takes the delivery statuses the webhook brings (the delivery worker).
	Statuses bot.StatusHandler
	// Translator renders the adapter's own texts (the list button, "Berikutnya").
	Translator Translator
	// DataDir is where outbound photo paths are resolved.
	DataDir string
	// MaxPhotoBytes is the largest photo downloaded (default 10 MiB); larger ones are refused politely.
	MaxPhotoBytes int64
	// Limiter paces sends; nil builds one with DefaultRate, DefaultPairGap and DefaultPairBurst.
	Limiter *pace.Limiter
	// Now is the clock the 24-hour window is measured on (default time.Now).
	Now func() time.Time
	// OnAlert is called when sending stops (token expired, account restricted)
	// and when it works again; the app tells the admins on their other channel.
	OnAlert func(ctx context.Context, a Alert)
	// PauseProbe is how long sending pauses after such an error before one send
	// tries again (default 5 min).
	PauseProbe time.Duration
	// Logger receives the adapter's logs; nil uses slog.Default().
	Logger *slog.Logger
	// RequestTimeout bounds every API call (default 30 s).
	RequestTimeout time.Duration
	// HTTPClient makes the requests (default a client with no overall timeout: each call has its own).
	HTTPClient *http.Client
}

var phoneIDRE = regexp.MustCompile(`^[0-9]{1,32}$`)

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Token == "":
		return o, errors.New("whatsappcloud: WHATSAPP_CLOUD_TOKEN is empty")
	case !phoneIDRE.MatchString(o.PhoneNumberID):
		return o, errors.New("whatsappcloud: WHATSAPP_CLOUD_PHONE_NUMBER_ID must be the number's id in the Graph API (digits), not the phone number")
	case o.AppSecret == "":
		return o, errors.New("whatsappcloud: WHATSAPP_CLOUD_APP_SECRET is empty: webhook calls could not be checked")
	case o.VerifyToken == "":
		return o, errors.New("whatsappcloud: WHATSAPP_CLOUD_VERIFY_TOKEN is empty")
	case o.History == nil:
		return o, errors.New("whatsappcloud: History is required")
	}
	o.GraphURL = strings.TrimRight(o.GraphURL, "/")
	if o.GraphURL == "" {
		o.GraphURL = DefaultGraphURL
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	if o.Templates == nil {
		o.Templates = DefaultTemplates()
	}
	if o.Translator == nil {
		o.Translator = keyTranslator{}
	}
	if o.MaxPhotoBytes <= 0 {
		o.MaxPhotoBytes = 10 << 20
	}
	if o.Limiter == nil {
		o.Limiter = NewLimiter(0, 0, 0)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PauseProbe <= 0 {
		o.PauseProbe = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	return o, nil
}

// NewLimiter paces perSecond messages for the number and one message every
// pairGap to one person with bursts of pairBurst; values that are not positive
// take the defaults (80/s, 6 s, 10).
func NewLimiter(perSecond float64, pairGap time.Duration, pairBurst int) *pace.Limiter {
	if perSecond <= 0 {
		perSecond = DefaultRate
	}
	if pairGap <= 0 {
		pairGap = DefaultPairGap
	}
	if pairBurst <= 0 {
		pairBurst = DefaultPairBurst
	}
	return pace.New(perSecond, float64(time.Second)/float64(pairGap), pairBurst)
}

type keyTranslator struct{}

func (keyTranslator) T(_, key string, _ map[string]any) string { return key }

// State is what the console shows of the channel.
type State struct {
	PhoneNumberID string
	// DisplayPhone, VerifiedName and QualityRating are what the Graph API says of
	// the number (checked at start and every 10 minutes); empty until it answered.
	DisplayPhone  string
	VerifiedName  string
	QualityRating string
	CheckedAt     time.Time
	// LastWebhook is when a signed webhook call last arrived.
	LastWebhook time.Time
	// LastError is the last failure the adapter met, without secrets.
	LastError   string
	LastErrorAt time.Time
	// Paused is set while sending stops for a token or account problem.
	Paused       bool
	PausedReason string
	PausedSince  time.Time
	// Counters since the process started.
	Received      int64 // messages from people
	Sent          int64 // messages sent (parts)
	TemplatesSent int64 // of which templates, outside the 24-hour window
	Held          int64 // notices kept until the person writes again
	Dropped       int64 // conversation messages not sent because the window had closed
}

// Channel is the Cloud API adapter; it implements bot.Channel and http.Handler
// for the webhook.
type Channel struct {
	opts Options
	log  *slog.Logger
	lim  *pace.Limiter

	mu        sync.Mutex
	handler   bot.InboundHandler
	state     State
	tokens    map[string]string     // token -> choice id, for ids too long for a button
	lists     map[string]listMemory // chat -> the last long list shown, for its pages
	closed    map[string]time.Time  // chat -> its last message when Meta said the window had closed (131047)
	inboundAt map[string]time.Time  // chat -> the newest time it wrote that this process knows
	media     map[string]mediaUpload
	rateHits  int                 // consecutive 130429 answers
	pairHits  map[string]int      // chat -> consecutive 131056 answers
	pausedTil time.Time           // sending paused (190, 368) until then
	bg        sync.WaitGroup      // mark-as-read calls in flight
	bgSem     chan struct{}       // bounds them
	seen      map[string]struct{} // recent inbound ids already marked read
}

var (
	_ bot.Channel  = (*Channel)(nil)
	_ http.Handler = (*Channel)(nil)
)

// New builds the channel; it checks nothing over the network (Run does).
func New(opts Options) (*Channel, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Channel{
		opts: opts, log: opts.Logger.With(slog.String("channel", Name)), lim: opts.Limiter,
		tokens: map[string]string{}, lists: map[string]listMemory{},
		closed: map[string]time.Time{}, inboundAt: map[string]time.Time{}, media: map[string]mediaUpload{}, pairHits: map[string]int{},
		bgSem: make(chan struct{}, 16), seen: map[string]struct{}{},
	}
	c.state.PhoneNumberID = opts.PhoneNumberID
	return c, nil
}

// Name returns "whatsappcloud".
func (c *Channel) Name() string { return Name }

// Limiter returns the pacer of this number's sends.
func (c *Channel) Limiter() *pace.Limiter { return c.lim }

// Templates returns the template messages the channel sends outside the window.
func (c *Channel) Templates() *Templates { return c.opts.Templates }

// State reports the channel's state for the console.
func (c *Channel) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Run takes webhook calls until ctx is cancelled; it checks the number with
// the Graph API at start and every 10 minutes for the console.
func (c *Channel) Run(ctx context.Context, h bot.InboundHandler) error {
	if h == nil {
		return errors.New("whatsappcloud: nil inbound handler")
	}
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.handler = nil
		c.mu.Unlock()
		c.bg.Wait()
	}()
	c.log.Info("whatsapp cloud api channel ready", slog.String("webhook_path", WebhookPath))
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		c.checkNumber(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (c *Channel) currentHandler() bot.InboundHandler {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handler
}

// noteError records a failure for the console.
func (c *Channel) noteError(err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.LastError = c.redact(err.Error())
	c.state.LastErrorAt = c.opts.Now()
}

func (c *Channel) count(f func(*State)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.state)
}

func (c *Channel) redact(s string) string {
	for _, secret := range []string{c.opts.Token, c.opts.AppSecret, c.opts.VerifyToken} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "<secret>")
		}
	}
	return s
}
