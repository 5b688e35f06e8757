package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/webchat/webchattest"
	"github.com/suarawarga/suarawarga/regency"
	"github.com/suarawarga/suarawarga/web"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// scriptedReplies is a tiny fake conversation: enough to prove the page's controls.
func scriptedReplies(in bot.Inbound) []bot.Outbound {
	switch in.Kind {
	case bot.KindText:
		if in.Text == "/start" {
			return []bot.Outbound{{
				Text:    "Selamat datang di layanan pengaduan.\nApa yang ingin Anda lakukan?",
				Choices: []bot.Choice{{ID: "buat", Label: "📝 Buat pengaduan"}, {ID: "bantuan", Label: "ℹ️ Bantuan"}},
			}}
		}
		if in.Text == "bukti" {
			// An OPD's proof photo (served slowly by the fixture), then the question after it.
			return []bot.Outbound{{PhotoPath: slowPhotoPath}, {Text: "Apakah masalahnya sudah selesai?",
				Choices: []bot.Choice{{ID: "ya", Label: "Ya, sudah"}, {ID: "belum", Label: "Belum"}}}}
		}
		if strings.HasPrefix(in.Text, "catatan") {
			return []bot.Outbound{{Text: "Terima kasih, sudah kami catat."}}
		}
		return []bot.Outbound{{Text: "Anda menulis: " + in.Text, AskLocation: true, Choices: []bot.Choice{{ID: "kecamatan", Label: "Pilih kecamatan"}}}}
	case bot.KindChoice:
		return []bot.Outbound{{Text: "Di mana lokasinya?", AskLocation: true, Choices: []bot.Choice{{ID: "kecamatan", Label: "Pilih kecamatan"}}}}
	case bot.KindLocation:
		return []bot.Outbound{{Text: fmt.Sprintf("Lokasi diterima: %.5f, %.5f\nAda foto?", in.Lat, in.Lng), AskPhoto: true, Choices: []bot.Choice{{ID: "lewati", Label: "Lewati"}}}}
	case bot.KindPhoto:
		cfg, format, err := image.DecodeConfig(bytes.NewReader(in.Photo))
		if err != nil {
			return []bot.Outbound{{Text: "Foto rusak: " + err.Error()}}
		}
		return []bot.Outbound{{Text: fmt.Sprintf("Foto diterima: %s %dx%d", format, cfg.Width, cfg.Height)}}
	}
	return nil
}

type chatFixture struct {
	url  string
	bot  *webchattest.Bot
	hist *webchattest.History
	mu   sync.Mutex
	fail map[string]int // text -> how many more times the handler fails on it
}

func startChat(t *testing.T, configure ...func(*web.Config)) *chatFixture {
	t.Helper()
	cat := catalog(t)
	hist := webchattest.NewHistory()
	ch := webchat.New(hist, webchat.Options{Translator: cat, Logger: slog.New(slog.DiscardHandler)})
	f := &chatFixture{hist: hist, fail: map[string]int{}}
	f.bot = &webchattest.Bot{History: hist, Channel: ch, Reply: scriptedReplies, Fail: func(in bot.Inbound) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.fail[in.Text] > 0 {
			f.fail[in.Text]--
			return errors.New("database is locked")
		}
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = ch.Run(ctx, f.bot)
	}()
	reg, err := regency.DefaultFile()
	require.NoError(t, err)
	cfg := web.Config{Webchat: ch, Locales: cat, Logger: slog.New(slog.DiscardHandler),
		Brand: web.Brand{Name: reg.Regency.Name, Logo: reg.Logo}}
	for _, c := range configure {
		c(&cfg)
	}
	h := web.New(cfg).Handler()
	proof := jpegBytes(t, 900, 1400)
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET "+slowPhotoPath, func(w http.ResponseWriter, r *http.Request) {
		// The photo arrives well after the message that carries it, as on a slow network.
		time.Sleep(700 * time.Millisecond)
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(proof)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		<-runDone
		srv.Close()
	})
	f.url = srv.URL
	return f
}

func (f *chatFixture) inboundOf(kind bot.InboundKind) []bot.Inbound {
	var out []bot.Inbound
	for _, in := range f.bot.Inbound() {
		if in.Kind == kind {
			out = append(out, in)
		}
	}
	return out
}

// slowPhotoPath is a photo the fixture serves after a delay.
const slowPhotoPath = "/test/bukti.jpg"

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x / 4), G: uint8(y / 6), B: 120, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70}))
	return buf.Bytes()
}

func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y += 8 {
		for x := 0; x < w; x += 8 {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 90, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	p := filepath.Join(t.TempDir(), "jalan-rusak.png")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o600))
	return p
}

func TestChatPageInChromium(t *testing.T) {
	f := startChat(t)
	// A link preview or crawler fetching the page starts no conversation.
	resp, err := http.Get(f.url + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, f.bot.Inbound())

	p := webtest.OpenPhone(t, f.url+"/")
	ctx := p.Ctx

	// A new citizen is greeted without typing anything: the welcome and its buttons come
	// with the page itself.
	inPage, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sw-history').textContent`))
	require.NoError(t, err)
	require.Contains(t, inPage, "Selamat datang")
	require.Contains(t, inPage, "Buat pengaduan")
	welcome := p.WaitBot("Selamat datang")
	p.Axe("welcome")
	require.Equal(t, "Selamat datang di layanan pengaduan.\nApa yang ingin Anda lakukan?", welcome, "line breaks are kept")
	require.Equal(t, []string{"📝 Buat pengaduan", "ℹ️ Bantuan"}, p.Buttons())
	users, err := webtest.UserTexts(ctx)
	require.NoError(t, err)
	require.Empty(t, users, "the page's own /start is not shown")
	require.Len(t, f.bot.Inbound(), 1, "one /start")

	// Pressing a choice sends it and disables the old buttons.
	p.Click("📝 Buat pengaduan")
	p.WaitBot("Di mana lokasinya?")
	choices := f.inboundOf(bot.KindChoice)
	require.Len(t, choices, 1)
	require.Equal(t, "buat", choices[0].ChoiceID)
	require.Equal(t, "📝 Buat pengaduan", choices[0].Text)
	p.WaitUser("📝 Buat pengaduan")
	require.Equal(t, []string{"📍 Kirim lokasi saya", "Pilih kecamatan"}, p.Buttons(), "only the newest message's buttons stay enabled")
	p.Axe("a choice pressed, the next question")

	// The phone refuses the location: the page asks for a typed address instead.
	require.NoError(t, webtest.DenyLocation(ctx, f.url))
	p.Click("📍 Kirim lokasi saya")
	note, err := webtest.WaitNote(ctx, "Mohon ketik alamatnya")
	require.NoError(t, err)
	require.Contains(t, note, "lokasi Anda tidak bisa diambil")
	placeholder, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#text').placeholder`))
	require.NoError(t, err)
	require.Contains(t, placeholder, "desa/kelurahan")
	p.Axe("location refused, the typed-address note")
	p.Send("Jl. Letnan Muchtar Saleh, depan Pasar Kayuagung")
	p.WaitBot("Anda menulis: Jl. Letnan Muchtar Saleh, depan Pasar Kayuagung")
	require.Empty(t, f.inboundOf(bot.KindLocation))

	// With the location allowed, the button sends the phone's position.
	require.NoError(t, webtest.SetLocation(ctx, f.url, -3.40291, 104.83137))
	p.Click("📍 Kirim lokasi saya")
	p.WaitBot("Lokasi diterima: -3.40291, 104.83137")
	locs := f.inboundOf(bot.KindLocation)
	require.Len(t, locs, 1)
	require.InDelta(t, -3.40291, locs[0].Lat, 1e-6)
	require.InDelta(t, 104.83137, locs[0].Lng, 1e-6)
	p.WaitUser("📍 Lokasi: -3.40291, 104.83137")

	// The photo question offers the picker as a button beside "Lewati".
	require.Equal(t, []string{"📷 Kirim foto", "Lewati"}, p.Buttons())
	p.Axe("the photo question")
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		document.querySelector('#photo').addEventListener('click', function (e) { window.pickerOpened = true; e.preventDefault(); });
		return true;
	})()`))
	require.NoError(t, err)
	p.Click("📷 Kirim foto")
	opened, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pickerOpened === true`))
	require.NoError(t, err)
	require.True(t, opened, "the button opens the phone's photo picker")

	// A large photo is shrunk to 1600 px and sent as JPEG.
	p.Upload(writePNG(t, 2400, 1800))
	p.WaitBot("Foto diterima: jpeg 1600x1200")
	photos := f.inboundOf(bot.KindPhoto)
	require.Len(t, photos, 1)
	require.Equal(t, "image/jpeg", photos[0].PhotoMIME)
	_, err = jpeg.DecodeConfig(bytes.NewReader(photos[0].Photo))
	require.NoError(t, err)
	require.NoError(t, webtest.WaitDelivered(ctx))
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.msg.user .photo img').length`))
	require.NoError(t, err)
	require.Equal(t, 1, imgs, "the photo shows once (the echo replaced the preview)")
	p.Axe("a photo sent")

	// HTML in a message shows as text.
	p.Send(`<b>tebal</b> <img src=x onerror="window.pwned=1">`)
	p.WaitBot(`Anda menulis: <b>tebal</b> <img src=x onerror="window.pwned=1">`)
	injected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#chat b') || !!window.pwned || document.querySelectorAll('#chat img:not(.photo img)').length > 0`))
	require.NoError(t, err)
	require.False(t, injected)

	// A busy handler (503) is retried by the page with the same client_id until it goes through.
	f.mu.Lock()
	f.fail["coba ulang"] = 1
	f.mu.Unlock()
	p.Send("coba ulang")
	p.WaitBot("Anda menulis: coba ulang")
	var tries []bot.Inbound
	for _, in := range f.bot.Inbound() {
		if in.Text == "coba ulang" {
			tries = append(tries, in)
		}
	}
	require.Len(t, tries, 1, "the failed attempt never reached the recorder; the retry did")
	users, err = webtest.UserTexts(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(strings.Join(users, "\n"), "coba ulang"), "the message shows once")

	// Text over 4000 characters is refused by the page itself.
	before := len(f.bot.Inbound())
	require.NoError(t, webtest.SetText(ctx, strings.Repeat("a", 4001)))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(webtest.SelSend))))
	status, err := waitStatus(ctx, "terlalu panjang")
	require.NoError(t, err)
	require.Contains(t, status, "4000")
	require.Len(t, f.bot.Inbound(), before)
	p.Axe("a notice above the text box")

	// After a reload the conversation is still there and is not started again.
	botBefore, err := webtest.BotTexts(ctx)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload()))
	require.NoError(t, webtest.OpenChat(ctx, f.url+"/"))
	p.WaitBot("Anda menulis: coba ulang")
	botAfter, err := webtest.BotTexts(ctx)
	require.NoError(t, err)
	require.Equal(t, botBefore, botAfter)
	starts := 0
	for _, in := range f.bot.Inbound() {
		if in.Text == "/start" {
			starts++
		}
	}
	require.Equal(t, 1, starts)
	require.Equal(t, []string{"📍 Kirim lokasi saya", "Pilih kecamatan"}, p.Buttons(), "the last question's buttons work after a reload")
	p.Axe("after a reload")

	// A question answered by typing keeps its buttons disabled after a reload, and a button
	// pressed stays marked as the answer.
	p.Send("catatan: lubangnya dekat lampu merah")
	p.WaitBot("Terima kasih, sudah kami catat.")
	require.Empty(t, p.Buttons())
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload()))
	require.NoError(t, webtest.OpenChat(ctx, f.url+"/"))
	p.WaitBot("Terima kasih, sudah kami catat.")
	require.Empty(t, p.Buttons(), "no button of an answered question comes back after a reload")
	chosen, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.choices button.chosen')).map(function (b) { return b.textContent; })`))
	require.NoError(t, err)
	require.Equal(t, []string{"📝 Buat pengaduan"}, chosen, "the pressed button is shown as the answer")
	p.Axe("answered buttons after a reload")
}

// TestChatPageLayoutInChromium: on a 360×740 phone the header is one compact bar with the
// regency's name and logo, in both languages; a photo that loads late, and the keyboard
// opening, never push the latest question out of sight.
func TestChatPageLayoutInChromium(t *testing.T) {
	f := startChat(t)
	p := webtest.OpenPhone(t, f.url+"/")
	ctx := p.Ctx
	p.WaitBot("Selamat datang")

	for _, lang := range []string{"id", "en"} {
		require.NoError(t, webtest.OpenChat(ctx, f.url+"/?lang="+lang))
		p.WaitBot("Selamat datang")
		head, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(function () {
			var h = document.querySelector('header');
			var logo = h.querySelector('img.logo');
			return {height: h.getBoundingClientRect().height, text: h.innerText,
				logo: !!logo && logo.complete && logo.naturalWidth > 0};
		})()`))
		require.NoError(t, err)
		require.LessOrEqual(t, head["height"].(float64), 56.0, "header height (%s)", lang)
		require.Contains(t, head["text"], "Kabupaten Ogan Komering Ilir")
		require.NotContains(t, head["text"], "Sampaikan keluhan", "the welcome is the first message, not the header")
		require.Equal(t, true, head["logo"], "the regency's logo shows (%s)", lang)
		p.Axe("welcome (" + lang + ")")
	}
	require.NoError(t, webtest.OpenChat(ctx, f.url+"/?lang=id"))
	p.WaitBot("Selamat datang")

	// Fill the chat so it scrolls, then the OPD's proof photo arrives (it loads 0.7 s
	// after its message) with a question under it.
	for i := 0; i < 4; i++ {
		p.Send(fmt.Sprintf("pesan %d untuk mengisi layar", i))
		p.WaitBot(fmt.Sprintf("Anda menulis: pesan %d", i))
	}
	p.Send("bukti")
	p.WaitBot("Apakah masalahnya sudah selesai?")
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll('.msg.bot .photo img')).some(function (i) { return i.complete && i.naturalWidth > 0; })`,
		chromedp.WithPollingTimeout(webtest.DefaultWait)))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	requireInView := func(what string) {
		t.Helper()
		vis, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(function () {
			var chat = document.querySelector('#chat').getBoundingClientRect();
			var bs = document.querySelectorAll('.choices button');
			var b = bs[bs.length - 1].getBoundingClientRect();
			var vv = window.visualViewport ? window.visualViewport.height : window.innerHeight;
			return {top: b.top, bottom: b.bottom, chatTop: chat.top, chatBottom: Math.min(chat.bottom, vv)};
		})()`))
		require.NoError(t, err)
		require.GreaterOrEqual(t, vis["top"].(float64), vis["chatTop"].(float64), "%s: %v", what, vis)
		require.LessOrEqual(t, vis["bottom"].(float64), vis["chatBottom"].(float64), "%s: the last question's buttons are in view: %v", what, vis)
	}
	requireInView("after the photo loaded")
	require.Equal(t, []string{"Ya, sudah", "Belum"}, p.Buttons())
	p.Axe("a photo from the OPD")

	// The keyboard opens: the viewport shrinks to 360×400 and the question stays in view.
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(webtest.SelText)),
		chromedp.EmulateViewport(webtest.PhoneWidth, 400, chromedp.EmulateMobile, chromedp.EmulatePortrait)))
	time.Sleep(500 * time.Millisecond)
	requireInView("with the keyboard open")
}

func TestChatPageEnglishInChromium(t *testing.T) {
	f := startChat(t)
	p := webtest.Open(t, f.url+"/?lang=en")
	p.WaitBot("Selamat datang")
	send, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.querySelector('#send').getAttribute('aria-label')`))
	require.NoError(t, err)
	require.Equal(t, "Send message", send, "the composer's button is not named like the summary's \"✅ Send\"")
	p.Click("📝 Buat pengaduan")
	p.WaitBot("Di mana lokasinya?")
	require.Contains(t, p.Buttons(), "📍 Send my location")
	require.Equal(t, "en", f.bot.Inbound()[0].Lang)
}

func waitStatus(ctx context.Context, substr string) (string, error) {
	deadline := time.Now().Add(webtest.DefaultWait)
	for time.Now().Before(deadline) {
		s, err := webtest.Status(ctx)
		if err != nil {
			return "", err
		}
		if strings.Contains(s, substr) {
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("no status containing %q", substr)
}

// TestChatPageMapPinInChromium: "Kirim lokasi" opens a map (its code fetched only then) with a
// pin at the regency's centre when the phone gives no position; the tiles fail (the test is
// offline) and the plain grid shows instead; dragging the pin names the place under it and
// sends the new point.
func TestChatPageMapPinInChromium(t *testing.T) {
	const centerLat, centerLng = -3.39268, 104.83082
	f := startChat(t, func(c *web.Config) {
		lat, lng := centerLat, centerLng
		c.Brand.CenterLat, c.Brand.CenterLng = &lat, &lng
		c.MapTiles = "http://127.0.0.1:9/{z}/{x}/{y}.png" // nothing listens there: every tile fails
		c.Place = func(_ context.Context, lat, lng float64) (string, bool, error) {
			if lng > centerLng+1e-4 {
				return "Desa Timur, Kec. Uji", true, nil
			}
			return "Desa Barat, Kec. Uji", true, nil
		}
	})
	p := webtest.OpenPhone(t, f.url+"/")
	ctx := p.Ctx
	p.WaitBot("Selamat datang")
	mapFiles := `performance.getEntriesByType('resource').filter(function (e) { return /leaflet|map\.js/.test(e.name); }).length`
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](mapFiles))
	require.NoError(t, err)
	require.Zero(t, n, "no map code before the citizen asks for the map")

	p.Click("📝 Buat pengaduan")
	p.WaitBot("Di mana lokasinya?")
	require.NoError(t, webtest.DenyLocation(ctx, f.url))
	p.Click("📍 Kirim lokasi saya")
	placeIs := func(want string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`function (w) { var e = document.querySelector('.mapplace'); return !!e && e.textContent.indexOf(w) >= 0; }`,
			chromedp.WithPollingArgs(want), chromedp.WithPollingTimeout(webtest.DefaultWait)))
		require.NoError(t, err, "place under the pin: %s", want)
	}
	placeIs("📍 Desa Barat, Kec. Uji")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.map.notiles')`, chromedp.WithPollingTimeout(webtest.DefaultWait)))
	require.NoError(t, err, "failed tiles leave the plain grid")
	hint, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.maphint').textContent`))
	require.NoError(t, err)
	require.Contains(t, hint, "tidak dapat dimuat")
	n, err = chromedp.Run(ctx, chromedp.Evaluate[int](mapFiles))
	require.NoError(t, err)
	require.Equal(t, 3, n, "leaflet.js, leaflet.css and map.js load when asked")
	start, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`SWMap.current().pin()`))
	require.NoError(t, err)
	require.InDelta(t, centerLat, start[0], 1e-9)
	require.InDelta(t, centerLng, start[1], 1e-9)
	p.Axe("the map open, its tiles failed")

	// Drag the pin 90 px right and 60 px down.
	at, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(function () {
		var r = document.querySelector('.leaflet-marker-icon.pin').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	require.NoError(t, err)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1]),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, at[0], at[1], chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0]+9*float64(i), at[1]+6*float64(i), chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, at[0]+90, at[1]+60, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	require.NoError(t, chromedp.Do(ctx, steps...))
	placeIs("📍 Desa Timur, Kec. Uji")
	moved, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`SWMap.current().pin()`))
	require.NoError(t, err)
	require.Greater(t, moved[1], start[1], "dragged east")
	require.Less(t, moved[0], start[0], "dragged south")

	p.Click("✅ Kirim titik ini")
	p.WaitBot("Lokasi diterima")
	locs := f.inboundOf(bot.KindLocation)
	require.Len(t, locs, 1)
	require.InDelta(t, moved[0], locs[0].Lat, 1e-6, "the dragged point is sent")
	require.InDelta(t, moved[1], locs[0].Lng, 1e-6)
	gone, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('.mappanel')`))
	require.NoError(t, err)
	require.True(t, gone, "the map closes once the point is sent")
	p.Axe("the point sent")
}
