// Command swchaos tries the promise "nothing lost, nothing twice" the way an
// operator's worst day would: it builds the real suarawarga binary and runs it as
// a child process against a fake Telegram Bot API (in this process, injecting
// 429s with retry_after, 5xx answers, slow answers and dropped connections),
// drives simulated citizens through a whole complaint, kills the child with
// SIGKILL at random moments and restarts it on the same database, restarts the
// database itself (PostgreSQL: a private cluster made with initdb and pg_ctl on a
// free port, removed afterwards; never a shared server), and then checks from the
// fake's record and the database that every citizen received their ticket, no
// chat received a message twice (a duplicate from a kill between the platform's
// acceptance and the commit is counted apart), no Telegram limit was broken,
// there is one complaint per citizen, and every chat stranded by a kill was
// delivering again within 10 s of the restart. It prints the figures and exits 1
// on any loss.
//
//	go run ./cmd/swchaos -db sqlite -citizens 100 -kills 5 -faults 6
//	go run ./cmd/swchaos -db postgres -citizens 100 -kills 5 -db-restarts 2 -faults 6
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/models"
)

type options struct {
	db          string
	citizens    int
	kills       int
	dbRestarts  int
	faults      int
	seed        uint64
	bin         string
	stepTimeout time.Duration
	timeout     time.Duration
	keep        bool
	trace       bool
}

func main() {
	var o options
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite, or postgres (a private cluster made with initdb/pg_ctl)")
	flag.IntVar(&o.citizens, "citizens", 100, "citizens, each filing one whole complaint")
	flag.IntVar(&o.kills, "kills", 5, "times the bot is killed with SIGKILL and restarted 1-2 s later")
	flag.IntVar(&o.dbRestarts, "db-restarts", 2, "PostgreSQL restarts (pg_ctl restart, -m fast then -m immediate, alternating); SQLite has none")
	flag.IntVar(&o.faults, "faults", 6, "fault windows of 3 s (429 with retry_after, 502, 500, slow answers, dropped connections, in turn)")
	flag.Uint64Var(&o.seed, "seed", 0, "random seed (0: from the clock); the run prints it")
	flag.StringVar(&o.bin, "bin", "", "the suarawarga binary to run (default: go build ./cmd/suarawarga)")
	flag.DurationVar(&o.stepTimeout, "step-timeout", 90*time.Second, "how long a citizen waits for the reply to one step before counting it lost")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "bound of the whole run")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder (database, logs) afterwards")
	flag.BoolVar(&o.trace, "trace", false, "print the timeline of the run even when it passes")
	flag.Parse()
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	ok, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "swchaos:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// chaos is one run.
type chaos struct {
	o    options
	rng  *rand.Rand
	dir  string
	fake *telegramtest.Server
	url  string // DATABASE_URL
	pg   *cluster
	addr string // the bot's HTTP_ADDR

	mu        sync.Mutex
	child     *exec.Cmd
	exited    chan struct{}
	restarts  []restart
	dbOutages []string
	faultLog  map[string]int
	fault     func(telegramtest.Request) *telegramtest.Fault

	progress atomic.Int64 // citizen steps done
	start    time.Time
	events   []string
}

// note records an event of the run's timeline, printed with the figures.
func (c *chaos) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, fmt.Sprintf("%6.2fs ", time.Since(c.start).Seconds())+fmt.Sprintf(format, args...))
}

// restart is one kill of the bot and what it left stranded.
type restart struct {
	killedAt, startedAt time.Time
	stranded            []string // chats with queued or in-flight messages when the bot died
}

func run(o options) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	c := &chaos{o: o, rng: rand.New(rand.NewPCG(o.seed, o.seed^0x5eed)), faultLog: map[string]int{}}
	dir, err := os.MkdirTemp("", "swchaos-")
	if err != nil {
		return false, err
	}
	c.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil { // the PostgreSQL cluster lives in it, run as postgres
		return false, err
	}
	defer func() {
		if o.keep {
			fmt.Println("work folder kept:", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	fmt.Printf("swchaos: %s, %d citizens, %d kills, %d database restarts, %d fault windows (seed %d)\n",
		o.db, o.citizens, o.kills, map[bool]int{true: o.dbRestarts, false: 0}[o.db == "postgres"], o.faults, o.seed)

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "suarawarga")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/suarawarga")
		build.Dir, build.Stdout, build.Stderr = moduleRoot(), os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return false, fmt.Errorf("build the bot: %w", err)
		}
	}
	switch o.db {
	case "sqlite":
		c.url = "sqlite:" + filepath.Join(dir, "chaos.db")
	case "postgres":
		pg, err := newCluster(ctx, filepath.Join(dir, "pg"))
		if pg != nil {
			defer pg.remove()
		}
		if err != nil {
			return false, err
		}
		c.pg, c.url = pg, pg.url()
	default:
		return false, fmt.Errorf("-db must be sqlite or postgres")
	}
	c.addr, err = freeAddr()
	if err != nil {
		return false, err
	}
	c.start = time.Now()
	c.fake = telegramtest.Start(telegramtest.Options{})
	defer c.fake.Close()
	c.fake.SetFaults(c.faultFor)

	if err := c.startBot(bin); err != nil {
		return false, err
	}
	defer c.stopBot()
	if err := c.waitReady(ctx, 2*time.Minute); err != nil {
		return false, err
	}

	start := time.Now()
	results := make([]citizenResult, o.citizens)
	var wg sync.WaitGroup
	for i := range o.citizens {
		stagger := time.Duration(c.rng.Int64N(int64(3 * time.Second)))
		wg.Go(func() {
			time.Sleep(stagger)
			results[i] = c.citizen(ctx, int64(700_000+i), i)
		})
	}
	chaosDone := make(chan error, 1)
	go func() { chaosDone <- c.chaos(ctx, bin) }()
	wg.Wait()
	filed := time.Since(start)
	if err := <-chaosDone; err != nil {
		return false, err
	}
	c.waitQuiet(ctx, 5*time.Second, 2*time.Minute)
	c.stopBot()
	return c.report(ctx, results, filed)
}

// moduleRoot is the folder of the go.mod this command belongs to.
func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err == nil && len(bytes.TrimSpace(out)) > 0 && string(bytes.TrimSpace(out)) != os.DevNull {
		return filepath.Dir(string(bytes.TrimSpace(out)))
	}
	return "."
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// --- the bot as a child process

func (c *chaos) startBot(bin string) error {
	logf, err := os.OpenFile(filepath.Join(c.dir, "bot.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+c.url, "HTTP_ADDR="+c.addr, "DATA_DIR="+filepath.Join(c.dir, "data"),
		"TELEGRAM_BOT_TOKEN="+c.fake.Token, "TELEGRAM_API_URL="+c.fake.URL, "LOG_LEVEL=info", "PUBLIC_URL=")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start the bot: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	c.mu.Lock()
	c.child, c.exited = cmd, exited
	c.mu.Unlock()
	return nil
}

// kill ends the bot with SIGKILL and waits until it is gone.
func (c *chaos) kill() {
	c.mu.Lock()
	cmd, exited := c.child, c.exited
	c.child = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// stopBot ends the bot politely (SIGTERM), then for good.
func (c *chaos) stopBot() {
	c.mu.Lock()
	cmd, exited := c.child, c.exited
	c.child = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func (c *chaos) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + c.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the bot was not ready within %s (log: %s)", limit, filepath.Join(c.dir, "bot.log"))
}

// --- citizens

var (
	ticketRe = regexp.MustCompile(`OKI-\d{4}-\d{4}`)
	chatRe   = regexp.MustCompile(`chat (\d+)`)
)

type citizenResult struct {
	chat   int64
	ticket string
	failed string // the step whose reply never came
}

type step struct {
	name   string
	do     func(chat int64) error
	expect string
}

func (c *chaos) steps(i int) []step {
	press := func(label string) func(int64) error {
		return func(chat int64) error { _, err := c.fake.Press(chat, label); return err }
	}
	say := func(text string) func(int64) error {
		return func(chat int64) error { c.fake.SendText(chat, text); return nil }
	}
	return []step{
		{"/start", say("/start"), "Selamat datang"},
		{"menu button", press("📝 Buat pengaduan"), "Laporan Anda tentang apa?"},
		{"category button", press("Jalan & jembatan"), "Ceritakan masalahnya"},
		{"description", say(fmt.Sprintf("Jalan di depan rumah nomor %d dekat Pasar Kayuagung berlubang besar, sudah 2 motor jatuh", i+1)), "Di mana lokasinya?"},
		{"location", func(chat int64) error { c.fake.SendLocation(chat, -3.3937, 104.8306); return nil }, "Ada foto?"},
		{"photo", func(chat int64) error { c.fake.SendPhoto(chat, testPNG(i)); return nil }, "identitas"},
		{"identity button", press("Boleh (biasa)"), "Mohon periksa laporan Anda"},
		{"send button", press("✅ Kirim"), "laporan Anda sudah kami terima"},
	}
}

// citizen files one complaint, waiting after each step for the reply that
// carries on, as a person would.
func (c *chaos) citizen(ctx context.Context, chat int64, i int) citizenResult {
	res := citizenResult{chat: chat}
	seen := 0
	for _, st := range c.steps(i) {
		// A button is pressed on the message that shows it; it is there, since the
		// reply that carried it on has come.
		var err error
		for try := 0; try < 50; try++ {
			if err = st.do(chat); !errors.Is(err, telegramtest.ErrNoButton) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			res.failed = st.name + ": " + err.Error()
			return res
		}
		deadline := time.Now().Add(c.o.stepTimeout)
		for {
			ms := c.fake.Messages(chat)
			found := -1
			for k := seen; k < len(ms); k++ {
				if strings.Contains(ms[k].Text, st.expect) {
					found = k
					break
				}
			}
			if found >= 0 {
				seen = found + 1
				if code := ticketRe.FindString(ms[found].Text); code != "" && st.name == "send button" {
					res.ticket = code
				}
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				last := ""
				if len(ms) > 0 {
					last = ms[len(ms)-1].Text
				}
				res.failed = fmt.Sprintf("%s: no reply with %q within %s (last message: %.60q)", st.name, st.expect, c.o.stepTimeout, last)
				return res
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.progress.Add(1)
	}
	return res
}

func testPNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 30), uint8(y * 30), 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// --- the chaos schedule

type event struct {
	at   float64 // share of all citizen steps done when it strikes
	kind string  // kill, db-fast, db-immediate, fault
	n    int
}

// chaos strikes each event when the citizens' progress reaches its point, one
// at a time; after a restart it waits until the stranded chats are sending (or
// 15 s) so one event's figures are not another's.
func (c *chaos) chaos(ctx context.Context, bin string) error {
	var evs []event
	for i := range c.o.kills {
		evs = append(evs, event{kind: "kill", n: i})
	}
	if c.o.db == "postgres" {
		for i := range c.o.dbRestarts {
			evs = append(evs, event{kind: []string{"db-fast", "db-immediate"}[i%2], n: i})
		}
	}
	for i := range c.o.faults {
		evs = append(evs, event{kind: "fault", n: i})
	}
	for i := range evs {
		evs[i].at = 0.05 + 0.8*c.rng.Float64()
	}
	sort.Slice(evs, func(a, b int) bool { return evs[a].at < evs[b].at })
	total := float64(c.o.citizens * len(c.steps(0)))
	for _, ev := range evs {
		for float64(c.progress.Load()) < ev.at*total {
			if ctx.Err() != nil {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(c.rng.Int64N(int64(500 * time.Millisecond))))
		switch ev.kind {
		case "kill":
			if err := c.killAndRestart(ctx, bin); err != nil {
				return err
			}
		case "db-fast", "db-immediate":
			mode := strings.TrimPrefix(ev.kind, "db-")
			t0 := time.Now()
			c.note("database restart -m %s", mode)
			if err := c.pg.restart(ctx, mode); err != nil {
				return err
			}
			c.note("database back")
			c.mu.Lock()
			c.dbOutages = append(c.dbOutages, fmt.Sprintf("-m %s %.1f s", mode, time.Since(t0).Seconds()))
			c.mu.Unlock()
		case "fault":
			c.faultWindow(ev.n, 3*time.Second)
		}
	}
	return nil
}

func (c *chaos) killAndRestart(ctx context.Context, bin string) error {
	c.kill()
	r := restart{killedAt: time.Now()}
	c.note("bot killed (SIGKILL)")
	// The bot is dead: read what it left queued or in flight.
	if db, err := models.Open(ctx, c.url); err == nil {
		_ = db.Model(&models.Message{}).Distinct("chat_id").
			Where("direction = ? AND channel = ? AND status IN ?", models.DirectionOut, "telegram", []string{models.MessageQueued, models.MessageSending}).
			Pluck("chat_id", &r.stranded).Error
		if sql, err := db.DB(); err == nil {
			_ = sql.Close()
		}
	}
	time.Sleep(time.Second + time.Duration(c.rng.Int64N(int64(time.Second))))
	r.startedAt = time.Now()
	c.note("bot restarted; %d chats stranded", len(r.stranded))
	if err := c.startBot(bin); err != nil {
		return err
	}
	c.mu.Lock()
	c.restarts = append(c.restarts, r)
	c.mu.Unlock()
	// Wait until every stranded chat has had a send request (or 15 s).
	deadline := r.startedAt.Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if len(c.firstSends(r)) == len(r.stranded) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func isSend(method string) bool {
	return method == "sendMessage" || method == "sendPhoto" || method == "sendLocation"
}

// firstSends is, per stranded chat, how long after the restart its first send request came.
func (c *chaos) firstSends(r restart) map[string]time.Duration {
	want := map[string]bool{}
	for _, ch := range r.stranded {
		want[ch] = true
	}
	out := map[string]time.Duration{}
	for _, req := range c.fake.Requests() {
		chat := strconv.FormatInt(req.ChatID, 10)
		if !isSend(req.Method) || !want[chat] || req.At.Before(r.startedAt) {
			continue
		}
		if _, ok := out[chat]; !ok {
			out[chat] = req.At.Sub(r.startedAt)
		}
	}
	return out
}

// faultWindow makes the fake misbehave for d: about half the requests in it get the window's fault.
func (c *chaos) faultWindow(n int, d time.Duration) {
	kinds := []string{"429", "502", "slow", "drop", "500", "429"}
	kind := kinds[n%len(kinds)]
	var rmu sync.Mutex
	rng := rand.New(rand.NewPCG(c.o.seed+uint64(n), uint64(n)))
	f := func(r telegramtest.Request) *telegramtest.Fault {
		rmu.Lock()
		hit := rng.IntN(2) == 0
		retry := 1 + rng.IntN(2)
		rmu.Unlock()
		if !hit || r.Method == "getMe" {
			return nil
		}
		c.mu.Lock()
		c.faultLog[kind]++
		c.mu.Unlock()
		switch kind {
		case "429":
			return &telegramtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: retry}
		case "502":
			return &telegramtest.Fault{Status: http.StatusBadGateway}
		case "500":
			return &telegramtest.Fault{Status: http.StatusInternalServerError}
		case "slow":
			return &telegramtest.Fault{Delay: 2 * time.Second}
		default:
			return &telegramtest.Fault{Delay: 100 * time.Millisecond, Drop: true}
		}
	}
	c.note("fault window %s starts (%s)", kind, d)
	c.mu.Lock()
	c.fault = f
	c.mu.Unlock()
	time.Sleep(d)
	c.mu.Lock()
	c.fault = nil
	c.mu.Unlock()
	c.note("fault window %s ends", kind)
}

func (c *chaos) faultFor(r telegramtest.Request) *telegramtest.Fault {
	c.mu.Lock()
	f := c.fault
	c.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(r)
}

// waitQuiet waits until the fake has seen no send for quiet (at most limit).
func (c *chaos) waitQuiet(ctx context.Context, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n := c.fake.Sent()
		if n != last {
			last, since = n, time.Now()
		}
		if time.Since(since) >= quiet {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// --- the verdict

func (c *chaos) report(ctx context.Context, results []citizenResult, filed time.Duration) (bool, error) {
	db, err := models.Open(ctx, c.url)
	if err != nil {
		return false, fmt.Errorf("open the database for the checks: %w", err)
	}
	if sql, err := db.DB(); err == nil {
		defer sql.Close()
	}
	ok := true
	bad := func(format string, args ...any) {
		ok = false
		fmt.Printf("  LOSS: "+format+"\n", args...)
	}

	withTicket, tickets := 0, map[string]bool{}
	var failures []string
	for _, r := range results {
		if r.ticket != "" {
			withTicket++
			tickets[r.ticket] = true
		}
		if r.failed != "" {
			failures = append(failures, fmt.Sprintf("chat %d: %s", r.chat, r.failed))
		}
	}
	var complaints int64
	if err := db.Model(&models.Complaint{}).Count(&complaints).Error; err != nil {
		return false, err
	}

	var rows []models.Message
	if err := db.Where("channel = ?", "telegram").Order("id").Find(&rows).Error; err != nil {
		return false, err
	}
	inbound, sentRows, resends := 0, 0, 0
	undelivered := map[string]int{}
	dbTexts := map[string]map[string]int{} // chat -> text -> sent rows
	resendsOf := map[string]int{}
	for _, m := range rows {
		if m.Direction == models.DirectionIn {
			inbound++
			continue
		}
		resends += m.Resends
		resendsOf[m.ChatID] += m.Resends
		switch m.Status {
		case models.MessageSent:
			sentRows++
			if dbTexts[m.ChatID] == nil {
				dbTexts[m.ChatID] = map[string]int{}
			}
			dbTexts[m.ChatID][m.Text]++
		default:
			undelivered[m.Status]++
		}
	}
	pushed := c.fake.Pushed()

	// Duplicates: a chat's message shown more often than the database sent it.
	// One the chat got again after a kill left it in flight (its row counts a
	// resend) is the window that cannot be closed; any other is a failure.
	killDups, otherDups, fakeMsgs := 0, 0, 0
	var dupLines []string
	for i := range c.o.citizens {
		chat := strconv.FormatInt(int64(700_000+i), 10)
		ms := c.fake.Messages(int64(700_000 + i))
		fakeMsgs += len(ms)
		count := map[string]int{}
		for _, m := range ms {
			count[m.Method+"\x00"+m.Text]++
		}
		extra := 0
		for key, n := range count {
			text := strings.SplitN(key, "\x00", 2)[1]
			if allowed := max(1, dbTexts[chat][text]); n > allowed {
				extra += n - allowed
				dupLines = append(dupLines, fmt.Sprintf("chat %s got %d times: %.50q", chat, n, text))
			}
		}
		k := min(extra, resendsOf[chat])
		killDups += k
		otherDups += extra - k
	}

	var latencies []time.Duration
	stranded, late := 0, 0
	for _, r := range c.restarts {
		first := c.firstSends(r)
		stranded += len(r.stranded)
		for _, ch := range r.stranded {
			d, seen := first[ch]
			if !seen {
				late++
				continue
			}
			latencies = append(latencies, d)
			if d > 10*time.Second {
				late++
			}
		}
	}
	slices.Sort(latencies)
	violations := c.fake.Violations()

	fmt.Printf("filing took %.1f s; bot killed %d times, database restarts: %s\n", filed.Seconds(), len(c.restarts), orNone(strings.Join(c.dbOutages, ", ")))
	fmt.Printf("citizens with their ticket: %d of %d; complaints: %d; distinct tickets: %d\n", withTicket, c.o.citizens, complaints, len(tickets))
	fmt.Printf("inbound updates: %d pushed to the fake, %d recorded\n", pushed, inbound)
	fmt.Printf("outbound: %d messages sent (database), %d at the fake in the citizens' chats; duplicates: %d after a kill between acceptance and commit (%d resends counted), %d other\n",
		sentRows, fakeMsgs, killDups, resends, otherDups)
	fmt.Printf("undelivered messages: %d queued, %d in flight, %d failed\n", undelivered[models.MessageQueued], undelivered[models.MessageSending], undelivered[models.MessageFailed])
	fmt.Printf("faults injected: %s; Telegram limits broken: %d\n", faultSummary(c.faultLog), len(violations))
	if len(latencies) > 0 {
		fmt.Printf("stranded chats after restarts: %d; first send after the restart: median %.1f s, max %.1f s; later than 10 s or never: %d\n",
			stranded, latencies[len(latencies)/2].Seconds(), latencies[len(latencies)-1].Seconds(), late)
	} else {
		fmt.Printf("stranded chats after restarts: %d; later than 10 s or never: %d\n", stranded, late)
	}

	for _, f := range failures[:min(len(failures), 10)] {
		fmt.Println("  " + f)
	}
	if withTicket != c.o.citizens {
		bad("%d citizens without their ticket", c.o.citizens-withTicket)
	}
	if complaints != int64(c.o.citizens) || len(tickets) != withTicket {
		bad("%d complaints and %d distinct tickets for %d citizens", complaints, len(tickets), c.o.citizens)
	}
	if inbound != pushed {
		bad("%d inbound updates pushed, %d recorded", pushed, inbound)
	}
	if n := undelivered[models.MessageQueued] + undelivered[models.MessageSending] + undelivered[models.MessageFailed]; n > 0 {
		bad("%d messages never delivered", n)
	}
	for _, l := range dupLines[:min(len(dupLines), 10)] {
		fmt.Println("  " + l)
	}
	if otherDups > 0 {
		bad("%d duplicates not explained by a kill", otherDups)
	}
	if killDups > len(c.restarts) {
		bad("%d duplicates from %d kills (more than one per kill)", killDups, len(c.restarts))
	}
	for _, v := range violations[:min(len(violations), 10)] {
		bad("Telegram limit broken: %s", v)
	}
	if !ok || c.o.trace {
		fmt.Println("timeline:")
		for _, e := range c.events {
			fmt.Println("  " + e)
		}
		for _, v := range violations[:min(len(violations), 3)] {
			if m := chatRe.FindStringSubmatch(v); m != nil {
				fmt.Printf("  requests to chat %s:\n", m[1])
				for _, r := range c.fake.Requests() {
					if strconv.FormatInt(r.ChatID, 10) == m[1] && r.Method != "answerCallbackQuery" {
						fmt.Printf("    %6.2fs %s %d\n", r.At.Sub(c.start).Seconds(), r.Method, r.Status)
					}
				}
			}
		}
	}
	if late > 0 {
		bad("%d stranded chats not delivering within 10 s of the restart", late)
	}
	if ok {
		fmt.Println("RESULT: PASS")
	} else {
		fmt.Printf("RESULT: FAIL (bot log: %s; run with -keep to keep it)\n", filepath.Join(c.dir, "bot.log"))
	}
	return ok, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func faultSummary(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range []string{"429", "500", "502", "slow", "drop"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}
