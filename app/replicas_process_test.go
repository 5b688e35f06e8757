package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"

	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// envReplicaChild makes the test binary run as one app process (TestReplicaChild).
const envReplicaChild = "SW_REPLICA_CHILD"

// TestReplicaChild is not a test of its own: it is the app process that
// TestTwoReplicas starts twice (the test binary run again with
// SW_REPLICA_CHILD=1), configured from the environment as serve is, and
// running until it is signalled or killed.
func TestReplicaChild(t *testing.T) {
	if os.Getenv(envReplicaChild) != "1" {
		t.Skip("the child process of TestTwoReplicas")
	}
	cfg, err := ConfigFromEnv()
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := New(ctx, cfg, log, Options{PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, a.Run(ctx))
}

// replica is one app process of TestTwoReplicas.
type replica struct {
	addr string
	cmd  *exec.Cmd
	dead atomic.Bool
	out  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startReplica(t *testing.T, env []string) *replica {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	r := &replica{addr: addr, out: &lockedBuffer{}}
	r.cmd = exec.Command(os.Args[0], "-test.run=^TestReplicaChild$", "-test.count=1")
	r.cmd.Env = append(append(os.Environ(), env...), envReplicaChild+"=1", "HTTP_ADDR="+addr)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	require.NoError(t, r.cmd.Start())
	t.Cleanup(func() {
		if !r.dead.Load() {
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
		}
		_ = r.cmd.Wait()
		if t.Failed() {
			t.Logf("replica %s output:\n%s", addr, r.out.String())
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 120*time.Second, 50*time.Millisecond, "replica %s did not get ready: %s", addr, r.out)
	return r
}

// kill stops the process at once (SIGKILL), as a crash would.
func (r *replica) kill() {
	r.dead.Store(true)
	_ = r.cmd.Process.Kill()
}

// balancer spreads requests over the replicas in turn, as a load balancer in
// front of them would, and tries the next one when a replica does not answer.
type balancer struct {
	replicas []*replica
	next     atomic.Int64
	served   []atomic.Int64
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	start := int(b.next.Add(1))
	for i := range b.replicas {
		k := (start + i) % len(b.replicas)
		rep := b.replicas[k]
		if rep.dead.Load() {
			continue
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+rep.addr+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // the replica went away: the next one takes it
		}
		b.served[k].Add(1)
		for key, v := range resp.Header {
			w.Header()[key] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no replica", http.StatusBadGateway)
}

// tgStep is one thing a citizen does and the reply it waits for.
type tgStep struct {
	do   func(fake *telegramtest.Server, chat int64) error
	want string
}

func complaintSteps(chat int64) []tgStep {
	text := func(s string) func(*telegramtest.Server, int64) error {
		return func(f *telegramtest.Server, c int64) error { f.SendText(c, s); return nil }
	}
	press := func(label string) func(*telegramtest.Server, int64) error {
		return func(f *telegramtest.Server, c int64) error { _, err := f.Press(c, label); return err }
	}
	return []tgStep{
		{text("/start"), "Selamat datang"},
		{press("📝 Buat pengaduan"), "Laporan Anda tentang apa?"},
		{press("Jalan & jembatan"), "Ceritakan masalahnya"},
		{text(fmt.Sprintf("Jalan di depan rumah nomor %d berlubang besar, sudah 2 motor jatuh", chat)), "Di mana lokasinya?"},
		{func(f *telegramtest.Server, c int64) error { f.SendLocation(c, -3.3937, 104.8306); return nil }, "Ada foto?"},
		{func(f *telegramtest.Server, c int64) error { f.SendPhoto(c, testPNG(int(c%200))); return nil }, "identitas"},
		{press("Boleh (biasa)"), "Mohon periksa laporan Anda"},
		{press("✅ Kirim"), "laporan Anda sudah kami terima"},
	}
}

// fileThroughReplicas plays the steps for chat, each waiting for its reply. A
// message the chat already had, arriving again, is counted as a duplicate;
// anything else unexpected fails.
func fileThroughReplicas(fake *telegramtest.Server, chat int64) (dups int, err error) {
	seen := 0
	for _, st := range complaintSteps(chat) {
		if err := st.do(fake, chat); err != nil {
			return dups, fmt.Errorf("chat %d: %w", chat, err)
		}
		deadline := time.Now().Add(45 * time.Second)
		for found := false; !found; {
			ms := fake.Messages(chat)
			for ; seen < len(ms) && !found; seen++ {
				m := ms[seen]
				switch {
				case strings.Contains(m.Text, st.want):
					found = true
				case repeated(ms[:seen], m.Text):
					dups++
				default:
					return dups, fmt.Errorf("chat %d: waiting for %q, got %q", chat, st.want, m.Text)
				}
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				return dups, fmt.Errorf("chat %d: no reply containing %q", chat, st.want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return dups, nil
}

// burstCodes are the ticket codes a citizen asks about at once after filing:
// none exists, so each reply names its code and the order shows.
func burstCodes(chat int64) []string {
	var codes []string
	for i := range burst {
		codes = append(codes, fmt.Sprintf("OKI-2612-%02d%02d", chat%100, i))
	}
	return codes
}

const burst = 10

// askInBurst sends every status question at once (the platform hands them
// over one after another, alternating between the replicas, while the replies
// to the earlier ones are still queued) and checks the replies come in the
// order asked, each once; a reply that came before, again, is a duplicate.
func askInBurst(fake *telegramtest.Server, chat int64) (dups int, err error) {
	seen := len(fake.Messages(chat))
	codes := burstCodes(chat)
	for _, code := range codes {
		fake.SendText(chat, "/status "+code)
	}
	deadline := time.Now().Add(45 * time.Second)
	next := 0
	for next < len(codes) {
		ms := fake.Messages(chat)
		for ; seen < len(ms) && next < len(codes); seen++ {
			m := ms[seen]
			switch {
			case strings.Contains(m.Text, codes[next]):
				next++
			case repeated(ms[:seen], m.Text):
				dups++
			default:
				return dups, fmt.Errorf("chat %d: waiting for the reply about %s, got %q", chat, codes[next], m.Text)
			}
		}
		if time.Now().After(deadline) {
			return dups, fmt.Errorf("chat %d: %d of %d status replies", chat, next, len(codes))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a duplicate would follow soon
	for _, m := range fake.Messages(chat)[seen:] {
		if !repeated(fake.Messages(chat)[:seen], m.Text) {
			return dups, fmt.Errorf("chat %d: unexpected %q after the status replies", chat, m.Text)
		}
		dups++
	}
	return dups, nil
}

func repeated(earlier []telegramtest.Message, text string) bool {
	for _, m := range earlier {
		if m.Text == text {
			return true
		}
	}
	return false
}

// TestTwoReplicas: two app processes on one PostgreSQL behind a balancer that
// hands Telegram's webhook calls to them in turn, so each citizen's messages
// alternate between the processes. Every citizen files a whole complaint, then
// asks six questions at once (their replies are queued by both processes while
// the earlier ones are being sent), and gets every reply in order and once; one process is killed (SIGKILL) while
// they do, and the other finishes. The only duplicate allowed is one the kill
// caused (a reply the platform took just before the kill, before it was
// recorded), counted as a resend.
func TestTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two app processes")
	}
	db := modeltest.Open(t, models.DialectPostgres) // skips without TEST_DATABASE_URL
	dsn := db.Dialector.(*postgres.Dialector).Config.DSN
	fake := newFake(t, tgLimits)
	lb := &balancer{served: make([]atomic.Int64, 2)}
	front := httptest.NewServer(lb)
	t.Cleanup(front.Close)
	env := []string{
		"DATABASE_URL=" + dsn, "PUBLIC_URL=" + front.URL, "DATA_DIR=" + filepath.Join(t.TempDir(), "data"),
		"TELEGRAM_BOT_TOKEN=" + fake.Token, "TELEGRAM_API_URL=" + fake.URL, "TELEGRAM_WEBHOOK_SECRET=" + tgWebhookSecret,
		fmt.Sprintf("TELEGRAM_RATE=%g", tgLimits.GlobalPerSecond), fmt.Sprintf("TELEGRAM_CHAT_RATE=%g", tgLimits.ChatPerSecond),
		"LOG_LEVEL=warn", "TZ=Asia/Jakarta",
	}
	first := startReplica(t, env) // the first one loads the sample regency; then both start on a ready database
	lb.replicas = []*replica{first}
	second := startReplica(t, env)
	lb.replicas = append(lb.replicas, second)
	require.Eventually(t, func() bool { return fake.WebhookURL() != "" }, 30*time.Second, 10*time.Millisecond)

	const citizens = 10
	perCitizen := len(complaintSteps(0)) + burst
	killed := make(chan time.Time, 1)
	go func() {
		for fake.Sent() < citizens*perCitizen/3 {
			time.Sleep(5 * time.Millisecond)
		}
		second.kill()
		killed <- time.Now()
	}()
	var mu sync.Mutex
	dups := 0
	var wg sync.WaitGroup
	errs := make(chan error, citizens)
	for i := range citizens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := int64(8100 + i)
			d, err := fileThroughReplicas(fake, chat)
			if err == nil {
				var d2 int
				d2, err = askInBurst(fake, chat)
				d += d2
			}
			mu.Lock()
			dups += d
			mu.Unlock()
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case <-killed:
	default:
		t.Fatal("the second replica was never killed")
	}
	if t.Failed() {
		return
	}

	t.Logf("webhook calls served: first %d, second %d (killed); duplicates %d", lb.served[0].Load(), lb.served[1].Load(), dups)
	require.Positive(t, lb.served[1].Load(), "the second replica took part before it was killed")
	var complaints, tickets int64
	require.NoError(t, db.Model(&models.Complaint{}).Count(&complaints).Error)
	require.NoError(t, db.Model(&models.Complaint{}).Distinct("code").Count(&tickets).Error)
	require.EqualValues(t, citizens, complaints, "one complaint per citizen")
	require.EqualValues(t, citizens, tickets, "distinct tickets")
	var resends int64
	require.NoError(t, db.Model(&models.Message{}).Select("COALESCE(SUM(resends), 0)").Scan(&resends).Error)
	require.LessOrEqual(t, dups, 1, "at most one duplicate, from the kill")
	require.LessOrEqual(t, int64(dups), resends, "every duplicate is a counted resend after the kill")
	require.Empty(t, fake.Violations())
}
