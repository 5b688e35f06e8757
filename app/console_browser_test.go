package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// cheapArgon2 keeps sign-ins in tests fast; hashes carry their own parameters.
var cheapArgon2 = console.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const consolePassword = "sandi-konsol-uji-2026"

// pageText returns the visible text of the first element matching sel, "" when there is none.
func pageText(ctx context.Context, sel string) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText : ''; })()`))
	if err != nil {
		return ""
	}
	return s
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// waitPage waits until the element sel shows substr.
func waitPage(t *testing.T, ctx context.Context, sel, substr string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(pageText(ctx, sel), substr) }, webtest.DefaultWait, 50*time.Millisecond,
		"%s never showed %q; the page says: %s", sel, substr, pageText(ctx, "body"))
}

func browse(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, webtest.DefaultWait)
	defer cancel()
	for _, step := range steps {
		err := chromedp.Do(wctx, step)
		// A form post replaces the page: a node found in the old document is gone by the
		// time it is used. Nothing happened to it, so the step is tried again on the new page.
		for try := 0; err != nil && strings.Contains(err.Error(), "Could not find node") && try < 5; try++ {
			time.Sleep(200 * time.Millisecond)
			err = chromedp.Do(wctx, step)
		}
		require.NoError(t, err)
	}
}

// consoleLogin signs in on the console's form.
func consoleLogin(t *testing.T, ctx context.Context, base, email, password string) {
	t.Helper()
	browse(t, ctx, chromedp.Navigate(base+"/konsol/"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#masuk")))
}

// newBrowserContext opens a tab in a fresh browser context: its own cookies, as another person's browser.
func newBrowserContext(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	return ctx
}

// TestBrowserConsole: an officer signs in to the console in Chromium, sees a complaint's
// HTML as text, replies, and the reply reaches the citizen's open web chat in another browser
// context. Another OPD's officer cannot open it by URL, a form without its CSRF token is
// refused, and repeated wrong passwords are rate-limited.
func TestBrowserConsole(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		ctx := t.Context()
		for _, u := range []console.NewUser{
			{Email: "pupr@oki.go.id", Name: "Rahmat (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"},
			{Email: "dlh@oki.go.id", Name: "Dewi (DLH)", Role: models.UserPetugas, AgencyCode: "DLH"},
			{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin},
		} {
			u.Password = consolePassword
			_, err := console.CreateUser(ctx, db, u, cheapArgon2, nil, h.clock.Now())
			require.NoError(t, err)
		}

		// A citizen with an open web chat, and their complaint with markup in it.
		const chat = "0123456789abcdef0123456789abcdef"
		now := h.clock.Now()
		siti := models.Citizen{Name: "Siti Aminah", Lang: "id", CreatedAt: now, UpdatedAt: now}
		require.NoError(t, db.Create(&siti).Error)
		require.NoError(t, db.Create(&models.Identity{CitizenID: siti.ID, Channel: webchat.Name, Address: chat, CreatedAt: now}).Error)
		evil := `Jalan rusak <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> dekat SD Negeri 3`
		c, err := h.app.Complaints.Submit(ctx, nil, complaint.SubmitInput{CitizenID: siti.ID, Channel: webchat.Name,
			CategoryCode: "jalan", Description: evil, RegionCode: "16.02.05"})
		require.NoError(t, err)

		citizen := webtest.Browser(t)
		_, err = chromedp.Call(citizen, network.SetCookie, network.SetCookieParams{Name: webchat.ChatCookie, Value: chat, URL: base})
		require.NoError(t, err)
		require.NoError(t, webtest.OpenChat(citizen, base+"/"))

		// The officer signs in and opens the complaint from the list.
		officer := newBrowserContext(t, citizen)
		consoleLogin(t, officer, base, "pupr@oki.go.id", consolePassword)
		waitPage(t, officer, "h1", "Tugas saya")
		browse(t, officer, chromedp.Click(chromedp.CSS("#tab-semua")))
		waitPage(t, officer, "#daftar", c.Code)
		waitPage(t, officer, "#pengguna", "Rahmat (PUPR)")
		browse(t, officer, chromedp.Click(chromedp.CSS(`#daftar a[href="/konsol/pengaduan/`+c.Code+`"]`)))
		waitPage(t, officer, "#kode", c.Code)
		require.Contains(t, pageText(officer, "#uraian"), `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`)
		xss, err := chromedp.Run(officer, chromedp.Evaluate[bool](`typeof window.__xss !== 'undefined' || document.querySelector('#uraian img, #uraian script') !== null`))
		require.NoError(t, err)
		require.False(t, xss, "the complaint's markup must stay text")

		// A form whose token was removed is refused, and nothing reaches the citizen.
		browse(t, officer,
			chromedp.SendKeys(chromedp.CSS("#form-balas textarea"), "Balasan tanpa token"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#form-balas input[name=csrf]').remove()`),
			chromedp.Click(chromedp.CSS("#form-balas button")))
		waitPage(t, officer, "#galat", "Formulir ini sudah kedaluwarsa")

		// The reply goes through.
		browse(t, officer, chromedp.Navigate(base+"/konsol/pengaduan/"+c.Code), chromedp.WaitVisible(chromedp.CSS("#form-balas textarea")),
			chromedp.SendKeys(chromedp.CSS("#form-balas textarea"), "Terima kasih, Ibu. Tim kami menambal jalan itu hari Senin."),
			chromedp.Click(chromedp.CSS("#form-balas button")))
		waitPage(t, officer, "#pesan", "Tanggapan terkirim kepada pelapor.")
		waitPage(t, officer, "#status", "diproses")
		waitPage(t, officer, "#utas", "Rahmat (PUPR)")

		// It arrives in the citizen's open chat.
		reply, err := webtest.WaitBotText(citizen, "Tim kami menambal jalan itu hari Senin")
		require.NoError(t, err)
		require.Contains(t, reply, c.Code)
		h.waitDelivered(chat)
		var sent []models.Message
		require.NoError(t, db.Where("chat_id = ? AND direction = ? AND text LIKE ?", chat, models.DirectionOut, "%menambal jalan%").Find(&sent).Error)
		require.Len(t, sent, 1, "the token-less form sent nothing; the real reply was sent once")
		require.Equal(t, models.MessageSent, sent[0].Status)

		// Another OPD's officer can open neither the complaint nor the export by URL.
		other := newBrowserContext(t, citizen)
		consoleLogin(t, other, base, "dlh@oki.go.id", consolePassword)
		waitPage(t, other, "#pengguna", "Dewi (DLH)")
		require.NotContains(t, pageText(other, "main"), c.Code)
		browse(t, other, chromedp.Navigate(base+"/konsol/pengaduan/"+c.Code))
		waitPage(t, other, "#galat", "bukan laporan dinas Anda")
		require.NotContains(t, pageText(other, "body"), "Jalan rusak")
		browse(t, other, chromedp.Navigate(base+"/konsol/ekspor/pengaduan.csv"))
		waitPage(t, other, "#galat", "tidak berwenang")

		// Wrong passwords: after five, even the right one is refused for a while.
		guesser := newBrowserContext(t, citizen)
		for range console.DefaultLimit.PerAccount {
			consoleLogin(t, guesser, base, "admin@oki.go.id", "tebak-tebakan-salah")
			waitPage(t, guesser, "#galat", "Email atau kata sandi salah")
		}
		consoleLogin(t, guesser, base, "admin@oki.go.id", consolePassword)
		waitPage(t, guesser, "#galat", "Terlalu banyak percobaan masuk yang gagal")
	})
}
