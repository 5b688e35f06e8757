package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DeliveryLocks keeps one chat's delivery in one worker across the processes on
// one PostgreSQL database (bot.ChatLock): PostgreSQL session advisory locks,
// all held on one connection of their own, so a process holds any number of
// chats for one connection. A process that dies loses its session and with it
// its locks, at once. While any lock is held the connection is pinged every
// PingInterval; when it breaks, every lock is reported lost (the held contexts
// are cancelled) and the next TryLock opens a new connection.
type DeliveryLocks struct {
	DB  *sql.DB
	Log *slog.Logger
	// PingInterval is how often a connection holding locks is checked (default 1 s).
	PingInterval time.Duration

	mu      sync.Mutex
	conn    *sql.Conn
	gen     int // counts connections: an unlock of an older one has nothing to release
	held    map[*deliveryLock]struct{}
	pinging bool
}

type deliveryLock struct {
	key    int32
	gen    int
	cancel context.CancelFunc
}

// TryLock takes the chat's delivery lock without waiting.
func (l *DeliveryLocks) TryLock(ctx context.Context, channel, chatID string) (context.Context, func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		c, err := l.DB.Conn(ctx)
		if err != nil {
			return nil, nil, false, fmt.Errorf("delivery lock connection: %w", err)
		}
		l.conn, l.gen = c, l.gen+1
	}
	var ok bool
	var key int32
	q := "SELECT k, pg_try_advisory_lock($1, k) FROM (SELECT hashtext(current_schema() || '/' || $2 || '/' || $3) AS k) AS key"
	if err := l.conn.QueryRowContext(ctx, q, lockSpaceDelivery, channel, chatID).Scan(&key, &ok); err != nil {
		l.lostLocked(err)
		return nil, nil, false, fmt.Errorf("delivery lock: %w", err)
	}
	if !ok {
		return nil, nil, false, nil
	}
	held, cancel := context.WithCancel(ctx)
	dl := &deliveryLock{key: key, gen: l.gen, cancel: cancel}
	if l.held == nil {
		l.held = map[*deliveryLock]struct{}{}
	}
	l.held[dl] = struct{}{}
	if !l.pinging {
		l.pinging = true
		go l.ping()
	}
	var once sync.Once
	return held, func() { once.Do(func() { l.unlock(dl) }) }, true, nil
}

func (l *DeliveryLocks) unlock(dl *deliveryLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	dl.cancel()
	if _, ok := l.held[dl]; !ok {
		return // lost with its connection: nothing left to release
	}
	delete(l.held, dl)
	if l.conn == nil || dl.gen != l.gen {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, $2)", lockSpaceDelivery, dl.key); err != nil {
		l.lostLocked(err)
	}
}

// lostLocked drops the connection and reports every lock on it lost.
func (l *DeliveryLocks) lostLocked(err error) {
	if l.conn == nil {
		return
	}
	if len(l.held) > 0 {
		l.log().Warn("delivery locks lost with their database connection; those chats stop and come back", slog.Int("chats", len(l.held)), slog.Any("error", err))
	}
	discard(l.conn)
	l.conn = nil
	for dl := range l.held {
		dl.cancel()
		delete(l.held, dl)
	}
}

// ping checks the connection while locks are held, and stops when none is.
func (l *DeliveryLocks) ping() {
	interval := l.PingInterval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for range t.C {
		l.mu.Lock()
		if len(l.held) == 0 {
			l.pinging = false
			l.mu.Unlock()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		if err := l.conn.PingContext(ctx); err != nil {
			l.lostLocked(err)
		}
		cancel()
		l.mu.Unlock()
	}
}

// Close releases the connection and with it every lock.
func (l *DeliveryLocks) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for dl := range l.held {
		dl.cancel()
		delete(l.held, dl)
	}
	if l.conn == nil {
		return nil
	}
	discard(l.conn)
	l.conn = nil
	return nil
}

// discard closes the connection's session instead of handing it back to the
// pool, which would keep its advisory locks.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

func (l *DeliveryLocks) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}
