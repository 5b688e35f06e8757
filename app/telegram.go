package app

import (
	"context"
	"fmt"
	"log/slog"
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
