package whatsappcloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/suarawarga/suarawarga/bot"
)

// maxInboundRunes bounds the text kept from one message; WhatsApp allows 4096.
const maxInboundRunes = 4096

// Message is one element of a webhook's value.messages[].
type Message struct {
	From       string          `json:"from"`         // the sender's phone number (wa_id); absent for a username-only user
	FromUserID string          `json:"from_user_id"` // the business-scoped user id (BSUID)
	ID         string          `json:"id"`           // wamid...
	Timestamp  json.RawMessage `json:"timestamp"`    // unix seconds (or milliseconds), as a string
	Type       string          `json:"type"`
	Context    *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context,omitempty"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text,omitempty"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply,omitempty"`
		ListReply *struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply,omitempty"`
	} `json:"interactive,omitempty"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button,omitempty"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location,omitempty"`
	Image    *Media            `json:"image,omitempty"`
	Document *Media            `json:"document,omitempty"`
	Audio    *Media            `json:"audio,omitempty"`
	Video    *Media            `json:"video,omitempty"`
	Sticker  *Media            `json:"sticker,omitempty"`
	Contacts []json.RawMessage `json:"contacts,omitempty"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction,omitempty"`
}

// Media is the media object of an inbound message.
type Media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	Voice    bool   `json:"voice"`
}

// Contact is one element of a webhook's value.contacts[]: who sent the messages.
type Contact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"`
}

// Translated is an inbound message as the bot sees it, and what the adapter
// must still do before handing it over.
type Translated struct {
	Inbound bot.Inbound
	// Media is the photo to fetch into Inbound.Photo; nil otherwise.
	Media *Media
	// Page is set when the person tapped "Berikutnya" in a long list: the adapter
	// shows the choices from this offset instead of handing anything over.
	Page int
	// Ignore is set for messages that need no answer (a removed reaction, a system notice).
	Ignore bool
}

// ChatID is the address the bot answers a sender at: their phone number when
// WhatsApp gives it, otherwise their business-scoped user id.
func (m *Message) ChatID() string {
	if m.From != "" {
		return m.From
	}
	return m.FromUserID
}

// Translate turns one webhook message into an Inbound; a pure function (the
// choice ids of long buttons are resolved by the channel afterwards).
func Translate(m Message, contacts []Contact) Translated {
	in := bot.Inbound{Channel: Name, ChatID: m.ChatID(), MessageID: m.ID, ReceivedAt: unixTime(m.Timestamp)}
	for _, ct := range contacts {
		if (ct.WaID != "" && ct.WaID == m.From) || (ct.UserID != "" && ct.UserID == m.FromUserID) || len(contacts) == 1 {
			in.Name = cleanText(ct.Profile.Name)
			break
		}
	}
	if m.Context != nil && m.Context.ID != "" {
		in.ReplyTo = m.Context.ID
	}
	t := Translated{Page: -1}
	unsupported := func(kind string) Translated {
		in.Kind, in.Unsupported = bot.KindUnsupported, kind
		t.Inbound = in
		return t
	}
	switch m.Type {
	case "text":
		if m.Text == nil {
			return unsupported("other")
		}
		in.Kind, in.Text = bot.KindText, cleanText(m.Text.Body)
	case "interactive":
		switch {
		case m.Interactive != nil && m.Interactive.ButtonReply != nil:
			in.Kind, in.ChoiceID, in.Text = bot.KindChoice, m.Interactive.ButtonReply.ID, cleanText(m.Interactive.ButtonReply.Title)
		case m.Interactive != nil && m.Interactive.ListReply != nil:
			r := m.Interactive.ListReply
			if off, ok := pageOffset(r.ID); ok {
				t.Page = off
				t.Inbound = in
				return t
			}
			// A shortened row title carries the full label in its description.
			label := r.Title
			if strings.HasSuffix(label, "…") && r.Description != "" {
				label = r.Description
			}
			in.Kind, in.ChoiceID, in.Text = bot.KindChoice, r.ID, cleanText(label)
		default:
			return unsupported("other")
		}
	case "button":
		// A quick reply of a template message.
		if m.Button == nil {
			return unsupported("other")
		}
		if m.Button.Payload != "" {
			in.Kind, in.ChoiceID, in.Text = bot.KindChoice, cleanText(m.Button.Payload), cleanText(m.Button.Text)
		} else {
			in.Kind, in.Text = bot.KindText, cleanText(m.Button.Text)
		}
	case "location":
		if m.Location == nil {
			return unsupported("other")
		}
		in.Kind, in.Lat, in.Lng = bot.KindLocation, m.Location.Latitude, m.Location.Longitude
		in.Text = cleanText(strings.TrimSpace(strings.Join(strings.Fields(m.Location.Name+" "+m.Location.Address), " ")))
	case "image":
		if m.Image == nil || m.Image.ID == "" {
			return unsupported("other")
		}
		in.Kind, in.PhotoMIME, in.Text = bot.KindPhoto, m.Image.MimeType, cleanText(m.Image.Caption)
		t.Media = m.Image
	case "document":
		if m.Document != nil && strings.HasPrefix(m.Document.MimeType, "image/") && m.Document.ID != "" {
			// A photo sent "as a document" keeps its quality; it is still a photo to the citizen.
			in.Kind, in.PhotoMIME, in.Text = bot.KindPhoto, m.Document.MimeType, cleanText(m.Document.Caption)
			t.Media = m.Document
			break
		}
		return unsupported("document")
	case "audio":
		return unsupported("voice")
	case "video":
		return unsupported("video")
	case "sticker":
		return unsupported("sticker")
	case "contacts":
		return unsupported("contact")
	case "reaction":
		if m.Reaction == nil || m.Reaction.Emoji == "" {
			t.Ignore = true // a reaction taken back
			t.Inbound = in
			return t
		}
		return unsupported("reaction")
	case "system", "request_welcome", "ephemeral":
		// A changed number, the chat opened for the first time: nothing to answer.
		t.Ignore = true
		t.Inbound = in
		return t
	default:
		// "unsupported", "order", polls, future kinds.
		return unsupported("other")
	}
	t.Inbound = in
	return t
}

// cleanText is bot.CleanText bounded to what one message may carry.
func cleanText(s string) string { return bot.CleanText(s, maxInboundRunes) }

// pageOffset reads the id of a "Berikutnya" row: "~p" and the offset of the next page.
func pageOffset(id string) (int, bool) {
	s, ok := strings.CutPrefix(id, pagePrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// Prefixes of the ids the adapter makes itself; a choice id starting with "~" is sent as a token.
const (
	tokenPrefix = "~t"
	pagePrefix  = "~p"
)

// buttonID is the choice id itself when it fits limit characters, else a short
// token remembered in memory. After a restart an unknown token falls back to
// the row's label, which the flow matches like typed text.
func (c *Channel) buttonID(id string, limit int) string {
	if id != "" && len(id) <= limit && !strings.HasPrefix(id, "~") {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(sum[:])[:22]
	c.mu.Lock()
	if len(c.tokens) > 100000 {
		c.tokens = map[string]string{}
	}
	c.tokens[tok] = id
	c.mu.Unlock()
	return tok
}

// resolveChoice maps a token back to its choice id; an unknown token becomes the typed label.
func (c *Channel) resolveChoice(in *bot.Inbound) {
	if in.Kind != bot.KindChoice || !strings.HasPrefix(in.ChoiceID, tokenPrefix) {
		return
	}
	c.mu.Lock()
	id, ok := c.tokens[in.ChoiceID]
	c.mu.Unlock()
	if ok {
		in.ChoiceID = id
		return
	}
	in.Kind, in.ChoiceID = bot.KindText, ""
}

var errPhotoGone = errors.New("photo not downloadable")

// mediaInfo is GET /{media-id}'s answer.
type mediaInfo struct {
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	FileSize int64  `json:"file_size"`
}

// fillPhoto fetches a photo into in at once (its URL lives only minutes): GET
// /{media-id}, then the returned URL with the bearer token. A photo above the
// size limit is not downloaded: in carries MaxPhotoBytes+1 zero bytes so the
// handler refuses it politely (a fresh allocation is never touched, so it
// costs no memory). One WhatsApp no longer has is handed over without bytes
// (the handler says it could not be used); a transient failure is returned so
// Meta delivers the webhook again.
func (c *Channel) fillPhoto(ctx context.Context, in *bot.Inbound, m *Media) error {
	limit := c.opts.MaxPhotoBytes
	var info mediaInfo
	if err := c.call(ctx, http.MethodGet, url.PathEscape(m.ID), nil, &info); err != nil {
		if kind, _ := classify(err); kind == kindRejected {
			c.log.Info("whatsapp cloud api photo is gone", "error", err)
			in.Photo = nil
			return nil
		}
		return fmt.Errorf("whatsappcloud: media %s: %w", "lookup", err)
	}
	if info.MimeType != "" {
		in.PhotoMIME = info.MimeType
	}
	if info.FileSize > limit {
		in.Photo = make([]byte, limit+1)
		return nil
	}
	if info.URL == "" {
		in.Photo = nil
		return nil
	}
	data, err := c.download(ctx, info.URL, limit)
	switch {
	case errors.Is(err, errTooLarge):
		in.Photo = make([]byte, limit+1)
		return nil
	case errors.Is(err, errPhotoGone):
		c.log.Info("whatsapp cloud api photo could not be downloaded", "error", err)
		in.Photo = nil
		return nil
	case err != nil:
		return err
	}
	want := info.SHA256
	if want == "" {
		want = m.SHA256
	}
	if want != "" && !sameHash(data, want) {
		return errors.New("whatsappcloud: the downloaded photo does not match its sha256; it will be fetched again")
	}
	in.Photo = data
	return nil
}

var errTooLarge = errors.New("photo too large")

// download fetches a media URL with the bearer token.
func (c *Channel) download(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	dctx, cancel := context.WithTimeout(ctx, 2*c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: bad media url", errPhotoGone)
	}
	req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, &transportError{msg: "whatsappcloud media download: " + c.redact(errText(err)), err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("whatsappcloud media download: HTTP %d", resp.StatusCode)
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("whatsappcloud media download: HTTP %d (the token)", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: HTTP %d", errPhotoGone, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &transportError{msg: "whatsappcloud media download: " + c.redact(errText(err)), err: err}
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// sameHash compares data's SHA-256 with a hex or base64 digest.
func sameHash(data []byte, digest string) bool {
	sum := sha256.Sum256(data)
	if b, err := hex.DecodeString(digest); err == nil && len(b) == len(sum) {
		return bytes.Equal(b, sum[:])
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(digest); err == nil && len(b) == len(sum) {
			return bytes.Equal(b, sum[:])
		}
	}
	return true // a digest in a form we do not know is not a reason to refuse the photo
}

var chatIDRE = regexp.MustCompile(`^(?:[0-9]{5,20}|[A-Z]{2}\.[A-Za-z0-9.]{1,160})$`)

// isPhone reports a chat id that is a phone number (sent as "to"); otherwise it
// is a business-scoped user id (sent as "recipient").
func isPhone(chatID string) bool {
	return chatID != "" && strings.Trim(chatID, "0123456789") == ""
}
