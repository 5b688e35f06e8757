// Package whatsapp is the WhatsApp channel, through a linked device with
// go.mau.fi/whatsmeow: it turns message events into bot.Inbound messages
// (acknowledging each only after it is committed), renders bot.Outbound
// messages as WhatsApp messages (choices as a numbered list, a location request
// as an instruction, photos and map points, long texts split), and paces sends
// so the number does not look like a spammer: a "typing…" presence, a gap per
// chat, a global rate, a daily cap for quiet numbers, and never a message to a
// number that has not written first.
package whatsapp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/suarawarga/suarawarga/bot"
)

// Name is the channel's stable name.
const Name = "whatsapp"

// MaxTextLen is the longest text part sent; longer texts are split. WhatsApp
// allows far more, but a cheap phone shows a wall of text badly.
const MaxTextLen = 4000

// ErrNotPaired is returned by Options.NewClient when no device is linked yet
// (run "suarawarga whatsapp pair").
var ErrNotPaired = errors.New("whatsapp: no device is paired")

// Translator renders a locale key in a language; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// History answers what the adapter must know of a chat before it sends; the app
// implements it on the messages table.
type History interface {
	// LastInbound is when the chat last wrote to the bot; zero when it never did.
	LastInbound(ctx context.Context, chatID string) (time.Time, error)
	// SentSince counts messages sent to the chat since a time and returns the oldest of them.
	SentSince(ctx context.Context, chatID string, since time.Time) (n int, oldest time.Time, err error)
	// LastChoices are the choices a typed number picks from: those of the newest
	// message sent to the chat (for an officer, of the newest message that had any).
	LastChoices(ctx context.Context, chatID string) ([]bot.Choice, error)
}

// Leader elects the one process that holds the connection: it blocks until this
// process may connect and returns a channel closed when it loses that right, and
// a release function.
type Leader func(ctx context.Context) (lost <-chan struct{}, release func(), err error)

// Options configure a Channel; zero values take the documented defaults.
type Options struct {
	// NewClient builds a client for the paired device; it returns ErrNotPaired while none is.
	NewClient func(ctx context.Context) (Client, error)
	// Leader, when set, is held while connected (a PostgreSQL advisory lock across replicas).
	Leader Leader
	// History is required: the first-contact rule, the daily cap and numbered replies read it.
	History History
	// Translator renders the adapter's own texts (the numbered-list hint, the location instruction).
	Translator Translator
	// DataDir is where outbound photo paths are resolved.
	DataDir string
	// MaxPhotoBytes is the largest photo downloaded (default 10 MiB); larger ones are refused politely.
	MaxPhotoBytes int64
	// Pacer paces sends; nil builds one with DefaultPacing on Clock.
	Pacer *Pacer
	// Clock is the time source for pacing and the daily cap (default the wall clock).
	Clock Clock
	// OnLoggedOut is called once when WhatsApp logs the device out (the app tells the admins).
	OnLoggedOut func(ctx context.Context)
	// Logger receives the adapter's logs; nil uses slog.Default().
	Logger *slog.Logger
	// Backoff bounds the wait between connection attempts (default 2 s doubling to 5 min).
	BackoffMin, BackoffMax time.Duration
	// UnpairedRetry is how often an unpaired or logged-out channel looks for a new pairing (default 30 s).
	UnpairedRetry time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.NewClient == nil {
		return o, errors.New("whatsapp: NewClient is required")
	}
	if o.History == nil {
		return o, errors.New("whatsapp: History is required")
	}
	if o.MaxPhotoBytes <= 0 {
		o.MaxPhotoBytes = 10 << 20
	}
	if o.Translator == nil {
		o.Translator = keyTranslator{}
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Pacer == nil {
		o.Pacer = NewPacer(DefaultPacing, o.Clock)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = 2 * time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(5*time.Minute, o.BackoffMin)
	}
	if o.UnpairedRetry <= 0 {
		o.UnpairedRetry = 30 * time.Second
	}
	return o, nil
}

type keyTranslator struct{}

func (keyTranslator) T(_, key string, _ map[string]any) string { return key }

// Status is where the channel's connection stands.
type Status string

// The connection states State reports.
const (
	StatusStarting   Status = "starting"
	StatusStandby    Status = "standby"    // another replica holds the connection
	StatusUnpaired   Status = "unpaired"   // no device linked: run "suarawarga whatsapp pair"
	StatusConnecting Status = "connecting" // connecting or reconnecting
	StatusConnected  Status = "connected"
	StatusLoggedOut  Status = "logged_out" // WhatsApp unlinked the device; pair again
)

// State is the channel's connection state, for health pages and the console.
type State struct {
	Status    Status
	Since     time.Time
	LastError string
}

// Channel is the WhatsApp adapter; it implements bot.Channel.
type Channel struct {
	opts  Options
	log   *slog.Logger
	pacer *Pacer
	clock Clock

	mu      sync.Mutex
	client  Client
	state   State
	choices map[string][]bot.Choice // chat -> choices of the newest message sent to it
}

var _ bot.Channel = (*Channel)(nil)

// New builds the channel; it connects only in Run.
func New(opts Options) (*Channel, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Channel{
		opts: opts, log: opts.Logger.With(slog.String("channel", Name)), pacer: opts.Pacer, clock: opts.Clock,
		choices: map[string][]bot.Choice{},
	}
	c.setStatus(StatusStarting, nil)
	return c, nil
}

// Name returns "whatsapp".
func (c *Channel) Name() string { return Name }

// Pacer returns the pacer of this number's sends, for the delivery worker.
func (c *Channel) Pacer() *Pacer { return c.pacer }

// State reports the connection state.
func (c *Channel) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *Channel) setStatus(s Status, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Status != s {
		c.state.Since = c.clock.Now()
	}
	c.state.Status = s
	if err != nil {
		c.state.LastError = err.Error()
	} else if s == StatusConnected {
		c.state.LastError = ""
	}
}

func (c *Channel) currentClient() Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// Run holds the connection until ctx is cancelled: it waits to be the leader,
// builds a client for the paired device, connects with backoff, and hands every
// message to h. When WhatsApp logs the device out it calls OnLoggedOut and waits
// for a new pairing; the rest of the bot keeps running all along.
func (c *Channel) Run(ctx context.Context, h bot.InboundHandler) error {
	if h == nil {
		return errors.New("whatsapp: nil inbound handler")
	}
	backoff := c.opts.BackoffMin
	for ctx.Err() == nil {
		lost, release := (<-chan struct{})(nil), func() {}
		if c.opts.Leader != nil {
			c.setStatus(StatusStandby, nil)
			var err error
			lost, release, err = c.opts.Leader(ctx)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				c.log.Warn("whatsapp leader election failed; retrying", slog.Any("error", err), slog.Duration("backoff", backoff))
				c.sleep(ctx, backoff)
				backoff = min(backoff*2, c.opts.BackoffMax)
				continue
			}
		}
		err := c.session(ctx, h, lost)
		release()
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, ErrNotPaired), errors.Is(err, errLoggedOut):
			c.sleep(ctx, c.opts.UnpairedRetry)
			backoff = c.opts.BackoffMin
		case err != nil:
			c.log.Warn("whatsapp connection failed; retrying", slog.Any("error", err), slog.Duration("backoff", backoff))
			c.sleep(ctx, backoff)
			backoff = min(backoff*2, c.opts.BackoffMax)
		default:
			backoff = c.opts.BackoffMin
		}
	}
	c.setStatus(StatusStarting, nil)
	return nil
}

var errLoggedOut = errors.New("whatsapp: logged out")

func (c *Channel) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// session runs one client from connect to disconnect.
func (c *Channel) session(ctx context.Context, h bot.InboundHandler, lost <-chan struct{}) error {
	cli, err := c.opts.NewClient(ctx)
	if errors.Is(err, ErrNotPaired) {
		if c.State().Status != StatusLoggedOut {
			c.setStatus(StatusUnpaired, err)
			c.log.Warn("whatsapp has no paired device; run: suarawarga whatsapp pair")
		}
		return err
	}
	if err != nil {
		c.setStatus(StatusConnecting, err)
		return err
	}
	ended := make(chan error, 1)
	end := func(err error) {
		select {
		case ended <- err:
		default:
		}
	}
	id := cli.AddEventHandlerWithSuccessStatus(func(evt any) bool { return c.onEvent(ctx, h, cli, evt, end) })
	defer cli.RemoveEventHandler(id)
	c.setStatus(StatusConnecting, nil)
	backoff := c.opts.BackoffMin
	for {
		err := cli.ConnectContext(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		c.setStatus(StatusConnecting, err)
		c.log.Warn("whatsapp connect failed; retrying", slog.Any("error", err), slog.Duration("backoff", backoff))
		c.sleep(ctx, backoff)
		if isDone(lost) {
			return nil
		}
		backoff = min(backoff*2, c.opts.BackoffMax)
	}
	c.mu.Lock()
	c.client = cli
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.client = nil
		c.mu.Unlock()
		cli.Disconnect()
	}()
	select {
	case <-ctx.Done():
		return nil
	case <-lost:
		c.log.Warn("whatsapp connection handed over: this process lost the leader lock")
		return nil
	case err := <-ended:
		return err
	}
}

func isDone(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// onEvent is the whatsmeow event handler. For a message it returns only after
// the message is committed; false makes whatsmeow withhold the ack, so WhatsApp
// delivers it again.
func (c *Channel) onEvent(ctx context.Context, h bot.InboundHandler, cli Client, evt any, end func(error)) bool {
	switch e := evt.(type) {
	case *events.Message:
		return c.handleMessage(ctx, h, cli, e)
	case *events.Connected:
		c.setStatus(StatusConnected, nil)
		c.log.Info("whatsapp connected")
		// Presence "available" lets chats see the typing indicator.
		go func() {
			if err := cli.SendPresence(context.WithoutCancel(ctx), "available"); err != nil {
				c.log.Debug("whatsapp presence not sent", slog.Any("error", err))
			}
		}()
	case *events.Disconnected:
		if c.State().Status == StatusConnected {
			c.setStatus(StatusConnecting, nil)
			c.log.Warn("whatsapp disconnected; reconnecting")
		}
	case *events.LoggedOut:
		c.setStatus(StatusLoggedOut, errLoggedOut)
		c.log.Error("whatsapp logged the device out; pair the number again", slog.String("reason", e.Reason.String()))
		if c.opts.OnLoggedOut != nil {
			go c.opts.OnLoggedOut(context.WithoutCancel(ctx))
		}
		end(errLoggedOut)
	case *events.StreamReplaced:
		c.log.Error("whatsapp session opened elsewhere with the same device; this process disconnects")
		end(errors.New("whatsapp: stream replaced by another connection"))
	case *events.TemporaryBan:
		c.setStatus(StatusConnecting, errors.New(e.String()))
		c.log.Error("whatsapp temporarily banned the number; slow down pacing", slog.String("ban", e.String()))
	}
	return true
}
