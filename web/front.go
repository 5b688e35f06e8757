package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Front is the listening HTTP server, bound before the rest of the bot exists:
// while the bot starts (its database may be down) it answers /healthz, says
// "not ready" on /readyz and asks every other request to come back shortly;
// Set hands it the real handler.
type Front struct {
	srv    *http.Server
	ln     net.Listener
	log    *slog.Logger
	h      atomic.Pointer[http.Handler]
	reason atomic.Pointer[string]
	errc   chan error
}

// Listen binds addr and starts serving the start-up answers.
func Listen(ctx context.Context, addr string, log *slog.Logger) (*Front, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return serveFront(ctx, ln, nil, log), nil
}

func serveFront(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) *Front {
	if log == nil {
		log = slog.Default()
	}
	f := &Front{ln: ln, log: log, errc: make(chan error, 1)}
	if h != nil {
		f.h.Store(&h)
	}
	f.srv = &http.Server{
		Handler:           http.HandlerFunc(f.serve),
		ReadHeaderTimeout: 10 * time.Second,
		// A photo over a slow mobile link takes a while; long-polls bound their own wait.
		ReadTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() { f.errc <- f.srv.Serve(ln) }()
	log.InfoContext(ctx, "http server listening", slog.String("addr", ln.Addr().String()))
	return f
}

// Addr is the address the server listens on.
func (f *Front) Addr() net.Addr { return f.ln.Addr() }

// Starting sets what /readyz says while the bot is not up yet.
func (f *Front) Starting(reason string) { f.reason.Store(&reason) }

// Set makes h answer every request from now on.
func (f *Front) Set(h http.Handler) { f.h.Store(&h) }

func (f *Front) serve(w http.ResponseWriter, r *http.Request) {
	if h := f.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case r.URL.Path == "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
		return
	case r.URL.Path == "/readyz":
		reason := "starting"
		if p := f.reason.Load(); p != nil {
			reason = "starting: " + *p
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready (" + reason + ")"))
		return
	}
	w.Header().Set("Retry-After", "5")
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/telegram/") {
		// The web chat page retries with backoff; Telegram redelivers a webhook that failed.
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "webchat.galat_sibuk", "message": startingText})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(startingText))
}

// startingText is what a person reads while the service starts; the locale
// catalog may not be loaded yet, so it is both languages at once.
const startingText = "Layanan sedang dimulai. Mohon coba lagi sebentar lagi. / The service is starting; please try again shortly."

// Wait serves until ctx is done, then shuts down gracefully (requests in flight
// get shutdownGrace) and closes the listener.
func (f *Front) Wait(ctx context.Context) error {
	select {
	case err := <-f.errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := f.srv.Shutdown(sctx); err != nil {
		_ = f.srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-f.errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}
