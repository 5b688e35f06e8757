package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDispatcherKeepsOrderPerChatAndRunsChatsInParallel(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string][]string{}
	var inFlight, maxInFlight atomic.Int32
	h := InboundHandlerFunc(func(ctx context.Context, in Inbound) error {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		mu.Lock()
		seen[in.ChatID] = append(seen[in.ChatID], in.MessageID)
		mu.Unlock()
		return nil
	})
	d := NewDispatcher(h, nil, 4, nil)
	var results []<-chan error
	for i := range 20 {
		for c := range 5 {
			results = append(results, d.Dispatch(context.Background(), Inbound{Channel: "webchat", ChatID: fmt.Sprint("chat", c), MessageID: fmt.Sprint(i)}))
		}
	}
	for _, r := range results {
		require.NoError(t, <-r)
	}
	for c := range 5 {
		got := seen[fmt.Sprint("chat", c)]
		require.Len(t, got, 20)
		for i, id := range got {
			require.Equal(t, fmt.Sprint(i), id, "chat%d out of order", c)
		}
	}
	require.Greater(t, maxInFlight.Load(), int32(1), "different chats should run in parallel")
	require.LessOrEqual(t, maxInFlight.Load(), int32(4))
}

type recordingPanic struct{ got []Inbound }

func (r *recordingPanic) HandlePanic(_ context.Context, in Inbound, _ any) error {
	r.got = append(r.got, in)
	return nil
}

func TestDispatcherRecoversFromPanic(t *testing.T) {
	t.Parallel()
	rp := &recordingPanic{}
	d := NewDispatcher(InboundHandlerFunc(func(ctx context.Context, in Inbound) error {
		if in.Text == "boom" {
			panic("broken handler")
		}
		return nil
	}), rp, 2, nil)
	require.NoError(t, d.HandleInbound(context.Background(), Inbound{ChatID: "a", Text: "boom"}))
	require.Len(t, rp.got, 1)
	require.NoError(t, d.HandleInbound(context.Background(), Inbound{ChatID: "a", Text: "ok"}))

	d2 := NewDispatcher(InboundHandlerFunc(func(ctx context.Context, in Inbound) error { panic("x") }), nil, 1, nil)
	require.Error(t, d2.HandleInbound(context.Background(), Inbound{ChatID: "a"}))
}

func TestDispatcherReturnsHandlerError(t *testing.T) {
	t.Parallel()
	want := errors.New("db down")
	d := NewDispatcher(InboundHandlerFunc(func(ctx context.Context, in Inbound) error { return want }), nil, 1, nil)
	require.ErrorIs(t, d.HandleInbound(context.Background(), Inbound{ChatID: "a"}), want)
}
