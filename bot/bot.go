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
	// PhotoPath is a file to attach (under the data directory), if any.
	PhotoPath string `json:"photo_path,omitempty"`
	// Lat/Lng attach a map point when HasLocation is set.
	HasLocation bool    `json:"has_location,omitempty"`
	Lat         float64 `json:"lat,omitempty"`
	Lng         float64 `json:"lng,omitempty"`
	// Ref is the id of the outbound message row; adapters may use it as an idempotency key.
	Ref int64 `json:"ref,omitempty"`
	// Lang is the language the text was written in ("id" or "en"; empty means "id"), for
	// what an adapter adds itself, such as WhatsApp's "reply with a number" line.
	Lang string `json:"lang,omitempty"`
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

// SentObserver is an optional Channel capability: the delivery worker tells it
// when a message has been recorded as sent (after Send returned and the row was updated).
type SentObserver interface {
	Sent(ctx context.Context, out Outbound, platformID string)
}
