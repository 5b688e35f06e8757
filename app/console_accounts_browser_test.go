package app

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// TestBrowserConsoleAccounts: with no terminal, an admin creates an officer's account and
// hands over the one-time link the console shows; the officer chooses a password with it and
// signs in; the admin deactivates the account (after confirming) and the officer's open
// session ends at once; reactivated, the officer signs in again and changes their own
// password; on a laptop and on a phone.
func TestBrowserConsoleAccounts(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		createConsoleUsers(t, h, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin})
		for i, sc := range []screen{laptop, phone} {
			t.Run(sc.name, func(t *testing.T) {
				email := []string{"sari@oki.go.id", "joko@oki.go.id"}[i]
				name := []string{"Sari Wulandari", "Joko Susilo"}[i]
				pw := "sandi-pilihan-sendiri-" + sc.name
				tab := openConsoleTab(t, sc)
				admin := tab.ctx
				signIn(t, admin, base, "admin@oki.go.id")
				browse(t, admin, chromedp.Navigate(base+"/konsol/akun"), chromedp.WaitVisible(chromedp.CSS("#form-akun")),
					chromedp.SendKeys(chromedp.CSS("#akun-nama"), name), chromedp.SendKeys(chromedp.CSS("#akun-email"), email),
					chromedp.SetValue(chromedp.CSS("#akun-peran"), "petugas"), chromedp.SetValue(chromedp.CSS("#akun-opd"), "PUPR"),
					chromedp.Click(chromedp.CSS("#form-akun button")))
				waitPage(t, admin, "#tautan-sandi", "hanya berlaku sekali")
				shot(t, admin, "akun-"+sc.name)
				require.LessOrEqual(t, evalIn[float64](t, admin, `document.documentElement.scrollWidth`), float64(sc.width), "nothing spills sideways")
				link := evalIn[string](t, admin, `document.getElementById('tautan').value`)
				require.True(t, strings.HasPrefix(link, base+"/konsol/sandi-baru?kode="), link)
				require.Contains(t, pageText(admin, "#akun"), email)

				// The officer opens the link in their own browser and chooses a password.
				officer := newBrowserContext(t, admin)
				require.NoError(t, chromedp.Do(officer, chromedp.EmulateViewport(sc.width, sc.height)))
				browse(t, officer, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#sandi-baru")),
					chromedp.SendKeys(chromedp.CSS("#sandi-baru"), pw), chromedp.SendKeys(chromedp.CSS("#sandi-ulangi"), pw),
					chromedp.Click(chromedp.CSS("#simpan-sandi")))
				waitPage(t, officer, "#pesan", "Kata sandi tersimpan")
				consoleLogin(t, officer, base, email, pw)
				waitPage(t, officer, "#pengguna", name)
				browse(t, officer, chromedp.Navigate(link))
				waitPage(t, officer, "#galat", "tidak berlaku")

				// Deactivation asks first, then ends the officer's session at once.
				row := `#akun tr[data-email="` + email + `"]`
				browse(t, admin, chromedp.Navigate(base+"/konsol/akun"), chromedp.WaitVisible(chromedp.CSS(row)),
					chromedp.Click(chromedp.CSS(row+` button[name=nonaktif]`)), chromedp.WaitVisible(chromedp.CSS("dialog[open] #dialog-ya")))
				require.Contains(t, pageText(admin, "dialog[open]"), "Nonaktifkan akun "+name+"?")
				browse(t, admin, chromedp.Click(chromedp.CSS("#dialog-ya")))
				waitPage(t, admin, "#pesan", "Akun dinonaktifkan")
				waitPage(t, admin, row, "nonaktif")
				browse(t, officer, chromedp.Navigate(base+"/konsol/pengaduan"), chromedp.WaitVisible(chromedp.CSS("#email")))
				require.True(t, strings.HasSuffix(evalIn[string](t, officer, `location.pathname`), "/konsol/masuk"), "the session ended")
				consoleLogin(t, officer, base, email, pw)
				waitPage(t, officer, "#galat", "Email atau kata sandi salah")

				// Reactivated, the officer signs in and changes their own password.
				browse(t, admin, chromedp.Click(chromedp.CSS(row+` button[name=aktif]`)))
				waitPage(t, admin, "#pesan", "diaktifkan kembali")
				consoleLogin(t, officer, base, email, pw)
				waitPage(t, officer, "#pengguna", name)
				browse(t, officer, chromedp.Click(chromedp.CSS("#menu-sandi")), chromedp.WaitVisible(chromedp.CSS("#sandi-lama")),
					chromedp.SendKeys(chromedp.CSS("#sandi-lama"), pw), chromedp.SendKeys(chromedp.CSS("#sandi-baru"), pw+"-2"),
					chromedp.SendKeys(chromedp.CSS("#sandi-ulangi"), pw+"-2"), chromedp.Click(chromedp.CSS("#simpan-sandi")))
				waitPage(t, officer, "#pesan", "sudah diganti")
				require.LessOrEqual(t, evalIn[float64](t, officer, `document.documentElement.scrollWidth`), float64(sc.width))
				require.Empty(t, tab.Errors())

				var actions []string
				require.NoError(t, db.Model(&models.AuditEntry{}).Where("object = ?", "user:"+email).Order("id").Pluck("action", &actions).Error)
				require.Equal(t, []string{"akun.buat", "akun.tautan_sandi", "akun.sandi", "masuk", "akun.nonaktif", "akun.aktif", "masuk", "akun.sandi"}, actions)
			})
		}
	})
}
