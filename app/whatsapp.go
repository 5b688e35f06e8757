package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store/sqlstore"
	waLog "go.mau.fi/whatsmeow/util/log"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/models"
)

// WhatsAppConfig is the WhatsApp channel's part of the environment.
type WhatsAppConfig struct {
	// Enabled connects the paired number (WHATSAPP_ENABLED=true).
	Enabled bool
	// Pacing: WHATSAPP_CHAT_GAP (e.g. 3s), WHATSAPP_PER_MINUTE, WHATSAPP_TYPING, WHATSAPP_COLD_DAILY_CAP.
	Pacing whatsapp.Pacing
}

// WhatsAppConfigFromEnv reads WHATSAPP_* variables; unset ones keep whatsapp.DefaultPacing.
func WhatsAppConfigFromEnv() (WhatsAppConfig, error) {
	c := WhatsAppConfig{Pacing: whatsapp.DefaultPacing}
	if v := os.Getenv("WHATSAPP_ENABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("WHATSAPP_ENABLED=%q: want true or false", v)
		}
		c.Enabled = b
	}
	for key, dst := range map[string]*time.Duration{"WHATSAPP_CHAT_GAP": &c.Pacing.ChatGap, "WHATSAPP_TYPING": &c.Pacing.Typing} {
		if v := os.Getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return c, fmt.Errorf("%s=%q: want a duration such as 3s", key, v)
			}
			*dst = d
		}
	}
	if v := os.Getenv("WHATSAPP_PER_MINUTE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return c, fmt.Errorf("WHATSAPP_PER_MINUTE=%q: want a positive number of messages per minute", v)
		}
		c.Pacing.GlobalPerMinute = f
	}
	if v := os.Getenv("WHATSAPP_COLD_DAILY_CAP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("WHATSAPP_COLD_DAILY_CAP=%q: want a positive whole number", v)
		}
		c.Pacing.ColdDailyCap = n
	}
	return c, nil
}

// WhatsAppSetup is how AddWhatsApp builds the channel; tests pass a fake client.
type WhatsAppSetup struct {
	NewClient func(ctx context.Context) (whatsapp.Client, error)
	Leader    whatsapp.Leader
	Pacing    whatsapp.Pacing
	// Clock defaults to the wall clock reading the app's domain time (Options.Now).
	Clock      whatsapp.Clock
	BackoffMin time.Duration
}

// setupWhatsApp connects the paired WhatsApp number when WHATSAPP_ENABLED=true:
// whatsmeow's device store lives in the bot's own database, and with PostgreSQL
// an advisory lock makes one replica hold the connection while the others stand by.
func (a *App) setupWhatsApp(ctx context.Context, now func() time.Time) error {
	wc, err := WhatsAppConfigFromEnv()
	if err != nil || !wc.Enabled {
		return err
	}
	container, err := OpenWhatsAppStore(ctx, a.DB, a.Log)
	if err != nil {
		return err
	}
	setup := WhatsAppSetup{
		Pacing: wc.Pacing, Clock: whatsapp.RealClock{NowFunc: now},
		NewClient: func(ctx context.Context) (whatsapp.Client, error) {
			dev, err := container.GetFirstDevice(ctx)
			if err != nil {
				return nil, fmt.Errorf("load whatsapp device: %w", err)
			}
			if dev.ID == nil {
				return nil, whatsapp.ErrNotPaired
			}
			cli := whatsmeow.NewClient(dev, whatsmeowLogger(a.Log))
			// Acks wait for our handler, and a message whose handler failed is kept
			// decrypted, so WhatsApp's redelivery can be handled: nothing accepted is lost.
			cli.SynchronousAck = true
			cli.EnableDecryptedEventBuffer = true
			return cli, nil
		},
	}
	if models.Dialect(a.DB) == models.DialectPostgres {
		setup.Leader = PGLeader(a.SQL, "suarawarga-whatsapp", 10*time.Second)
	}
	_, err = a.AddWhatsApp(setup)
	return err
}

// AddWhatsApp adds the WhatsApp channel built from s to the app and its pacer to
// the delivery worker.
func (a *App) AddWhatsApp(s WhatsAppSetup) (*whatsapp.Channel, error) {
	clock := s.Clock
	if clock == nil {
		clock = whatsapp.RealClock{NowFunc: a.Complaints.Now}
	}
	pacer := whatsapp.NewPacer(s.Pacing, clock)
	ch, err := whatsapp.New(whatsapp.Options{
		NewClient: s.NewClient, Leader: s.Leader, History: &WhatsAppHistory{DB: a.DB},
		Translator: a.Locales, DataDir: a.Config.DataDir, MaxPhotoBytes: a.Config.MaxPhotoSize,
		Pacer: pacer, Clock: clock, Logger: a.Log, BackoffMin: s.BackoffMin,
		OnLoggedOut: func(ctx context.Context) {
			if err := a.tellAdmins(ctx, "whatsapp.perangkat_keluar", nil, whatsapp.Name); err != nil {
				a.Log.Error("could not tell the admins that WhatsApp logged out", slog.Any("error", err))
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("whatsapp channel: %w", err)
	}
	a.Channels[ch.Name()] = ch
	a.WhatsApp = ch
	switch p := a.Deliverer.Pacer.(type) {
	case nil:
		a.Deliverer.Pacer = bot.Pacers{ch.Name(): pacer}
	case bot.Pacers:
		p[ch.Name()] = pacer
	default:
		return nil, fmt.Errorf("whatsapp channel: the delivery pacer %T cannot take another channel", p)
	}
	a.Log.Info("whatsapp channel enabled", slog.Duration("chat_gap", pacer.Pacing().ChatGap),
		slog.Float64("per_minute", pacer.Pacing().GlobalPerMinute), slog.Int("cold_daily_cap", pacer.Pacing().ColdDailyCap))
	return ch, nil
}

// OpenWhatsAppStore opens whatsmeow's device store on the bot's own database and
// applies its migrations (its tables are prefixed whatsmeow_).
func OpenWhatsAppStore(ctx context.Context, db *gorm.DB, log *slog.Logger) (*sqlstore.Container, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("whatsapp store: %w", err)
	}
	dialect := "sqlite"
	if models.Dialect(db) == models.DialectPostgres {
		dialect = "postgres"
	}
	c := sqlstore.NewWithDB(sqlDB, dialect, whatsmeowLogger(log))
	if err := c.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("whatsapp store: migrate: %w", err)
	}
	return c, nil
}

// tellAdmins queues key to every active admin on the channel they last wrote
// from other than failing (the channel that just stopped working), or that one
// as a last resort (it goes out once the channel works again).
func (a *App) tellAdmins(ctx context.Context, key string, data map[string]any, failing string) error {
	var admins []models.Officer
	if err := a.DB.WithContext(ctx).Where("role = ? AND active = ?", models.RoleAdmin, true).Find(&admins).Error; err != nil {
		return fmt.Errorf("load admins: %w", err)
	}
	return a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, adm := range admins {
			var m models.Message
			err := tx.Where("citizen_id = ? AND direction = ? AND channel <> ?", adm.CitizenID, models.DirectionIn, failing).
				Order("id DESC").Limit(1).Find(&m).Error
			if err == nil && m.ID == 0 {
				err = tx.Where("citizen_id = ? AND direction = ?", adm.CitizenID, models.DirectionIn).Order("id DESC").Limit(1).Find(&m).Error
			}
			if err != nil {
				return fmt.Errorf("address of admin %d: %w", adm.ID, err)
			}
			if m.ID == 0 {
				continue
			}
			var cit models.Citizen
			if err := tx.Where("id = ?", adm.CitizenID).Take(&cit).Error; err != nil {
				return fmt.Errorf("admin %d: %w", adm.ID, err)
			}
			// A notice: outside the WhatsApp Cloud API's window it goes as its template or waits.
			outs := []bot.Outbound{{Text: a.Locales.T(cit.Lang, key, data), Notice: &bot.Notice{Key: key, Data: map[string]string{}}}}
			if err := bot.QueueOutbound(ctx, tx, a.River, cit.ID, nil, m.Channel, m.ChatID, bot.WithLang(outs, cit.Lang), a.now()); err != nil {
				return err
			}
		}
		return nil
	}, &sql.TxOptions{})
}

func (a *App) now() time.Time {
	if a.Complaints != nil && a.Complaints.Now != nil {
		return a.Complaints.Now()
	}
	return time.Now()
}

// WhatsAppHistory answers the WhatsApp adapters' questions from the messages table.
type WhatsAppHistory struct {
	DB *gorm.DB
	// Channel is the adapter's channel name (default whatsapp, the linked device).
	Channel string
}

func (h *WhatsAppHistory) channel() string {
	if h.Channel != "" {
		return h.Channel
	}
	return whatsapp.Name
}

var _ whatsapp.History = (*WhatsAppHistory)(nil)

// LastInbound is when the chat last wrote; zero when it never did.
func (h *WhatsAppHistory) LastInbound(ctx context.Context, chatID string) (time.Time, error) {
	var m models.Message
	err := h.DB.WithContext(ctx).Select("id", "created_at").
		Where("channel = ? AND chat_id = ? AND direction = ?", h.channel(), chatID, models.DirectionIn).
		Order("id DESC").Limit(1).Find(&m).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("last inbound message: %w", err)
	}
	return m.CreatedAt, nil
}

// SentSince counts messages sent to the chat since a time and returns the oldest.
func (h *WhatsAppHistory) SentSince(ctx context.Context, chatID string, since time.Time) (int, time.Time, error) {
	var ms []models.Message
	err := h.DB.WithContext(ctx).Select("id", "sent_at").
		Where("channel = ? AND chat_id = ? AND direction = ? AND status = ? AND sent_at >= ?", h.channel(), chatID, models.DirectionOut, models.MessageSent, since.UTC()).
		Order("sent_at").Find(&ms).Error
	if err != nil || len(ms) == 0 {
		return 0, time.Time{}, err
	}
	return len(ms), *ms[0].SentAt, nil
}

// LastChoices are the choices of the newest message sent to the chat; for an
// officer, whose newest message is often a confirmation, those under the newest
// message that had any (the complaint's action list).
func (h *WhatsAppHistory) LastChoices(ctx context.Context, chatID string) ([]bot.Choice, error) {
	q := func() *gorm.DB {
		return h.DB.WithContext(ctx).Select("id", "citizen_id", "payload").
			Where("channel = ? AND chat_id = ? AND direction = ? AND status = ?", h.channel(), chatID, models.DirectionOut, models.MessageSent)
	}
	var m models.Message
	if err := q().Order("id DESC").Limit(1).Find(&m).Error; err != nil || m.ID == 0 {
		return nil, err
	}
	if cs := payloadChoices(m.Payload); len(cs) > 0 {
		return cs, nil
	}
	var n int64
	if err := h.DB.WithContext(ctx).Model(&models.Officer{}).Where("citizen_id = ? AND active = ?", m.CitizenID, true).Count(&n).Error; err != nil || n == 0 {
		return nil, err
	}
	var withChoices models.Message
	if err := q().Where("payload LIKE ?", `%"choices":%`).Order("id DESC").Limit(1).Find(&withChoices).Error; err != nil {
		return nil, err
	}
	return payloadChoices(withChoices.Payload), nil
}

func payloadChoices(payload string) []bot.Choice {
	var o bot.Outbound
	if payload == "" || json.Unmarshal([]byte(payload), &o) != nil {
		return nil
	}
	return o.Choices
}

// PGLeader elects the replica that holds the WhatsApp connection with a
// PostgreSQL session advisory lock on a connection of its own: the others poll
// every interval and take over when the holder's session ends.
func PGLeader(db *sql.DB, name string, interval time.Duration) whatsapp.Leader {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	key := int64(h.Sum64())
	return func(ctx context.Context) (<-chan struct{}, func(), error) {
		for {
			conn, err := db.Conn(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("leader lock: %w", err)
			}
			var ok bool
			if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
				_ = conn.Close()
				return nil, nil, fmt.Errorf("leader lock: %w", err)
			}
			if ok {
				lost, stop := make(chan struct{}), make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					t := time.NewTicker(interval)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							if err := conn.PingContext(ctx); err != nil {
								close(lost)
								return
							}
						}
					}
				}()
				release := func() {
					close(stop)
					<-done
					_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
					_ = conn.Close()
				}
				return lost, release, nil
			}
			_ = conn.Close()
			t := time.NewTimer(interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, nil, ctx.Err()
			case <-t.C:
			}
		}
	}
}

// whatsmeowLogger sends whatsmeow's warnings and errors to slog; its debug
// output carries message contents and stays off.
func whatsmeowLogger(log *slog.Logger) waLog.Logger {
	return slogWA{log: log.With(slog.String("component", "whatsmeow"))}
}

type slogWA struct{ log *slog.Logger }

func (l slogWA) Warnf(msg string, args ...any)  { l.log.Warn(fmt.Sprintf(msg, args...)) }
func (l slogWA) Errorf(msg string, args ...any) { l.log.Error(fmt.Sprintf(msg, args...)) }
func (l slogWA) Infof(msg string, args ...any)  { l.log.Debug(fmt.Sprintf(msg, args...)) }
func (l slogWA) Debugf(string, ...any)          {}
func (l slogWA) Sub(module string) waLog.Logger {
	return slogWA{log: l.log.With(slog.String("module", strings.ToLower(module)))}
}
