package webtest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/web/webtest"
)

// axePages serves one page with known accessibility faults and one without, both under a
// Content-Security-Policy that forbids inline scripts (as the real pages do).
func axePages(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(`<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Uji</title></head><body>` + body + `</body></html>`))
		}
	}
	mux.HandleFunc("/bad", page(`<div role="log"><p style="color:#bbb;background:#fff">teks pucat</p></div>`+
		`<form><input type="text"><button></button></form>`))
	mux.HandleFunc("/good", page(`<main><h1>Layanan</h1><p style="color:#222;background:#fff">teks jelas</p>`+
		`<form><label for="t">Pesan</label><input id="t" type="text"><button type="submit">Kirim</button></form></main>`))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAxeFindsViolations(t *testing.T) {
	url := axePages(t)
	ctx := webtest.Browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url+"/bad")))
	vs, err := webtest.Axe(ctx)
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, v := range vs {
		ids[v.ID] = true
		require.NotEmpty(t, v.Nodes, v.ID)
	}
	for _, id := range []string{"color-contrast", "label", "button-name", "landmark-one-main", "region", "target-size"} {
		require.True(t, ids[id], "axe reports %s; got %v", id, ids)
	}
	require.Contains(t, vs[0].String(), vs[0].ID)

	// Options narrow the run: rules off, parts excluded, the second run reuses the injected axe.
	vs, err = webtest.Axe(ctx, webtest.AxeDisable("landmark-one-main", "region", "page-has-heading-one", "target-size"), webtest.AxeExclude("form"))
	require.NoError(t, err)
	require.Len(t, vs, 1)
	require.Equal(t, "color-contrast", vs[0].ID)
	vs, err = webtest.Axe(ctx, webtest.AxeWithin("form"), webtest.AxeDisable("region"))
	require.NoError(t, err)
	for _, v := range vs {
		require.NotEqual(t, "color-contrast", v.ID, "the paragraph is outside the form")
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url+"/good")))
	webtest.RequireAxe(t, ctx, "good page")
}
