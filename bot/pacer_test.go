package bot

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

type countingPacer struct{ calls []string }

func (c *countingPacer) Wait(_ context.Context, channel, chatID string) error {
	c.calls = append(c.calls, channel+"/"+chatID)
	return nil
}

func TestPacersRouteByChannel(t *testing.T) {
	tg := &countingPacer{}
	p := Pacers{"telegram": tg}
	require.NoError(t, p.Wait(t.Context(), "telegram", "42"))
	require.NoError(t, p.Wait(t.Context(), "webchat", "abc"))
	require.Equal(t, []string{"telegram/42"}, tg.calls)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, p.Wait(ctx, "webchat", "abc"), context.Canceled)
}
