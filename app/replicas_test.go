package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
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

// TestWebchatNoticeOtherReplica: a page long-polls one replica while another
// replica sends the reply; PostgreSQL's NOTIFY wakes the poll at once instead of
// at the end of its wait.
func TestWebchatNoticeOtherReplica(t *testing.T) {
	t.Parallel()
	db := modeltest.Open(t, models.DialectPostgres)
	sender := newHarness(t, db, Options{})                // handles the message and sends the replies
	polled := newHarness(t, db, Options{NoWorkers: true}) // serves the page; sends nothing itself
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go polled.app.listenVisible(ctx)

	chat := "00112233445566778899aabbccddeeff"
	page := newPageReader(t, polled.app.Webchat, chat)
	sender.send(chat, bot.Inbound{Text: "halo"})
	require.NotEmpty(t, page.poll())
	sender.waitDelivered(chat)
	page.poll() // whatever was delivered already

	// The page waits on the polled replica; the sender replica answers.
	type result struct {
		items []webchat.Item
		took  time.Duration
	}
	got := make(chan result, 1)
	go func() {
		began := time.Now()
		// A late notice of the earlier replies may wake the poll with nothing new; the
		// page then simply polls again, and so does this reader, as long as the whole
		// wait stays far below one 25 s long poll.
		for time.Since(began) < 20*time.Second {
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/chat/messages?after=%d", page.srv.URL, page.cursor), nil)
			req.AddCookie(&http.Cookie{Name: webchat.ChatCookie, Value: chat})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				got <- result{}
				return
			}
			var body struct{ Messages []webchat.Item }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if len(body.Messages) > 0 {
				got <- result{body.Messages, time.Since(began)}
				return
			}
		}
		got <- result{took: time.Since(began)}
	}()
	time.Sleep(300 * time.Millisecond) // the poll is waiting
	sender.send(chat, bot.Inbound{Text: "jalan rusak di depan pasar"})
	r := <-got
	require.NotEmpty(t, r.items, "the poll returned with the new messages")
	require.Less(t, r.took, 10*time.Second, "woken by the other replica, not by the end of its 25 s wait")
	t.Logf("the poll on the other replica returned after %s", r.took.Round(time.Millisecond))
}
