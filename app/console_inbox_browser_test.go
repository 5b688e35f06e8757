package app

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// TestBrowserConsoleInbox: an officer lands on "Tugas saya", switches to all of the OPD's
// complaints and sees compact rows (the code on one line, a relative date with the exact one
// on hover, "baru" marks), many on the first screen; j/k move and r opens a complaint at the
// reply box; ticked complaints are assigned in bulk and show under "Tugas saya"; on a phone
// each row keeps its status and deadline and nothing spills sideways.
func TestBrowserConsoleInbox(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		createConsoleUsers(t, h,
			console.NewUser{Email: "pupr@oki.go.id", Name: "Rahmat (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"},
			console.NewUser{Email: "sari@oki.go.id", Name: "Sari (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"})
		codes := fileComplaints(t, h, "Siti Aminah", 60) // 36 go to PUPR (jalan), the rest elsewhere
		for i, sc := range []screen{laptop, phone} {
			t.Run(sc.name, func(t *testing.T) {
				tab := openConsoleTab(t, sc)
				ctx := tab.ctx
				signIn(t, ctx, base, "pupr@oki.go.id")
				waitPage(t, ctx, "h1", "Tugas saya")
				require.Equal(t, "?tugas=saya", evalIn[string](t, ctx, `location.search`))
				browse(t, ctx, chromedp.Click(chromedp.CSS("#tab-semua")))
				waitPage(t, ctx, "#jumlah", "36 pengaduan")
				shot(t, ctx, "daftar-"+sc.name)
				require.LessOrEqual(t, evalIn[float64](t, ctx, `document.documentElement.scrollWidth`), float64(sc.width), "nothing spills sideways")
				rows := evalIn[int](t, ctx, `document.querySelectorAll('#daftar tbody tr').length`)
				require.Equal(t, 36, rows)
				// Codes on one line, status and deadline visible, on both screens.
				require.True(t, evalIn[bool](t, ctx, `Array.from(document.querySelectorAll('#daftar a.code')).every(function (a) { var r = a.getClientRects(); return r.length === 1; })`), "a code never wraps")
				require.True(t, evalIn[bool](t, ctx, `Array.from(document.querySelectorAll('#daftar td.c-status, #daftar td.c-due')).every(function (e) { return e.checkVisibility() && e.getBoundingClientRect().width > 20; })`), "status and deadline stay")
				require.Contains(t, evalIn[string](t, ctx, `document.querySelector('#daftar td.c-when time').title`), "2026")
				unread := evalIn[int](t, ctx, `document.querySelectorAll('#daftar .new-mark').length`)
				require.Equal(t, 36-i, unread, "all new but the one opened on the other screen")
				visible := evalIn[int](t, ctx, `Array.from(document.querySelectorAll('#daftar tbody tr')).filter(function (r) { return r.getBoundingClientRect().bottom <= innerHeight; }).length`)
				if sc == laptop {
					require.GreaterOrEqual(t, visible, 15, "a screenful of complaints at 1366×768 (was 4-5)")
				} else {
					require.GreaterOrEqual(t, visible, 5, "the rows start on the phone's first screen")
				}

				// j, j, k, r: the second row opens at the reply box; back in the list it is no longer new.
				second := evalIn[string](t, ctx, `document.querySelectorAll('#daftar tbody tr')[`+strconv.Itoa(1+i)+`].dataset.kode`)
				for range 3 + i {
					browse(t, ctx, chromedp.KeyEvent("j"))
				}
				browse(t, ctx, chromedp.KeyEvent("k"))
				require.Equal(t, second, evalIn[string](t, ctx, `document.querySelector('#daftar tr.current').dataset.kode`))
				browse(t, ctx, chromedp.KeyEvent("r"))
				waitPage(t, ctx, "#kode", second)
				require.Eventually(t, func() bool { return evalIn[string](t, ctx, `document.activeElement.id`) == "teks-balas" }, 5*time.Second, 50*time.Millisecond,
					"r lands in the reply box: %s", evalIn[string](t, ctx, `location.href + ' ' + document.activeElement.tagName + '#' + document.activeElement.id`))
				browse(t, ctx, chromedp.Navigate(base+"/konsol/pengaduan"))
				waitPage(t, ctx, "#jumlah", "36 pengaduan")
				require.Equal(t, unread-1, evalIn[int](t, ctx, `document.querySelectorAll('#daftar .new-mark').length`))
				require.Empty(t, tab.Errors())
			})
		}

		// Bulk: three ticked complaints assigned to Sari, who finds them under "Tugas saya".
		tab := openConsoleTab(t, laptop)
		ctx := tab.ctx
		signIn(t, ctx, base, "pupr@oki.go.id")
		browse(t, ctx, chromedp.Navigate(base+"/konsol/pengaduan?urut=lama"), chromedp.WaitVisible(chromedp.CSS("#daftar")))
		var picked []string
		for i := range 3 {
			picked = append(picked, evalIn[string](t, ctx, `document.querySelectorAll('#daftar tbody tr')[`+string(rune('0'+i))+`].dataset.kode`))
		}
		require.Equal(t, codes[0], picked[0], "the oldest first")
		browse(t, ctx, chromedp.KeyEvent("j"), chromedp.KeyEvent("x"), chromedp.KeyEvent("j"), chromedp.KeyEvent("x"),
			chromedp.Click(chromedp.CSS(`#daftar tr[data-kode="`+picked[2]+`"] input[type=checkbox]`)),
			chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('massal-petugas'); s.value=Array.from(s.options).find(function(o){return o.text==='Sari (PUPR)'}).value;})()`),
			chromedp.Click(chromedp.CSS("#massal-tugaskan")))
		waitPage(t, ctx, "#pesan", "3 laporan ditugaskan.")
		require.Equal(t, "?urut=lama", strings.SplitN(evalIn[string](t, ctx, `location.search`), "&", 2)[0], "back on the same list")
		for _, code := range picked {
			require.Contains(t, pageText(ctx, `#daftar tr[data-kode="`+code+`"]`), "Sari (PUPR)")
		}
		require.Empty(t, tab.Errors())

		sari := openConsoleTab(t, laptop)
		signIn(t, sari.ctx, base, "sari@oki.go.id")
		waitPage(t, sari.ctx, "h1", "Tugas saya")
		waitPage(t, sari.ctx, "#jumlah", "3 pengaduan")
		for _, code := range picked {
			require.Contains(t, pageText(sari.ctx, "#daftar"), code)
		}
		require.Empty(t, sari.Errors())
	})
}
