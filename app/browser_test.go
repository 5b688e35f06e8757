package app

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// serveWeb runs the harness's web chat channel and HTTP server and returns the base URL.
func (h *harness) serveWeb() string {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(h.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = h.app.Webchat.Run(ctx, h.app.Dispatcher); done <- struct{}{} }()
	go func() { _ = h.app.Web.Serve(ctx, ln); done <- struct{}{} }()
	h.t.Cleanup(func() { cancel(); <-done; <-done })
	return "http://" + ln.Addr().String()
}

// needChromium skips a browser test on a developer's machine without Chromium;
// CI installs it and never skips.
func needChromium(t *testing.T) {
	t.Helper()
	if webtest.ChromiumPath() == "" && os.Getenv("CI") == "" {
		t.Skip("chromium is not installed (apt-get install chromium); CI always runs this test")
	}
}

// TestBrowserFilesComplaint: a person files a complaint in the real web chat
// page in headless Chromium by clicking, then checks its status.
func TestBrowserFilesComplaint(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		url := h.serveWeb()
		p := webtest.OpenPhone(t, url+"/")

		p.WaitBot("Selamat datang di layanan pengaduan")
		p.Axe("welcome")
		p.Click("📝 Buat pengaduan")
		p.WaitBot("Laporan Anda tentang apa?")
		p.Axe("the categories")
		p.Click("Jalan & jembatan")
		p.WaitBot("Ceritakan masalahnya")
		p.Send("jalan berlubang")
		p.WaitBot("minimal 15 huruf")
		p.Send("Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh")
		p.WaitBot("Di mana lokasinya?")
		require.NoError(t, webtest.SetLocation(p.Ctx, url, -3.40291, 104.83137))
		p.Click("📍 Kirim lokasi saya")
		p.WaitBot("Ada foto?")
		require.Contains(t, p.Buttons(), "📷 Kirim foto", "the photo question offers the picker as a button")
		p.Axe("the photo question")
		photo := filepath.Join(t.TempDir(), "jalan.png")
		require.NoError(t, os.WriteFile(photo, testPNG(3), 0o600))
		p.Upload(photo)
		// The web chat knows nobody: the citizen may give a name instead of hiding one.
		p.WaitBot("Apakah Anda ingin mencantumkan nama?")
		// The photo's echo is served back from the bot, to this browser only.
		require.Eventually(t, func() bool {
			loaded, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](`Array.from(document.images).some(i => i.src.includes('/api/chat/media/') && i.complete && i.naturalWidth > 0)`))
			return err == nil && loaded
		}, 10*time.Second, 100*time.Millisecond, "the sent photo is shown from the server")
		src, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`Array.from(document.images).map(i => i.src).find(s => s.includes('/api/chat/media/'))`))
		require.NoError(t, err)
		resp, err := http.Get(src)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "another browser cannot load the photo")
		p.Click("Cantumkan nama saya")
		p.WaitBot("Siapa nama Anda?")
		p.Send("Siti Aminah")
		p.WaitBot("Mohon periksa laporan Anda")
		p.WaitBot("Foto: 1")
		p.WaitBot("Identitas: Siti Aminah")
		p.Axe("the summary")
		p.Click("✅ Kirim")
		confirmation := p.WaitBot("Nomor laporan: OKI-2611-0001")
		require.Contains(t, confirmation, "Jumat, 4 Desember 2026")
		require.Contains(t, confirmation, "Dinas Pekerjaan Umum dan Penataan Ruang")
		p.Axe("the ticket")

		// The ticket's buttons lead on without a typed command.
		p.Click("🔎 Cek status")
		p.WaitBot("Status: diteruskan ke dinas")
		p.Axe("the status")
		p.Click("🏠 Menu")
		p.WaitBot("Apa yang ingin Anda lakukan?")

		var c models.Complaint
		require.NoError(t, db.Where("code = ?", "OKI-2611-0001").First(&c).Error)
		require.NotNil(t, c.Lat)
		require.InDelta(t, -3.40291, *c.Lat, 1e-6)
		var photos int64
		require.NoError(t, db.Model(&models.ComplaintAttachment{}).Where("complaint_id = ?", c.ID).Count(&photos).Error)
		require.EqualValues(t, 1, photos)
		var cit models.Citizen
		require.NoError(t, db.First(&cit, c.CitizenID).Error)
		require.Equal(t, "Siti Aminah", cit.Name, "the name given is the reporter's")
		require.False(t, c.Confidential)
	})
}
