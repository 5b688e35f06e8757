package bot

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPanicLogHoldsNoChatID: the dispatcher's panic line names the message by a
// short hash: a web chat message id embeds the browser's sw_chat cookie.
func TestPanicLogHoldsNoChatID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cookie := "0123456789abcdef0123456789abcdef"
	d := NewDispatcher(InboundHandlerFunc(func(context.Context, Inbound) error { panic("broken handler") }), &recordingPanic{}, 1, log)
	in := Inbound{Channel: "webchat", ChatID: cookie, MessageID: cookie + ":c1", Kind: KindText, Text: "Jalan rusak di depan rumah saya"}
	require.NoError(t, d.HandleInbound(context.Background(), in))
	require.Contains(t, buf.String(), "inbound handler panicked")
	require.Contains(t, buf.String(), "message_ref="+LogRef(in.MessageID))
	require.NotContains(t, buf.String(), cookie)
	require.NotContains(t, buf.String(), in.Text)
	require.Len(t, LogRef(cookie), 8)
	require.Equal(t, LogRef(cookie), LogRef(cookie))
	require.Empty(t, LogRef(""))
}
