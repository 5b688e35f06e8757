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
	"github.com/suarawarga/suarawarga/web/webtest"
)

// TestBrowserConsoleAxe: axe-core finds no violation on any console page, in each state a
// person reaches (a toolbar form open, a confirmation asked, a one-time link shown), as an
// admin, a leader and an officer, on a laptop and on a phone.
func TestBrowserConsoleAxe(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		createConsoleUsers(t, h,
			console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin},
			console.NewUser{Email: "bupati@oki.go.id", Name: "Pak Bupati", Role: models.UserPimpinan},
			console.NewUser{Email: "pupr@oki.go.id", Name: "Rahmat (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"})
		codes := fileComplaints(t, h, "Siti Aminah", 6)
		for _, sc := range []screen{laptop, phone} {
			t.Run(sc.name, func(t *testing.T) {
				var found []string
				tab := openConsoleTab(t, sc)
				ctx := tab.ctx
				axe := func(state string, opts ...webtest.AxeOption) {
					t.Helper()
					vs, err := webtest.Axe(ctx, opts...)
					require.NoError(t, err, state)
					for _, v := range vs {
						found = append(found, state+": "+v.String())
					}
				}
				visit := func(path, waitSel, state string) {
					t.Helper()
					browse(t, ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(waitSel)))
					axe(state)
				}

				visit("/konsol/masuk", "#email", "sign-in")
				consoleLogin(t, ctx, base, "admin@oki.go.id", "salah-salah-salah")
				waitPage(t, ctx, "#galat", "salah")
				axe("sign-in error")
				signIn(t, ctx, base, "admin@oki.go.id")
				visit("/konsol/dasbor", "#angka", "dashboard")
				browse(t, ctx, chromedp.Click(chromedp.CSS("#grafik-kategori summary")))
				axe("dashboard table open")
				visit("/konsol/pengaduan", "#daftar", "list")
				browse(t, ctx, chromedp.Click(chromedp.CSS("#saring summary")), chromedp.Click(chromedp.CSS("#pintasan summary")))
				axe("list filters and keys open")
				visit("/konsol/pengaduan?kategori=jalan", "#daftar", "list filtered")
				visit("/konsol/pengaduan/"+codes[0], "#alat", "complaint")
				for _, tool := range []string{"#alat-catatan", "#alat-tolak"} {
					browse(t, ctx, chromedp.Click(chromedp.CSS(tool+" summary")))
					axe("complaint " + tool + " open")
				}
				browse(t, ctx, chromedp.SendKeys(chromedp.CSS("#teks-tolak"), "Laporan ganda"),
					chromedp.Click(chromedp.CSS("#form-tolak button")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
				axe("complaint reject confirmation")
				visit("/konsol/audit", "#audit", "audit log")
				visit("/konsol/data", "#tabel-kategori", "master data")
				browse(t, ctx, chromedp.Click(chromedp.CSS("#kategori-jalan details.row-edit summary")),
					chromedp.Click(chromedp.CSS("#data-wilayah details.add summary")))
				axe("master data edit form open")
				visit("/konsol/data/petugas", "#petugas", "officers")
				visit("/konsol/alur", "#alur", "flows")
				visit("/konsol/alur/pengaduan", "#sumber", "flow editor")
				visit("/konsol/akun", "#akun", "accounts")
				browse(t, ctx, chromedp.Click(chromedp.CSS(`#akun tr[data-email="pupr@oki.go.id"] button[name=reset]`)))
				waitPage(t, ctx, "#tautan-sandi", "sekali")
				axe("accounts one-time link")
				link := evalIn[string](t, ctx, `document.getElementById('tautan').value`)
				browse(t, ctx, chromedp.Click(chromedp.CSS(`#akun tr[data-email="pupr@oki.go.id"] button[name=nonaktif]`)), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
				axe("accounts deactivate confirmation")
				browse(t, ctx, chromedp.Click(chromedp.CSS("#dialog-batal")))
				visit("/konsol/sandi", "#sandi-lama", "own password")
				visit("/konsol/whatsapp", "main", "whatsapp")
				visit("/konsol/pengaduan/OKI-0000-0000", "#galat", "error page")
				visit("/konsol/?lang=en", "#angka", "dashboard in English")
				visit("/konsol/pengaduan?lang=id", "#daftar", "list back in Indonesian")

				// The one-time link, signed out.
				other := newBrowserContext(t, ctx)
				require.NoError(t, chromedp.Do(other, chromedp.EmulateViewport(sc.width, sc.height)))
				browse(t, other, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#sandi-baru")))
				vs, err := webtest.Axe(other)
				require.NoError(t, err)
				for _, v := range vs {
					found = append(found, "one-time link page: "+v.String())
				}

				// A leader and an officer see their own views.
				for _, who := range []string{"bupati@oki.go.id", "pupr@oki.go.id"} {
					p := newBrowserContext(t, ctx)
					require.NoError(t, chromedp.Do(p, chromedp.EmulateViewport(sc.width, sc.height)))
					signIn(t, p, base, who)
					for _, path := range []string{"/konsol/", "/konsol/pengaduan", "/konsol/pengaduan/" + codes[0], "/konsol/dasbor"} {
						browse(t, p, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
						vs, err := webtest.Axe(p)
						require.NoError(t, err)
						for _, v := range vs {
							found = append(found, who+" "+path+": "+v.String())
						}
					}
				}
				require.Empty(t, found, "axe violations:\n%s", strings.Join(found, "\n"))
			})
		}
	})
}
