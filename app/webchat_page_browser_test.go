package app

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// markUsableJS runs in the page before its own script: it notes the moment the chat's script
// has bound its buttons (it sets data-ready on <html> after showing the opening messages).
const markUsableJS = `new MutationObserver(function (_, obs) {
	if (document.documentElement.getAttribute('data-ready') === 'yes') {
		window.usableAt = performance.now();
		window.usableButtons = document.querySelectorAll('.choices button:not(:disabled)').length;
		obs.disconnect();
	}
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-ready']});`

// firstLoadBytes sums what the page transferred (headers and compressed bodies): the
// document and every resource finished so far.
const firstLoadBytes = `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
	.reduce(function (n, e) { return n + e.transferSize; }, 0)`

// TestBrowserFirstButtonsOnSlow3G: on slow 3G (2 s to every response, 50 KB/s) a new
// citizen on a 360×740 phone can press the welcome's buttons within 5 s of opening the page,
// because the welcome comes with the page; and the first load stays under 30 KB gzipped
// with no map code in it.
func TestBrowserFirstButtonsOnSlow3G(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		url := h.serveWeb()
		ctx := webtest.Browser(t)
		require.NoError(t, webtest.EmulatePhone(ctx))
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: markUsableJS})
		require.NoError(t, err)
		require.NoError(t, webtest.Throttle(ctx, webtest.Slow3GLatency, webtest.Slow3GThroughput))
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url+"/")))
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`typeof window.usableAt === 'number'`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
		require.NoError(t, err)
		usable, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`({at: window.usableAt, buttons: window.usableButtons})`))
		require.NoError(t, err)
		t.Logf("slow 3G: first usable buttons after %.0f ms (%v buttons)", usable["at"], usable["buttons"])
		require.Positive(t, usable["buttons"], "the welcome's buttons are there when the script is ready")
		require.LessOrEqual(t, usable["at"], 5000.0, "first usable buttons on slow 3G, ms after navigation start")

		// The first load: the page, its style, script and logo and the first poll's answer.
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`performance.getEntriesByType('resource').some(function (e) { return e.name.indexOf('/api/chat/messages') >= 0; })`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
		require.NoError(t, err)
		total, err := chromedp.Run(ctx, chromedp.Evaluate[float64](firstLoadBytes))
		require.NoError(t, err)
		names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(function (e) { return e.name + ' ' + e.transferSize; })`))
		require.NoError(t, err)
		t.Logf("first load: %.0f bytes transferred: %q", total, names)
		require.LessOrEqual(t, total, float64(30<<10), "first load, gzipped, without the map")
		for _, n := range names {
			require.NotContains(t, n, "leaflet", "the map loads only when asked")
		}

		// The buttons work on that network too.
		p := &webtest.Page{T: t, Ctx: ctx}
		p.Click("📝 Buat pengaduan")
		p.WaitBot("Laporan Anda tentang apa?")
		var starts int64
		require.NoError(t, db.Model(&models.Message{}).Where("channel = ? AND direction = ? AND text = ?",
			webchat.Name, models.DirectionIn, webchat.StartText).Count(&starts).Error)
		require.EqualValues(t, 1, starts, "the conversation started once")
	})
}
