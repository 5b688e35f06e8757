package whatsapp

import (
	"context"
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/bot"
)

// Clock tells the time and waits; the pacer and the typing presence use it so
// tests can run them on a fake clock.
type Clock interface {
	Now() time.Time
	// SleepUntil waits until t or until ctx ends.
	SleepUntil(ctx context.Context, t time.Time) error
}

// RealClock is the wall clock; Offset shifts Now (the app passes its domain clock).
type RealClock struct {
	// NowFunc replaces time.Now when set; waits still last real time.
	NowFunc func() time.Time
}

// Now returns the current time.
func (c RealClock) Now() time.Time {
	if c.NowFunc != nil {
		return c.NowFunc()
	}
	return time.Now()
}

// SleepUntil waits until the clock reads t.
func (c RealClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(c.Now())
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pacing bounds how fast the linked number sends. WhatsApp publishes no limits
// for linked devices and bans numbers whose traffic looks automated, so the
// defaults are deliberately human: see DefaultPacing.
type Pacing struct {
	// ChatGap is the least time between two messages to one chat (WHATSAPP_CHAT_GAP).
	ChatGap time.Duration
	// GlobalPerMinute bounds messages across all chats (WHATSAPP_PER_MINUTE).
	GlobalPerMinute float64
	// Typing is how long "typing…" shows before each reply (WHATSAPP_TYPING); 0 sends no presence.
	Typing time.Duration
	// ColdDailyCap bounds messages in 24 hours to a person who has not written in
	// the last 24 hours (WHATSAPP_COLD_DAILY_CAP), so deadline and survey follow-ups
	// never turn into bulk messaging of quiet numbers.
	ColdDailyCap int
}

// DefaultPacing: 3 s between messages in a chat, 20 messages a minute overall,
// 1.5 s of "typing…", and at most 3 messages a day to a person who has not
// written in the last 24 hours.
var DefaultPacing = Pacing{ChatGap: 3 * time.Second, GlobalPerMinute: 20, Typing: 1500 * time.Millisecond, ColdDailyCap: 3}

func (p Pacing) withDefaults() Pacing {
	if p.ChatGap <= 0 {
		p.ChatGap = DefaultPacing.ChatGap
	}
	if p.GlobalPerMinute <= 0 {
		p.GlobalPerMinute = DefaultPacing.GlobalPerMinute
	}
	if p.Typing < 0 {
		p.Typing = 0
	}
	if p.ColdDailyCap <= 0 {
		p.ColdDailyCap = DefaultPacing.ColdDailyCap
	}
	return p
}

// Pacer spaces sends: a minimum gap per chat and a global rate, reserved when a
// send asks so concurrent chats never bunch up. It implements bot.Pacer.
type Pacer struct {
	pacing   Pacing
	clock    Clock
	interval time.Duration

	mu       sync.Mutex
	next     time.Time            // earliest next send across all chats
	chatNext map[string]time.Time // earliest next send per chat
}

var _ bot.Pacer = (*Pacer)(nil)

// NewPacer builds a pacer; zero fields of p take DefaultPacing, a nil clock is the wall clock.
func NewPacer(p Pacing, clock Clock) *Pacer {
	p = p.withDefaults()
	if clock == nil {
		clock = RealClock{}
	}
	return &Pacer{pacing: p, clock: clock, interval: time.Duration(float64(time.Minute) / p.GlobalPerMinute), chatNext: map[string]time.Time{}}
}

// Pacing returns the limits in force.
func (p *Pacer) Pacing() Pacing { return p.pacing }

// Wait blocks until one message to chatID may go out; channel is ignored (one Pacer paces one number).
func (p *Pacer) Wait(ctx context.Context, _ string, chatID string) error {
	p.mu.Lock()
	now := p.clock.Now()
	at := now
	if p.next.After(at) {
		at = p.next
	}
	if cn := p.chatNext[chatID]; cn.After(at) {
		at = cn
	}
	p.next = at.Add(p.interval)
	p.chatNext[chatID] = at.Add(p.pacing.ChatGap)
	if len(p.chatNext) > 10000 {
		for k, t := range p.chatNext {
			if t.Before(now) {
				delete(p.chatNext, k)
			}
		}
	}
	p.mu.Unlock()
	return p.clock.SleepUntil(ctx, at)
}
