package whatsappcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/suarawarga/suarawarga/bot"
)

// Graph API error codes the adapter acts on.
const (
	CodeAPIUnknown        = 1      // retry
	CodeAPIService        = 2      // temporarily unavailable: retry
	CodeAPITooManyCalls   = 4      // app-level call limit: back off
	CodeTokenInvalid      = 190    // access token expired or invalid: pause, alert
	CodeAccountRestricted = 368    // temporarily blocked for policy violations: pause, alert
	CodeRateLimit         = 130429 // the number's throughput reached: back off 4^n s
	CodeGeneric           = 131000 // something went wrong: retry
	CodeUndeliverable     = 131026 // not on WhatsApp, old client, blocked: unreachable
	CodeAccountLocked     = 131031 // the business account is locked: pause, alert
	CodeReEngagement      = 131047 // more than 24 h since the person wrote: template
	CodePairRateLimit     = 131056 // too many messages to one person: back off 4^n s
	CodeServiceOverloaded = 131016 // retry
	CodeServerUnavailable = 133004 // retry
	CodeWABARateLimit     = 80007  // the business account's call limit: back off
)

// GraphError is an error answer of the Graph API.
type GraphError struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
	Details    string
}

func (e *GraphError) Error() string {
	msg := fmt.Sprintf("graph api error %d", e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Details != "" {
		msg += " (" + e.Details + ")"
	}
	return fmt.Sprintf("%s [HTTP %d]", msg, e.HTTPStatus)
}

// errorBody is the Graph API's error envelope.
type errorBody struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// transportError keeps the cause for errors.Is (deadlines) with a message
// that never shows a URL's query or a header.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// url is the Graph API address of path under the configured version.
func (c *Channel) url(path string) string {
	return c.opts.GraphURL + "/" + c.opts.APIVersion + "/" + path
}

// call makes one Graph API request with a JSON body (nil for none) and decodes
// a JSON answer into out (nil to drop it). It is bounded by RequestTimeout and
// not abandoned when ctx is cancelled: a send cut off after Meta took it would
// go out twice after a restart.
func (c *Channel) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("whatsappcloud: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, method, c.url(path), rd)
	if err != nil {
		return fmt.Errorf("whatsappcloud: build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.do(req, out)
}

// do sends req with the bearer token and decodes the answer.
func (c *Channel) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return &transportError{msg: "whatsappcloud " + req.Method + " " + req.URL.Path + ": " + c.redact(errText(err)), err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return &transportError{msg: "whatsappcloud " + req.URL.Path + ": reading the answer: " + c.redact(errText(err)), err: err}
	}
	if resp.StatusCode/100 != 2 {
		ge := &GraphError{HTTPStatus: resp.StatusCode}
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error != nil {
			ge.Code, ge.Subcode, ge.Type = eb.Error.Code, eb.Error.Subcode, eb.Error.Type
			ge.Message, ge.Details = c.redact(eb.Error.Message), c.redact(eb.Error.ErrorData.Details)
		}
		return ge
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &transportError{msg: "whatsappcloud " + req.URL.Path + ": the answer is not the expected JSON: " + err.Error(), err: err}
		}
	}
	return nil
}

// errText is an error's text without the request URL (a url.Error prints it).
func errText(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// errKind is what the adapter does about a failed call.
type errKind int

const (
	kindRetry         errKind = iota // 5xx, timeouts, transient codes: the worker retries with backoff
	kindRejected                     // this message is refused for good
	kindUnreachable                  // the person cannot be reached
	kindRateLimit                    // the number's throughput: back off 4^n s, every chat
	kindPairRateLimit                // one person's pair rate: back off 4^n s, that chat
	kindWindowClosed                 // 131047: outside the 24-hour window
	kindPause                        // token or account problem: stop sending, tell the admins
	kindTemplate                     // the template is missing, paused or its parameters are wrong
)

// classify sorts a call's error.
func classify(err error) (errKind, *GraphError) {
	var ge *GraphError
	if !errors.As(err, &ge) {
		return kindRetry, nil
	}
	switch ge.Code {
	case CodeRateLimit, CodeAPITooManyCalls, CodeWABARateLimit:
		return kindRateLimit, ge
	case CodePairRateLimit:
		return kindPairRateLimit, ge
	case CodeReEngagement:
		return kindWindowClosed, ge
	case CodeUndeliverable:
		return kindUnreachable, ge
	case CodeTokenInvalid, CodeAccountRestricted, CodeAccountLocked:
		return kindPause, ge
	case CodeAPIUnknown, CodeAPIService, CodeGeneric, CodeServiceOverloaded, CodeServerUnavailable:
		return kindRetry, ge
	}
	switch {
	case ge.Code >= 132000 && ge.Code < 133000:
		return kindTemplate, ge
	case ge.HTTPStatus == http.StatusUnauthorized:
		return kindPause, ge
	case ge.HTTPStatus >= 500 || ge.HTTPStatus == http.StatusTooManyRequests:
		return kindRetry, ge
	}
	return kindRejected, ge
}

// backoff is 4^n seconds for the n-th rate-limit answer in a row (n from 1), at most 4^5 s.
func backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < min(n, 6); i++ {
		d *= 4
	}
	return d
}

// sendError turns a send's failure into the delivery worker's errors, with the
// side effects on pacing: rate limits pause the number or the chat for 4^n s
// and ask for a retry after it; a token or account problem pauses sending and
// tells the admins; 5xx and timeouts stay plain errors, which the worker retries.
func (c *Channel) sendError(ctx context.Context, chatID string, err error) error {
	kind, ge := classify(err)
	c.noteError(err)
	switch kind {
	case kindRateLimit:
		c.mu.Lock()
		c.rateHits++
		d := backoff(c.rateHits)
		c.mu.Unlock()
		c.lim.Pause(d)
		c.log.Warn("whatsapp cloud api throughput limit hit; backing off", slog.Int("code", ge.Code), slog.Duration("retry_after", d))
		return &bot.RetryAfterError{After: d}
	case kindPairRateLimit:
		c.mu.Lock()
		c.pairHits[chatID]++
		d := backoff(c.pairHits[chatID])
		c.mu.Unlock()
		c.lim.PauseChat(chatID, d)
		c.log.Warn("whatsapp cloud api pair rate limit hit; backing off this chat", slog.Duration("retry_after", d))
		return &bot.RetryAfterError{After: d}
	case kindUnreachable:
		return fmt.Errorf("whatsappcloud: %w: %w", err, bot.ErrUnreachable)
	case kindPause:
		d := c.pause(ctx, ge)
		return &bot.RetryAfterError{After: d}
	case kindRejected:
		return fmt.Errorf("whatsappcloud: %w: %w", err, bot.ErrRejected)
	case kindTemplate:
		c.log.Error("whatsapp cloud api refused a template message: check the template's name, language and parameters in WhatsApp Manager",
			slog.Int("code", ge.Code), slog.String("error", ge.Error()))
		return fmt.Errorf("whatsappcloud: template refused: %w: %w", err, bot.ErrAwaitReply)
	}
	return err
}

// sent resets the backoff counters after a send went through.
func (c *Channel) sent(chatID string) {
	c.mu.Lock()
	resumed := !c.pausedTil.IsZero()
	c.rateHits = 0
	delete(c.pairHits, chatID)
	c.pausedTil = time.Time{}
	if resumed {
		c.state.Paused, c.state.PausedReason = false, ""
	}
	c.state.Sent++
	c.mu.Unlock()
	if resumed {
		c.log.Info("whatsapp cloud api sending works again")
		if c.opts.OnAlert != nil {
			c.opts.OnAlert(context.WithoutCancel(context.Background()), Alert{Key: "whatsappcloud.pulih"})
		}
	}
}

// pause stops sending for PauseProbe after a token or account error; the
// admins are told once per pause, and one send tries again after it.
func (c *Channel) pause(ctx context.Context, ge *GraphError) time.Duration {
	c.mu.Lock()
	first := !c.state.Paused
	// Pauses run on the wall clock, like all pacing.
	c.pausedTil = time.Now().Add(c.opts.PauseProbe)
	if first {
		c.state.Paused, c.state.PausedSince = true, c.opts.Now()
		c.state.PausedReason = ge.Error()
	}
	c.mu.Unlock()
	if first {
		key := "whatsappcloud.akun_dibatasi"
		if ge.Code == CodeTokenInvalid || ge.HTTPStatus == http.StatusUnauthorized {
			key = "whatsappcloud.token_tidak_berlaku"
		}
		c.log.Error("whatsapp cloud api refused the bot's credentials or account; sending paused", slog.Int("code", ge.Code),
			slog.String("error", ge.Error()), slog.Duration("probe_after", c.opts.PauseProbe))
		if c.opts.OnAlert != nil {
			c.opts.OnAlert(context.WithoutCancel(ctx), Alert{Key: key, Code: ge.Code})
		}
	}
	return c.opts.PauseProbe
}

// paused reports how long sending is still paused; 0 when it is not.
func (c *Channel) paused() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pausedTil.IsZero() {
		return 0
	}
	return max(0, time.Until(c.pausedTil))
}

// phoneInfo is the part of GET /{phone-number-id} the console shows.
type phoneInfo struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      string `json:"quality_rating"`
}

// checkNumber asks the Graph API about the number, for the console.
func (c *Channel) checkNumber(ctx context.Context) {
	var info phoneInfo
	err := c.call(ctx, http.MethodGet, c.opts.PhoneNumberID+"?fields=display_phone_number,verified_name,quality_rating", nil, &info)
	if err != nil {
		c.noteError(err)
		if kind, ge := classify(err); kind == kindPause {
			c.pause(ctx, ge)
		}
		c.log.Warn("whatsapp cloud api number check failed", slog.Any("error", err))
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.DisplayPhone, c.state.VerifiedName, c.state.QualityRating = info.DisplayPhoneNumber, info.VerifiedName, info.QualityRating
	c.state.CheckedAt = c.opts.Now()
}

// unixTime reads a Cloud API timestamp: seconds, or milliseconds, as a JSON
// string or number; zero when it cannot be read.
func unixTime(raw json.RawMessage) time.Time {
	s := string(bytes.Trim(raw, `"`))
	if s == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	if n > 1e12 { // milliseconds
		return time.UnixMilli(n)
	}
	return time.Unix(n, 0)
}
