package telegram

import (
	"context"
	"time"

	"github.com/suarawarga/suarawarga/bot/pace"
)

// Limiter paces the bot's requests to Telegram's limits (see pace.Limiter).
type Limiter = pace.Limiter

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
	return pace.New(perSecond, perChat, burst)
}

func sleepUntil(ctx context.Context, t time.Time) error { return pace.SleepUntil(ctx, t) }
