package app

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
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
