package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// The two screens the console is judged on: a 1366×768 office laptop and a 390×844 phone.
var (
	laptop = screen{"laptop", 1366, 768}
	phone  = screen{"phone", 390, 844}
)

type screen struct {
	name          string
	width, height int64
}

// consoleTab is a fresh Chromium tab at the screen's size that records every error the
// page's console shows (a Content-Security-Policy violation is one).
type consoleTab struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func openConsoleTab(t *testing.T, sc screen) *consoleTab {
	t.Helper()
	ctx := webtest.Browser(t)
	tab := &consoleTab{ctx: ctx}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(sc.width, sc.height)))
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(lctx) {
			if err != nil {
				return
			}
			if m.Type == "error" || m.IsException() {
				tab.mu.Lock()
				tab.errors = append(tab.errors, string(m.Type)+": "+m.Text)
				tab.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	return tab
}

// Errors returns the console errors so far and forgets them.
func (tab *consoleTab) Errors() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	out := tab.errors
	tab.errors = nil
	return out
}

// eval runs a JavaScript expression in the tab.
func evalIn[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// shot saves what the tab shows as NAME.png in $SW_SCREENSHOTS, when that is set: a way
// to look at the console's pages as their users see them.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SW_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// createConsoleUsers adds console accounts with consolePassword.
func createConsoleUsers(t *testing.T, h *harness, users ...console.NewUser) {
	t.Helper()
	for _, u := range users {
		u.Password = consolePassword
		_, err := console.CreateUser(t.Context(), h.db, u, cheapArgon2, nil, h.clock.Now())
		require.NoError(t, err)
	}
}

// fileComplaints files n complaints for one web chat citizen, spread over categories.
func fileComplaints(t *testing.T, h *harness, name string, n int) []string {
	t.Helper()
	now := h.clock.Now()
	cit := models.Citizen{Name: name, Lang: "id", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, h.db.Create(&cit).Error)
	require.NoError(t, h.db.Create(&models.Identity{CitizenID: cit.ID, Channel: "webchat", Address: "chat-" + strings.ReplaceAll(name, " ", "-"), CreatedAt: now}).Error)
	cats := []string{"jalan", "sampah", "jalan", "pju", "jalan"}
	var codes []string
	for i := range n {
		c, err := h.app.Complaints.Submit(t.Context(), nil, complaint.SubmitInput{CitizenID: cit.ID, Channel: "webchat",
			CategoryCode: cats[i%len(cats)], Description: "Keluhan nomor " + strings.Repeat("x", i%3) + " tentang jalan dan lampu di desa kami",
			RegionCode: "16.02.05"})
		require.NoError(t, err)
		codes = append(codes, c.Code)
	}
	return codes
}

// TestBrowserConsoleDashboard: an admin signs in and lands on the dashboard; its headline
// numbers are on the first screen, its charts draw under the page's CSP with no console
// error, and nothing spills sideways, on a laptop and on a phone.
func TestBrowserConsoleDashboard(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		createConsoleUsers(t, h, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin})
		fileComplaints(t, h, "Siti Aminah", 7)
		for _, sc := range []screen{laptop, phone} {
			t.Run(sc.name, func(t *testing.T) {
				tab := openConsoleTab(t, sc)
				consoleLogin(t, tab.ctx, base, "admin@oki.go.id", consolePassword)
				waitPage(t, tab.ctx, "h1", "Dasbor")
				require.True(t, strings.HasSuffix(evalIn[string](t, tab.ctx, `location.pathname`), "/konsol/dasbor"))
				require.Contains(t, pageText(tab.ctx, "#angka-terbuka"), "7")
				shot(t, tab.ctx, "dasbor-"+sc.name)
				// Every headline number is on the first screen.
				bottom := evalIn[float64](t, tab.ctx, `Math.max.apply(null, Array.from(document.querySelectorAll('#angka .card')).map(function (e) { return e.getBoundingClientRect().bottom; }))`)
				if sc == laptop {
					require.Less(t, bottom, float64(sc.height), "the headline numbers fit the first screen")
					top := evalIn[float64](t, tab.ctx, `document.querySelector('#kinerja').getBoundingClientRect().top`)
					require.Less(t, top, float64(sc.height), "the OPDs' performance starts on the first screen")
				}
				// The bars keep their widths (an inline style blocked by the CSP stretched them).
				widest := evalIn[float64](t, tab.ctx, `Math.max.apply(null, Array.from(document.querySelectorAll('#grafik-kategori rect.bar')).map(function (e) { return e.getBoundingClientRect().width; }))`)
				chart := evalIn[float64](t, tab.ctx, `document.querySelector('#grafik-kategori').getBoundingClientRect().width`)
				require.Greater(t, widest, 10.0)
				require.Less(t, widest, chart)
				require.LessOrEqual(t, evalIn[float64](t, tab.ctx, `document.documentElement.scrollWidth`), float64(sc.width), "nothing spills sideways")
				// The tables are behind "Lihat tabel".
				require.False(t, evalIn[bool](t, tab.ctx, `document.querySelector('#grafik-kategori table').checkVisibility()`))
				browse(t, tab.ctx, chromedp.Click(chromedp.CSS("#grafik-kategori summary")))
				require.Eventually(t, func() bool {
					return evalIn[bool](t, tab.ctx, `document.querySelector('#grafik-kategori table').checkVisibility()`)
				}, 5*time.Second, 50*time.Millisecond)
				require.Empty(t, tab.Errors(), "the dashboard logs no console error (CSP)")
			})
		}
	})
}
