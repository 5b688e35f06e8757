package web_test

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/webchat/webchattest"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/web"
)

func catalog(t *testing.T) *locales.Catalog {
	t.Helper()
	cat, err := locales.Load()
	require.NoError(t, err)
	return cat
}

func newServer(t *testing.T, ready func(context.Context) error) *web.Server {
	t.Helper()
	cat := catalog(t)
	ch := webchat.New(webchattest.NewHistory(), webchat.Options{Translator: cat})
	return web.New(web.Config{Webchat: ch, Locales: cat, Ready: ready, Logger: slog.New(slog.DiscardHandler)})
}

func get(t *testing.T, h http.Handler, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	ok := newServer(t, nil).Handler()
	w := get(t, ok, "/healthz", nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "ok", w.Body.String())
	w = get(t, ok, "/readyz", nil)
	require.Equal(t, http.StatusOK, w.Code)

	down := newServer(t, func(context.Context) error { return errors.New("database unreachable") }).Handler()
	w = get(t, down, "/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Equal(t, "not ready", w.Body.String())
	require.Equal(t, http.StatusOK, get(t, down, "/healthz", nil).Code, "liveness does not depend on readiness")
}

func TestChatPage(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	h := newServer(t, nil).Handler()

	w := get(t, h, "/", nil)
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	require.Contains(t, w.Header().Get("Content-Type"), "text/html")
	require.Contains(t, body, `<html lang="id">`)
	require.Contains(t, body, cat.T("id", "webchat.judul", nil))
	require.Contains(t, body, cat.T("id", "webchat.kirim", nil))
	require.Contains(t, body, `href="?lang=en"`)
	require.NotContains(t, body, "webchat.", "every text is translated")
	// No inline script: only the external file and a JSON data block.
	require.Regexp(t, `<script src="/static/chat\.js\?v=[0-9a-f]{12}" defer></script>`, body)
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		require.True(t, strings.Contains(m, "src=") || strings.Contains(m, `type="application/json"`), m)
	}
	require.Contains(t, body, `"kirim_lokasi":"📍 Kirim lokasi saya"`)
	require.Contains(t, body, `"lokasi_anda":"📍 Lokasi: {lat}, {lng}"`, "placeholders are left for the script")

	var chatCookie *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == webchat.ChatCookie {
			chatCookie = c
		}
	}
	require.NotNil(t, chatCookie, "the page issues the chat cookie")
	require.True(t, chatCookie.HttpOnly)

	// Security headers.
	csp := w.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))

	// English by query, remembered by cookie.
	w = get(t, h, "/?lang=en", nil)
	body = w.Body.String()
	require.Contains(t, body, `<html lang="en">`)
	require.Contains(t, body, cat.T("en", "webchat.judul", nil))
	require.Contains(t, body, `href="?lang=id"`)
	var langCookie *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == webchat.LangCookie {
			langCookie = c
		}
	}
	require.NotNil(t, langCookie)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(langCookie)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Contains(t, w.Body.String(), `<html lang="en">`)

	require.Equal(t, http.StatusNotFound, get(t, h, "/nope", nil).Code)
}

func TestStatic(t *testing.T) {
	t.Parallel()
	h := newServer(t, nil).Handler()
	page := get(t, h, "/", nil).Body.String()
	jsURL := regexp.MustCompile(`/static/chat\.js\?v=[0-9a-f]+`).FindString(page)
	require.NotEmpty(t, jsURL)

	w := get(t, h, jsURL, nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Header().Get("Content-Type"), "javascript")
	require.Contains(t, w.Header().Get("Cache-Control"), "immutable")
	require.Contains(t, w.Body.String(), "textContent")
	require.NotContains(t, w.Body.String(), "innerHTML", "messages never go through innerHTML")
	plain := w.Body.String()

	w = get(t, h, jsURL, map[string]string{"Accept-Encoding": "gzip, deflate"})
	require.Equal(t, "gzip", w.Header().Get("Content-Encoding"))
	zr, err := gzip.NewReader(w.Body)
	require.NoError(t, err)
	unz, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, plain, string(unz))
	etag := w.Header().Get("ETag")
	require.NotEmpty(t, etag)

	w = get(t, h, jsURL, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	require.Equal(t, http.StatusNotModified, w.Code)
	require.Empty(t, w.Body.String())

	w = get(t, h, "/static/chat.css", map[string]string{"Accept-Encoding": "gzip;q=0"})
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Header().Get("Content-Encoding"))
	require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), "without the hash the file must be revalidated")

	require.Equal(t, http.StatusNotFound, get(t, h, "/static/nope.js", nil).Code)
}

func TestHandleRecoverAndCrossOrigin(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	s.Handle("POST /hook", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hooked")) }))
	h := s.Handler()

	w := get(t, h, "/boom", nil)
	require.Equal(t, http.StatusInternalServerError, w.Code)

	// A server-to-server webhook (no browser headers) passes.
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader("{}"))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "hooked", w.Body.String())

	// A browser POST from another site is refused before it reaches the chat API.
	r = httptest.NewRequest(http.MethodPost, "/api/chat/send", strings.NewReader(`{"client_id":"a","kind":"text","text":"halo"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "https://evil.example")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusForbidden, w.Code)
}

func TestServeShutsDownGracefully(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_ = resp.Body.Close()

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after ctx was cancelled")
	}
	_, err = http.Get("http://" + ln.Addr().String() + "/healthz")
	require.Error(t, err, "the listener is closed")
}

func TestRunReportsListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	s := web.New(web.Config{Addr: ln.Addr().String(), Logger: slog.New(slog.DiscardHandler)})
	err = s.Run(context.Background())
	require.ErrorContains(t, err, "listen")
}

// The regency's name is in the header and its logo is served by the page's own origin,
// cacheable for long under its versioned URL; an SVG logo may not run script.
func TestChatPageBrand(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`
	ch := webchat.New(webchattest.NewHistory(), webchat.Options{Translator: cat})
	h := web.New(web.Config{Webchat: ch, Locales: cat, Logger: slog.New(slog.DiscardHandler), Brand: web.Brand{
		Name: "Kabupaten Ogan Komering Ilir", Logo: "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))}}).Handler()
	body := get(t, h, "/", nil).Body.String()
	require.Contains(t, body, `<p class="sub">Kabupaten Ogan Komering Ilir</p>`)
	m := regexp.MustCompile(`<img class="logo" src="(/logo\?v=[0-9a-f]{12})"`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	w := get(t, h, m[1], nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, svg, w.Body.String())
	require.Equal(t, "image/svg+xml", w.Header().Get("Content-Type"))
	require.Contains(t, w.Header().Get("Cache-Control"), "immutable")
	require.Contains(t, w.Header().Get("Content-Security-Policy"), "sandbox")
	require.Equal(t, "no-cache", get(t, h, "/logo", nil).Header().Get("Cache-Control"))

	// Without a logo the header has none and /logo is not found.
	plain := newServer(t, nil).Handler()
	require.NotContains(t, get(t, plain, "/", nil).Body.String(), `class="logo"`)
	require.Equal(t, http.StatusNotFound, get(t, plain, "/logo", nil).Code)
}
