package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// largePNG is a w×h photo-like PNG (a gradient with noise, so it does not compress to nothing).
func largePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8((x*7 + y*13) % 23)
			img.Set(x, y, color.RGBA{R: uint8(x/10) + n, G: uint8(y/8) + n, B: 90 + n, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
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
		// The map opens at the phone's position and names the desa under the pin (from the
		// regency's boundaries); the tiles fail offline and the plain grid shows.
		_, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](`(function () { var e = document.querySelector('.mapplace'); return !!e && /Desa .+, Kec\. /.test(e.textContent) && !!document.querySelector('.map.notiles'); })()`,
			chromedp.WithPollingTimeout(webtest.DefaultWait)))
		require.NoError(t, err)
		placeText, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.querySelector('.mapplace').textContent`))
		require.NoError(t, err)
		p.Axe("the map")
		p.Click("✅ Kirim titik ini")
		p.WaitUser(placeText)
		p.WaitBot("Ada foto?")
		require.Contains(t, p.Buttons(), "📷 Kirim foto", "the photo question offers the picker as a button")
		p.Axe("the photo question")
		photo := filepath.Join(t.TempDir(), "jalan.png")
		require.NoError(t, os.WriteFile(photo, largePNG(t, 2400, 1800), 0o600))
		p.Upload(photo)
		// The web chat knows nobody: the citizen may give a name instead of hiding one.
		p.WaitBot("Apakah Anda ingin mencantumkan nama?")
		// The citizen's own photo is not downloaded again: the bubble keeps the local copy,
		// with the server's full photo behind a tap, for this browser only.
		require.NoError(t, webtest.WaitDelivered(p.Ctx))
		own, err := chromedp.Run(p.Ctx, chromedp.Evaluate[map[string]any](`(function () {
			var a = document.querySelector('.msg.user .photo a');
			return {img: a ? a.querySelector('img').src : '', href: a ? a.href : '',
				fetched: performance.getEntriesByType('resource').filter(function (e) { return e.name.indexOf('/api/chat/media/') >= 0; }).length};
		})()`))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(own["img"].(string), "blob:"), "the local copy shows: %v", own)
		require.Contains(t, own["href"], "/api/chat/media/")
		require.Contains(t, own["href"], "full=1")
		require.EqualValues(t, 0, own["fetched"], "no photo was downloaded")
		src := strings.TrimSuffix(own["href"].(string), "?full=1")
		resp, err := http.Get(src)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "another browser cannot load the photo")
		p.Click("Cantumkan nama saya")
		p.WaitBot("Siapa nama Anda?")
		p.Send("Siti Aminah")
		p.WaitBot("Mohon periksa laporan Anda")
		p.WaitBot("Foto: 1")
		p.WaitBot("Lokasi: titik peta: Desa ")
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

		// After a reload the photo comes from the server as its preview (at most 1280 px, a
		// few dozen KB), the full photo behind a tap.
		require.NoError(t, chromedp.Do(p.Ctx, chromedp.Reload()))
		require.NoError(t, webtest.OpenChat(p.Ctx, url+"/"))
		p.WaitBot("Apa yang ingin Anda lakukan?")
		_, err = chromedp.Run(p.Ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll('.msg.user .photo img')).some(function (i) { return i.complete && i.naturalWidth > 0; })`,
			chromedp.WithPollingTimeout(webtest.DefaultWait)))
		require.NoError(t, err)
		shown, err := chromedp.Run(p.Ctx, chromedp.Evaluate[map[string]any](`(function () {
			var i = document.querySelector('.msg.user .photo img');
			var e = performance.getEntriesByName(i.src)[0];
			return {src: i.src, w: i.naturalWidth, h: i.naturalHeight, bytes: e ? e.encodedBodySize : -1,
				href: i.parentNode.href, alt: i.alt};
		})()`))
		require.NoError(t, err)
		require.Contains(t, shown["src"], "/api/chat/media/")
		require.EqualValues(t, 1280, shown["w"], "the preview: %v", shown)
		require.Less(t, shown["bytes"].(float64), float64(200<<10), "the preview is light: %v", shown)
		require.Equal(t, "Foto (ketuk untuk ukuran penuh)", shown["alt"])
		full, err := chromedp.Run(p.Ctx, chromedp.Evaluate[[]int](fmt.Sprintf(`fetch(%q).then(function (r) { return r.blob(); }).then(createImageBitmap).then(function (b) { return [b.width, b.height]; })`, shown["href"]), chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.Equal(t, []int{1600, 1200}, full, "the full photo behind the tap (as the page shrank it)")
		p.Axe("a photo after a reload")

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
