package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/regency"
	"github.com/suarawarga/suarawarga/web"
	"github.com/suarawarga/suarawarga/web/publik"
)

// App is the running bot: every shared dependency, built once and passed explicitly.
type App struct {
	Config     Config
	DB         *gorm.DB
	SQL        *sql.DB
	Log        *slog.Logger
	Locales    *locales.Catalog
	River      *river.Client[*sql.Tx]
	Complaints *complaint.Service
	Handler    *bot.Handler
	Dispatcher *bot.Dispatcher
	Deliverer  *bot.Deliverer
	Sweeper    *bot.DeliverySweeper
	Webchat    *webchat.Channel
	// Cloud is the WhatsApp Cloud API channel, nil when it is not configured.
	Cloud *whatsappcloud.Channel
	// WhatsApp is the linked-device channel, nil when it is not enabled.
	WhatsApp *whatsapp.Channel
	// NewPairClient builds the client that links a device from the console (nil: whatsmeow on the bot's database).
	NewPairClient func(ctx context.Context) (PairClient, error)
	Web           *web.Server
	Channels      map[string]bot.Channel

	front    *web.Front
	closers  []func() error
	stopping chan struct{} // closed when Run stops: delivery bookkeeping stops retrying
	stopOnce sync.Once
}

// stop ends the retries of delivery bookkeeping.
func (a *App) stop() { a.stopOnce.Do(func() { close(a.stopping) }) }

// Options change how New builds the app; tests use them.
type Options struct {
	DB *gorm.DB // an open, migrated database to use instead of Config.DatabaseURL
	// NoWorkers builds an app that queues jobs but runs none (a process that is about to crash).
	NoWorkers bool
	Now       func() time.Time
	// Parallel is how many chats are handled at once (default 8 on PostgreSQL, 2 on SQLite).
	Parallel int
	// PollInterval is how often River looks for new jobs (default 100ms).
	PollInterval time.Duration
	// Front is an HTTP server already listening (serve binds it before the
	// database answers); Run hands it the bot's handler instead of listening itself.
	Front *web.Front
}

// New opens the database, applies migrations, loads the sample regency when the
// database is empty and the default flows when they are missing, and wires the parts.
func New(ctx context.Context, cfg Config, log *slog.Logger, opt Options) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	a := &App{Config: cfg, Log: log, Channels: map[string]bot.Channel{}, front: opt.Front}
	db := opt.DB
	if db == nil {
		var err error
		if db, err = models.Open(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
		if err := models.Migrate(ctx, db); err != nil {
			return nil, err
		}
	}
	a.DB = db
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	a.SQL = sqlDB
	if loaded, err := regency.LoadIfEmpty(ctx, db); err != nil {
		return nil, fmt.Errorf("load sample regency: %w", err)
	} else if loaded {
		log.Info("loaded the sample regency data into an empty database")
	}
	if err := upgradeSample(ctx, db, log); err != nil {
		return nil, err
	}
	if a.Locales, err = locales.Load(); err != nil {
		return nil, err
	}
	if n, err := ImportDefaultFlows(ctx, db, a.Locales); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("imported default flows", slog.Int("count", n))
	}

	var reg models.Regency
	if err := db.WithContext(ctx).First(&reg).Error; err != nil {
		return nil, fmt.Errorf("load regency: %w", err)
	}
	a.Locales = a.Locales.WithGlobals(map[string]any{"pemda": reg.Name, "contoh_kode": reg.TicketPrefix + "-2611-0042",
		"privasi_tautan": cfg.PublicURL + web.PrivacyPath, "simpan_tahun": cfg.Retention()})
	loc := cfg.Location()
	a.Complaints = &complaint.Service{DB: db, Now: opt.Now, Prefix: reg.TicketPrefix, Loc: loc, Places: &complaint.Places{DB: db}}
	if pg, ok := db.Dialector.(*postgres.Dialector); ok {
		// A separate two-connection pool for ticket numbers: see complaint.Service.Sequences.
		seq, err := models.Open(ctx, pg.Config.DSN)
		if err != nil {
			return nil, fmt.Errorf("open ticket number pool: %w", err)
		}
		if s, err := seq.DB(); err == nil {
			s.SetMaxOpenConns(2)
			s.SetMaxIdleConns(2)
			a.closers = append(a.closers, s.Close)
		}
		a.Complaints.Sequences = seq
	}

	workers := river.NewWorkers()
	rcfg := &river.Config{
		Logger:            log.With(slog.String("component", "river")),
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: cmpDuration(opt.PollInterval, 100*time.Millisecond),
		// Timers and deadlines take milliseconds; delivery sets its own timeout
		// (bot.Deliverer.Timeout) and yields after 45 s. A job left "running" by a
		// killed process is retried after RescueStuckJobsAfter (River's default is an
		// hour); delivery does not wait for that: the sweep resumes its chats at start.
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 5 * time.Minute,
	}
	if !opt.NoWorkers {
		// The hourly surge check, on River's elected leader only (complaint.SurgeArgs).
		rcfg.PeriodicJobs = []*river.PeriodicJob{complaint.SurgePeriodicJob(opt.Now)}
	}
	if !opt.NoWorkers {
		rcfg.Workers = workers
		rcfg.PeriodicJobs = append(rcfg.PeriodicJobs, complaint.RetentionJob())
		rcfg.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 2},
			bot.QueueDeliver:   {MaxWorkers: 40},
			bot.QueueTimers:    {MaxWorkers: 4},
		}
	}
	if models.Dialect(db) == "sqlite" {
		a.River, err = river.NewClient(riversqlite.New(sqlDB), rcfg)
	} else {
		a.River, err = river.NewClient(riverdatabasesql.New(sqlDB), rcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}

	a.Handler = &bot.Handler{DB: db, Jobs: a.River, Engine: &flows.Engine{Texts: a.Locales}, Complaints: a.Complaints, Locales: a.Locales,
		DataDir: cfg.DataDir, MaxPhoto: cfg.MaxPhotoSize, Log: log, Now: opt.Now,
		AnonymousChannels: map[string]bool{webchat.Name: true}, SequencedChannels: map[string]bool{webchat.Name: true}}
	parallel := 8
	if models.Dialect(db) == "sqlite" {
		parallel = 2
	}
	if opt.Parallel > 0 {
		parallel = opt.Parallel
	}
	a.Dispatcher = bot.NewDispatcher(a.Handler, a.Handler, parallel, log)

	a.Webchat = webchat.New(&WebchatHistory{DB: db}, webchat.Options{PublicURL: cfg.PublicURL, Translator: a.Locales,
		Logger: log, MaxPhotoBytes: cfg.MaxPhotoSize})
	a.Channels[a.Webchat.Name()] = a.Webchat

	a.stopping = make(chan struct{})
	a.Deliverer = &bot.Deliverer{DB: db, Channels: a.Channels, Jobs: a.River, Log: log, Now: opt.Now, Stopping: a.stopping}
	if models.Dialect(db) == models.DialectPostgres {
		// Replicas on one database: one chat's delivery in one worker at a time.
		locks := &models.DeliveryLocks{DB: sqlDB, Log: log}
		a.Deliverer.Lock = locks
		a.closers = append(a.closers, locks.Close)
	}
	river.AddWorker(workers, a.Deliverer)
	a.Sweeper = &bot.DeliverySweeper{DB: db, Jobs: a.River, Log: log, Now: opt.Now}
	river.AddWorker(workers, &bot.FlowTimerWorker{Handler: a.Handler})
	a.Complaints.Jobs, a.Complaints.Log, a.Complaints.Notifier = a.River, log, a.Handler
	river.AddWorker(workers, &complaint.DeadlineWorker{Service: a.Complaints})
	river.AddWorker(workers, &complaint.SurgeWorker{Service: a.Complaints, ConsoleURL: consoleURL(cfg.PublicURL)})
	river.AddWorker(workers, &complaint.RetentionWorker{DB: db, DataDir: cfg.DataDir, Years: cfg.Retention(), Now: opt.Now, Log: log})
	river.AddWorker(workers, &complaint.HotspotWorker{Service: a.Complaints})

	a.Web = web.New(web.Config{Addr: cfg.HTTPAddr, PublicURL: cfg.PublicURL, Webchat: a.Webchat, Locales: a.Locales, Logger: log,
		Ready: a.ready, Brand: web.Brand{Name: reg.Name, Logo: reg.Logo, CenterLat: reg.CenterLat, CenterLng: reg.CenterLng},
		MapTiles: cfg.MapTiles, Place: a.placeName})
	a.Web.Handle("GET "+mediaPath+"{id}", mediaHandler(db, a.Webchat, cfg.DataDir))
	a.Web.Handle("GET "+bot.OwnDataPath, ownDataHandler(db, a.Webchat))
	a.Web.Handle("GET "+web.PrivacyPath, web.PrivacyPage(a.Locales, bot.PrivacyNoticeVersion))
	publik.New(publik.Config{DB: db, Complaints: a.Complaints, Locales: a.Locales, Now: opt.Now, Log: log}).Mount(a.Web.Handle)
	if err := a.setupConsole(opt); err != nil {
		return nil, err
	}
	if err := a.setupTelegram(ctx); err != nil {
		return nil, err
	}
	if err := a.setupWhatsApp(ctx, opt.Now); err != nil {
		return nil, err
	}
	if err := a.setupWhatsAppCloud(); err != nil {
		return nil, err
	}
	return a, nil
}

// upgradeSample gives a database seeded from an older sample regency its desa
// and boundaries, and places the complaints whose map point has no region yet.
func upgradeSample(ctx context.Context, db *gorm.DB, log *slog.Logger) error {
	upgraded, err := regency.UpgradeSample(ctx, db)
	if err != nil || !upgraded {
		return err
	}
	n, err := complaint.PlaceUnplaced(ctx, db)
	if err != nil {
		return fmt.Errorf("place complaints: %w", err)
	}
	log.Info("complaints placed in their desa from their map point", slog.Int("complaints", n))
	return nil
}

// Run starts River, the channels and the web server and blocks until ctx is
// cancelled, then stops them in order.
func (a *App) Run(ctx context.Context) error {
	if err := a.River.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	go a.Sweeper.Run(sweepCtx)
	go a.listenVisible(sweepCtx)
	errc := make(chan error, len(a.Channels)+1)
	for _, ch := range a.Channels {
		go func() {
			if err := ch.Run(ctx, a.Dispatcher); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("channel %s: %w", ch.Name(), err)
			}
		}()
	}
	if a.front != nil {
		a.front.Set(a.Web.Handler())
		go func() { errc <- a.front.Wait(ctx) }()
	} else {
		go func() { errc <- a.Web.Run(ctx) }()
	}
	go a.cleanLegacyPhotos(ctx)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	go func() {
		// Bookkeeping of a send in progress retries while River stops; past the
		// deadline the next process finds the message in flight.
		<-stopCtx.Done()
		a.stop()
	}()
	if err := a.River.Stop(stopCtx); err != nil {
		a.Log.Warn("river did not stop cleanly", slog.Any("error", err))
	}
	return runErr
}

// cleanLegacyPhotos cleans, in the background, the photos an older version
// stored with their metadata (see models.CleanAll); until then each is cleaned
// the first time it is served or sent.
func (a *App) cleanLegacyPhotos(ctx context.Context) {
	var n int64
	if err := a.DB.WithContext(ctx).Model(&models.Attachment{}).Where("cleaned_at IS NULL").Count(&n).Error; err != nil || n == 0 {
		return
	}
	a.Log.Info("cleaning the metadata of photos stored by an older version", slog.Int64("photos", n))
	rep, err := models.CleanAll(ctx, a.DB, a.Config.DataDir, false, nil)
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Error("cleaning old photos stopped", slog.Any("error", err))
		}
		return
	}
	a.Log.Info("old photos cleaned", slog.Int("cleaned", rep.Cleaned), slog.Int("failed", len(rep.Failed)), slog.Int("files_removed", rep.Removed))
}

// ready is /readyz: the database answers and every channel that can say so is
// connected (Telegram after getMe).
func (a *App) ready(ctx context.Context) error {
	if err := a.SQL.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	for _, ch := range a.Channels {
		if r, ok := ch.(bot.Readier); ok {
			if err := r.Ready(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close releases the database.
func (a *App) Close() error {
	a.stop()
	for _, c := range a.closers {
		_ = c()
	}
	return a.SQL.Close()
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// consoleURL is the console's address for links in messages; empty without PUBLIC_URL.
func consoleURL(publicURL string) string {
	if publicURL == "" {
		return ""
	}
	return publicURL + "/konsol"
}
