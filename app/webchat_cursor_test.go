package app

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// pageReader reads a chat as the page does: GET /api/chat/messages?after= the
// highest seq it has, and keeps what it saw.
type pageReader struct {
	t      *testing.T
	srv    *httptest.Server
	chat   string
	cursor int64
	seen   []webchat.Item
}

func newPageReader(t *testing.T, wc *webchat.Channel, chat string) *pageReader {
	mux := http.NewServeMux()
	wc.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &pageReader{t: t, srv: srv, chat: chat}
}

// poll reads once without waiting and returns what was new.
func (p *pageReader) poll() []webchat.Item {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/chat/messages?after=%d&wait=0", p.srv.URL, p.cursor), nil)
	require.NoError(p.t, err)
	req.AddCookie(&http.Cookie{Name: webchat.ChatCookie, Value: p.chat})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	require.Equal(p.t, http.StatusOK, resp.StatusCode)
	var body struct{ Messages []webchat.Item }
	require.NoError(p.t, json.NewDecoder(resp.Body).Decode(&body))
	for _, it := range body.Messages {
		require.Greater(p.t, it.Seq, p.cursor, "the cursor never goes backwards")
		p.cursor = it.Seq
	}
	p.seen = append(p.seen, body.Messages...)
	return body.Messages
}

// visible is every message of the chat the page should show, by id.
func visibleMessages(t *testing.T, db *gorm.DB, chat string) map[int64]bool {
	t.Helper()
	var ids []int64
	require.NoError(t, db.Model(&models.Message{}).Where("channel = ? AND chat_id = ? AND (direction = ? OR status = ?)",
		webchat.Name, chat, models.DirectionIn, models.MessageSent).Pluck("id", &ids).Error)
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// requireSeenOnce: the page saw every visible message of the chat, each once.
func (p *pageReader) requireSeenOnce(db *gorm.DB) {
	p.t.Helper()
	want := visibleMessages(p.t, db, p.chat)
	got := map[int64]int{}
	for _, it := range p.seen {
		got[it.ID]++
	}
	for id := range want {
		require.Equal(p.t, 1, got[id], "message %d shown once", id)
	}
	require.Len(p.t, got, len(want), "nothing shown that is not visible")
}

// TestWebchatCursorTypingWhileRepliesQueued: the citizen writes again while the
// bot's replies to the first message are still queued. Those replies have lower
// ids than the second message, which the page already shows; they must still
// reach the page when they are delivered.
func TestWebchatCursorTypingWhileRepliesQueued(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{NoWorkers: true}) // replies stay queued until the test delivers them
		chat := "0123456789abcdef0123456789abcdef"
		page := newPageReader(t, h.app.Webchat, chat)

		h.send(chat, bot.Inbound{Text: "halo"})
		require.Len(t, page.poll(), 1, "the echo of the first message")
		h.send(chat, bot.Inbound{Text: "jalan di depan rumah saya rusak"})
		second := page.poll()
		require.Len(t, second, 1, "the echo of the second message; the replies are still queued")

		var queued []models.Message
		require.NoError(t, db.Where("chat_id = ? AND direction = ? AND status = ?", chat, models.DirectionOut, models.MessageQueued).
			Order("id").Find(&queued).Error)
		require.NotEmpty(t, queued)
		require.Less(t, queued[0].ID, second[0].ID, "a reply queued before the second message, delivered after it")

		deliver(t, h.app, chat)
		got := page.poll()
		require.Len(t, got, len(queued), "every reply reaches the page")
		for i, it := range got {
			require.Equal(t, queued[i].ID, it.ID, "in the order they were sent")
		}
		require.Empty(t, page.poll())
		page.requireSeenOnce(db)
	})
}

// deliver runs the delivery worker for the chat once, as River would.
func deliver(t *testing.T, a *App, chat string) {
	t.Helper()
	require.NoError(t, a.Deliverer.Work(t.Context(), &river.Job[bot.DeliverArgs]{Args: bot.DeliverArgs{Channel: webchat.Name, ChatID: chat}}))
}

// TestWebchatCursorCommitsOutOfOrder: many transactions make messages of one
// chat visible at once, holding their ids and committing in another order (on
// PostgreSQL; SQLite's single writer commits in id order), while a page polls
// with its cursor. The page sees every message once; a cursor over ids would
// have skipped those committed after a higher id.
func TestWebchatCursorCommitsOutOfOrder(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		chat := "fedcba9876543210fedcba9876543210"
		cit := models.Citizen{Name: "Warga", Lang: "id"}
		require.NoError(t, db.Create(&cit).Error)
		wc := webchat.New(&WebchatHistory{DB: db}, webchat.Options{})
		page := newPageReader(t, wc, chat)

		const writers, each = 8, 6
		var mu sync.Mutex
		var commitOrder []int64
		var idCursor int64
		var idSeen int // what a cursor over ids would have shown
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					var id int64
					err := db.Transaction(func(tx *gorm.DB) error {
						m := models.Message{CitizenID: cit.ID, Direction: models.DirectionOut, Channel: webchat.Name, ChatID: chat,
							Text: fmt.Sprintf("pesan %d-%d", w, i), Status: models.MessageSent, CreatedAt: time.Now().UTC()}
						if err := tx.Create(&m).Error; err != nil {
							return err
						}
						id = m.ID
						time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
						if _, err := models.SetVisible(tx, m.ID, webchat.Name, chat); err != nil {
							return err
						}
						time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond) // others wait for this commit
						return nil
					})
					if !assertNoError(t, err) {
						return
					}
					mu.Lock()
					commitOrder = append(commitOrder, id)
					mu.Unlock()
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		idReader := func() {
			var ids []int64
			require.NoError(t, db.Model(&models.Message{}).Where("chat_id = ? AND id > ?", chat, idCursor).Order("id").Pluck("id", &ids).Error)
			for _, id := range ids {
				idCursor = id
				idSeen++
			}
		}
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			page.poll()
			idReader()
		}
		page.poll()
		idReader()
		require.Len(t, page.seen, writers*each, "the page saw every message")
		page.requireSeenOnce(db)

		inversions := 0
		for i := 1; i < len(commitOrder); i++ {
			if commitOrder[i] < commitOrder[i-1] {
				inversions++
			}
		}
		t.Logf("%d commits after a higher id; a cursor over ids showed %d of %d", inversions, idSeen, writers*each)
		if models.Dialect(db) == models.DialectPostgres {
			require.Positive(t, inversions, "the test made commits finish out of id order")
		}
	})
}

// assertNoError reports err from a goroutine (require may not stop the test there).
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("%v", err)
		return false
	}
	return true
}
