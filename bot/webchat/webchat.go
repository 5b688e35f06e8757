// Package webchat is the web chat adapter: each browser is a citizen identified
// by a cookie, inbound messages arrive over a small JSON API, and replies reach
// the page through a long-poll that Send wakes up.
package webchat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/bot"
)

// Name is the channel's stable name.
const Name = "webchat"

// Direction values of an Item.
const (
	DirectionIn  = "in"  // the citizen wrote it
	DirectionOut = "out" // the bot sent it
)

// History reads a chat's messages for the page; the integrator implements it over the messages table.
type History interface {
	// Messages returns the chat's visible messages (inbound echoes and sent
	// outbound) whose Seq is above after, in Seq order, at most limit. Seq
	// numbers a chat's messages in the order they became visible, which never
	// goes backwards: a page that has seen Seq n finds every later message
	// above n, whatever the order of their ids.
	Messages(ctx context.Context, chatID string, after int64, limit int) ([]Item, error)
}

// Item is one message of a chat as the page shows it.
type Item struct {
	ID          int64        `json:"id"`
	Seq         int64        `json:"seq"`       // the page's cursor: ?after= the highest Seq it has
	Direction   string       `json:"direction"` // DirectionIn or DirectionOut
	Text        string       `json:"text,omitempty"`
	Choices     []bot.Choice `json:"choices,omitempty"`
	AskLocation bool         `json:"ask_location,omitempty"`
	AskPhoto    bool         `json:"ask_photo,omitempty"`
	PhotoURL    string       `json:"photo_url,omitempty"`
	// DownloadURL is a file offered under the text (the citizen's own data), DownloadLabel its link's text.
	DownloadURL   string    `json:"download_url,omitempty"`
	DownloadLabel string    `json:"download_label,omitempty"`
	Lat           float64   `json:"lat,omitempty"`
	Lng           float64   `json:"lng,omitempty"`
	HasLocation   bool      `json:"has_location,omitempty"`
	At            time.Time `json:"at"`
}

// Translator looks up the text of a locale key; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// Options tunes a Channel; zero values take the documented defaults.
type Options struct {
	// PublicURL is the site's public address; an https URL makes the chat cookie Secure.
	PublicURL string
	// Translator renders the error messages the API returns; nil returns the keys.
	Translator Translator
	// Logger receives the adapter's logs; nil uses slog.Default().
	Logger *slog.Logger
	// PollTimeout is how long a long-poll waits for a new message (default 25 s).
	PollTimeout time.Duration
	// HandleTimeout bounds one call of the inbound handler (default 30 s).
	HandleTimeout time.Duration
	// MaxPhotoBytes is the largest photo upload accepted (default 10 MiB).
	MaxPhotoBytes int64
	// MaxTextRunes is the longest text accepted (default 4000).
	MaxTextRunes int
	// RateBurst messages per RateWindow are accepted from one chat (defaults 20 per 10 s).
	RateBurst  int
	RateWindow time.Duration
	// PageLimit is the most messages one poll returns (default 100).
	PageLimit int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Translator == nil {
		o.Translator = keyTranslator{}
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 25 * time.Second
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = 30 * time.Second
	}
	if o.MaxPhotoBytes <= 0 {
		o.MaxPhotoBytes = 10 << 20
	}
	if o.MaxTextRunes <= 0 {
		o.MaxTextRunes = 4000
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 20
	}
	if o.RateWindow <= 0 {
		o.RateWindow = 10 * time.Second
	}
	if o.PageLimit <= 0 {
		o.PageLimit = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// keyTranslator shows the key itself; it stands in when no catalog is configured.
type keyTranslator struct{}

func (keyTranslator) T(_, key string, _ map[string]any) string { return key }

// Channel is the web chat adapter; it implements bot.Channel and serves the chat API.
type Channel struct {
	opts    Options
	history History
	log     *slog.Logger
	secure  bool
	broker  *broker
	limiter *limiter

	mu      sync.RWMutex
	handler bot.InboundHandler
}

var _ bot.Channel = (*Channel)(nil)

// New builds the adapter over the chat history.
func New(h History, opts Options) *Channel {
	opts = opts.withDefaults()
	return &Channel{
		opts:    opts,
		history: h,
		log:     opts.Logger.With(slog.String("channel", Name)),
		secure:  strings.HasPrefix(strings.ToLower(opts.PublicURL), "https://"),
		broker:  newBroker(),
		limiter: newLimiter(opts.RateBurst, opts.RateWindow),
	}
}

// Name returns "webchat".
func (c *Channel) Name() string { return Name }

// Run stores the handler the HTTP API hands messages to and blocks until ctx is done;
// then waiting long-polls return at once so the server can shut down quickly.
func (c *Channel) Run(ctx context.Context, h bot.InboundHandler) error {
	if h == nil {
		return fmt.Errorf("webchat: nil inbound handler")
	}
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
	c.broker.start()
	<-ctx.Done()
	c.mu.Lock()
	c.handler = nil
	c.mu.Unlock()
	c.broker.stop()
	return nil
}

// Send wakes the long-polls of out.ChatID; the message itself is already stored and reaches
// the page through History. It returns "web-<out.Ref>" as the platform message id.
func (c *Channel) Send(_ context.Context, out bot.Outbound) (string, error) {
	return fmt.Sprintf("web-%d", out.Ref), nil
}

// Uncertain is bot.ResendAlways: a message is shown once by its id however
// often it is "sent", so the delivery worker needs no in-flight record for it.
func (c *Channel) Uncertain() bot.UncertainPolicy { return bot.ResendAlways }

var _ bot.UncertainSender = (*Channel)(nil)

// SequencedHistory tells the delivery worker to number each message as it
// becomes visible: the page's cursor (History.Messages) is that number.
func (c *Channel) SequencedHistory() {}

var _ bot.SequencedChannel = (*Channel)(nil)

// Sent wakes the chat's long-polls once the message is recorded as sent, so the
// poll that wakes up finds it in the history.
func (c *Channel) Sent(_ context.Context, out bot.Outbound, _ string) { c.broker.wake(out.ChatID) }

var _ bot.SentObserver = (*Channel)(nil)

// Notify wakes the long-polls of a chat, for a host that stores a message without calling Send.
func (c *Channel) Notify(chatID string) { c.broker.wake(chatID) }

// WakeRef wakes the long-polls of the chat named by ref (models.ChatRef of its
// id): another replica made a message of it visible.
func (c *Channel) WakeRef(ref string) { c.broker.wakeRef(ref) }

// WakeAll wakes every waiting long-poll, for a host that may have missed
// wake-ups (its notification connection broke); each poll reads its chat again.
func (c *Channel) WakeAll() { c.broker.wakeAll() }

func (c *Channel) currentHandler() bot.InboundHandler {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.handler
}
