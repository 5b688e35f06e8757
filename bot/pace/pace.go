// Package pace paces requests to a messaging platform's limits: a global rate
// across all chats, a per-chat rate with a short burst, pauses the platform
// asks for, and per-chat backoff. Telegram and the WhatsApp Cloud API adapters
// share it; each sets its platform's numbers.
package pace

import (
	"context"
	"sync"
	"time"
)

// Limiter paces requests to a platform's limits: a global rate across all chats
// and a per-chat rate with a short burst. A platform counts a request when it
// arrives, which is some time after the bot lets it go (scheduling, the HTTP
// stack, the network) and no later than its answer. So every limit is counted
// from the moment a request returned, never from the moment it was let go:
// however late one request arrives, the next ones keep their distance from it.
// A rate-limit answer pauses every chat (Pause), not only the one that hit it;
// one chat can be held back alone (PauseChat).
//
// Acquire and AcquireGlobal return a release function that the caller calls
// as soon as the request returned (with an answer or an error).
type Limiter struct {
	interval  time.Duration // average distance between two sends across all chats
	perWindow int           // sends in any window of one second
	chatEvery time.Duration // between two sends to one chat, after the burst
	burst     int

	mu          sync.Mutex
	next        time.Time // cadence: the slot of the next global send
	ring        []*flight // the last perWindow sends, oldest at head once full
	head        int
	pausedUntil time.Time
	landed      chan struct{} // closed and replaced whenever a send returns
	chats       map[string]*chatPace
	calls       int
}

// flight is one request let go by the limiter.
type flight struct {
	start time.Time // let go
	end   time.Time // returned; zero while in flight
}

// chatPace is one chat's GCRA state; lock is held from a send's Acquire to its
// release, so one chat's requests are counted one after the other.
type chatPace struct {
	lock chan struct{}
	tat  time.Time // theoretical arrival time
}

// maxTransit bounds how long a request still in flight is assumed to take to
// reach the platform: past it, the request counts as having arrived then, so one
// hung connection cannot stall every chat until its timeout. Guessing wrong
// costs at most a rate-limit answer, which pauses sending as the platform asks.
const maxTransit = time.Second

// New paces perSecond messages across all chats and perChat messages per
// second in one chat (1.0/6 is one every 6 s) with bursts of burst; values
// that are not positive count as 1.
func New(perSecond, perChat float64, burst int) *Limiter {
	if perSecond <= 0 {
		perSecond = 1
	}
	if perChat <= 0 {
		perChat = 1
	}
	if burst <= 0 {
		burst = 1
	}
	n := max(1, int(perSecond))
	return &Limiter{
		interval:  time.Duration(float64(time.Second) / perSecond),
		perWindow: n,
		ring:      make([]*flight, 0, n),
		chatEvery: time.Duration(float64(time.Second) / perChat),
		burst:     burst,
		landed:    make(chan struct{}),
		chats:     map[string]*chatPace{},
	}
}

// Acquire blocks until one message to chatID may go out, under the chat's rate
// and the global one. The caller sends it and then calls release, once; until
// then the chat's next message waits.
func (l *Limiter) Acquire(ctx context.Context, chatID string) (release func(), err error) {
	landed, err := l.AcquireTimed(ctx, chatID)
	if err != nil {
		return nil, err
	}
	return func() { landed(time.Time{}) }, nil
}

// AcquireTimed is Acquire for a caller that knows when its request's answer
// began to arrive (the first byte of the HTTP response): the platform had the
// request by then, so the limits may count from that moment rather than from
// the later one the caller got around to releasing. release takes that time;
// the zero time, or one in the future, means now, and one before the request
// was let go means then.
func (l *Limiter) AcquireTimed(ctx context.Context, chatID string) (release func(landed time.Time), err error) {
	cp := l.chat(chatID)
	select {
	case cp.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l.mu.Lock()
	ready := cp.tat.Add(-time.Duration(l.burst-1) * l.chatEvery)
	l.mu.Unlock()
	if err := SleepUntil(ctx, ready); err != nil {
		<-cp.lock
		return nil, err
	}
	f, err := l.acquireGlobal(ctx)
	if err != nil {
		<-cp.lock
		return nil, err
	}
	var once sync.Once
	return func(landed time.Time) {
		once.Do(func() {
			end := l.land(f, landed)
			l.mu.Lock()
			// The chat's slot is taken when the request returned: it arrived no later.
			cp.tat = later(cp.tat, end).Add(l.chatEvery)
			l.mu.Unlock()
			<-cp.lock
		})
	}, nil
}

// AcquireGlobal blocks until one request may go out under the global rate only;
// edits of earlier messages use it (they are not new messages in the chat).
// The caller calls release, once, when the request returned.
func (l *Limiter) AcquireGlobal(ctx context.Context) (release func(), err error) {
	f, err := l.acquireGlobal(ctx)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { l.land(f, time.Time{}) }) }, nil
}

// acquireGlobal lets one request go when three things hold: the pause is over;
// the cadence slot has come (sends are spread one interval apart on average, and
// at least half an interval apart, so a late wake-up is made up without drift
// and without a burst); and the request perWindow sends ago returned at least a
// second ago, so no more than perWindow requests can arrive within any second.
func (l *Limiter) acquireGlobal(ctx context.Context) (*flight, error) {
	for {
		l.mu.Lock()
		now := time.Now()
		ready := later(l.next, l.pausedUntil)
		var landed chan struct{}
		if len(l.ring) == l.perWindow {
			old := l.ring[l.head]
			end := old.end
			if end.IsZero() {
				end = old.start.Add(maxTransit)
				if end.After(now) {
					landed = l.landed // wake up early when it returns
				}
			}
			ready = later(ready, end.Add(time.Second))
		}
		if !ready.After(now) {
			l.next = later(l.next, now.Add(-l.interval/2)).Add(l.interval)
			f := &flight{start: now}
			if len(l.ring) < l.perWindow {
				l.ring = append(l.ring, f)
			} else {
				l.ring[l.head] = f
				l.head = (l.head + 1) % l.perWindow
			}
			l.mu.Unlock()
			return f, nil
		}
		l.mu.Unlock()
		if err := sleepUntilOr(ctx, ready, landed); err != nil {
			return nil, err
		}
	}
}

// land records that f's request returned at landed (now when zero or in the
// future, f's start when before it), and returns that time.
func (l *Limiter) land(f *flight, landed time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if landed.IsZero() || landed.After(now) {
		landed = now
	}
	if landed.Before(f.start) {
		landed = f.start
	}
	if f.end.IsZero() {
		f.end = landed
		close(l.landed)
		l.landed = make(chan struct{})
	}
	return f.end
}

// Pause stops every send for d, as the platform asks (Telegram's retry_after).
func (l *Limiter) Pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pausedUntil = later(l.pausedUntil, time.Now().Add(d))
	l.next = later(l.next, l.pausedUntil)
}

// PausedFor reports how much longer sending is paused (0 when it is not).
func (l *Limiter) PausedFor() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(0, time.Until(l.pausedUntil))
}

// PauseChat holds back the sends to one chat for d (a platform's per-recipient
// limit answered); the chat's burst is spent, so it resumes at its steady rate.
func (l *Limiter) PauseChat(chatID string, d time.Duration) {
	cp := l.chat(chatID)
	l.mu.Lock()
	defer l.mu.Unlock()
	until := time.Now().Add(d).Add(time.Duration(l.burst-1) * l.chatEvery)
	cp.tat = later(cp.tat, until)
}

// Sent records a send to chatID that went out at at, before this limiter
// existed (by a process that died): the chat's next sends keep their distance
// from it as if this limiter had let it go. Call it oldest first.
func (l *Limiter) Sent(chatID string, at time.Time) {
	cp := l.chat(chatID)
	l.mu.Lock()
	defer l.mu.Unlock()
	cp.tat = later(cp.tat, at).Add(l.chatEvery)
}

// ChatWait is how long a send to chatID would now wait for the chat's own
// rate (not counting the global one); 0 when it may go at once.
func (l *Limiter) ChatWait(chatID string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	cp, ok := l.chats[chatID]
	if !ok {
		return 0
	}
	ready := cp.tat.Add(-time.Duration(l.burst-1) * l.chatEvery)
	return max(0, time.Until(ready))
}

// Rate is the configured rate across all chats, in messages per second.
func (l *Limiter) Rate() float64 { return float64(time.Second) / float64(l.interval) }

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

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// SleepUntil sleeps until t or until ctx ends, whichever is first; it returns ctx's error then.
func SleepUntil(ctx context.Context, t time.Time) error {
	return sleepUntilOr(ctx, t, nil)
}

// sleepUntilOr sleeps until t, or until wake is closed (a nil wake never is).
func sleepUntilOr(ctx context.Context, t time.Time, wake <-chan struct{}) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
