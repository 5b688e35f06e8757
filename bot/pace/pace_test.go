package pace

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLimiterPaces(t *testing.T) {
	t.Parallel()
	l := New(100, 10, 3)
	ctx := t.Context()
	start := time.Now()
	for i := range 20 {
		release, err := l.Acquire(ctx, string(rune('a'+i)))
		require.NoError(t, err)
		release()
	}
	require.GreaterOrEqual(t, time.Since(start), 180*time.Millisecond, "20 sends at 100/s take 190 ms")

	start = time.Now()
	for range 5 {
		release, err := l.Acquire(ctx, "same")
		require.NoError(t, err)
		release()
	}
	require.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond, "a burst of 3, then 10/s in one chat")

	l.Pause(150 * time.Millisecond)
	start = time.Now()
	release, err := l.AcquireGlobal(ctx)
	require.NoError(t, err)
	release()
	require.GreaterOrEqual(t, time.Since(start), 140*time.Millisecond)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	l.Pause(time.Hour)
	_, err = l.Acquire(cctx, "x")
	require.ErrorIs(t, err, context.Canceled)
}

// TestLimiterCountsFromReturn checks that the one-second window starts when a
// request returned, not when it was let go: a request that takes long to reach
// the platform still keeps the next window's sends away from it.
func TestLimiterCountsFromReturn(t *testing.T) {
	t.Parallel()
	l := New(10, 1000, 1)
	ctx := t.Context()
	first, err := l.AcquireGlobal(ctx)
	require.NoError(t, err)
	for range 9 {
		release, err := l.AcquireGlobal(ctx)
		require.NoError(t, err)
		release()
	}
	time.Sleep(300 * time.Millisecond) // the first request is slow to return
	first()
	returned := time.Now()
	start := time.Now()
	release, err := l.AcquireGlobal(ctx)
	require.NoError(t, err)
	release()
	require.GreaterOrEqual(t, time.Since(returned), time.Second, "the 11th send waits a second after the 1st returned")
	require.Less(t, time.Since(start), 1500*time.Millisecond)
}

// TestLimiterHoldsChatUntilReturn checks that one chat's next send waits for
// the previous one to return, and counts its rate from that moment.
func TestLimiterHoldsChatUntilReturn(t *testing.T) {
	t.Parallel()
	l := New(1000, 10, 1)
	ctx := t.Context()
	release, err := l.Acquire(ctx, "42")
	require.NoError(t, err)
	got := make(chan time.Time, 1)
	go func() {
		r, err := l.Acquire(ctx, "42")
		if err == nil {
			r()
		}
		got <- time.Now()
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("the chat's second send went out before the first returned")
	default:
	}
	returned := time.Now()
	release()
	release() // a second call is harmless
	require.GreaterOrEqual(t, (<-got).Sub(returned), 90*time.Millisecond, "10/s in one chat, counted from the return")
	other, err := l.Acquire(ctx, "43")
	require.NoError(t, err, "another chat is not held")
	other()
}

// TestLimiterKeepsCadence checks that late wake-ups do not add up: many waiters
// get about the configured rate, and no more than it in any second.
func TestLimiterKeepsCadence(t *testing.T) {
	t.Parallel()
	l := New(50, 1000, 1)
	ctx := t.Context()
	var mu sync.Mutex
	var times []time.Time
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 20 {
				release, err := l.Acquire(ctx, strconv.Itoa(w))
				if err != nil {
					return
				}
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
				release()
			}
		})
	}
	wg.Wait()
	require.Len(t, times, 160)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := 50; i < len(times); i++ {
		require.GreaterOrEqual(t, times[i].Sub(times[i-50]), time.Second, "at most 50 sends in any second")
	}
	rate := float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	// The bound is loose on purpose: on a loaded machine the senders themselves get the CPU
	// late (36/s was seen under load 15 on 2 cores). It still catches a limiter that throttles
	// to a fraction of its rate; the rate itself is measured by the Cloud API benchmark.
	require.Greater(t, rate, 25.0, "the rate stays near 50/s, not a fraction of it")
}

// TestLimiterPauseChat holds one chat back without slowing the others, and the
// chat resumes at its steady rate (its burst spent).
func TestLimiterPauseChat(t *testing.T) {
	t.Parallel()
	l := New(1000, 10, 3)
	ctx := t.Context()
	l.PauseChat("a", 200*time.Millisecond)
	start := time.Now()
	other, err := l.Acquire(ctx, "b")
	require.NoError(t, err)
	other()
	require.Less(t, time.Since(start), 100*time.Millisecond, "another chat is not held")
	for range 2 {
		release, err := l.Acquire(ctx, "a")
		require.NoError(t, err)
		release()
	}
	require.GreaterOrEqual(t, time.Since(start), 290*time.Millisecond, "the pause, then 10/s without a burst")
	require.InDelta(t, 1000, l.Rate(), 0.001)
}

func TestLimiterChatWait(t *testing.T) {
	t.Parallel()
	l := New(1000, 1, 2)
	require.Zero(t, l.ChatWait("a"))
	for range 2 {
		release, err := l.Acquire(t.Context(), "a")
		require.NoError(t, err)
		release()
	}
	require.InDelta(t, time.Second.Seconds(), l.ChatWait("a").Seconds(), 0.1, "the burst is spent: one a second")
	require.Zero(t, l.ChatWait("b"))
}

// TestLimiterCountsFromTheAnswer: a caller that knows when the answer began to
// arrive releases with that time, and the window counts from it, not from the
// later release; a time outside the request's flight is kept within it.
func TestLimiterCountsFromTheAnswer(t *testing.T) {
	t.Parallel()
	l := New(2, 1000, 10)
	ctx := t.Context()
	first, err := l.AcquireTimed(ctx, "a")
	require.NoError(t, err)
	answered := time.Now()
	second, err := l.AcquireTimed(ctx, "b")
	require.NoError(t, err)
	time.Sleep(400 * time.Millisecond) // the caller is slow to release
	first(answered)
	second(time.Now().Add(time.Hour)) // a time in the future counts as now
	start := time.Now()
	third, err := l.AcquireTimed(ctx, "c")
	require.NoError(t, err)
	third(time.Time{})
	waited := time.Since(start)
	require.GreaterOrEqual(t, time.Since(answered), time.Second, "a second after the answer began")
	require.Less(t, waited, 900*time.Millisecond, "not a second after the late release")

	l2 := New(1, 1000, 10)
	r, err := l2.AcquireTimed(ctx, "a")
	require.NoError(t, err)
	let := time.Now()
	r(let.Add(-time.Hour)) // before the request was let go: counts as then
	start = time.Now()
	r2, err := l2.AcquireTimed(ctx, "b")
	require.NoError(t, err)
	r2(time.Time{})
	require.GreaterOrEqual(t, time.Since(let), time.Second-5*time.Millisecond)
	require.Less(t, time.Since(start), 1500*time.Millisecond)
}

// TestLimiterSent: sends a dead process made still count, so a restarted bot
// does not spend a chat's burst again on top of them.
func TestLimiterSent(t *testing.T) {
	t.Parallel()
	l := New(1000, 1, 3)
	now := time.Now()
	for i := range 3 {
		l.Sent("a", now.Add(time.Duration(i-3)*100*time.Millisecond))
	}
	require.InDelta(t, 0.7, l.ChatWait("a").Seconds(), 0.1, "three sends in the last 0.3 s spent the burst")
	require.Zero(t, l.ChatWait("b"))
	l.Sent("c", now.Add(-10*time.Second))
	require.Zero(t, l.ChatWait("c"), "an old send leaves the burst whole")
}
