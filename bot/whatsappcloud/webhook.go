package whatsappcloud

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/suarawarga/suarawarga/bot"
)

// maxWebhookBody bounds one webhook call; Meta's batches are far smaller.
const maxWebhookBody = 4 << 20

// Payload is a webhook call's body.
type Payload struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one WhatsApp Business Account's part of a webhook call.
type Entry struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// Change is one change of an Entry; the bot reads the "messages" field.
type Change struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

// Value carries the messages and statuses of a change.
type Value struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []Contact         `json:"contacts,omitempty"`
	Messages []json.RawMessage `json:"messages,omitempty"`
	Statuses []json.RawMessage `json:"statuses,omitempty"`
	Errors   []APIError        `json:"errors,omitempty"`
}

// Status is one element of value.statuses[]: news of a message the bot sent.
type Status struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"` // sent, delivered, read, failed
	Timestamp       json.RawMessage `json:"timestamp"`
	RecipientID     string          `json:"recipient_id"`
	RecipientUserID string          `json:"recipient_user_id"`
	// BizOpaqueCallbackData echoes what the bot attached to the send: "sw:ROW:PART:PARTS".
	BizOpaqueCallbackData string     `json:"biz_opaque_callback_data"`
	Errors                []APIError `json:"errors,omitempty"`
}

// APIError is an error object inside a webhook.
type APIError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// Sign is the X-Hub-Signature-256 value of body under the app secret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// validSignature checks the header against the raw body in constant time.
func validSignature(appSecret, header string, body []byte) bool {
	sig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// ServeHTTP is the webhook: GET is Meta's verification (hub.verify_token
// compared in constant time, hub.challenge echoed; Meta signs no GET); POST
// must carry a valid signature of the raw body (403 otherwise, nothing handled)
// and is answered 200 only once every message of the batch is committed (500
// otherwise, so Meta delivers the batch again; what was committed is dropped
// then as a duplicate).
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		c.verify(w, r)
		return
	case http.MethodPost:
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		c.log.Warn("whatsapp cloud api webhook body unreadable", slog.Any("error", err))
		http.Error(w, "body too large or cut off", http.StatusRequestEntityTooLarge)
		return
	}
	if !validSignature(c.opts.AppSecret, r.Header.Get(SignatureHeader), body) {
		c.log.Warn("whatsapp cloud api webhook call with a wrong or missing signature refused", slog.String("remote_addr", r.RemoteAddr))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	c.count(func(s *State) { s.LastWebhook = c.opts.Now() })
	h := c.currentHandler()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		// Signed but unreadable: Meta would send the same bytes forever.
		c.log.Warn("whatsapp cloud api webhook payload malformed; ignored", slog.Any("error", err))
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := c.HandlePayload(r.Context(), h, p); err != nil {
		if r.Context().Err() == nil {
			c.log.Warn("whatsapp cloud api webhook batch not committed; Meta will deliver it again", slog.Any("error", err))
			c.noteError(err)
		}
		http.Error(w, "retry later", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// verify answers Meta's subscription check.
func (c *Channel) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || subtle.ConstantTimeCompare([]byte(token), []byte(c.opts.VerifyToken)) != 1 {
		c.log.Warn("whatsapp cloud api webhook verification with a wrong token refused", slog.String("remote_addr", r.RemoteAddr))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	c.log.Info("whatsapp cloud api webhook verified")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// inboundItem is one message of a batch with the contacts that came with it.
type inboundItem struct {
	msg      Message
	contacts []Contact
}

// HandlePayload handles one webhook batch: each chat's messages in order (by
// their timestamps), different chats at once, then the statuses. It returns
// an error when anything was not committed.
func (c *Channel) HandlePayload(ctx context.Context, h bot.InboundHandler, p Payload) error {
	if p.Object != "" && p.Object != "whatsapp_business_account" {
		return nil
	}
	chats := map[string][]inboundItem{}
	var order []string
	var statuses []Status
	for _, e := range p.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "" && ch.Field != "messages" {
				continue
			}
			v := ch.Value
			if id := v.Metadata.PhoneNumberID; id != "" && id != c.opts.PhoneNumberID {
				continue // another number of the same business account
			}
			for _, ae := range v.Errors {
				c.log.Warn("whatsapp cloud api reported an error in a webhook", slog.Int("code", ae.Code), slog.String("title", ae.Title))
			}
			for _, raw := range v.Messages {
				var m Message
				if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" || m.ChatID() == "" {
					c.log.Warn("whatsapp cloud api message malformed; ignored", slog.Any("error", err))
					continue
				}
				key := m.ChatID()
				if _, ok := chats[key]; !ok {
					order = append(order, key)
				}
				chats[key] = append(chats[key], inboundItem{msg: m, contacts: v.Contacts})
			}
			for _, raw := range v.Statuses {
				var s Status
				if err := json.Unmarshal(raw, &s); err != nil || s.ID == "" {
					c.log.Warn("whatsapp cloud api status malformed; ignored", slog.Any("error", err))
					continue
				}
				statuses = append(statuses, s)
			}
		}
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, key := range order {
		items := chats[key]
		slices.SortStableFunc(items, func(a, b inboundItem) int {
			return unixTime(a.msg.Timestamp).Compare(unixTime(b.msg.Timestamp))
		})
		wg.Go(func() {
			for _, it := range items {
				if err := c.handleMessage(ctx, h, it); err != nil {
					// The chat's later messages wait for this one: Meta delivers them again.
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := c.handleStatuses(ctx, statuses); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// handleMessage hands one message to h and, once it is committed, marks it
// read with a typing indicator.
func (c *Channel) handleMessage(ctx context.Context, h bot.InboundHandler, it inboundItem) error {
	t := Translate(it.msg, it.contacts)
	if t.Ignore {
		return nil
	}
	in := t.Inbound
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = c.opts.Now()
	}
	if t.Page >= 0 {
		return c.sendPage(ctx, in.ChatID, t.Page)
	}
	c.resolveChoice(&in)
	if t.Media != nil {
		if err := c.fillPhoto(ctx, &in, t.Media); err != nil {
			return err
		}
	}
	if err := h.HandleInbound(ctx, in); err != nil {
		return fmt.Errorf("message %s: %w", in.MessageID, err)
	}
	c.noteInbound(in.ChatID, in.ReceivedAt)
	c.mu.Lock()
	c.state.Received++
	delete(c.closed, in.ChatID) // the person wrote: the window is open
	_, done := c.seen[in.MessageID]
	if !done {
		if len(c.seen) > 10000 {
			c.seen = map[string]struct{}{}
		}
		c.seen[in.MessageID] = struct{}{}
	}
	c.mu.Unlock()
	if !done {
		c.markRead(ctx, in.MessageID)
	}
	return nil
}

// markRead shows the two blue ticks and "typing…" on the handled message, in
// the background (best effort, paced by the number's rate).
func (c *Channel) markRead(ctx context.Context, messageID string) {
	select {
	case c.bgSem <- struct{}{}:
	default:
		return // many in flight already: the ticks are a courtesy
	}
	c.mu.Lock()
	if c.handler == nil { // Run is returning and waits for the calls in flight
		c.mu.Unlock()
		<-c.bgSem
		return
	}
	c.bg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.bg.Done()
		defer func() { <-c.bgSem }()
		bctx := context.WithoutCancel(ctx)
		release, err := c.lim.AcquireGlobal(bctx)
		if err != nil {
			return
		}
		defer release()
		body := map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": messageID,
			"typing_indicator": map[string]any{"type": "text"}}
		if err := c.call(bctx, http.MethodPost, c.opts.PhoneNumberID+"/messages", body, nil); err != nil {
			c.log.Debug("whatsapp cloud api mark-as-read failed", slog.Any("error", err))
		}
	}()
}

// handleStatuses passes a batch's delivery statuses to the delivery worker.
func (c *Channel) handleStatuses(ctx context.Context, statuses []Status) error {
	if c.opts.Statuses == nil || len(statuses) == 0 {
		return nil
	}
	var sts []bot.StatusUpdate
	for _, s := range statuses {
		if st, ok := c.statusUpdate(ctx, s); ok {
			sts = append(sts, st)
		}
	}
	if bh, ok := c.opts.Statuses.(bot.StatusBatchHandler); ok {
		if err := bh.HandleStatuses(ctx, sts); err != nil {
			return fmt.Errorf("statuses of %d messages: %w", len(sts), err)
		}
		return nil
	}
	for _, st := range sts {
		if err := c.opts.Statuses.HandleStatus(ctx, st); err != nil {
			return fmt.Errorf("status %s of a message: %w", st.State, err)
		}
	}
	return nil
}

// statusUpdate reads one status; ok is false for one with nothing to record.
func (c *Channel) statusUpdate(ctx context.Context, s Status) (bot.StatusUpdate, bool) {
	chat := s.RecipientID
	if chat == "" {
		chat = s.RecipientUserID
	}
	st := bot.StatusUpdate{Channel: Name, PlatformID: s.ID, At: unixTime(s.Timestamp)}
	if ref, part, parts, ok := parseCallback(s.BizOpaqueCallbackData); ok {
		st.Ref, st.Final = ref, part == parts
	}
	switch s.Status {
	case "sent":
		st.State = bot.DeliverySent
	case "delivered":
		st.State = bot.DeliveryDelivered
	case "read":
		st.State = bot.DeliveryRead
	case "failed":
		st.State = bot.DeliveryFailed
		st.Err = c.statusError(ctx, chat, s.Errors)
	default:
		return st, false // "deleted", "warning": nothing to record
	}
	return st, true
}

// statusError classifies a failure reported after the send, like sendError.
func (c *Channel) statusError(ctx context.Context, chat string, errs []APIError) error {
	if len(errs) == 0 {
		return errors.New("whatsappcloud: the message failed without a reason")
	}
	e := errs[0]
	ge := &GraphError{HTTPStatus: http.StatusOK, Code: e.Code, Message: c.redact(e.Title), Details: c.redact(cmpOr(e.ErrorData.Details, e.Message))}
	c.noteError(ge)
	kind, _ := classify(ge)
	switch kind {
	case kindWindowClosed:
		last, err := c.lastInbound(ctx, chat)
		if err != nil {
			return err
		}
		c.markClosed(chat, last)
		return fmt.Errorf("whatsappcloud: %w: %w", ge, bot.ErrResend)
	case kindUnreachable:
		return fmt.Errorf("whatsappcloud: %w: %w", ge, bot.ErrUnreachable)
	case kindRateLimit:
		c.lim.Pause(backoff(1))
		return fmt.Errorf("whatsappcloud: %w: %w", ge, bot.ErrResend)
	case kindPairRateLimit:
		c.lim.PauseChat(chat, backoff(1))
		return fmt.Errorf("whatsappcloud: %w: %w", ge, bot.ErrResend)
	case kindPause:
		c.pause(ctx, ge)
		return fmt.Errorf("whatsappcloud: %w: %w", ge, bot.ErrResend)
	case kindTemplate:
		return fmt.Errorf("whatsappcloud: template refused: %w: %w", ge, bot.ErrAwaitReply)
	}
	return fmt.Errorf("whatsappcloud: %w", ge)
}

// callbackData is what a send attaches so its statuses name the row and part.
func callbackData(ref int64, part, parts int) string {
	return "sw:" + strconv.FormatInt(ref, 10) + ":" + strconv.Itoa(part) + ":" + strconv.Itoa(parts)
}

func parseCallback(s string) (ref int64, part, parts int, ok bool) {
	f := strings.Split(s, ":")
	if len(f) != 4 || f[0] != "sw" {
		return 0, 0, 0, false
	}
	ref, err1 := strconv.ParseInt(f[1], 10, 64)
	part, err2 := strconv.Atoi(f[2])
	parts, err3 := strconv.Atoi(f[3])
	return ref, part, parts, err1 == nil && err2 == nil && err3 == nil && ref > 0 && part >= 1 && part <= parts
}
