// Package bot holds the platform-neutral message path: inbound and outbound
// messages, the Channel seam every adapter implements, the dispatcher and the
// conversation handler.
package bot

import (
	"context"
	"time"
)

// InboundKind says what a citizen or officer sent.
type InboundKind string

// The kinds of inbound message every adapter normalizes to.
const (
	KindText        InboundKind = "text"        // plain text, commands included ("/start", "menu")
	KindChoice      InboundKind = "choice"      // a button press; ChoiceID holds the choice id
	KindLocation    InboundKind = "location"    // a shared map point
	KindPhoto       InboundKind = "photo"       // an image; Photo holds the bytes
	KindUnsupported InboundKind = "unsupported" // voice, sticker, document...; Unsupported says which
)

// Inbound is one normalized message from a channel.
type Inbound struct {
	Channel   string // "webchat", "telegram", "whatsapp"
	ChatID    string // the platform's address of the sender (chat id, JID, web session)
	MessageID string // the platform's message id; unique per channel, used to drop duplicates
	Kind      InboundKind
	Text      string
	ChoiceID  string
	Lat, Lng  float64
	Photo     []byte // raw image bytes, already size-checked by the adapter
	PhotoMIME string
	// Unsupported names the platform kind that cannot be handled ("voice", "sticker", "document", "contact", "edited").
	Unsupported string
	// Name is the sender's display name when the platform gives one.
	Name string
	// Lang is the language hint from the platform ("id", "en"), may be empty.
	Lang string
	// ReplyTo is the platform id of the bot message this one quotes, when the person replied to one.
	ReplyTo    string
	ReceivedAt time.Time
}

// Choice is one option offered to the person; the adapter decides how it looks.
type Choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Outbound is one semantic message to a person. It never holds platform markup.
type Outbound struct {
	Channel string   `json:"channel"`
	ChatID  string   `json:"chat_id"`
	Text    string   `json:"text"`
	Choices []Choice `json:"choices,omitempty"`
	// AskLocation asks the adapter to offer a "share my location" control.
	AskLocation bool `json:"ask_location,omitempty"`
	// AskPhoto says the message asks for a photo: an adapter with a file picker (the web chat)
	// offers a button that opens it; the others ignore it.
	AskPhoto bool `json:"ask_photo,omitempty"`
	// PhotoPath is a file to attach (under the data directory), if any.
	PhotoPath string `json:"photo_path,omitempty"`
	// Download is a file the person may download with DownloadLabel as the link's text
	// (the web chat's /datasaya); other channels show the text alone.
	Download      string `json:"download,omitempty"`
	DownloadLabel string `json:"download_label,omitempty"`
	// Lat/Lng attach a map point when HasLocation is set.
	HasLocation bool    `json:"has_location,omitempty"`
	Lat         float64 `json:"lat,omitempty"`
	Lng         float64 `json:"lng,omitempty"`
	// Ref is the id of the outbound message row; adapters may use it as an idempotency key.
	Ref int64 `json:"ref,omitempty"`
	// Lang is the language the text was written in ("id" or "en"; empty means "id"), for
	// what an adapter adds itself, such as WhatsApp's "reply with a number" line.
	Lang string `json:"lang,omitempty"`
	// Notice is set on the messages of a notification about a complaint (an OPD's
	// reply, a status change, a reminder); nil on conversation messages.
	Notice *Notice `json:"notice,omitempty"`
}

// Notice says which notification a message carries, so a channel that may not
// send free-form text at the moment (the WhatsApp Cloud API more than 24 hours
// after the person last wrote) can send the platform's approved template for it
// instead, or keep the message until the person writes again. Conversation
// messages carry none: outside such a window they are stale and not sent.
type Notice struct {
	// Key is the notification's locale key, e.g. "notifikasi.tanggapan".
	Key string `json:"key"`
	// Data is its template data as text (kode, opd, teks, batas...). It is empty
	// on the photos and map point that follow the notification's text.
	Data map[string]string `json:"data,omitempty"`
	// Choices are answers a template may offer as quick replies: the question
	// that follows the notification (the survey's yes/no), or an officer's way
	// to open the complaint.
	Choices []Choice `json:"choices,omitempty"`
}

// WithLang sets the language of every message in outs that has none.
func WithLang(outs []Outbound, lang string) []Outbound {
	for i := range outs {
		if outs[i].Lang == "" {
			outs[i].Lang = lang
		}
	}
	return outs
}

// Channel is the seam every platform adapter implements.
type Channel interface {
	// Name is the channel's stable name, e.g. "telegram".
	Name() string
	// Run receives messages and hands each to h until ctx is cancelled.
	// An adapter acknowledges a message to its platform only after h returns nil.
	Run(ctx context.Context, h InboundHandler) error
	// Send delivers one message and returns the platform's message id.
	Send(ctx context.Context, out Outbound) (string, error)
}

// InboundHandler takes one inbound message; it returns after the message is committed.
type InboundHandler interface {
	HandleInbound(ctx context.Context, in Inbound) error
}

// InboundHandlerFunc adapts a function to InboundHandler.
type InboundHandlerFunc func(ctx context.Context, in Inbound) error

// HandleInbound calls f.
func (f InboundHandlerFunc) HandleInbound(ctx context.Context, in Inbound) error { return f(ctx, in) }

// Delivery states a platform reports about a message the bot sent.
const (
	DeliverySent      = "sent"      // the platform accepted it
	DeliveryDelivered = "delivered" // it reached the person's phone
	DeliveryRead      = "read"      // the person opened it
	DeliveryFailed    = "failed"    // the platform gave up on it; Err says why
)

// StatusUpdate is what a platform reported, after the send returned, about a
// message the bot sent (WhatsApp Cloud API statuses webhooks).
type StatusUpdate struct {
	Channel string
	// Ref is the outbound message row the platform echoed back, when it echoes
	// one; otherwise PlatformID finds the row.
	Ref        int64
	PlatformID string
	// Final reports that the status is about the last part of the row's
	// message (a long message goes out in several parts).
	Final bool
	State string // DeliverySent, DeliveryDelivered, DeliveryRead or DeliveryFailed
	At    time.Time
	// Err classifies a failure like Channel.Send's errors: ErrUnreachable,
	// ErrResend (send it again: the adapter now knows how), ErrRejected or another.
	Err error
}

// StatusHandler takes the status updates an adapter receives; the delivery
// worker implements it. It returns nil once the update is recorded.
type StatusHandler interface {
	HandleStatus(ctx context.Context, st StatusUpdate) error
}

// SentObserver is an optional Channel capability: the delivery worker tells it
// when a message has been recorded as sent (after Send returned and the row was updated).
type SentObserver interface {
	Sent(ctx context.Context, out Outbound, platformID string)
}

// Readier is an optional Channel capability: Ready says why the channel cannot
// serve yet (its platform was unreachable at start), nil once it can; /readyz
// reports not ready meanwhile.
type Readier interface {
	Ready() error
}
