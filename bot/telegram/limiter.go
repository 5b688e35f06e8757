package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/bot"
)

// Limiter paces sends to Telegram's limits: a global rate across all chats
// (spaced, and counted over a sliding second, so a burst never exceeds it) and a per-chat rate with a
// short burst, as a GCRA (virtual scheduling) bucket per chat. A 429 pauses the
// global rate for its retry_after, so every chat waits, not only the one that hit it.
// It implements bot.Pacer.
type Limiter struct {
	interval  time.Duration // between two sends across all chats
	chatEvery time.Duration // between two sends to one chat, after the burst
	burst     int

	mu          sync.Mutex
	next        time.Time   // earliest time of the next global send
	released    []time.Time // ring of the last sends' times, one second's worth
	head        int         // oldest entry of released once it is full
	pausedUntil time.Time
	chats       map[string]*chatPace
	calls       int
}

// chatPace is one chat's GCRA state; lock serializes waiters of the same chat.
type chatPace struct {
	lock chan struct{}
	tat  time.Time // theoretical arrival time
}

var _ bot.Pacer = (*Limiter)(nil)

// NewLimiter paces perSecond messages across all chats and perChat messages per
// second in one chat with bursts of burst. Non-positive values take Telegram's
// defaults: 30/s, 1/s, burst 3.
func NewLimiter(perSecond, perChat float64, burst int) *Limiter {
	if perSecond <= 0 {
		perSecond = DefaultRate
	}
	if perChat <= 0 {
		perChat = DefaultChatRate
	}
	if burst <= 0 {
		burst = DefaultChatBurst
	}
	return &Limiter{
		released:  make([]time.Time, 0, max(1, int(perSecond))),
		interval:  time.Duration(float64(time.Second) / perSecond),
		chatEvery: time.Duration(float64(time.Second) / perChat),
		burst:     burst,
		chats:     map[string]*chatPace{},
	}
}

// Wait blocks until one message to chatID may go out; channel is ignored (one
// Limiter paces one bot).
func (l *Limiter) Wait(ctx context.Context, _ string, chatID string) error {
	cp := l.chat(chatID)
	select {
	case cp.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-cp.lock }()

	l.mu.Lock()
	ready := cp.tat.Add(-time.Duration(l.burst-1) * l.chatEvery)
	l.mu.Unlock()
	if err := sleepUntil(ctx, ready); err != nil {
		return err
	}
	if err := l.WaitGlobal(ctx); err != nil {
		return err
	}
	// The chat's slot is taken at the moment the message really leaves, so a long
	// global wait never lets the chat's next messages bunch up behind it.
	now := time.Now()
	l.mu.Lock()
	if cp.tat.Before(now) {
		cp.tat = now
	}
	cp.tat = cp.tat.Add(l.chatEvery)
	l.mu.Unlock()
	return nil
}

// WaitGlobal blocks until one request may go out under the global rate only;
// edits of earlier messages use it (they are not new messages in the chat).
// It counts real release times, not reservations: two sends are at least one
// interval apart and no more than the rate go out in any window of a second
// (plus a small margin for the jitter between release and arrival).
func (l *Limiter) WaitGlobal(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		ready := l.next
		if l.pausedUntil.After(ready) {
			ready = l.pausedUntil
		}
		if len(l.released) == cap(l.released) {
			if w := l.released[l.head].Add(time.Second + windowMargin); w.After(ready) {
				ready = w
			}
		}
		if !ready.After(now) {
			l.next = now.Add(l.interval)
			if len(l.released) < cap(l.released) {
				l.released = append(l.released, now)
			} else {
				l.released[l.head] = now
				l.head = (l.head + 1) % len(l.released)
			}
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if err := sleepUntil(ctx, ready); err != nil {
			return err
		}
	}
}

// windowMargin widens the one-second window the global rate is counted in.
const windowMargin = 15 * time.Millisecond

// Pause stops every send for d, as Telegram asks with a 429's retry_after.
func (l *Limiter) Pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until := time.Now().Add(d)
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	if l.next.Before(l.pausedUntil) {
		l.next = l.pausedUntil
	}
}

// PausedFor reports how much longer sending is paused (0 when it is not).
func (l *Limiter) PausedFor() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(0, time.Until(l.pausedUntil))
}

func (l *Limiter) chat(id string) *chatPace {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%4096 == 0 {
		// Forget chats whose bucket is full again: they behave exactly like new ones.
		now := time.Now()
		for k, cp := range l.chats {
			if cp.tat.Before(now) && len(cp.lock) == 0 {
				delete(l.chats, k)
			}
		}
	}
	cp, ok := l.chats[id]
	if !ok {
		cp = &chatPace{lock: make(chan struct{}, 1)}
		l.chats[id] = cp
	}
	return cp
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
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
