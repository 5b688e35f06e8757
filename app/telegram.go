package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/suarawarga/suarawarga/bot/telegram"
	"github.com/suarawarga/suarawarga/models"
)

// setupTelegram adds the Telegram channel when TELEGRAM_BOT_TOKEN is set. The
// channel paces its own requests (its limiter must see each one return), so the
// delivery worker has no pacer for it. In webhook mode (PUBLIC_URL and
// TELEGRAM_WEBHOOK_SECRET both set) its endpoint is mounted on the web server.
func (a *App) setupTelegram(ctx context.Context) error {
	cfg := a.Config
	if cfg.TelegramToken == "" {
		return nil
	}
	webhook := ""
	switch {
	case cfg.PublicURL != "" && cfg.TelegramWebhookSecret != "":
		webhook = cfg.PublicURL + telegram.WebhookPath
	case cfg.TelegramWebhookSecret != "":
		a.Log.Warn("TELEGRAM_WEBHOOK_SECRET is set without PUBLIC_URL; receiving Telegram updates by long polling")
	}
	lim := telegram.NewLimiter(cfg.TelegramRate, cfg.TelegramChatRate, telegram.DefaultChatBurst)
	a.primeTelegramLimiter(ctx, lim)
	opts := telegram.Options{
		Token: cfg.TelegramToken, APIURL: cfg.TelegramAPIURL, WebhookURL: webhook, WebhookSecret: cfg.TelegramWebhookSecret,
		DataDir: cfg.DataDir, MaxPhotoBytes: cfg.MaxPhotoSize, Translator: a.Locales, Limiter: lim,
		Logger: a.Log,
	}
	if webhook == "" && models.Dialect(a.DB) == models.DialectPostgres {
		// Replicas on one database: one long-polls, the others stand by.
		var schema string
		if err := a.DB.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			return fmt.Errorf("telegram polling leader: %w", err)
		}
		opts.Leader = telegram.Leader(PGLeader(a.SQL, "suarawarga-telegram-polling/"+schema, 2*time.Second))
	}
	ch, err := telegram.New(ctx, opts)
	if err != nil {
		return fmt.Errorf("telegram channel: %w", err)
	}
	a.Channels[ch.Name()] = ch
	if webhook != "" {
		a.Web.Handle("POST "+telegram.WebhookPath, ch)
	}
	a.Log.Info("telegram channel enabled", slog.Bool("webhook", webhook != ""), slog.String("api_url", cfg.TelegramAPIURL))
	return nil
}

// primeTelegramLimiter tells the limiter what the previous process sent in the
// last seconds (it may have died a moment ago): Telegram still counts those
// sends, so a chat that just had its burst must not get another one at once.
// Best effort: without the figures the limiter starts empty, as before.
func (a *App) primeTelegramLimiter(ctx context.Context, lim *telegram.Limiter) {
	var rows []struct {
		ChatID    string
		SentAt    *time.Time
		SendingAt *time.Time
	}
	since := time.Now().UTC().Add(-10 * time.Second) // stored in UTC; SQLite compares the text
	err := a.DB.WithContext(ctx).Model(&models.Message{}).Select("chat_id, sent_at, sending_at").
		Where("channel = ? AND direction = ? AND (sent_at > ? OR (status = ? AND sending_at > ?))",
			telegram.Name, models.DirectionOut, since, models.MessageSending, since).
		Find(&rows).Error
	if err != nil {
		a.Log.Warn("recent telegram sends not read; the limiter starts empty", slog.Any("error", err))
		return
	}
	at := func(r int) time.Time {
		if rows[r].SentAt != nil {
			return *rows[r].SentAt
		}
		return *rows[r].SendingAt
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return at(x).Compare(at(y)) })
	for _, i := range idx {
		lim.Sent(rows[i].ChatID, at(i))
	}
}
