package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

func TestConfigTrustedProxies(t *testing.T) {
	t.Setenv("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
	c, err := ConfigFromEnv()
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}, c.TrustedProxies)

	t.Setenv("TRUSTED_PROXIES", "nginx")
	_, err = ConfigFromEnv()
	require.EqualError(t, err, `TRUSTED_PROXIES: "nginx" is neither an address nor a network (write e.g. 10.0.0.0/8 or 127.0.0.1)`)
}

// METRICS_TOKEN reaches /metrics of the running bot.
func TestMetricsTokenWired(t *testing.T) {
	t.Setenv("METRICS_TOKEN", "rahasia-123")
	env, err := ConfigFromEnv()
	require.NoError(t, err)
	cfg := testConfig(t)
	cfg.MetricsToken = env.MetricsToken
	a, err := New(t.Context(), cfg, quietLogger(), Options{DB: modeltest.Open(t, models.DialectSQLite), NoWorkers: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Web.Handler())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer rahasia-123")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "suarawarga_complaints")
}
