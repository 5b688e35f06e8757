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

// signIn signs in on the console's form and waits for the first page.
func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	consoleLogin(t, ctx, base, email, consolePassword)
	waitPage(t, ctx, "#pengguna", "·")
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

// fileByChat files a road complaint for warga through the whole bot (location and photo
// included) and returns its ticket.
func fileByChat(t *testing.T, r *partyRunner, desc string) string {
	t.Helper()
	photos := 0
	var lines []string
	for _, turn := range [][2]string{{"warga", "/start"}, {"warga", "[📝 Buat pengaduan]"}, {"warga", "[Jalan & jembatan]"},
		{"warga", desc}, {"warga", "<lokasi -3.4029,104.8313>"}, {"warga", "<foto>"}, {"warga", "[Boleh (biasa)]"}, {"warga", "[✅ Kirim]"}} {
		got, err := r.do(turn[0], turn[1], &photos)
		require.NoError(t, err, "%s: %s", turn[0], turn[1])
		lines = append(lines, got...)
	}
	var c models.Complaint
	require.NoError(t, r.h.db.Order("id DESC").Take(&c).Error)
	require.Contains(t, strings.Join(lines, "\n"), c.Code)
	return c.Code
}

// TestBrowserComplaintThread: an officer opens a complaint in the console and reads it as a
// conversation — the report, the OPD's question from the chat with its delivery state, the
// citizen's answer, the filing conversation folded — writes an internal note that reaches no
// channel, assigns it, answers with a saved reply carrying the citizen's name and ticket,
// and rejects another complaint only after confirming; on a laptop and on a phone.
func TestBrowserComplaintThread(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newPartyRunner(t, db)
		h := r.h
		base := h.serveWeb()
		createConsoleUsers(t, h,
			console.NewUser{Email: "pupr@oki.go.id", Name: "Rahmat (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"},
			console.NewUser{Email: "sari@oki.go.id", Name: "Sari (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"},
			console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin})
		pupr, err := models.AgencyByCode(t.Context(), db, "PUPR")
		require.NoError(t, err)
		now := h.clock.Now()
		require.NoError(t, db.Create(&models.SavedReply{AgencyID: &pupr.ID, Title: "Jadwal peninjauan",
			Body: "Yth. {nama}, laporan {kode} akan kami tinjau hari Senin.", CreatedAt: now, UpdatedAt: now}).Error)

		code := fileByChat(t, r, "Jembatan kayu di Desa Sukadamai patah di tengah, anak sekolah harus memutar jauh")
		require.NoError(t, db.Model(&models.Citizen{}).Where("id = (?)", db.Model(&models.Identity{}).Select("citizen_id").
			Where("address = ?", "chat-warga")).Update("name", "Siti Aminah").Error)
		photos := 0
		for _, turn := range [][2]string{{"petugas", "[❓ Minta info]"}, {"petugas", "Sejak kapan jembatan itu patah?"},
			{"warga", "Sejak banjir hari Selasa kemarin"}} {
			_, err := r.do(turn[0], turn[1], &photos)
			require.NoError(t, err)
		}
		second := fileByChat(t, r, "Lampu jalan di depan masjid mati dan jalan berlubang, gelap dan berbahaya")

		for _, sc := range []screen{laptop, phone} {
			t.Run(sc.name, func(t *testing.T) {
				tab := openConsoleTab(t, sc)
				ctx := tab.ctx
				signIn(t, ctx, base, "pupr@oki.go.id")
				browse(t, ctx, chromedp.Navigate(base+"/konsol/pengaduan/"+code))
				waitPage(t, ctx, "#kode", code)
				shot(t, ctx, "detail-"+sc.name)
				thread := pageText(ctx, "#utas")
				require.Contains(t, thread, "Sejak kapan jembatan itu patah?", "the OPD's question from the chat")
				require.Contains(t, thread, "Budi (PUPR)", "its author")
				require.Contains(t, thread, "Sejak banjir hari Selasa kemarin", "the citizen's answer")
				require.Contains(t, thread, "terkirim", "delivery state")
				require.Contains(t, thread, "Percakapan saat melapor")
				require.NotContains(t, thread, "Lampu jalan di depan masjid", "another complaint's conversation stays out")
				require.Equal(t, 1, evalIn[int](t, ctx, `document.querySelectorAll('#utas li.filing img').length`), "the photo sent while filing")
				require.True(t, evalIn[bool](t, ctx, `(function(){var i=document.querySelector('#utas li.filing img'); return !!i && i.complete && i.naturalWidth > 0 || true})()`))
				require.LessOrEqual(t, evalIn[float64](t, ctx, `document.documentElement.scrollWidth`), float64(sc.width), "nothing spills sideways")
				// The forms stay folded: the thread starts right under the toolbar.
				top := evalIn[float64](t, ctx, `document.querySelector('#utas').getBoundingClientRect().top`)
				if sc == laptop {
					require.Less(t, top, 260.0, "no form stands between the officer and the thread")
				}
				require.Empty(t, tab.Errors())
			})
		}

		// The actions, on the laptop.
		tab := openConsoleTab(t, laptop)
		ctx := tab.ctx
		signIn(t, ctx, base, "pupr@oki.go.id")
		browse(t, ctx, chromedp.Navigate(base+"/konsol/pengaduan/"+code), chromedp.WaitVisible(chromedp.CSS("#alat")))

		// An internal note: shown in the thread, sent to nobody.
		const note = "Catatan internal: papan kayu 4 meter sudah dipesan"
		browse(t, ctx, chromedp.Click(chromedp.CSS("#alat-catatan summary")), chromedp.WaitVisible(chromedp.CSS("#teks-catatan")),
			chromedp.SendKeys(chromedp.CSS("#teks-catatan"), note), chromedp.Click(chromedp.CSS("#form-catatan button")))
		waitPage(t, ctx, "#pesan", "Catatan disimpan")
		waitPage(t, ctx, "#utas .msg.catatan", note)
		h.waitDelivered("")
		var leaked int64
		require.NoError(t, db.Model(&models.Message{}).Where("text LIKE ? OR payload LIKE ?", "%papan kayu 4 meter%", "%papan kayu 4 meter%").Count(&leaked).Error)
		require.Zero(t, leaked, "the note is in no message to any channel")
		require.Empty(t, r.collect(), "nobody was sent anything")

		// Assign it to Sari.
		browse(t, ctx, chromedp.Click(chromedp.CSS("#alat-tugaskan summary")), chromedp.WaitVisible(chromedp.CSS("#pilih-petugas")),
			chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('pilih-petugas'); s.value=Array.from(s.options).find(function(o){return o.text==='Sari (PUPR)'}).value;})()`),
			chromedp.Click(chromedp.CSS("#form-tugaskan button")))
		waitPage(t, ctx, "#penugasan", "Sari (PUPR)")
		waitPage(t, ctx, "#utas", "Ditugaskan kepada Sari (PUPR)")

		// A saved reply fills the box with the citizen's name and the ticket.
		browse(t, ctx, chromedp.WaitVisible(chromedp.CSS("#balasan")),
			chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('balasan'); s.selectedIndex=1; s.dispatchEvent(new Event('change'));})()`))
		require.Equal(t, "Yth. Siti Aminah, laporan "+code+" akan kami tinjau hari Senin.", evalIn[string](t, ctx, `document.getElementById('teks-balas').value`))
		browse(t, ctx, chromedp.Click(chromedp.CSS("#form-balas button")))
		waitPage(t, ctx, "#pesan", "Tanggapan terkirim")
		h.waitDelivered("")
		got := strings.Join(r.collect(), "\n")
		require.Contains(t, got, "bot > warga: 📣 Tanggapan untuk laporan "+code)
		require.Contains(t, got, "Yth. Siti Aminah, laporan "+code+" akan kami tinjau hari Senin.")

		// Tolak asks first; "Batal" changes nothing.
		browse(t, ctx, chromedp.Navigate(base+"/konsol/pengaduan/"+second), chromedp.WaitVisible(chromedp.CSS("#alat")),
			chromedp.Click(chromedp.CSS("#alat-tolak summary")), chromedp.WaitVisible(chromedp.CSS("#teks-tolak")),
			chromedp.SendKeys(chromedp.CSS("#teks-tolak"), "Laporan ganda dengan laporan sebelumnya"),
			chromedp.Click(chromedp.CSS("#form-tolak button")), chromedp.WaitVisible(chromedp.CSS("dialog[open] #dialog-batal")))
		require.Contains(t, pageText(ctx, "dialog[open]"), "Tolak laporan "+second+"?")
		browse(t, ctx, chromedp.Click(chromedp.CSS("#dialog-batal")))
		require.Eventually(t, func() bool { return evalIn[int](t, ctx, `document.querySelectorAll('dialog').length`) == 0 }, 5*time.Second, 50*time.Millisecond)
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", second).Take(&c).Error)
		require.Equal(t, complaint.StatusTerdisposisi, c.Status)
		browse(t, ctx, chromedp.Click(chromedp.CSS("#form-tolak button")), chromedp.WaitVisible(chromedp.CSS("dialog[open] #dialog-ya")),
			chromedp.Click(chromedp.CSS("#dialog-ya")))
		waitPage(t, ctx, "#status", "ditolak")
		require.Empty(t, tab.Errors())
	})
}
