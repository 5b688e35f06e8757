// Package whatsapptest is a fake whatsmeow client for the WhatsApp adapter's
// tests: it delivers message events to the adapter as WhatsApp would, records
// every message, presence and read receipt the adapter sends, and keeps time on
// a fake clock.
package whatsapptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
)

// Clock is a fake clock: SleepUntil moves it forward at once.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ whatsapp.Clock = (*Clock)(nil)

// NewClock starts a fake clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// SleepUntil moves the clock to t when t is later.
func (c *Clock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sent is one message the adapter sent.
type Sent struct {
	To  string // the chat's JID
	ID  string
	Msg *waE2E.Message
	At  time.Time // on the client's clock
}

// Text is what the person reads: the text, or a photo's caption.
func (s Sent) Text() string {
	switch {
	case s.Msg.GetConversation() != "":
		return s.Msg.GetConversation()
	case s.Msg.GetExtendedTextMessage() != nil:
		return s.Msg.GetExtendedTextMessage().GetText()
	case s.Msg.GetImageMessage() != nil:
		return s.Msg.GetImageMessage().GetCaption()
	}
	return ""
}

// Presence is one chat presence the adapter sent.
type Presence struct {
	To    string
	State types.ChatPresence
	At    time.Time
}

// Client is the fake; it implements whatsapp.Client.
type Client struct {
	// Clock stamps sends; nil uses the wall clock.
	Clock whatsapp.Clock

	mu          sync.Mutex
	handlers    map[uint32]whatsmeow.EventHandlerWithSuccessStatus
	nextHandler uint32
	connected   bool
	failConnect int
	sendErr     []error
	seq         int
	sent        []Sent
	presences   []Presence
	reads       []string
	media       map[string][]byte
	notify      chan struct{}
}

var _ whatsapp.Client = (*Client)(nil)

// New returns a disconnected fake client.
func New(clock whatsapp.Clock) *Client {
	return &Client{Clock: clock, handlers: map[uint32]whatsmeow.EventHandlerWithSuccessStatus{}, media: map[string][]byte{}, notify: make(chan struct{})}
}

func (c *Client) now() time.Time {
	if c.Clock != nil {
		return c.Clock.Now()
	}
	return time.Now()
}

// FailConnects makes the next n connection attempts fail.
func (c *Client) FailConnects(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failConnect = n
}

// FailSends makes the next sends return these errors, one each.
func (c *Client) FailSends(errs ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendErr = append(c.sendErr, errs...)
}

// ConnectContext connects and, like whatsmeow, emits events.Connected.
func (c *Client) ConnectContext(ctx context.Context) error {
	c.mu.Lock()
	if c.failConnect > 0 {
		c.failConnect--
		c.mu.Unlock()
		return errors.New("fake: connection refused")
	}
	c.connected = true
	c.mu.Unlock()
	go c.Emit(&events.Connected{})
	return nil
}

// Disconnect drops the connection.
func (c *Client) Disconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connected = false
}

// IsConnected reports whether ConnectContext succeeded since the last Disconnect.
func (c *Client) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// IsLoggedIn is true: the fake is always paired.
func (c *Client) IsLoggedIn() bool { return true }

// AddEventHandlerWithSuccessStatus registers h.
func (c *Client) AddEventHandlerWithSuccessStatus(h whatsmeow.EventHandlerWithSuccessStatus) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextHandler++
	c.handlers[c.nextHandler] = h
	return c.nextHandler
}

// RemoveEventHandler unregisters a handler.
func (c *Client) RemoveEventHandler(id uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.handlers[id]
	delete(c.handlers, id)
	return ok
}

// Emit hands evt to every handler, as whatsmeow does, and reports whether all succeeded
// (false means whatsmeow would withhold the ack and WhatsApp would deliver it again).
func (c *Client) Emit(evt any) bool {
	c.mu.Lock()
	hs := make([]whatsmeow.EventHandlerWithSuccessStatus, 0, len(c.handlers))
	for _, h := range c.handlers {
		hs = append(hs, h)
	}
	c.mu.Unlock()
	ok := true
	for _, h := range hs {
		if !h(evt) {
			ok = false
		}
	}
	return ok
}

// SendMessage records the message.
func (c *Client) SendMessage(ctx context.Context, to types.JID, message *waE2E.Message, _ ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return whatsmeow.SendResponse{}, whatsmeow.ErrNotConnected
	}
	if len(c.sendErr) > 0 {
		err := c.sendErr[0]
		c.sendErr = c.sendErr[1:]
		return whatsmeow.SendResponse{}, err
	}
	c.seq++
	id := fmt.Sprintf("3EB0BOT%06d", c.seq)
	c.sent = append(c.sent, Sent{To: to.String(), ID: id, Msg: proto.Clone(message).(*waE2E.Message), At: c.now()})
	close(c.notify)
	c.notify = make(chan struct{})
	return whatsmeow.SendResponse{ID: id, Timestamp: c.now()}, nil
}

// SendPresence accepts the global presence.
func (c *Client) SendPresence(context.Context, types.Presence) error { return nil }

// SendChatPresence records a typing indicator.
func (c *Client) SendChatPresence(_ context.Context, jid types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.presences = append(c.presences, Presence{To: jid.String(), State: state, At: c.now()})
	return nil
}

// MarkRead records the read receipts.
func (c *Client) MarkRead(_ context.Context, ids []types.MessageID, _ time.Time, _, _ types.JID, _ ...types.ReceiptType) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads = append(c.reads, ids...)
	return nil
}

// Download returns the bytes registered for the media's direct path.
func (c *Client) Download(_ context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.media[msg.GetDirectPath()]
	if !ok {
		return nil, whatsmeow.ErrMediaDownloadFailedWith404
	}
	return data, nil
}

// Upload pretends to upload and returns a direct path; the bytes stay readable
// with Uploaded (and Download), as a recipient's phone would get them.
func (c *Client) Upload(_ context.Context, plaintext []byte, _ whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	path := fmt.Sprintf("/up/%d", c.seq)
	c.media[path] = append([]byte(nil), plaintext...)
	return whatsmeow.UploadResponse{URL: "https://mmg.invalid/up", DirectPath: path, FileLength: uint64(len(plaintext))}, nil
}

// Uploaded returns the bytes the bot uploaded for a sent image message (nil for none).
func (c *Client) Uploaded(m *waE2E.Message) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if img := m.GetImageMessage(); img != nil {
		return c.media[img.GetDirectPath()]
	}
	return nil
}

// Sent returns every message sent so far.
func (c *Client) Sent() []Sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Sent(nil), c.sent...)
}

// SentTo returns the messages sent to one chat.
func (c *Client) SentTo(chat string) []Sent {
	var out []Sent
	for _, s := range c.Sent() {
		if s.To == chat {
			out = append(out, s)
		}
	}
	return out
}

// Presences returns every chat presence sent.
func (c *Client) Presences() []Presence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Presence(nil), c.presences...)
}

// Reads returns the ids marked read.
func (c *Client) Reads() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reads...)
}

// WaitSent waits until chat got at least n messages and returns them.
func (c *Client) WaitSent(chat string, n int, timeout time.Duration) ([]Sent, error) {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		ch := c.notify
		c.mu.Unlock()
		if got := c.SentTo(chat); len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-deadline:
			got := c.SentTo(chat)
			return got, fmt.Errorf("chat %s got %d messages, want %d", chat, len(got), n)
		}
	}
}

// AddMedia registers bytes a later image event refers to by directPath.
func (c *Client) AddMedia(directPath string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.media[directPath] = data
}

// JID is a person's chat address on the default user server.
func JID(phone string) types.JID { return types.NewJID(phone, types.DefaultUserServer) }

// Event wraps a message from phone, with id, into the event whatsmeow emits.
func Event(phone, id string, m *waE2E.Message) *events.Message {
	j := JID(phone)
	return &events.Message{
		Info:    types.MessageInfo{MessageSource: types.MessageSource{Chat: j, Sender: j}, ID: id, PushName: "Warga " + phone, Timestamp: time.Now()},
		Message: m,
	}
}

// TextMessage is a plain text message.
func TextMessage(text string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(text)} }

// LocationMessage is a shared map point.
func LocationMessage(lat, lng float64) *waE2E.Message {
	return &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(lat), DegreesLongitude: proto.Float64(lng)}}
}

// ImageMessage is a photo whose bytes the fake serves at directPath.
func (c *Client) ImageMessage(directPath string, data []byte, mime string) *waE2E.Message {
	c.AddMedia(directPath, data)
	return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String(directPath), Mimetype: proto.String(mime), FileLength: proto.Uint64(uint64(len(data)))}}
}

// UnsupportedMessage is a voice note, sticker, video, document or contact, by the transcripts' word for it.
func UnsupportedMessage(kind string) *waE2E.Message {
	switch kind {
	case "voice":
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true)}}
	case "sticker":
		return &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}
	case "video":
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{}}
	case "document":
		return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf")}}
	case "contact":
		return &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Pak RT")}}
	}
	return &waE2E.Message{PollCreationMessage: &waE2E.PollCreationMessage{Name: proto.String(kind)}}
}

// MemoryHistory is an in-memory whatsapp.History for adapter tests.
type MemoryHistory struct {
	mu      sync.Mutex
	inbound map[string]time.Time
	sent    map[string][]time.Time
}

// NewMemoryHistory returns an empty history.
func NewMemoryHistory() *MemoryHistory {
	return &MemoryHistory{inbound: map[string]time.Time{}, sent: map[string][]time.Time{}}
}

// Wrote records that chat wrote at t.
func (h *MemoryHistory) Wrote(chat string, t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inbound[chat] = t
}

// Delivered records a message sent to chat at t.
func (h *MemoryHistory) Delivered(chat string, t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent[chat] = append(h.sent[chat], t)
}

// LastInbound implements whatsapp.History.
func (h *MemoryHistory) LastInbound(_ context.Context, chat string) (time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inbound[chat], nil
}

// SentSince implements whatsapp.History.
func (h *MemoryHistory) SentSince(_ context.Context, chat string, since time.Time) (int, time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, oldest := 0, time.Time{}
	for _, t := range h.sent[chat] {
		if !t.Before(since) {
			if n == 0 || t.Before(oldest) {
				oldest = t
			}
			n++
		}
	}
	return n, oldest, nil
}

// LastChoices implements whatsapp.History: the fake keeps no outbound rows, so the
// adapter's memory of what it sent is all there is.
func (h *MemoryHistory) LastChoices(context.Context, string) ([]bot.Choice, error) { return nil, nil }

var _ whatsapp.History = (*MemoryHistory)(nil)
