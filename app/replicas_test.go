package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestTelegramPollingLeader: two replicas on one PostgreSQL with Telegram by
// long polling: one polls (the fake fails the test if two getUpdates overlap),
// the other stands by, and takes over when the first stops.
func TestTelegramPollingLeader(t *testing.T) {
	t.Parallel()
	db := modeltest.Open(t, models.DialectPostgres)
	fake := newFake(t, tgLimits)
	first := startTelegram(t, db, fake, tgOptions{})
	// The first replica takes the lead: it removes any webhook, then polls.
	require.Eventually(t, func() bool { return fake.Count("deleteWebhook", http.StatusOK) > 0 }, 10*time.Second, 10*time.Millisecond)
	startTelegram(t, db, fake, tgOptions{})

	c := &citizen{t: t, fake: fake, chat: 7101}
	m := c.say("/start")
	require.Contains(t, m.Text, "Selamat datang")

	first.stop() // the polling replica goes; the standby takes over
	m = c.press("📝 Buat pengaduan")
	require.Contains(t, m.Text, "Laporan Anda tentang apa?")
	require.Empty(t, fake.Violations())
}
