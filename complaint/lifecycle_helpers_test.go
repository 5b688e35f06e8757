package complaint_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/regency"
)

// clock is the service's clock in a test: it only moves when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sent is one notification as a recipient got it: who, and the text rendered in their language.
type sent struct {
	N    complaint.Notification
	To   []int64 // recipient citizen ids
	Text map[int64]string
}

// recorder is a Notifier that resolves the recipients and renders each text, as the bot will.
type recorder struct {
	mu  sync.Mutex
	got []sent
}

func (r *recorder) Notify(ctx context.Context, tx *gorm.DB, n complaint.Notification) error {
	cs, err := complaint.Recipients(ctx, tx, n)
	if err != nil {
		return err
	}
	s := sent{N: n, Text: map[int64]string{}}
	for _, c := range cs {
		s.To = append(s.To, c.ID)
		s.Text[c.ID] = catalogT(c.Lang, n.Key, n.TemplateData(c.Lang))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
	return nil
}

// take returns and forgets what was sent so far.
func (r *recorder) take() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

func keys(ss []sent) []string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s.N.Audience)+":"+s.N.Key)
	}
	return out
}

// world is a regency with a reporter, officers of two OPDs, a kepala and an admin.
type world struct {
	t       testing.TB
	db      *gorm.DB
	svc     *complaint.Service
	clock   *clock
	rec     *recorder
	river   *river.Client[*sql.Tx]
	loc     *time.Location
	warga   models.Citizen // the reporter (Indonesian)
	tamu    models.Citizen // a second citizen (English)
	pupr    complaint.Actor
	pupr2   complaint.Actor // a second PUPR officer
	dlh     complaint.Actor // an officer of another OPD
	kepala  complaint.Actor // PUPR's head
	admin   complaint.Actor
	ids     map[string]int64 // citizen id of each officer by name
	agency  map[string]int64
	started bool
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newWorld builds the world on db, with a River client (not started) whose worker runs the service's timers.
func newWorld(t testing.TB, db *gorm.DB) *world {
	t.Helper()
	ctx := context.Background()
	_, err := regency.LoadIfEmpty(ctx, db)
	require.NoError(t, err)
	loc, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	w := &world{t: t, db: db, clock: &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, loc)}, rec: &recorder{}, loc: loc,
		ids: map[string]int64{}, agency: map[string]int64{}}
	w.svc = &complaint.Service{DB: db, Now: w.clock.Now, Prefix: "OKI", Loc: loc, Notifier: w.rec, Log: quiet()}
	w.river = w.newRiver()
	w.svc.Jobs = w.river

	w.warga = models.Citizen{Name: "Budi Santoso", Lang: "id"}
	w.tamu = models.Citizen{Name: "Jane Doe", Lang: "en"}
	require.NoError(t, db.Create(&w.warga).Error)
	require.NoError(t, db.Create(&w.tamu).Error)
	for _, code := range []string{"PUPR", "DLH", "DISKOMINFO"} {
		a, err := models.AgencyByCode(ctx, db, code)
		require.NoError(t, err)
		w.agency[code] = a.ID
	}
	w.pupr = w.officer("Andi PUPR", "PUPR", models.RolePetugas, "id")
	w.pupr2 = w.officer("Rina PUPR", "PUPR", models.RolePetugas, "en")
	w.kepala = w.officer("Kepala PUPR", "PUPR", models.RoleKepala, "id")
	w.dlh = w.officer("Dedi DLH", "DLH", models.RolePetugas, "id")
	w.admin = w.officer("Admin Kominfo", "", models.RoleAdmin, "id")
	w.officer("Kominfo", "DISKOMINFO", models.RolePetugas, "id")
	w.rec.take()
	return w
}

// officer invites and links a new person as an officer.
func (w *world) officer(name, agency, role, lang string) complaint.Actor {
	w.t.Helper()
	ctx := context.Background()
	c := models.Citizen{Name: name, Lang: lang}
	require.NoError(w.t, w.db.Create(&c).Error)
	code, err := w.svc.Invite(ctx, w.db, agency, name, role, time.Hour)
	require.NoError(w.t, err)
	o, err := w.svc.Redeem(ctx, w.db, code, c.ID)
	require.NoError(w.t, err)
	w.ids[name] = c.ID
	return complaint.ActorFor(o)
}

func (w *world) newRiver() *river.Client[*sql.Tx] {
	w.t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &complaint.DeadlineWorker{Service: w.svc})
	river.AddWorker(workers, &complaint.HotspotWorker{Service: w.svc})
	cfg := &river.Config{
		Logger:            quiet(),
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{complaint.QueueTimers: {MaxWorkers: 4}},
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
	}
	sqlDB, err := w.db.DB()
	require.NoError(w.t, err)
	var c *river.Client[*sql.Tx]
	if models.Dialect(w.db) == models.DialectSQLite {
		c, err = river.NewClient(riversqlite.New(sqlDB), cfg)
	} else {
		c, err = river.NewClient(riverdatabasesql.New(sqlDB), cfg)
	}
	require.NoError(w.t, err)
	return c
}

// start runs the River client until the test ends.
func (w *world) start() {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(w.t, w.river.Start(ctx))
	client := w.river
	w.t.Cleanup(func() {
		stopCtx, c2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer c2()
		_ = client.Stop(stopCtx)
		cancel()
	})
}

// restart stops the River client and starts a new one on the same database, as a new process would.
func (w *world) restart() {
	w.t.Helper()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(w.t, w.river.Stop(stopCtx))
	w.river = w.newRiver()
	w.svc.Jobs = w.river
	w.start()
}

// timers returns the scheduled deadline timers.
func (w *world) timers() []complaint.DeadlineArgs {
	w.t.Helper()
	res, err := w.river.JobList(context.Background(), river.NewJobListParams().
		States(rivertype.JobStateScheduled).Kinds(complaint.DeadlineArgs{}.Kind()).First(10000))
	require.NoError(w.t, err)
	var out []complaint.DeadlineArgs
	for _, j := range res.Jobs {
		var a complaint.DeadlineArgs
		require.NoError(w.t, json.Unmarshal(j.EncodedArgs, &a))
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b complaint.DeadlineArgs) int { return a.DueAt.Compare(b.DueAt) })
	return out
}

// advanceTo moves the clock to t and runs every deadline timer that falls due, in due order.
func (w *world) advanceTo(t time.Time) {
	w.t.Helper()
	w.clock.Set(t)
	ctx := context.Background()
	for range 1000 {
		res, err := w.river.JobList(ctx, river.NewJobListParams().
			States(rivertype.JobStateScheduled).Kinds(complaint.DeadlineArgs{}.Kind()).First(10000))
		require.NoError(w.t, err)
		var due *rivertype.JobRow
		var dueAt time.Time
		for _, j := range res.Jobs {
			var a complaint.DeadlineArgs
			require.NoError(w.t, json.Unmarshal(j.EncodedArgs, &a))
			if !a.DueAt.After(t) && (due == nil || a.DueAt.Before(dueAt)) {
				due, dueAt = j, a.DueAt
			}
		}
		if due == nil {
			return
		}
		w.runJob(due.ID)
	}
	w.t.Fatal("timers kept falling due")
}

// runJob makes a job available now and waits until it finished without errors.
func (w *world) runJob(id int64) {
	w.t.Helper()
	ctx := context.Background()
	_, err := w.river.JobRetry(ctx, id)
	require.NoError(w.t, err)
	require.Eventually(w.t, func() bool {
		j, err := w.river.JobGet(ctx, id)
		require.NoError(w.t, err)
		require.Empty(w.t, j.Errors, "deadline job %d failed", j.ID)
		return j.State == rivertype.JobStateCompleted
	}, 30*time.Second, 5*time.Millisecond)
}

// at is a local time in the regency.
func (w *world) at(s string) time.Time {
	w.t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, w.loc)
	require.NoError(w.t, err)
	return v
}

// submit files a report of category for the reporter.
func (w *world) submit(category string, confidential bool) *models.Complaint {
	w.t.Helper()
	c, err := w.svc.Submit(context.Background(), nil, complaint.SubmitInput{CitizenID: w.warga.ID, Channel: "telegram",
		CategoryCode: category, Description: "Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan", Confidential: confidential,
		RegionCode: "16.02.05.1007", Address: "depan Pasar Kayuagung"})
	require.NoError(w.t, err)
	return c
}

func (w *world) complaint(code string) models.Complaint {
	w.t.Helper()
	var c models.Complaint
	require.NoError(w.t, w.db.Where("code = ?", code).Take(&c).Error)
	return c
}

func (w *world) events(c *models.Complaint) []models.ComplaintEvent {
	w.t.Helper()
	var evs []models.ComplaintEvent
	require.NoError(w.t, w.db.Where("complaint_id = ?", c.ID).Order("created_at, id").Find(&evs).Error)
	return evs
}

// testImage is a small, valid PNG that differs for each n.
func testImage(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := range 4 {
		for y := range 4 {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 50), uint8(y * 50), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func riverParams() *river.JobListParams {
	return river.NewJobListParams().Kinds(complaint.DeadlineArgs{}.Kind())
}
