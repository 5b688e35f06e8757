// Command swload measures the inbound message path (dispatcher, conversation
// handler, flow engine, database, River jobs) with simulated citizens who each
// file a whole complaint, and prints throughput, latency percentiles and memory.
//
//	go run ./cmd/swload -db sqlite:/tmp/load.db -citizens 10000
//	go run ./cmd/swload -db 'postgres://root@127.0.0.1:5432/test?sslmode=disable' -citizens 10000 -pgbench
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/models"
)

func main() {
	dbURL := flag.String("db", "sqlite:swload.db", "database: sqlite:PATH or postgres://... (a fresh schema is made for postgres)")
	citizens := flag.Int("citizens", 10000, "simulated citizens, each filing one complaint (8 messages)")
	clients := flag.Int("clients", 8, "citizens talking at the same time")
	parallel := flag.Int("parallel", 0, "chats the dispatcher handles at once (0: the bot's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	deliver := flag.Bool("deliver", true, "run the delivery workers during the run (false: measure the inbound path alone; replies stay queued)")
	pgbench := flag.Bool("pgbench", false, "also run pgbench (1 INSERT + 1 UPDATE per transaction, 8 clients) on the same database for comparison")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*dbURL, *citizens, *clients, *parallel, *pgbench, *deliver); err != nil {
		fmt.Fprintln(os.Stderr, "swload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(dbURL string, citizens, clients, parallel int, withPgbench, deliver bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, cleanup, err := freshDatabase(ctx, dbURL)
	if err != nil {
		return err
	}
	defer cleanup()

	if withPgbench && strings.HasPrefix(dbURL, "postgres") {
		tps, err := runPgbench(dbURL)
		if err != nil {
			return err
		}
		fmt.Printf("pgbench (INSERT+UPDATE, 8 clients, 20 s): %.0f tps\n", tps)
	}

	app.TuneGC() // as serve does
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := models.Open(ctx, url)
	if err != nil {
		return err
	}
	if err := models.Migrate(ctx, db); err != nil {
		return err
	}
	cfg := app.Config{DatabaseURL: url, HTTPAddr: "127.0.0.1:0", DataDir: os.TempDir(), TZ: "Asia/Jakarta", MaxPhotoSize: 10 << 20}
	a, err := app.New(ctx, cfg, log, app.Options{DB: db, NoWorkers: !deliver, Parallel: parallel})
	if err != nil {
		return err
	}
	defer a.Close()
	if deliver {
		if err := a.River.Start(ctx); err != nil {
			return err
		}
		defer a.River.Stop(context.Background())
	}

	steps := []bot.Inbound{
		{Kind: bot.KindText, Text: "/start"},
		{Kind: bot.KindChoice, ChoiceID: "pengaduan"},
		{Kind: bot.KindText, Text: "1"},
		{Kind: bot.KindText, Text: "Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh"},
		{Kind: bot.KindLocation, Lat: -3.3937, Lng: 104.8306},
		{Kind: bot.KindChoice, ChoiceID: "lewati"},
		{Kind: bot.KindChoice, ChoiceID: "rahasia"},
		{Kind: bot.KindChoice, ChoiceID: "kirim"},
	}
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, citizens*len(steps))
	var failures atomic.Int64
	cpu0 := readCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			for {
				n := next.Add(1)
				if n > int64(citizens) {
					break
				}
				chat := fmt.Sprintf("load-%d-%d", n, rand.IntN(1<<30))
				for i, in := range steps {
					in.Channel, in.ChatID, in.MessageID = "webchat", chat, fmt.Sprintf("%s-%d", chat, i)
					t0 := time.Now()
					if err := a.Dispatcher.HandleInbound(ctx, in); err != nil {
						failures.Add(1)
						fmt.Fprintln(os.Stderr, "message failed:", err)
					}
					local = append(local, time.Since(t0))
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := readCPU().sub(cpu0)
	var deliveredIn time.Duration
	if deliver {
		deliveredIn = waitDelivered(ctx, db)
	}

	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	var complaints int64
	db.Model(&models.Complaint{}).Count(&complaints)
	fmt.Printf("database: %s\n", models.Dialect(db))
	fmt.Printf("citizens: %d, messages: %d, failures: %d, complaints filed: %d\n", citizens, len(lat), failures.Load(), complaints)
	fmt.Printf("inbound: %.0f messages/s over %s (%d clients)\n", float64(len(lat))/elapsed.Seconds(), elapsed.Round(time.Millisecond), clients)
	fmt.Printf("latency per message: p50 %s, p90 %s, p99 %s, max %s\n", pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	if deliver {
		fmt.Printf("replies delivered %s after the last message\n", deliveredIn.Round(time.Millisecond))
	} else {
		fmt.Println("delivery workers off: replies committed and queued, not sent")
	}
	if n := float64(len(lat)); n > 0 && cpu.ok {
		fmt.Printf("CPU per message: this process %.2f ms, postgres processes %.2f ms (all of them, from /proc)\n",
			cpu.self.Seconds()*1000/n, cpu.postgres.Seconds()*1000/n)
	}
	fmt.Printf("peak RSS: %s\n", peakRSS())
	if complaints != int64(citizens) || failures.Load() > 0 {
		return fmt.Errorf("expected %d complaints and no failures", citizens)
	}
	return nil
}

func waitDelivered(ctx context.Context, db *gorm.DB) time.Duration {
	t0 := time.Now()
	for {
		var n int64
		db.WithContext(ctx).Model(&models.Message{}).Where("direction = ? AND status = ?", models.DirectionOut, models.MessageQueued).Count(&n)
		if n == 0 || time.Since(t0) > 10*time.Minute {
			return time.Since(t0)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freshDatabase gives the run its own empty database: a new file for SQLite, a
// new schema for PostgreSQL (dropped afterwards).
func freshDatabase(ctx context.Context, url string) (string, func(), error) {
	if strings.HasPrefix(url, "sqlite:") {
		path := strings.TrimPrefix(url, "sqlite:")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		return url, func() {}, nil
	}
	db, err := models.Open(ctx, url)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("swload_%d", time.Now().UnixNano())
	if err := db.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		return "", nil, err
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema, func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		if s, err := db.DB(); err == nil {
			s.Close()
		}
	}, nil
}

var tpsRe = regexp.MustCompile(`tps = ([0-9.]+)`)

// runPgbench measures what PostgreSQL itself does here for a small write transaction.
func runPgbench(url string) (float64, error) {
	script := `\set cid random(1, 10000)
BEGIN;
INSERT INTO swload_pgb_t(v, n) VALUES ('halo dari warga', :cid);
UPDATE swload_pgb_c SET n = n + 1 WHERE id = :cid;
END;
`
	setup := `DROP TABLE IF EXISTS swload_pgb_t, swload_pgb_c;
CREATE TABLE swload_pgb_t(id bigserial primary key, v text, n int);
CREATE TABLE swload_pgb_c(id int primary key, n int);
INSERT INTO swload_pgb_c SELECT g, 0 FROM generate_series(1, 10000) g;`
	if out, err := exec.Command("psql", "-q", url, "-c", setup).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench setup: %v: %s", err, out)
	}
	defer exec.Command("psql", "-q", url, "-c", "DROP TABLE IF EXISTS swload_pgb_t, swload_pgb_c").Run()
	f, err := os.CreateTemp("", "swload-*.sql")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	f.WriteString(script)
	f.Close()
	out, err := exec.Command("pgbench", "-n", "-c", "8", "-j", "2", "-T", "20", "-f", f.Name(), url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	m := tpsRe.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps: %s", out)
	}
	var tps float64
	fmt.Sscan(string(m[1]), &tps)
	return tps, nil
}

// cpuTimes is user+system CPU time of this process and of every process named postgres.
type cpuTimes struct {
	self, postgres time.Duration
	ok             bool
}

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{self: a.self - b.self, postgres: a.postgres - b.postgres, ok: a.ok && b.ok}
}

// readCPU reads /proc (Linux): the times are in clock ticks of 10 ms.
func readCPU() cpuTimes {
	ticks := func(path string) (string, time.Duration, bool) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", 0, false
		}
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			return "", 0, false
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 13 {
			return "", 0, false
		}
		var u, st int64
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &st)
		return s[open+1 : closing], time.Duration(u+st) * 10 * time.Millisecond, true
	}
	var t cpuTimes
	_, self, ok := ticks("/proc/self/stat")
	if !ok {
		return t
	}
	t.self, t.ok = self, true
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		if name, v, ok := ticks("/proc/" + d.Name() + "/stat"); ok && name == "postgres" {
			t.postgres += v
		}
	}
	return t
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
