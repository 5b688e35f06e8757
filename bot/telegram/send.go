package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/suarawarga/suarawarga/bot"
)

// tokenPrefix starts the callback_data of a choice whose id cannot be sent as is.
const tokenPrefix = "~"

// part is one Telegram message of an Outbound.
type part struct {
	method   string // sendMessage, sendPhoto, sendLocation
	text     string // text or caption
	photo    string // file path for sendPhoto
	lat, lng float64
	markup   any
	removeKB bool // carries the ReplyKeyboardRemove of an earlier location request
	setKB    bool // shows the location reply keyboard
}

// Send renders out as one or more Telegram messages and returns the platform id
// "chatid:messageid" of the last one (the one with the keyboard). Every part is
// paced here by the channel's Limiter, which learns when each request returned,
// and reported to the delivery worker's bot.Attempt right before its request
// and once Telegram accepted it; so a retry after a failure, or after a crash,
// starts at the first part not accepted (Attempt.Resume).
func (c *Channel) Send(ctx context.Context, out bot.Outbound) (string, error) {
	chatID, err := strconv.ParseInt(out.ChatID, 10, 64)
	if err != nil {
		return "", fmt.Errorf("telegram: chat id %q: %w", out.ChatID, bot.ErrRejected)
	}
	if err := c.connected(); err != nil {
		return "", err
	}
	parts := c.plan(out)
	att := bot.AttemptFrom(ctx)
	var last string
	for i := min(att.Resume(), len(parts)); i < len(parts); i++ {
		release, err := c.lim.Acquire(ctx, out.ChatID)
		if err != nil {
			return "", err
		}
		if err := att.Sending(ctx, i); err != nil {
			release()
			return "", err
		}
		id, err := c.sendPart(ctx, chatID, parts[i])
		release()
		if err != nil {
			return "", err
		}
		att.Accepted(i)
		c.mu.Lock()
		if parts[i].removeKB {
			delete(c.replyKB, out.ChatID)
		}
		if parts[i].setKB {
			c.replyKB[out.ChatID] = true
		}
		c.mu.Unlock()
		last = fmt.Sprintf("%d:%d", chatID, id)
	}
	return last, nil
}

// ReportsAttempts tells the delivery worker that Send reports each request to its bot.Attempt.
func (c *Channel) ReportsAttempts() {}

var _ bot.AttemptReporter = (*Channel)(nil)

// sendPart makes one send call. It is not abandoned halfway when ctx is
// cancelled (only bounded by RequestTimeout): a request cut off after Telegram
// accepted it would be sent again after the restart.
func (c *Channel) sendPart(ctx context.Context, chatID int64, p part) (int, error) {
	var cfg tgbotapi.Chattable
	switch p.method {
	case "sendPhoto":
		ph := tgbotapi.NewPhoto(chatID, tgbotapi.FilePath(p.photo))
		ph.Caption, ph.ReplyMarkup = p.text, p.markup
		cfg = ph
	case "sendLocation":
		loc := tgbotapi.NewLocation(chatID, p.lat, p.lng)
		loc.ReplyMarkup = p.markup
		cfg = loc
	default:
		msg := tgbotapi.NewMessage(chatID, p.text)
		msg.ReplyMarkup = p.markup
		cfg = msg
	}
	api, cl, cancel := c.callAPI(context.WithoutCancel(ctx), c.opts.RequestTimeout)
	defer cancel()
	m, err := api.Send(cfg)
	if err != nil {
		return 0, c.wrap(p.method, cl.status, err)
	}
	return m.MessageID, nil
}

// plan splits out into Telegram messages: the photo with as much of the text as
// fits in a caption, the rest of the text in parts of at most 4096 characters
// cut at paragraph or sentence ends, then the map point; the keyboard rides on
// the last part.
func (c *Channel) plan(out bot.Outbound) []part {
	var parts []part
	text := strings.TrimSpace(out.Text)
	if out.PhotoPath != "" {
		if path, ok := c.photoFile(out.PhotoPath); ok {
			caption := ""
			if text != "" {
				// splitText trims, so its first chunk is a prefix of the (trimmed) text.
				caption = splitText(text, MaxCaptionLen)[0]
				text = strings.TrimSpace(text[len(caption):])
			}
			parts = append(parts, part{method: "sendPhoto", photo: path, text: caption})
		}
	}
	if text != "" {
		for _, chunk := range splitText(text, MaxTextLen) {
			parts = append(parts, part{method: "sendMessage", text: chunk})
		}
	}
	if out.HasLocation {
		parts = append(parts, part{method: "sendLocation", lat: out.Lat, lng: out.Lng})
	}
	if len(parts) == 0 {
		if len(out.Choices) == 0 && !out.AskLocation {
			return nil
		}
		// Buttons need a message to sit on.
		c.mu.Lock()
		lang := c.chatLang[out.ChatID]
		c.mu.Unlock()
		parts = append(parts, part{method: "sendMessage", text: c.opts.Translator.T(langOf(lang), "telegram.pilih", nil)})
	}
	lastIdx := len(parts) - 1
	switch {
	case out.AskLocation:
		parts[lastIdx].markup = c.locationKeyboard(out)
		parts[lastIdx].setKB = true
	case len(out.Choices) > 0:
		parts[lastIdx].markup = c.inlineKeyboard(out.Choices)
	}
	c.mu.Lock()
	showing := c.replyKB[out.ChatID]
	c.mu.Unlock()
	if showing {
		for i := range parts {
			if parts[i].markup == nil {
				parts[i].markup = tgbotapi.NewRemoveKeyboard(false)
				parts[i].removeKB = true
				break
			}
			if parts[i].setKB {
				break // a new location keyboard replaces the old one
			}
		}
	}
	return parts
}

// photoFile resolves an outbound photo path under the data directory; a path
// outside it or a missing file is logged and the message goes out without it.
func (c *Channel) photoFile(p string) (string, bool) {
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(c.opts.DataDir, filepath.FromSlash(p))
	}
	full = filepath.Clean(full)
	base, err := filepath.Abs(c.opts.DataDir)
	abs, err2 := filepath.Abs(full)
	if err != nil || err2 != nil || (abs != base && !strings.HasPrefix(abs, base+string(filepath.Separator))) {
		c.log.Warn("telegram photo outside the data directory not sent", slog.String("path", p))
		return "", false
	}
	if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() {
		c.log.Warn("telegram photo file missing; sending the text only", slog.String("path", p))
		return "", false
	}
	return abs, true
}

// inlineKeyboard lays choices out as inline buttons: one per row, two per row
// for short labels, five per row for tiny ones (a 1-5 rating).
func (c *Channel) inlineKeyboard(choices []bot.Choice) tgbotapi.InlineKeyboardMarkup {
	perRow := rowWidth(choices)
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, ch := range choices {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(ch.Label, c.callbackData(ch.ID)))
		if len(row) == perRow {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// locationKeyboard is a one-time reply keyboard: a button that shares the
// location, then the choices as text buttons (their labels come back as text).
func (c *Channel) locationKeyboard(out bot.Outbound) tgbotapi.ReplyKeyboardMarkup {
	c.mu.Lock()
	lang := c.chatLang[out.ChatID]
	c.mu.Unlock()
	rows := [][]tgbotapi.KeyboardButton{{tgbotapi.NewKeyboardButtonLocation(c.opts.Translator.T(langOf(lang), "telegram.kirim_lokasi", nil))}}
	perRow := min(rowWidth(out.Choices), 2)
	var row []tgbotapi.KeyboardButton
	for _, ch := range out.Choices {
		row = append(row, tgbotapi.NewKeyboardButton(ch.Label))
		if len(row) == perRow {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	kb := tgbotapi.NewOneTimeReplyKeyboard(rows...)
	kb.ResizeKeyboard = true
	return kb
}

func rowWidth(choices []bot.Choice) int {
	longest := 0
	for _, ch := range choices {
		longest = max(longest, utf8.RuneCountInString(ch.Label))
	}
	switch {
	case longest <= 3:
		return 5
	case longest <= 14:
		return 2
	}
	return 1
}

// callbackData is the choice id itself when it fits Telegram's 64 bytes, else a
// short token: "~" and 22 characters of the id's SHA-256, remembered in memory.
// After a restart an unknown token falls back to the button's label, which the
// flow engine matches like typed text.
func (c *Channel) callbackData(id string) string {
	if id != "" && len(id) <= MaxCallbackData && id != noopData && !strings.HasPrefix(id, tokenPrefix) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(sum[:])[:22]
	c.mu.Lock()
	if len(c.tokens) > 100000 {
		c.tokens = map[string]string{}
	}
	c.tokens[tok] = id
	c.mu.Unlock()
	return tok
}

// choiceID maps callback_data back to the choice id; known is false for a token this process did not issue.
func (c *Channel) choiceID(data string) (id string, known bool) {
	if !strings.HasPrefix(data, tokenPrefix) {
		return data, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id, known = c.tokens[data]
	return id, known
}

// textLen counts what Telegram counts: UTF-16 code units.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// splitText cuts s into parts of at most limit UTF-16 units (what Telegram counts).
func splitText(s string, limit int) []string { return bot.SplitText(s, limit, utf16.RuneLen) }
