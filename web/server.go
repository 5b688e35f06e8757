// Package web is the HTTP side of Suara Warga: the web chat page and its API, health
// checks, and a mux other parts (console, webhooks) mount their handlers on.
package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/suarawarga/suarawarga/bot/webchat"
)

// Translator looks up the text of a locale key; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// Config wires a Server.
type Config struct {
	// Addr is the listen address, e.g. ":8080".
	Addr string
	// PublicURL is the site's public address; https turns on HSTS (and Secure cookies in webchat).
	PublicURL string
	// Webchat serves the chat API; nil leaves the chat out.
	Webchat *webchat.Channel
	// Locales renders the page's text; nil shows the keys.
	Locales Translator
	// Brand names the regency in the chat page's header, with its logo.
	Brand Brand
	// MapTiles is the map's tile URL template ({z}/{x}/{y}); "" is OpenStreetMap's. The
	// citizen's browser loads the tiles; the page's Content-Security-Policy allows that origin.
	MapTiles string
	// Place names where a map point is ("Desa Jua-jua, Kec. Kayu Agung"; "" when no
	// boundary holds it) for the map's pin; nil shows the coordinates.
	Place func(ctx context.Context, lat, lng float64) (name string, inside bool, err error)
	// Ready reports whether the service can take traffic (database reachable...); nil is always ready.
	Ready func(ctx context.Context) error
	// Logger receives request logs (debug) and errors; nil uses slog.Default().
	Logger *slog.Logger
}

// Server is the HTTP server: routes, middleware and graceful shutdown.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	page    *chatPage
}

// shutdownGrace bounds how long Run waits for requests in flight when ctx ends.
const shutdownGrace = 15 * time.Second

// New builds the server with its routes: the chat page and API, /static/, /healthz and /readyz.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Locales == nil {
		cfg.Locales = keyTranslator{}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if cfg.MapTiles == "" {
		cfg.MapTiles = DefaultMapTiles
	}
	s.page = newChatPage(cfg.Locales, cfg.Webchat, cfg.Brand)
	s.page.tiles = cfg.MapTiles
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /static/{file}", static.Handler())
	if cfg.Webchat != nil {
		s.mux.Handle("GET /{$}", s.page)
		s.mux.HandleFunc("GET /api/chat/place", s.place)
		if s.page.logo != nil {
			s.mux.Handle("GET "+logoPath, s.page.logo)
		}
		cfg.Webchat.Register(s.mux)
	}

	cop := http.NewCrossOriginProtection()
	var h http.Handler = s.mux
	h = cop.Handler(h)
	h = securityHeaders(h, strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"), tileOrigin(cfg.MapTiles))
	h = recoverer(h, s.log)
	h = logRequests(h, s.log)
	s.handler = h
	return s
}

// keyTranslator shows the key itself; it stands in when no catalog is configured.
type keyTranslator struct{}

func (keyTranslator) T(_, key string, _ map[string]any) string { return key }

// Handle mounts another handler (console, webhook, metrics) on the server's mux,
// with the ServeMux pattern syntax ("POST /telegram/webhook").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler returns the full handler: routes wrapped in logging, recovery, security
// headers and cross-origin protection.
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens on cfg.Addr and serves until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serveFront(ctx, ln, s.handler, s.log).Wait(ctx)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.WarnContext(r.Context(), "not ready", slog.Any("error", err))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready"))
			return
		}
	}
	_, _ = w.Write([]byte("ok"))
}

// contentSecurityPolicy allows only the site's own scripts, styles and connections; no
// inline script, no framing. Images may be data: or blob: (photo previews before upload)
// or the map's tiles (%s, their origin).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: %s; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// DefaultMapTiles is OpenStreetMap's standard tile layer (its usage policy asks for the
// attribution the map shows and a modest load, which one citizen placing one pin is).
const DefaultMapTiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

// tileOrigin is the scheme and host of a tile URL template, for the CSP.
func tileOrigin(tmpl string) string {
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(tmpl))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func securityHeaders(next http.Handler, hsts bool, tiles string) http.Handler {
	csp := fmt.Sprintf(contentSecurityPolicy, tiles)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 and an error log instead of a dropped connection.
func recoverer(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel value passed to panic
				panic(v)
			}
			log.ErrorContext(r.Context(), "http handler panic",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if rw, ok := w.(*statusWriter); !ok || !rw.wrote {
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status and size of a response for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs each request at debug: never the query string, which may carry text.
func logRequests(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.DebugContext(r.Context(), "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)))
	})
}

// placeResponse is the JSON body of GET /api/chat/place.
type placeResponse struct {
	Name   string `json:"name"`   // "Desa Jua-jua, Kec. Kayu Agung"; "" when no boundary holds the point
	Inside bool   `json:"inside"` // the point is in the regency
}

// place names the desa and kecamatan under the map's pin as the citizen moves it.
func (s *Server) place(w http.ResponseWriter, r *http.Request) {
	lat, err1 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
	lng, err2 := strconv.ParseFloat(r.URL.Query().Get("lng"), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		http.Error(w, "lat and lng must be a point", http.StatusBadRequest)
		return
	}
	var resp placeResponse
	if s.cfg.Place != nil {
		name, inside, err := s.cfg.Place(r.Context(), lat, lng)
		if err != nil {
			s.log.WarnContext(r.Context(), "place a map point", slog.Any("error", err))
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		resp = placeResponse{Name: name, Inside: inside}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_ = json.NewEncoder(w).Encode(resp)
}
