package webchat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/bot"
)

// Cookie names. The chat cookie is the citizen's identity on the web chat.
const (
	ChatCookie = "sw_chat"
	LangCookie = "sw_lang"
)

// Message keys of the errors the API returns; the page shows their translation.
const (
	ErrKeyBusy      = "webchat.galat_sibuk"         // 503: the bot could not take the message now; the page retries
	ErrKeyTooFast   = "webchat.galat_terlalu_cepat" // 429: rate limit
	ErrKeyTooLong   = "webchat.galat_terlalu_panjang"
	ErrKeyEmpty     = "webchat.galat_kosong"
	ErrKeyInvalid   = "webchat.galat_tidak_valid"
	ErrKeyPhotoSize = "webchat.galat_foto_besar"
	ErrKeyNotImage  = "webchat.galat_bukan_foto"
)

// Request kinds of POST /api/chat/send.
const (
	sendText     = "text"
	sendChoice   = "choice"
	sendLocation = "location"
)

// maxClientID bounds the page's per-message id (a UUID is 36 characters).
const maxClientID = 64

// maxChoiceID bounds a choice id (Telegram's callback_data limit, so ids stay portable).
const maxChoiceID = 64

// maxSendBody bounds the JSON body of a send: 4000 runes, each escaped as a surrogate pair, fit.
const maxSendBody = 64 << 10

// imageTypes are the photo formats accepted, as http.DetectContentType names them.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// Register mounts the chat API on mux: POST /api/chat/send, POST /api/chat/photo and
// GET /api/chat/messages. The page itself is served by package web.
func (c *Channel) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/chat/send", c.handleSend)
	mux.HandleFunc("POST /api/chat/photo", c.handlePhoto)
	mux.HandleFunc("GET /api/chat/messages", c.handleMessages)
}

// ChatID returns the browser's chat id from its sw_chat cookie, issuing a new random
// 128-bit id (and the cookie) when it has none or a malformed one.
func (c *Channel) ChatID(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(ChatCookie); err == nil && validChatID(ck.Value) {
		return ck.Value
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	id := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name:     ChatCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true,
		Secure:   c.secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	// Later reads in the same request see the new id.
	r.AddCookie(&http.Cookie{Name: ChatCookie, Value: id})
	return id
}

func validChatID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdef", rune(s[i])) {
			return false
		}
	}
	return true
}

// Lang returns the language the browser chose: ?lang=id|en (remembered in the sw_lang
// cookie), else that cookie, else "" (no choice made).
func (c *Channel) Lang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		if lang := normalizeLang(q); lang != "" {
			http.SetCookie(w, &http.Cookie{
				Name:     LangCookie,
				Value:    lang,
				Path:     "/",
				MaxAge:   int((365 * 24 * time.Hour).Seconds()),
				HttpOnly: true,
				Secure:   c.secure || r.TLS != nil,
				SameSite: http.SameSiteLaxMode,
			})
			return lang
		}
	}
	if ck, err := r.Cookie(LangCookie); err == nil {
		return normalizeLang(ck.Value)
	}
	return ""
}

// normalizeLang maps a language tag to "id" or "en"; anything else is "".
func normalizeLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "id", "in":
		return "id"
	case "en":
		return "en"
	}
	return ""
}

// readLang is Lang without setting a cookie, defaulting to Indonesian, for API responses.
func readLang(r *http.Request) string {
	if ck, err := r.Cookie(LangCookie); err == nil {
		if l := normalizeLang(ck.Value); l != "" {
			return l
		}
	}
	return "id"
}

// sendRequest is the JSON body of POST /api/chat/send.
type sendRequest struct {
	ClientID string   `json:"client_id"`
	Kind     string   `json:"kind"`
	Text     string   `json:"text"`
	ChoiceID string   `json:"choice_id"`
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
}

// apiError is the JSON body of every error response.
type apiError struct {
	Error   string `json:"error"`   // a locale key
	Message string `json:"message"` // its translation in the browser's language
}

func (c *Channel) handleSend(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		c.fail(w, r, http.StatusUnsupportedMediaType, ErrKeyInvalid, nil)
		return
	}
	var req sendRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSendBody))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.fail(w, r, http.StatusRequestEntityTooLarge, ErrKeyTooLong, map[string]any{"max": c.opts.MaxTextRunes})
			return
		}
		c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
		return
	}
	if !validClientID(req.ClientID) {
		c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
		return
	}
	chatID := c.ChatID(w, r)
	in := c.inbound(r, chatID, req.ClientID)
	switch req.Kind {
	case sendText:
		if strings.TrimSpace(req.Text) == "" {
			c.fail(w, r, http.StatusBadRequest, ErrKeyEmpty, nil)
			return
		}
		if utf8.RuneCountInString(req.Text) > c.opts.MaxTextRunes {
			c.fail(w, r, http.StatusRequestEntityTooLarge, ErrKeyTooLong, map[string]any{"max": c.opts.MaxTextRunes})
			return
		}
		in.Kind, in.Text = bot.KindText, req.Text
	case sendChoice:
		if req.ChoiceID == "" || len(req.ChoiceID) > maxChoiceID || utf8.RuneCountInString(req.Text) > c.opts.MaxTextRunes {
			c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
			return
		}
		// Text carries the button's label, so the echo in the history reads like what was pressed.
		in.Kind, in.ChoiceID, in.Text = bot.KindChoice, req.ChoiceID, req.Text
	case sendLocation:
		if req.Lat == nil || req.Lng == nil || !validPoint(*req.Lat, *req.Lng) {
			c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
			return
		}
		in.Kind, in.Lat, in.Lng = bot.KindLocation, *req.Lat, *req.Lng
	default:
		c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
		return
	}
	c.deliver(w, r, in)
}

func (c *Channel) handlePhoto(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, c.opts.MaxPhotoBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
		return
	}
	var clientID string
	var photo []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.photoReadFailed(w, r, err)
			return
		}
		switch part.FormName() {
		case "client_id":
			b, err := io.ReadAll(io.LimitReader(part, maxClientID+1))
			if err != nil {
				c.photoReadFailed(w, r, err)
				return
			}
			clientID = string(b)
		case "photo":
			photo, err = io.ReadAll(io.LimitReader(part, c.opts.MaxPhotoBytes+1))
			if err != nil {
				c.photoReadFailed(w, r, err)
				return
			}
			if int64(len(photo)) > c.opts.MaxPhotoBytes {
				c.photoTooLarge(w, r)
				return
			}
		}
		_ = part.Close()
	}
	if !validClientID(clientID) || len(photo) == 0 {
		c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
		return
	}
	mimeType := http.DetectContentType(photo)
	if !imageTypes[mimeType] {
		c.fail(w, r, http.StatusUnsupportedMediaType, ErrKeyNotImage, nil)
		return
	}
	chatID := c.ChatID(w, r)
	in := c.inbound(r, chatID, clientID)
	in.Kind, in.Photo, in.PhotoMIME = bot.KindPhoto, photo, mimeType
	c.deliver(w, r, in)
}

func (c *Channel) photoReadFailed(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		c.photoTooLarge(w, r)
		return
	}
	c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
}

func (c *Channel) photoTooLarge(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusRequestEntityTooLarge, ErrKeyPhotoSize, map[string]any{"mb": c.opts.MaxPhotoBytes >> 20})
}

// inbound starts an Inbound for the chat. The message id is namespaced by the chat, so one
// browser's ids can never collide with (and drop) another citizen's messages.
func (c *Channel) inbound(r *http.Request, chatID, clientID string) bot.Inbound {
	lang := ""
	if ck, err := r.Cookie(LangCookie); err == nil {
		lang = normalizeLang(ck.Value)
	}
	return bot.Inbound{
		Channel:    Name,
		ChatID:     chatID,
		MessageID:  chatID + ":" + clientID,
		Lang:       lang,
		ReceivedAt: c.opts.Now().UTC(),
	}
}

// deliver rate-limits the message, hands it to the inbound handler and answers the page.
func (c *Channel) deliver(w http.ResponseWriter, r *http.Request, in bot.Inbound) {
	if !c.limiter.allow(in.ChatID, c.opts.Now()) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(c.opts.RateWindow.Seconds()/float64(c.opts.RateBurst)))))
		c.fail(w, r, http.StatusTooManyRequests, ErrKeyTooFast, nil)
		return
	}
	h := c.currentHandler()
	if h == nil {
		c.log.WarnContext(r.Context(), "webchat message before the channel runs")
		c.fail(w, r, http.StatusServiceUnavailable, ErrKeyBusy, nil)
		return
	}
	// The handler commits in its own transaction: a browser that goes away mid-request must
	// not abort it, and a retry with the same client_id is dropped as a duplicate.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), c.opts.HandleTimeout)
	defer cancel()
	if err := h.HandleInbound(ctx, in); err != nil {
		c.log.WarnContext(r.Context(), "webchat inbound failed",
			slog.String("chat", chatRef(in.ChatID)), slog.String("kind", string(in.Kind)), slog.Any("error", err))
		w.Header().Set("Retry-After", "2")
		c.fail(w, r, http.StatusServiceUnavailable, ErrKeyBusy, nil)
		return
	}
	// The echo of the message is in the history now: let the page's poll pick it up.
	c.broker.wake(in.ChatID)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// messagesResponse is the JSON body of GET /api/chat/messages.
type messagesResponse struct {
	Messages []Item `json:"messages"`
}

func (c *Channel) handleMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			c.fail(w, r, http.StatusBadRequest, ErrKeyInvalid, nil)
			return
		}
		after = n
	}
	wait := q.Get("wait") != "0"
	chatID := c.ChatID(w, r)
	ctx := r.Context()

	woken, release := c.broker.subscribe(chatID)
	defer release()
	items, err := c.history.Messages(ctx, chatID, after, c.opts.PageLimit)
	if err == nil && len(items) == 0 && wait {
		timer := time.NewTimer(c.opts.PollTimeout)
		defer timer.Stop()
		select {
		case <-woken:
			items, err = c.history.Messages(ctx, chatID, after, c.opts.PageLimit)
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		c.log.WarnContext(ctx, "webchat history failed", slog.String("chat", chatRef(chatID)), slog.Any("error", err))
		c.fail(w, r, http.StatusServiceUnavailable, ErrKeyBusy, nil)
		return
	}
	if items == nil {
		items = []Item{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, messagesResponse{Messages: items})
}

// chatRef names a chat in logs without writing its id, which is the browser's credential.
func chatRef(chatID string) string {
	sum := sha256.Sum256([]byte(chatID))
	return hex.EncodeToString(sum[:4])
}

func validClientID(s string) bool {
	if s == "" || len(s) > maxClientID {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func validPoint(lat, lng float64) bool {
	finite := !math.IsNaN(lat) && !math.IsNaN(lng) && !math.IsInf(lat, 0) && !math.IsInf(lng, 0)
	return finite && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180
}

// fail writes an error response whose message key the page translates and shows.
func (c *Channel) fail(w http.ResponseWriter, r *http.Request, status int, key string, data map[string]any) {
	writeJSON(w, status, apiError{Error: key, Message: c.opts.Translator.T(readLang(r), key, data)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// StartText is what the page sends to begin a conversation; its echo is never shown.
const StartText = "/start"

// Opening returns the chat's history for the page to show at once, so the first buttons are
// usable as soon as the page is. For a chat with no history it starts the conversation (what
// the page would send, under a fixed message id so it happens once) and waits up to wait for
// the welcome. Nil items with a nil error mean the page starts the conversation itself.
func (c *Channel) Opening(ctx context.Context, chatID, lang string, wait time.Duration) ([]Item, error) {
	items, err := c.history.Messages(ctx, chatID, 0, c.opts.PageLimit)
	if err != nil || len(items) > 0 {
		return items, err
	}
	h := c.currentHandler()
	if h == nil || !c.limiter.allow(chatID, c.opts.Now()) {
		return nil, nil
	}
	in := bot.Inbound{Channel: Name, ChatID: chatID, MessageID: chatID + ":start", Kind: bot.KindText,
		Text: StartText, Lang: lang, ReceivedAt: c.opts.Now().UTC()}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.HandleTimeout)
	err = h.HandleInbound(hctx, in)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("webchat: start the conversation: %w", err)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		woken, release := c.broker.subscribe(chatID)
		items, err = c.history.Messages(ctx, chatID, 0, c.opts.PageLimit)
		if err != nil || hasOut(items) {
			release()
			return items, err
		}
		select {
		case <-woken:
			release()
			if woken == closedCh { // the channel stopped
				return items, nil
			}
		case <-timer.C:
			release()
			return items, nil // the welcome comes with the page's first poll
		case <-ctx.Done():
			release()
			return items, nil
		}
	}
}

func hasOut(items []Item) bool {
	for _, it := range items {
		if it.Direction == DirectionOut {
			return true
		}
	}
	return false
}
