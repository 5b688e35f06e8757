package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/suarawarga/suarawarga/bot"
)

// maxWebhookBody bounds one webhook request; real updates are far smaller.
const maxWebhookBody = 1 << 20

// poll long-polls getUpdates. Each batch is handled with one goroutine per chat
// (in order within the chat) and the offset only moves past updates whose
// handler returned nil, so an update that failed comes back in the next batch;
// one that had committed is then dropped as a duplicate by the handler.
func (c *Channel) poll(ctx context.Context, h bot.InboundHandler) error {
	offset := 0
	done := map[int]bool{} // handled updates at or above offset, skipped when served again
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		batch, err := c.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ra *bot.RetryAfterError
			wait := backoff
			if errors.As(err, &ra) {
				wait = ra.After
			}
			c.log.Warn("telegram getUpdates failed; retrying", slog.Any("error", err), slog.Duration("backoff", wait))
			if sleepUntil(ctx, time.Now().Add(wait)) != nil {
				break
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		failed := c.handleBatch(ctx, h, batch, done)
		next := offset
		for _, u := range batch {
			if u.id >= next {
				next = u.id + 1
			}
		}
		if len(failed) > 0 {
			for _, id := range failed {
				next = min(next, id)
			}
		}
		offset = max(offset, next)
		for id := range done {
			if id < offset {
				delete(done, id)
			}
		}
		if len(failed) > 0 {
			if ctx.Err() != nil {
				break
			}
			c.log.Warn("telegram updates not committed; they will be handled again", slog.Int("count", len(failed)), slog.Duration("backoff", backoff))
			if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
				break
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
	return nil
}

// rawUpdate is one element of a getUpdates result: parsed, or only its id when
// the rest is malformed (then it is acknowledged and skipped).
type rawUpdate struct {
	id  int
	u   *tgbotapi.Update
	bad error
}

// getUpdates fetches a batch, parsing each update on its own so one malformed
// update cannot stall the whole queue.
func (c *Channel) getUpdates(ctx context.Context, offset int) ([]rawUpdate, error) {
	params := tgbotapi.Params{"timeout": strconv.Itoa(int(c.opts.PollTimeout / time.Second)), "allowed_updates": allowedUpdates}
	if offset > 0 {
		params["offset"] = strconv.Itoa(offset)
	}
	api, cl, cancel := c.callAPI(ctx, c.opts.PollTimeout+c.opts.RequestTimeout)
	defer cancel()
	resp, err := api.MakeRequest("getUpdates", params)
	if err != nil {
		return nil, c.wrap("getUpdates", cl.status, err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(resp.Result, &raws); err != nil {
		return nil, &apiError{msg: "telegram getUpdates: result is not a list: " + err.Error(), err: err}
	}
	out := make([]rawUpdate, 0, len(raws))
	for _, raw := range raws {
		ru := parseUpdate(raw)
		if ru.id <= 0 && ru.bad != nil {
			c.log.Warn("telegram update without an id skipped", slog.Any("error", ru.bad))
			continue
		}
		out = append(out, ru)
	}
	return out, nil
}

func parseUpdate(raw []byte) rawUpdate {
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err == nil {
		return rawUpdate{id: u.UpdateID, u: &u}
	} else {
		var id struct {
			UpdateID int `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &id)
		return rawUpdate{id: id.UpdateID, bad: err}
	}
}

// handleBatch handles a batch with one goroutine per chat and returns the ids
// that were not committed (failed, or skipped behind a failure in their chat).
func (c *Channel) handleBatch(ctx context.Context, h bot.InboundHandler, batch []rawUpdate, done map[int]bool) []int {
	groups := map[int64][]rawUpdate{}
	var order []int64
	for _, ru := range batch {
		if done[ru.id] {
			continue
		}
		k := updateChat(ru.u)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], ru)
	}
	var mu sync.Mutex
	var failed []int
	var wg sync.WaitGroup
	for _, k := range order {
		wg.Go(func() {
			for i, ru := range groups[k] {
				if err := c.handleRaw(ctx, h, ru); err != nil {
					if ctx.Err() == nil {
						c.log.Warn("telegram update failed", slog.Int("update_id", ru.id), slog.Any("error", err))
					}
					mu.Lock()
					for _, rest := range groups[k][i:] {
						failed = append(failed, rest.id)
					}
					mu.Unlock()
					return
				}
				mu.Lock()
				done[ru.id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed
}

func (c *Channel) handleRaw(ctx context.Context, h bot.InboundHandler, ru rawUpdate) error {
	if ru.u == nil {
		c.log.Warn("malformed telegram update ignored", slog.Int("update_id", ru.id), slog.Any("error", ru.bad))
		return nil
	}
	return c.handleUpdate(ctx, h, *ru.u)
}

// updateChat is the chat an update belongs to, 0 when it has none.
func updateChat(u *tgbotapi.Update) int64 {
	if u == nil {
		return 0
	}
	for _, m := range []*tgbotapi.Message{u.Message, u.EditedMessage} {
		if m != nil && m.Chat != nil {
			return m.Chat.ID
		}
	}
	if cq := u.CallbackQuery; cq != nil && cq.Message != nil && cq.Message.Chat != nil {
		return cq.Message.Chat.ID
	}
	return 0
}

// ServeHTTP is the webhook endpoint: 403 without the right secret header, 200
// once the update is committed (or deliberately ignored), 500 when the handler
// failed so Telegram delivers it again.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(SecretHeader)
	if c.opts.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.opts.WebhookSecret)) != 1 {
		c.log.Warn("telegram webhook call with a wrong secret refused", slog.String("remote_addr", r.RemoteAddr))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	h := c.currentHandler()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		// Too large or cut off: Telegram would resend the same bytes forever, so drop it.
		c.log.Warn("telegram webhook body unreadable; ignored", slog.Any("error", err))
		w.WriteHeader(http.StatusOK)
		return
	}
	ru := parseUpdate(body)
	if err := c.handleRaw(r.Context(), h, ru); err != nil {
		c.log.Warn("telegram webhook update failed; Telegram will retry", slog.Int("update_id", ru.id), slog.Any("error", err))
		http.Error(w, "retry later", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
