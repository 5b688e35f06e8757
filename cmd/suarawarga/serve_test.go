package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"

	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// freeAddr is a local address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// serving runs "serve" until the test ends and returns its base URL.
func serving(t *testing.T, env map[string]string) (string, chan error, *syncBuffer) {
	addr := freeAddr(t)
	t.Setenv("HTTP_ADDR", addr)
	t.Setenv("DATA_DIR", t.TempDir())
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, out, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return "http://" + addr, done, out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// switchProxy forwards TCP connections to target while up; while down it
// accepts and drops them, as a database that is not there yet.
type switchProxy struct {
	ln     net.Listener
	target string
	up     atomic.Bool
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &switchProxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				_ = c.Close()
				continue
			}
			go p.forward(c)
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return p
}

func (p *switchProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(s, c) }()
	_, _ = io.Copy(c, s)
}

// TestServeWaitsForTheDatabase: PostgreSQL is unreachable when serve starts; it
// keeps answering /healthz, says not ready, and starts by itself once the
// database is there.
func TestServeWaitsForTheDatabase(t *testing.T) {
	db := modeltest.Open(t, models.DialectPostgres) // skips without TEST_DATABASE_URL
	dsn := db.Dialector.(*postgres.Dialector).Config.DSN
	cfg, err := pgxHost(dsn)
	require.NoError(t, err)
	proxy := newSwitchProxy(t, cfg)
	url := strings.Replace(dsn, cfg, proxy.ln.Addr().String(), 1)
	base, done, out := serving(t, map[string]string{"DATABASE_URL": url})

	require.Eventually(t, func() bool { code, _ := get(base + "/healthz"); return code == http.StatusOK }, 20*time.Second, 20*time.Millisecond)
	code, body := get(base + "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "not ready")
	code, _ = get(base + "/")
	require.Equal(t, http.StatusServiceUnavailable, code, "the chat page asks to come back")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "database unreachable at start; retrying") }, 20*time.Second, 20*time.Millisecond)

	proxy.up.Store(true)
	require.Eventually(t, func() bool { code, _ := get(base + "/readyz"); return code == http.StatusOK }, 60*time.Second, 50*time.Millisecond,
		"ready once the database answers")
	code, body = get(base + "/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "<html")
	select {
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, out.String())
	default:
	}
}

// pgxHost returns the host:port of a postgres:// url.
func pgxHost(dsn string) (string, error) {
	rest := dsn[strings.Index(dsn, "@")+1:]
	host := rest[:strings.IndexAny(rest, "/?")]
	if _, _, err := net.SplitHostPort(host); err != nil {
		return "", err
	}
	return host, nil
}

// TestServeWaitsForTelegram: Telegram answers getMe with 502s at start; the web
// chat serves meanwhile, /readyz says not ready, and the bot connects by itself.
func TestServeWaitsForTelegram(t *testing.T) {
	fake := telegramtest.New(t, telegramtest.Options{})
	var getMe atomic.Int32
	fake.SetFaults(func(r telegramtest.Request) *telegramtest.Fault {
		if r.Method == "getMe" && getMe.Add(1) <= 4 {
			return &telegramtest.Fault{Status: http.StatusBadGateway}
		}
		return nil
	})
	base, done, out := serving(t, map[string]string{
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "sw.db"), "TELEGRAM_BOT_TOKEN": fake.Token, "TELEGRAM_API_URL": fake.URL,
	})
	require.Eventually(t, func() bool { code, _ := get(base + "/"); return code == http.StatusOK }, 30*time.Second, 20*time.Millisecond,
		"the web chat serves while Telegram is down")
	if getMe.Load() <= 4 {
		code, body := get(base + "/readyz")
		require.Equal(t, http.StatusServiceUnavailable, code, body)
	}
	require.Eventually(t, func() bool { code, _ := get(base + "/readyz"); return code == http.StatusOK }, 30*time.Second, 50*time.Millisecond)
	require.GreaterOrEqual(t, int(getMe.Load()), 5)
	require.Contains(t, out.String(), "telegram getMe failed; retrying")
	select {
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	default:
	}
}

// TestServeStopsOnABadToken: a token Telegram refuses ends serve with a clear error.
func TestServeStopsOnABadToken(t *testing.T) {
	fake := telegramtest.New(t, telegramtest.Options{})
	_, done, _ := serving(t, map[string]string{
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "sw.db"), "TELEGRAM_BOT_TOKEN": "999:salah", "TELEGRAM_API_URL": fake.URL,
	})
	select {
	case err := <-done:
		require.ErrorContains(t, err, "telegram refused the bot token: check TELEGRAM_BOT_TOKEN")
		require.NotContains(t, err.Error(), "salah")
		done <- err // for the cleanup
	case <-time.After(60 * time.Second):
		t.Fatal("serve kept running with a refused token")
	}
}
