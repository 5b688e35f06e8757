package webchat

import (
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/models"
)

// broker wakes the long-polls waiting on a chat. It lives in one process; with several
// replicas the host wakes it by the chat's ref when another replica made a message
// visible (WakeRef, from PostgreSQL's NOTIFY).
type broker struct {
	mu      sync.Mutex
	waits   map[string]*waiters
	refs    map[string]string // models.ChatRef of each waiting chat -> its id
	stopped bool
}

// waiters is one chat's wake-up channel and how many polls hold it.
type waiters struct {
	ch chan struct{}
	n  int
}

// closedCh is returned to polls after the channel stopped, so they return at once.
var closedCh = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

func newBroker() *broker {
	return &broker{waits: map[string]*waiters{}, refs: map[string]string{}}
}

// subscribe returns a channel closed at the chat's next wake-up and a release func the
// caller must call when it stops waiting. Subscribe before reading the history, so a
// message stored in between still wakes the poll.
func (b *broker) subscribe(chatID string) (<-chan struct{}, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return closedCh, func() {}
	}
	w := b.waits[chatID]
	if w == nil {
		w = &waiters{ch: make(chan struct{})}
		b.waits[chatID] = w
		b.refs[models.ChatRef(chatID)] = chatID
	}
	w.n++
	var once sync.Once
	return w.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			w.n--
			if w.n == 0 && b.waits[chatID] == w {
				b.forgetLocked(chatID)
			}
		})
	}
}

// wake releases every poll waiting on the chat.
func (b *broker) wake(chatID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w := b.waits[chatID]; w != nil {
		close(w.ch)
		b.forgetLocked(chatID)
	}
}

// wakeRef wakes the polls of the chat whose models.ChatRef is ref, if any waits here.
func (b *broker) wakeRef(ref string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.refs[ref]; ok {
		if w := b.waits[id]; w != nil {
			close(w.ch)
			b.forgetLocked(id)
		}
	}
}

// wakeAll wakes every waiting poll; each reads its chat again.
func (b *broker) wakeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, w := range b.waits {
		close(w.ch)
		b.forgetLocked(id)
	}
}

func (b *broker) forgetLocked(chatID string) {
	delete(b.waits, chatID)
	delete(b.refs, models.ChatRef(chatID))
}

// start lets polls wait again (a Channel's Run began).
func (b *broker) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = false
}

// stop releases every waiting poll and makes later polls return at once.
func (b *broker) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	for id, w := range b.waits {
		close(w.ch)
		b.forgetLocked(id)
	}
}

// limiter is a token bucket per chat: burst messages, refilled evenly over window.
type limiter struct {
	mu        sync.Mutex
	burst     float64
	perSecond float64
	window    time.Duration
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, window time.Duration) *limiter {
	return &limiter{
		burst:     float64(burst),
		perSecond: float64(burst) / window.Seconds(),
		window:    window,
		buckets:   map[string]*bucket{},
	}
}

// allow takes one token from the chat's bucket, reporting false when it is empty.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.window {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = l.refilled(b, now)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) refilled(b *bucket, now time.Time) float64 {
	t := b.tokens + now.Sub(b.last).Seconds()*l.perSecond
	return min(t, l.burst)
}

// sweep forgets the buckets that are full again, so idle chats cost no memory.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if l.refilled(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
