package app

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// TestBrowserConsoleMasterData: master data reads as tables whose headers line up with their
// columns; an admin opens one category's edit form, changes its vocabulary and target, and
// the row shows it; on a laptop and on a phone, nothing spills sideways and nothing errs.
func TestBrowserConsoleMasterData(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		createConsoleUsers(t, h, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin})
		for i, sc := range []screen{laptop, phone} {
			t.Run(sc.name, func(t *testing.T) {
				tab := openConsoleTab(t, sc)
				ctx := tab.ctx
				signIn(t, ctx, base, "admin@oki.go.id")
				browse(t, ctx, chromedp.Navigate(base+"/konsol/data"), chromedp.WaitVisible(chromedp.CSS("#tabel-kategori")))
				shot(t, ctx, "data-"+sc.name)
				require.LessOrEqual(t, evalIn[float64](t, ctx, `document.documentElement.scrollWidth`), float64(sc.width), "nothing spills sideways")
				// Every row has as many cells as its header, and each header starts where its column does.
				bad := evalIn[string](t, ctx, `(function () {
					var out = [];
					document.querySelectorAll('table.data:not(.inner)').forEach(function (tb) {
						var ths = tb.tHead.rows[0].cells;
						Array.from(tb.tBodies[0].rows).forEach(function (tr) {
							if (tr.cells.length !== ths.length) out.push(tb.id + ' row ' + tr.id + ': ' + tr.cells.length + ' cells, ' + ths.length + ' headers');
						});
						var first = tb.tBodies[0].rows[0];
						if (first) for (var i = 0; i < ths.length; i++) {
							if (Math.abs(ths[i].getBoundingClientRect().left - first.cells[i].getBoundingClientRect().left) > 1) out.push(tb.id + ' column ' + i);
						}
					});
					return out.join('; ');
				})()`)
				require.Empty(t, bad)
				require.Contains(t, pageText(ctx, "#tabel-opd thead"), "OPD triase")
				require.Contains(t, pageText(ctx, "#kategori-jalan"), "Jalan & jembatan")

				// One row's form: the vocabulary and the target.
				words := []string{"aspal ambles, jalan retak", "titian putus, jalan retak"}[i]
				row := "#kategori-jalan"
				browse(t, ctx, chromedp.Click(chromedp.CSS(row+" details.row-edit summary")),
					chromedp.WaitVisible(chromedp.CSS(row+" textarea[name=kata]")),
					chromedp.SetValue(chromedp.CSS(row+" textarea[name=kata]"), words),
					chromedp.SetValue(chromedp.CSS(row+" input[name=target]"), "9"),
					chromedp.Click(chromedp.CSS(row+" form button")))
				waitPage(t, ctx, "#pesan", "Kategori sudah disimpan.")
				waitPage(t, ctx, row, words)
				var k models.Category
				require.NoError(t, db.Where("code = ?", "jalan").Take(&k).Error)
				require.Equal(t, words, k.Words)
				require.Equal(t, 9, k.TargetDays)
				// A kecamatan's desa open in place.
				browse(t, ctx, chromedp.Click(chromedp.CSS("#wilayah-16\\.02\\.05 details.desa-list summary")))
				waitPage(t, ctx, "#wilayah-16\\.02\\.05", "16.02.05.")
				require.LessOrEqual(t, evalIn[float64](t, ctx, `document.documentElement.scrollWidth`), float64(sc.width))
				require.Empty(t, tab.Errors())
			})
		}
	})
}
