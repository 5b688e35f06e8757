package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/suarawarga/suarawarga/bot"
)

// maxInboundRunes bounds the text kept from one message; Telegram itself allows 4096.
const maxInboundRunes = 4096

// noopData is the callback_data of the "✓ label" button left after a press.
const noopData = "-"

// errPhotoGone marks a photo Telegram will not hand out (too big for bots, expired).
var errPhotoGone = errors.New("photo not downloadable")

// handleUpdate turns one update into an Inbound, hands it to h and, once it is
// committed, finishes the platform side (answers the button press, removes the keyboard).
func (c *Channel) handleUpdate(ctx context.Context, h bot.InboundHandler, u tgbotapi.Update) error {
	switch {
	case u.CallbackQuery != nil:
		return c.handleCallback(ctx, h, u.UpdateID, u.CallbackQuery)
	case u.Message != nil:
		return c.handleMessage(ctx, h, u.UpdateID, u.Message, false)
	case u.EditedMessage != nil:
		return c.handleMessage(ctx, h, u.UpdateID, u.EditedMessage, true)
	}
	c.log.Debug("telegram update of an unhandled type ignored", slog.Int("update_id", u.UpdateID))
	return nil
}

func (c *Channel) baseInbound(updateID int, chatID int64, from *tgbotapi.User) bot.Inbound {
	in := bot.Inbound{Channel: Name, ChatID: strconv.FormatInt(chatID, 10), MessageID: strconv.Itoa(updateID)}
	if from != nil {
		in.Name = cleanText(strings.TrimSpace(from.FirstName + " " + from.LastName))
		in.Lang = from.LanguageCode
		c.mu.Lock()
		c.chatLang[in.ChatID] = langOf(from.LanguageCode)
		c.mu.Unlock()
	}
	return in
}

func (c *Channel) handleMessage(ctx context.Context, h bot.InboundHandler, updateID int, m *tgbotapi.Message, edited bool) error {
	if m.Chat == nil {
		c.log.Debug("telegram message without a chat ignored", slog.Int("update_id", updateID))
		return nil
	}
	switch m.Chat.Type {
	case "private":
	case "group", "supergroup":
		c.groupNotice(ctx, m)
		return nil
	default:
		return nil
	}
	if m.From != nil && m.From.IsBot {
		return nil
	}
	in := c.baseInbound(updateID, m.Chat.ID, m.From)
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.IsBot {
		in.ReplyTo = fmt.Sprintf("%d:%d", m.Chat.ID, r.MessageID) // the platform id Send recorded
	}
	switch {
	case edited:
		in.Kind, in.Unsupported = bot.KindUnsupported, "edited"
	case m.Location != nil:
		in.Kind, in.Lat, in.Lng = bot.KindLocation, m.Location.Latitude, m.Location.Longitude
	case len(m.Photo) > 0:
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height > best.Width*best.Height || (p.Width*p.Height == best.Width*best.Height && p.FileSize > best.FileSize) {
				best = p
			}
		}
		if err := c.fillPhoto(ctx, &in, best.FileID, best.FileSize, "image/jpeg"); err != nil {
			return err
		}
	case m.Document != nil && strings.HasPrefix(m.Document.MimeType, "image/") && m.Animation == nil:
		// A photo sent "as a file" keeps its quality; it is still a photo to the citizen.
		if err := c.fillPhoto(ctx, &in, m.Document.FileID, m.Document.FileSize, m.Document.MimeType); err != nil {
			return err
		}
	case m.Text != "":
		in.Kind, in.Text = bot.KindText, c.commandText(cleanText(m.Text))
	case m.Sticker != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "sticker"
	case m.Voice != nil || m.Audio != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "voice"
	case m.Video != nil || m.VideoNote != nil || m.Animation != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "video"
	case m.Document != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "document"
	case m.Contact != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "contact"
	case m.Poll != nil || m.Dice != nil || m.Game != nil:
		in.Kind, in.Unsupported = bot.KindUnsupported, "other"
	default:
		// Service messages (pins, auto-delete timers...) need no answer.
		c.log.Debug("telegram service message ignored", slog.Int("update_id", updateID))
		return nil
	}
	return h.HandleInbound(ctx, in)
}

// handleCallback is a button press: a choice whose label is read from the
// message's keyboard. The press is answered and the keyboard replaced by
// "✓ label" only after the choice is committed.
func (c *Channel) handleCallback(ctx context.Context, h bot.InboundHandler, updateID int, cq *tgbotapi.CallbackQuery) error {
	m := cq.Message
	if m == nil || m.Chat == nil || m.Chat.Type != "private" || cq.Data == "" {
		c.answer(ctx, cq.ID, "")
		return nil
	}
	lang := langOf("")
	if cq.From != nil {
		lang = langOf(cq.From.LanguageCode)
	}
	if cq.Data == noopData {
		c.answer(ctx, cq.ID, c.opts.Translator.T(lang, "telegram.sudah_dipilih", nil))
		return nil
	}
	label := buttonLabel(m.ReplyMarkup, cq.Data)
	in := c.baseInbound(updateID, m.Chat.ID, cq.From)
	id, known := c.choiceID(cq.Data)
	switch {
	case known:
		in.Kind, in.ChoiceID, in.Text = bot.KindChoice, id, label
	case label != "":
		// A token from before a restart: the label still names the choice.
		in.Kind, in.Text = bot.KindText, label
	default:
		c.answer(ctx, cq.ID, "")
		return nil
	}
	if err := h.HandleInbound(ctx, in); err != nil {
		return err
	}
	c.answer(ctx, cq.ID, "")
	if label != "" {
		done := c.opts.Translator.T(lang, "telegram.terpilih", map[string]any{"pilihan": label})
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(done, noopData)))
		c.edit(ctx, tgbotapi.NewEditMessageReplyMarkup(m.Chat.ID, m.MessageID, kb))
	}
	return nil
}

// answer stops the button's spinner; best effort (an old query cannot be answered).
func (c *Channel) answer(ctx context.Context, id, text string) {
	if id == "" {
		return
	}
	api, cl, cancel := c.callAPI(ctx, c.opts.RequestTimeout)
	defer cancel()
	if _, err := api.Request(tgbotapi.NewCallback(id, text)); err != nil {
		c.log.Debug("telegram answerCallbackQuery failed", slog.Any("error", c.wrap("answerCallbackQuery", cl.status, err)))
	}
}

// edit changes an earlier message's keyboard; best effort, paced by the global rate.
func (c *Channel) edit(ctx context.Context, cfg tgbotapi.EditMessageReplyMarkupConfig) {
	release, err := c.lim.AcquireGlobal(ctx)
	if err != nil {
		return
	}
	defer release()
	api, cl, cancel := c.callAPI(ctx, c.opts.RequestTimeout)
	defer cancel()
	if _, err := api.Request(cfg); err != nil {
		c.log.Debug("telegram editMessageReplyMarkup failed", slog.Any("error", c.wrap("editMessageReplyMarkup", cl.status, err)))
	}
}

// groupNotice tells a group, once, that the bot serves private chats only.
func (c *Channel) groupNotice(ctx context.Context, m *tgbotapi.Message) {
	c.mu.Lock()
	seen := c.groupsMet[m.Chat.ID]
	if !seen {
		if len(c.groupsMet) > 10000 {
			c.groupsMet = map[int64]bool{}
		}
		c.groupsMet[m.Chat.ID] = true
	}
	c.mu.Unlock()
	if seen {
		return
	}
	lang := "id"
	if m.From != nil {
		lang = langOf(m.From.LanguageCode)
	}
	chat := strconv.FormatInt(m.Chat.ID, 10)
	release, err := c.lim.Acquire(ctx, chat)
	if err != nil {
		return
	}
	defer release()
	api, cl, cancel := c.callAPI(context.WithoutCancel(ctx), c.opts.RequestTimeout)
	defer cancel()
	if _, err := api.Send(tgbotapi.NewMessage(m.Chat.ID, c.opts.Translator.T(lang, "telegram.hanya_pribadi", nil))); err != nil {
		c.log.Info("telegram group notice not sent", slog.Any("error", c.wrap("sendMessage", cl.status, err)))
	}
}

// fillPhoto downloads a photo into in. A photo above the size limit is not
// downloaded: in carries MaxPhotoBytes+1 zero bytes so the handler refuses it
// politely (a fresh large allocation is never touched, so it costs no memory).
// A transient failure is returned so the update is retried.
func (c *Channel) fillPhoto(ctx context.Context, in *bot.Inbound, fileID string, declared int, mime string) error {
	in.Kind, in.PhotoMIME = bot.KindPhoto, mime
	max := c.opts.MaxPhotoBytes
	if int64(declared) > max {
		in.Photo = make([]byte, max+1)
		return nil
	}
	data, err := c.download(ctx, fileID, max)
	switch {
	case errors.Is(err, errTooLarge):
		in.Photo = make([]byte, max+1)
	case errors.Is(err, errPhotoGone):
		c.log.Info("telegram photo could not be downloaded", slog.Any("error", err))
		in.Photo = nil // the handler answers that the file could not be used
	case err != nil:
		return err
	default:
		in.Photo = data
	}
	return nil
}

var errTooLarge = errors.New("photo too large")

// download fetches a file through getFile and {APIURL}/file/bot{token}/{file_path}.
func (c *Channel) download(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	api, cl, cancel := c.callAPI(ctx, c.opts.RequestTimeout)
	f, err := api.GetFile(tgbotapi.FileConfig{FileID: fileID})
	cancel()
	if err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && te.Code == http.StatusBadRequest {
			if strings.Contains(strings.ToLower(te.Message), "too big") {
				return nil, errTooLarge
			}
			return nil, fmt.Errorf("%w: %s", errPhotoGone, te.Message)
		}
		return nil, c.wrap("getFile", cl.status, err)
	}
	if f.FileSize > 0 && int64(f.FileSize) > limit {
		return nil, errTooLarge
	}
	if f.FilePath == "" {
		return nil, fmt.Errorf("%w: no file_path", errPhotoGone)
	}
	dctx, dcancel := context.WithTimeout(ctx, 2*c.opts.RequestTimeout)
	defer dcancel()
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, c.opts.APIURL+"/file/bot"+c.opts.Token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, &apiError{msg: "telegram file download: bad request", err: err}
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, &apiError{msg: "telegram file download: " + c.redact(err.Error()), err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("telegram file download: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: HTTP %d", errPhotoGone, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &apiError{msg: "telegram file download: " + c.redact(err.Error()), err: err}
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// commandText drops the "@botname" Telegram adds to commands picked from the menu:
// "/status@SuaraWargaBot OKI-2611-0001" becomes "/status OKI-2611-0001".
// A /start deep link keeps its payload: "/start PAYLOAD".
func (c *Channel) commandText(text string) string {
	self := c.BotUsername()
	if !strings.HasPrefix(text, "/") || self == "" {
		return text
	}
	cmd, rest, _ := strings.Cut(text, " ")
	if name, at, ok := strings.Cut(cmd, "@"); ok && strings.EqualFold(at, self) {
		if rest == "" {
			return name
		}
		return name + " " + rest
	}
	return text
}

// cleanText is bot.CleanText bounded to what one message may carry.
func cleanText(s string) string { return bot.CleanText(s, maxInboundRunes) }

// buttonLabel finds the label of the inline button carrying data.
func buttonLabel(kb *tgbotapi.InlineKeyboardMarkup, data string) string {
	if kb == nil {
		return ""
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && *b.CallbackData == data {
				return cleanText(b.Text)
			}
		}
	}
	return ""
}

func langOf(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "id"
}
