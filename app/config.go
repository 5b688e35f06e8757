// Package app wires the parts of Suara Warga into one running bot: it reads the
// configuration, opens the database, starts River, the channels and the web server.
package app

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/suarawarga/suarawarga/web/console"
)

// Config is everything the bot reads from its environment.
type Config struct {
	DatabaseURL  string
	HTTPAddr     string
	PublicURL    string
	DataDir      string
	TZ           string
	LogLevel     slog.Level
	MaxPhotoSize int64

	TelegramToken         string
	TelegramAPIURL        string
	TelegramWebhookSecret string
	// TelegramRate and TelegramChatRate pace Telegram sends, in messages per second
	// across all chats and in one chat (TELEGRAM_RATE, TELEGRAM_CHAT_RATE; defaults 30 and 1).
	TelegramRate     float64
	TelegramChatRate float64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client of the
	// console (TRUSTED_PROXIES: addresses or networks, comma-separated; none by default).
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token a /metrics scrape must send (METRICS_TOKEN).
	MetricsToken string
	// RetentionYears is how long after closing a complaint keeps its reporter's personal
	// data (RETENTION_YEARS, default 2); then the retention job anonymizes it.
	RetentionYears int
	// MapTiles is the web chat map's tile URL template (WEBCHAT_MAP_TILES; default OpenStreetMap's).
	MapTiles string
	// WhatsAppCloud configures the official WhatsApp Business Platform channel (WHATSAPP_CLOUD_*).
	WhatsAppCloud WhatsAppCloudConfig
}

// ConfigFromEnv reads the environment variables of DESIGN.md, with defaults that
// run the bot on an embedded SQLite database and the web chat.
func ConfigFromEnv() (Config, error) {
	c := Config{
		DatabaseURL:           env("DATABASE_URL", "sqlite:suarawarga.db"),
		HTTPAddr:              env("HTTP_ADDR", ":8080"),
		PublicURL:             strings.TrimRight(os.Getenv("PUBLIC_URL"), "/"),
		DataDir:               env("DATA_DIR", "data"),
		TZ:                    env("TZ", "Asia/Jakarta"),
		TelegramToken:         os.Getenv("TELEGRAM_BOT_TOKEN"),
		TelegramAPIURL:        strings.TrimRight(env("TELEGRAM_API_URL", "https://api.telegram.org"), "/"),
		TelegramWebhookSecret: os.Getenv("TELEGRAM_WEBHOOK_SECRET"),
		MetricsToken:          os.Getenv("METRICS_TOKEN"),
		MapTiles:              os.Getenv("WEBCHAT_MAP_TILES"),
		MaxPhotoSize:          10 << 20,
	}
	if v := os.Getenv("MAX_PHOTO_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("MAX_PHOTO_MB=%q: want a positive whole number of megabytes", v)
		}
		c.MaxPhotoSize = int64(n) << 20
	}
	if v := os.Getenv("RETENTION_YEARS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 100 {
			return c, fmt.Errorf("RETENTION_YEARS=%q: want a whole number of years, 1 or more", v)
		}
		c.RetentionYears = n
	}
	for key, dst := range map[string]*float64{"TELEGRAM_RATE": &c.TelegramRate, "TELEGRAM_CHAT_RATE": &c.TelegramChatRate} {
		if v := os.Getenv(key); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return c, fmt.Errorf("%s=%q: want a positive number of messages per second", key, v)
			}
			*dst = f
		}
	}
	if v := os.Getenv("TRUSTED_PROXIES"); v != "" {
		p, err := console.ParseTrustedProxies(v)
		if err != nil {
			return c, fmt.Errorf("TRUSTED_PROXIES: %w", err)
		}
		c.TrustedProxies = p
	}
	wc, err := whatsAppCloudFromEnv()
	if err != nil {
		return c, err
	}
	c.WhatsAppCloud = wc
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if _, err := time.LoadLocation(c.TZ); err != nil {
		return c, fmt.Errorf("TZ=%q is not a known time zone: %w", c.TZ, err)
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, fmt.Errorf("DATABASE_URL must start with sqlite: or postgres://")
	}
	return c, nil
}

// Location is the regency's time zone.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return time.FixedZone("WIB", 7*3600)
	}
	return loc
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// Retention is RetentionYears with its default.
func (c Config) Retention() int {
	if c.RetentionYears > 0 {
		return c.RetentionYears
	}
	return 2
}
