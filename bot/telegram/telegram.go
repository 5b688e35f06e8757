// Package telegram is the Telegram channel: it receives updates by long polling
// or through a webhook, turns them into bot.Inbound messages, and renders
// bot.Outbound messages as Telegram messages (inline keyboards for choices, a
// request_location reply keyboard, photos, long texts split), paced to
// Telegram's limits. It talks to the Bot API through telegram-bot-api/v5.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/suarawarga/suarawarga/bot"
)

// Name is the channel's stable name.
const Name = "telegram"

// Telegram's documented limits and the pacing defaults derived from them.
const (
	DefaultAPIURL    = "https://api.telegram.org"
	DefaultRate      = 30.0 // messages per second across all chats
	DefaultChatRate  = 1.0  // messages per second in one chat
	DefaultChatBurst = 3    // messages one chat may get at once
	MaxTextLen       = 4096 // characters (UTF-16 code units) of one text message
	MaxCaptionLen    = 1024 // characters of a photo caption
	MaxCallbackData  = 64   // bytes of an inline button's callback_data
	// WebhookPath is where the webhook is mounted on the bot's HTTP server.
	WebhookPath = "/telegram/webhook"
	// SecretHeader carries the webhook secret Telegram echoes on every call.
	SecretHeader = "X-Telegram-Bot-Api-Secret-Token"
)

// allowedUpdates are the update types the bot asks Telegram for.
const allowedUpdates = `["message","edited_message","callback_query"]`

// Translator renders a locale key in a language; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// Options configure a Channel; zero values take the documented defaults.
type Options struct {
	// Token is the bot token from @BotFather; required. It is never logged.
	Token string
	// APIURL is the Bot API base for every call and file download (default https://api.telegram.org).
	APIURL string
	// WebhookURL, when set, switches from long polling to a webhook at this public URL.
	WebhookURL string
	// WebhookSecret is sent to setWebhook as secret_token and checked on every webhook call;
	// required with WebhookURL (1-256 of A-Z a-z 0-9 _ -).
	WebhookSecret string
	// DataDir is where outbound photo paths are resolved.
	DataDir string
	// MaxPhotoBytes is the largest photo downloaded (default 10 MiB); larger ones are refused politely.
	MaxPhotoBytes int64
	// Translator renders the few texts the adapter writes itself (location button, group notice).
	Translator Translator
	// Limiter paces sends; nil builds one with Telegram's defaults.
	Limiter *Limiter
	// Logger receives the adapter's logs; nil uses slog.Default().
	Logger *slog.Logger
	// PollTimeout is the long-poll wait of getUpdates (default 25 s).
	PollTimeout time.Duration
	// RequestTimeout bounds every other API call (default 30 s).
	RequestTimeout time.Duration
	// HTTPClient makes the requests (default a client with no overall timeout: each call has its own).
	HTTPClient *http.Client
	// Leader, when set, is held while long polling: with several replicas only
	// one calls getUpdates (two would fail each other with 409 Conflict); the
	// others stand by and take over when it goes. Webhooks are served by all.
	Leader Leader
}

// Leader elects the one process that long-polls: it blocks until this process
// may poll and returns a channel closed when it loses that right, and a
// release function.
type Leader func(ctx context.Context) (lost <-chan struct{}, release func(), err error)

var secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (o Options) withDefaults() (Options, error) {
	if o.Token == "" {
		return o, errors.New("telegram: bot token is empty")
	}
	o.APIURL = strings.TrimRight(o.APIURL, "/")
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.WebhookURL != "" && !secretRE.MatchString(o.WebhookSecret) {
		return o, errors.New("telegram: a webhook needs a secret of 1-256 characters A-Z, a-z, 0-9, _ or -")
	}
	if o.MaxPhotoBytes <= 0 {
		o.MaxPhotoBytes = 10 << 20
	}
	if o.Translator == nil {
		o.Translator = keyTranslator{}
	}
	if o.Limiter == nil {
		o.Limiter = NewLimiter(0, 0, 0)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 25 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	return o, nil
}

type keyTranslator struct{}

func (keyTranslator) T(_, key string, _ map[string]any) string { return key }

// Channel is the Telegram adapter; it implements bot.Channel and, in webhook
// mode, http.Handler for the webhook endpoint.
type Channel struct {
	opts    Options
	api     atomic.Pointer[tgbotapi.BotAPI] // set once getMe succeeded
	lastErr atomic.Pointer[error]           // why getMe failed last
	log     *slog.Logger
	lim     *Limiter

	mu        sync.Mutex
	handler   bot.InboundHandler
	tokens    map[string]string // callback token -> choice id, for ids too long for callback_data
	replyKB   map[string]bool   // chats showing the location reply keyboard
	chatLang  map[string]string // chat -> language hint of its last message
	groupsMet map[int64]bool    // group chats already told the bot serves private chats only
}

var (
	_ bot.Channel  = (*Channel)(nil)
	_ http.Handler = (*Channel)(nil)
)

var silenceLibrary sync.Once

// ErrBadToken is returned by Connect (and so by Run) when Telegram refuses the
// bot token (401 Unauthorized, or 404 for a malformed one): retrying cannot help.
var ErrBadToken = errors.New("telegram refused the bot token: check TELEGRAM_BOT_TOKEN")

// New checks the options and builds the channel; it makes no request. Run (or
// Connect) checks the token with getMe, retrying while Telegram is unreachable.
func New(_ context.Context, opts Options) (*Channel, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	silenceLibrary.Do(func() {
		// The library logs through the standard logger only in code paths we do not use; keep it quiet anyway.
		_ = tgbotapi.SetLogger(stdlog.New(io.Discard, "", 0))
	})
	return &Channel{
		opts: opts, log: opts.Logger.With(slog.String("channel", Name)), lim: opts.Limiter,
		tokens: map[string]string{}, replyKB: map[string]bool{},
		chatLang: map[string]string{}, groupsMet: map[int64]bool{},
	}, nil
}

// Connect checks the token with getMe (the library's constructor does),
// retrying with backoff (200 ms doubling to 30 s) while Telegram or the network
// fails, until ctx ends. A refused token is ErrBadToken at once.
func (c *Channel) Connect(ctx context.Context) error {
	backoff := 200 * time.Millisecond
	for tries := 1; ; tries++ {
		if c.api.Load() != nil {
			return nil
		}
		err := c.getMe(ctx)
		if err == nil || errors.Is(err, ErrBadToken) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.lastErr.Store(&err)
		c.log.Warn("telegram getMe failed; retrying", slog.Int("tries", tries), slog.Any("error", err), slog.Duration("backoff", backoff))
		if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
			return ctx.Err()
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (c *Channel) getMe(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	cl := &callClient{ctx: cctx, base: c.opts.HTTPClient}
	api, err := tgbotapi.NewBotAPIWithClient(c.opts.Token, c.opts.APIURL+"/bot%s/%s", cl)
	if err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			return fmt.Errorf("%w (getMe: %d %s)", ErrBadToken, te.Code, c.redact(te.Message))
		}
		return c.wrap("getMe", cl.status, err)
	}
	api.Client = c.opts.HTTPClient
	c.api.Store(api)
	c.log.Info("telegram bot ready", slog.String("bot_username", api.Self.UserName), slog.Bool("webhook", c.opts.WebhookURL != ""))
	return nil
}

// Ready is nil once getMe succeeded; before, it says what failed (for /readyz).
func (c *Channel) Ready() error {
	if c.api.Load() != nil {
		return nil
	}
	if p := c.lastErr.Load(); p != nil {
		return fmt.Errorf("telegram not connected yet: %w", *p)
	}
	return errors.New("telegram not connected yet")
}

var _ bot.Readier = (*Channel)(nil)

// connected is nil once getMe succeeded; before, sends wait (a RetryAfterError).
func (c *Channel) connected() error {
	if c.api.Load() == nil {
		return &bot.RetryAfterError{After: 2 * time.Second}
	}
	return nil
}

// Name returns "telegram".
func (c *Channel) Name() string { return Name }

// Limiter returns the pacer of this bot's sends, for the delivery worker.
func (c *Channel) Limiter() *Limiter { return c.lim }

// BotUsername is the bot's @username as getMe reported it ("" before Connect).
func (c *Channel) BotUsername() string {
	if api := c.api.Load(); api != nil {
		return api.Self.UserName
	}
	return ""
}

// Run receives updates until ctx is cancelled: through the webhook when
// WebhookURL is set (after setWebhook), otherwise by long polling (after deleteWebhook).
func (c *Channel) Run(ctx context.Context, h bot.InboundHandler) error {
	if h == nil {
		return errors.New("telegram: nil inbound handler")
	}
	if err := c.Connect(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.handler = nil
		c.mu.Unlock()
	}()
	if c.opts.WebhookURL != "" {
		params := tgbotapi.Params{
			"url": c.opts.WebhookURL, "secret_token": c.opts.WebhookSecret,
			"allowed_updates": allowedUpdates, "max_connections": "40",
		}
		if err := c.retrying(ctx, "setWebhook", params); err != nil {
			return err
		}
		c.log.Info("telegram webhook set", slog.String("url", c.opts.WebhookURL))
		<-ctx.Done()
		return nil
	}
	if c.opts.Leader == nil {
		return c.pollWebhookless(ctx, h)
	}
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		lost, release, err := c.opts.Leader(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			c.log.Warn("telegram polling leader election failed; retrying", slog.Any("error", err), slog.Duration("backoff", backoff))
			if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
				break
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 200 * time.Millisecond
		c.log.Info("telegram long polling held by this process")
		pctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lost:
				cancel()
			case <-pctx.Done():
			}
		}()
		err = c.pollWebhookless(pctx, h)
		cancel()
		release()
		if err != nil {
			return err
		}
		if ctx.Err() == nil {
			c.log.Warn("telegram long polling handed over: this process lost the leader lock")
		}
	}
	return nil
}

// pollWebhookless removes a webhook left by an earlier run and long-polls.
func (c *Channel) pollWebhookless(ctx context.Context, h bot.InboundHandler) error {
	if err := c.retrying(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}); err != nil {
		return err
	}
	return c.poll(ctx, h)
}

// retrying calls method until it succeeds or ctx ends, backing off on errors.
func (c *Channel) retrying(ctx context.Context, method string, params tgbotapi.Params) error {
	backoff := 200 * time.Millisecond
	for {
		_, err := c.request(ctx, method, params)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("telegram call failed; retrying", slog.String("method", method), slog.Any("error", err), slog.Duration("backoff", backoff))
		if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
			return nil
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// request makes one API call bounded by RequestTimeout and returns its raw result.
func (c *Channel) request(ctx context.Context, method string, params tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	api, cl, cancel := c.callAPI(ctx, c.opts.RequestTimeout)
	defer cancel()
	resp, err := api.MakeRequest(method, params)
	if err != nil {
		return nil, c.wrap(method, cl.status, err)
	}
	return resp, nil
}

// callAPI returns a copy of the library's client whose requests carry ctx
// (bounded by timeout) and record the HTTP status; the library itself takes no context.
func (c *Channel) callAPI(ctx context.Context, timeout time.Duration) (*tgbotapi.BotAPI, *callClient, context.CancelFunc) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	cl := &callClient{ctx: cctx, base: c.opts.HTTPClient}
	api := *c.api.Load()
	api.Client = cl
	return &api, cl, cancel
}

// callClient puts a context on the library's requests and remembers the HTTP
// status: the library drops the error code of multipart (photo) uploads.
type callClient struct {
	ctx    context.Context
	base   *http.Client
	status int
}

func (cl *callClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := cl.base.Do(req.WithContext(cl.ctx))
	if resp != nil {
		cl.status = resp.StatusCode
	}
	return resp, err
}

// wrap turns a library or transport error into the errors the delivery worker
// understands, with the token scrubbed from the message: a 429 pauses the whole
// bot and becomes *bot.RetryAfterError; a blocked or deleted user is
// bot.ErrUnreachable; another 4xx is bot.ErrRejected; 5xx and network errors stay
// plain so they are retried with backoff.
func (c *Channel) wrap(method string, status int, err error) error {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		code := te.Code
		if code == 0 {
			code = status
		}
		desc := c.redact(te.Message)
		switch {
		case code == http.StatusTooManyRequests || te.RetryAfter > 0:
			after := time.Duration(max(te.RetryAfter, 1)) * time.Second
			c.lim.Pause(after)
			return &bot.RetryAfterError{After: after}
		case code == http.StatusForbidden || unreachableText(te.Message):
			return fmt.Errorf("telegram %s: %s: %w", method, desc, bot.ErrUnreachable)
		case code >= 500 || code == 0 || code == http.StatusUnauthorized || code == http.StatusNotFound || code == http.StatusConflict:
			return &apiError{msg: fmt.Sprintf("telegram %s: %d %s", method, code, desc), err: err}
		default:
			return fmt.Errorf("telegram %s: %s: %w", method, desc, bot.ErrRejected)
		}
	}
	if status >= 500 {
		return &apiError{msg: fmt.Sprintf("telegram %s: HTTP %d", method, status), err: err}
	}
	return &apiError{msg: fmt.Sprintf("telegram %s: %s", method, c.redact(err.Error())), err: err}
}

// unreachableText recognizes the 400s that mean the chat is gone for good.
func unreachableText(desc string) bool {
	d := strings.ToLower(desc)
	return strings.Contains(d, "chat not found") || strings.Contains(d, "user is deactivated") ||
		strings.Contains(d, "bot was blocked") || strings.Contains(d, "peer_id_invalid")
}

// apiError keeps the original error for errors.Is (context deadlines) while its
// message never shows the token (a url.Error prints the whole request URL).
type apiError struct {
	msg string
	err error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

func (c *Channel) redact(s string) string {
	if c.opts.Token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.opts.Token, "<token>")
}

func (c *Channel) currentHandler() bot.InboundHandler {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handler
}
