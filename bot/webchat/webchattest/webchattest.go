// Package webchattest holds test doubles for the web chat: an in-memory History and a
// scripted Bot that records inbound messages and answers through the channel.
package webchattest

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
)

// History is an in-memory webchat.History; safe for concurrent use.
type History struct {
	mu    sync.Mutex
	items map[string][]webchat.Item
	next  int64
}

var _ webchat.History = (*History)(nil)

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{items: map[string][]webchat.Item{}}
}

// Messages returns the chat's items with Seq > after, oldest first, at most limit.
// Items are numbered as they are added, so Seq follows the order they became visible.
func (h *History) Messages(_ context.Context, chatID string, after int64, limit int) ([]webchat.Item, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []webchat.Item
	for _, it := range h.items[chatID] {
		if it.Seq > after {
			out = append(out, it)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// AddIn records the echo of an inbound message and returns it.
func (h *History) AddIn(in bot.Inbound) webchat.Item {
	it := webchat.Item{Direction: webchat.DirectionIn, Text: in.Text}
	switch in.Kind {
	case bot.KindLocation:
		it.Lat, it.Lng, it.HasLocation = in.Lat, in.Lng, true
	case bot.KindPhoto:
		it.PhotoURL = "data:" + in.PhotoMIME + ";base64," + base64.StdEncoding.EncodeToString(in.Photo)
	}
	return h.add(in.ChatID, it)
}

// AddOut records an outbound message as sent and returns it (its ID is the outbound's Ref).
// Its PhotoPath is shown as the item's PhotoURL, so a test points it at a URL it serves.
func (h *History) AddOut(out bot.Outbound) webchat.Item {
	it := webchat.Item{
		Direction:   webchat.DirectionOut,
		Text:        out.Text,
		Choices:     slices.Clone(out.Choices),
		AskLocation: out.AskLocation,
		AskPhoto:    out.AskPhoto,
		Lat:         out.Lat,
		Lng:         out.Lng,
		HasLocation: out.HasLocation,
		PhotoURL:    out.PhotoPath,
	}
	return h.add(out.ChatID, it)
}

func (h *History) add(chatID string, it webchat.Item) webchat.Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	it.ID, it.Seq = h.next, h.next
	it.At = time.Now().UTC()
	h.items[chatID] = append(h.items[chatID], it)
	return it
}

// Items returns a copy of a chat's items.
func (h *History) Items(chatID string) []webchat.Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.items[chatID])
}

// Bot is a scripted inbound handler: it records each message, echoes it into the history,
// and sends the replies Reply returns through the channel, as the real handler and the
// delivery worker would.
type Bot struct {
	History *History
	// Channel receives the replies; set it after webchat.New.
	Channel *webchat.Channel
	// Reply answers one message; nil answers nothing.
	Reply func(in bot.Inbound) []bot.Outbound
	// Fail, when set and returning an error, makes the handler fail before recording anything.
	Fail func(in bot.Inbound) error

	mu      sync.Mutex
	inbound []bot.Inbound
	seen    map[string]bool
}

var _ bot.InboundHandler = (*Bot)(nil)

// HandleInbound records the message and answers it; a repeated MessageID is ignored like the
// real dispatcher does.
func (b *Bot) HandleInbound(ctx context.Context, in bot.Inbound) error {
	if b.Fail != nil {
		if err := b.Fail(in); err != nil {
			return err
		}
	}
	b.mu.Lock()
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	dup := b.seen[in.MessageID]
	b.seen[in.MessageID] = true
	b.inbound = append(b.inbound, in)
	b.mu.Unlock()
	if dup {
		return nil
	}
	b.History.AddIn(in)
	if b.Reply == nil {
		return nil
	}
	for _, out := range b.Reply(in) {
		out.Channel, out.ChatID = webchat.Name, in.ChatID
		out.Ref = b.History.AddOut(out).ID
		if b.Channel != nil {
			id, err := b.Channel.Send(ctx, out)
			if err != nil {
				return fmt.Errorf("send reply: %w", err)
			}
			b.Channel.Sent(ctx, out, id)
		}
	}
	return nil
}

// Inbound returns a copy of every message received, duplicates included.
func (b *Bot) Inbound() []bot.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.inbound)
}
