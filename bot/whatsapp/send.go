package whatsapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/suarawarga/suarawarga/bot"
)

// coldAfter is how long after a person's last message they count as quiet.
const coldAfter = 24 * time.Hour

// maxCapWait bounds one wait for the daily cap: the person may write meanwhile.
const maxCapWait = time.Hour

// part is one WhatsApp message of an Outbound.
type part struct {
	text     string // text, or the caption of a photo
	photo    string // file path
	location bool
	lat, lng float64
}

// Send renders out as one or more WhatsApp messages behind a "typing…" presence
// and returns the id of the last one. It refuses a chat that never wrote
// (bot.ErrRejected) and holds back, with a *bot.RetryAfterError, a message that
// would exceed the daily cap of a person who has been quiet for 24 hours.
func (c *Channel) Send(ctx context.Context, out bot.Outbound) (string, error) {
	jid, err := types.ParseJID(out.ChatID)
	if err != nil || jid.User == "" || jid.Server == types.GroupServer || jid.Server == types.BroadcastServer {
		return "", fmt.Errorf("whatsapp: chat id %q: %w", out.ChatID, bot.ErrRejected)
	}
	cli := c.currentClient()
	if cli == nil || !cli.IsConnected() {
		return "", fmt.Errorf("whatsapp: not connected (%s)", c.State().Status)
	}
	if err := c.mayMessage(ctx, out.ChatID); err != nil {
		return "", err
	}
	parts := c.plan(out)
	if len(parts) == 0 {
		return "", nil
	}
	att := bot.AttemptFrom(ctx)
	start := min(att.Resume(), len(parts))
	typing := c.pacer.Pacing().Typing
	if typing > 0 {
		if err := cli.SendChatPresence(ctx, jid, types.ChatPresenceComposing, types.ChatPresenceMediaText); err != nil {
			c.log.Debug("whatsapp typing presence not sent", slog.Any("error", err))
		}
		if err := c.clock.SleepUntil(ctx, c.clock.Now().Add(typing)); err != nil {
			return "", err
		}
	}
	var last string
	for i := start; i < len(parts); i++ {
		if i > start {
			if err := c.pacer.Wait(ctx, Name, out.ChatID); err != nil {
				return "", err
			}
		}
		if err := att.Sending(ctx, i); err != nil {
			return "", err
		}
		id, err := c.sendPart(ctx, cli, jid, parts[i])
		if err != nil {
			return "", err
		}
		att.Accepted(i)
		last = id
	}
	if typing > 0 {
		_ = cli.SendChatPresence(context.WithoutCancel(ctx), jid, types.ChatPresencePaused, types.ChatPresenceMediaText)
	}
	c.mu.Lock()
	if len(c.choices) > 100000 {
		c.choices = map[string][]bot.Choice{}
	}
	c.choices[out.ChatID] = out.Choices
	c.mu.Unlock()
	return last, nil
}

// ReportsAttempts tells the delivery worker that Send reports each request to its
// bot.Attempt, so the "typing…" pause before it is not counted as in flight.
func (c *Channel) ReportsAttempts() {}

var _ bot.AttemptReporter = (*Channel)(nil)

// mayMessage enforces the first-contact rule and the daily cap for quiet numbers.
func (c *Channel) mayMessage(ctx context.Context, chatID string) error {
	last, err := c.opts.History.LastInbound(ctx, chatID)
	if err != nil {
		return fmt.Errorf("whatsapp: last message of the chat: %w", err)
	}
	if last.IsZero() {
		c.log.Warn("whatsapp refuses to message a number that never wrote to the bot")
		return fmt.Errorf("whatsapp: the chat never wrote first: %w", bot.ErrRejected)
	}
	now := c.clock.Now()
	if now.Sub(last) <= coldAfter {
		return nil
	}
	n, oldest, err := c.opts.History.SentSince(ctx, chatID, now.Add(-coldAfter))
	if err != nil {
		return fmt.Errorf("whatsapp: messages sent to the chat: %w", err)
	}
	if n < c.pacer.Pacing().ColdDailyCap {
		return nil
	}
	wait := min(max(oldest.Add(coldAfter).Sub(now), time.Minute), maxCapWait)
	c.log.Info("whatsapp daily cap reached for a quiet chat; holding its messages", slog.Int("sent_24h", n), slog.Duration("retry_after", wait))
	return &bot.RetryAfterError{After: wait}
}

// plan splits out into WhatsApp messages: the photo with as much text as fits a
// caption, the rest of the text in parts, the map point; choices become a
// numbered list with a hint on the last text part, a location request an
// instruction.
func (c *Channel) plan(out bot.Outbound) []part {
	lang := cmp.Or(out.Lang, "id")
	text := strings.TrimSpace(out.Text)
	var tail []string
	if out.AskLocation {
		tail = append(tail, c.opts.Translator.T(lang, "whatsapp.kirim_lokasi", nil))
	}
	if len(out.Choices) > 0 {
		tail = append(tail, NumberedList(out.Choices))
	}
	if len(out.Choices) > 0 {
		tail = append(tail, c.opts.Translator.T(lang, "whatsapp.balas_angka", map[string]any{"n": len(out.Choices)}))
	}
	if len(tail) > 0 {
		if text == "" && len(out.Choices) > 0 {
			text = c.opts.Translator.T(lang, "whatsapp.pilih", nil)
		}
		text = strings.TrimSpace(text + "\n\n" + strings.Join(tail, "\n\n"))
	}
	var parts []part
	if out.PhotoPath != "" {
		if path, ok := c.photoFile(out.PhotoPath); ok {
			caption := ""
			if text != "" && !out.HasLocation {
				caption = SplitText(text, MaxTextLen)[0]
				text = strings.TrimSpace(text[len(caption):])
			}
			parts = append(parts, part{photo: path, text: caption})
		}
	}
	if out.HasLocation {
		// The text (with its numbered list) goes last, under the map point, so the list stays in view.
		parts = append(parts, part{location: true, lat: out.Lat, lng: out.Lng})
	}
	if text != "" {
		for _, chunk := range SplitText(text, MaxTextLen) {
			parts = append(parts, part{text: chunk})
		}
	}
	return parts
}

// NumberedList renders choices as "1. label" lines.
func NumberedList(choices []bot.Choice) string {
	var b strings.Builder
	for i, ch := range choices {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(strconv.Itoa(i+1) + ". " + ch.Label)
	}
	return b.String()
}

// MatchChoice finds what a typed reply picks from the choices shown last: a
// number 1..N ("2", "2.", " 2 ") or a label typed out in full (any case).
func MatchChoice(text string, choices []bot.Choice) (bot.Choice, bool) {
	s := strings.TrimSpace(text)
	s = strings.TrimSuffix(s, ".")
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= len(choices) {
			return choices[n-1], true
		}
		return bot.Choice{}, false
	}
	for _, ch := range choices {
		if s != "" && strings.EqualFold(s, strings.TrimSpace(ch.Label)) {
			return ch, true
		}
	}
	return bot.Choice{}, false
}

func (c *Channel) sendPart(ctx context.Context, cli Client, jid types.JID, p part) (string, error) {
	var msg *waE2E.Message
	switch {
	case p.photo != "":
		data, err := os.ReadFile(p.photo)
		if err != nil {
			return "", fmt.Errorf("whatsapp: read photo: %w", err)
		}
		up, err := cli.Upload(context.WithoutCancel(ctx), data, whatsmeow.MediaImage)
		if err != nil {
			return "", c.wrap("upload", err)
		}
		img := &waE2E.ImageMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			Mimetype: proto.String(http.DetectContentType(data)), FileEncSHA256: up.FileEncSHA256,
			FileSHA256: up.FileSHA256, FileLength: proto.Uint64(uint64(len(data))),
		}
		if p.text != "" {
			img.Caption = proto.String(p.text)
		}
		msg = &waE2E.Message{ImageMessage: img}
	case p.location:
		msg = &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(p.lat), DegreesLongitude: proto.Float64(p.lng)}}
	default:
		msg = &waE2E.Message{Conversation: proto.String(p.text)}
	}
	// Not abandoned when ctx ends: a send cut off after WhatsApp took it would go out twice.
	resp, err := cli.SendMessage(context.WithoutCancel(ctx), jid, msg)
	if err != nil {
		return "", c.wrap("send", err)
	}
	return resp.ID, nil
}

// wrap turns whatsmeow errors into the delivery worker's: a rate limit pauses the
// chat for a minute, other refusals of this message are bot.ErrRejected, and
// connection errors stay plain so they are retried with backoff.
func (c *Channel) wrap(op string, err error) error {
	var iq *whatsmeow.IQError
	switch {
	case errors.As(err, &iq) && iq.Code == http.StatusTooManyRequests:
		return &bot.RetryAfterError{After: time.Minute}
	case errors.As(err, &iq) && iq.Code >= 400 && iq.Code < 500:
		return fmt.Errorf("whatsapp %s: %v: %w", op, err, bot.ErrRejected)
	}
	return fmt.Errorf("whatsapp %s: %w", op, err)
}

// photoFile resolves an outbound photo path under the data directory.
func (c *Channel) photoFile(p string) (string, bool) {
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(c.opts.DataDir, filepath.FromSlash(p))
	}
	base, err := filepath.Abs(c.opts.DataDir)
	abs, err2 := filepath.Abs(filepath.Clean(full))
	if err != nil || err2 != nil || (abs != base && !strings.HasPrefix(abs, base+string(filepath.Separator))) {
		c.log.Warn("whatsapp photo outside the data directory not sent", slog.String("path", p))
		return "", false
	}
	if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() {
		c.log.Warn("whatsapp photo file missing; sending the text only", slog.String("path", p))
		return "", false
	}
	return abs, true
}

// lang is the language of the adapter's own hints. WhatsApp gives no language
// hint and Outbound carries none, so they follow the reference language.

// handleMessage translates, downloads a photo, maps a typed number to the choice
// it picks, hands the message to h, and marks it read once it is committed.
func (c *Channel) handleMessage(ctx context.Context, h bot.InboundHandler, cli Client, evt *events.Message) bool {
	t, ok := Translate(evt)
	if !ok {
		return true
	}
	in := t.Inbound
	if t.Media != nil {
		if err := c.fillPhoto(ctx, cli, &in, t); err != nil {
			c.log.Warn("whatsapp photo download failed; WhatsApp will deliver it again", slog.Any("error", err))
			return false
		}
	}
	if in.Kind == bot.KindText {
		// The newest message's list, from memory; the History also knows, after a
		// restart, and for an officer the list under the newest complaint.
		choices, _ := c.knownChoices(in.ChatID)
		if len(choices) == 0 {
			var err error
			if choices, err = c.opts.History.LastChoices(ctx, in.ChatID); err != nil {
				c.log.Warn("whatsapp last choices unavailable", slog.Any("error", err))
				return false
			}
		}
		if ch, ok := MatchChoice(in.Text, choices); ok {
			in.Kind, in.ChoiceID, in.Text = bot.KindChoice, ch.ID, ch.Label
		}
	}
	if err := h.HandleInbound(ctx, in); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("whatsapp message not committed; WhatsApp will deliver it again", slog.String("message_id", in.MessageID), slog.Any("error", err))
		}
		return false
	}
	info := evt.Info
	if err := cli.MarkRead(context.WithoutCancel(ctx), []types.MessageID{info.ID}, info.Timestamp, info.Chat, info.Sender); err != nil {
		c.log.Debug("whatsapp mark read failed", slog.Any("error", err))
	}
	return true
}

func (c *Channel) knownChoices(chatID string) ([]bot.Choice, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.choices[chatID]
	return ch, ok
}

// fillPhoto downloads the photo into in. One above the size limit is not
// downloaded: in carries MaxPhotoBytes+1 zero bytes so the handler refuses it
// politely. Media WhatsApp no longer serves leaves in.Photo empty (the handler
// answers that the file could not be used); other failures are returned.
func (c *Channel) fillPhoto(ctx context.Context, cli Client, in *bot.Inbound, t Translated) error {
	limit := c.opts.MaxPhotoBytes
	if int64(t.MediaSize) > limit {
		in.Photo = make([]byte, limit+1)
		return nil
	}
	data, err := cli.Download(ctx, t.Media)
	switch {
	case errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith404), errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith410),
		errors.Is(err, whatsmeow.ErrNoURLPresent), errors.Is(err, whatsmeow.ErrFileLengthMismatch), errors.Is(err, whatsmeow.ErrInvalidMediaSHA256):
		c.log.Info("whatsapp photo could not be downloaded", slog.Any("error", err))
		in.Photo = nil
		return nil
	case err != nil:
		return err
	}
	if int64(len(data)) > limit {
		in.Photo = make([]byte, limit+1)
		return nil
	}
	in.Photo = data
	return nil
}

// SplitText cuts s into parts of at most limit characters.
func SplitText(s string, limit int) []string { return bot.SplitText(s, limit, bot.RuneSize) }
