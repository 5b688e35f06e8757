package whatsappcloud

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/pace"
)

// maxPairWait is the longest a send waits for one person's pair rate; past it
// the delivery job is put back for that long, so a worker is not held.
const maxPairWait = 10 * time.Second

// pageRows is how many choices one page of a long list shows, with "Berikutnya" as its last row.
const pageRows = MaxListRows - 1

// part is one Cloud API message of an Outbound.
type part struct {
	typ     string         // text, image, location, interactive, template
	obj     map[string]any // the object under the type's key
	photo   string         // file path, for an image (uploaded when sent)
	caption string
}

// listMemory is the last long list shown in a chat, for its pages.
type listMemory struct {
	choices []bot.Choice
	lang    string
}

// mediaUpload is a photo already uploaded to the Graph API.
type mediaUpload struct {
	id string
	at time.Time
}

// ReportsAttempts says Send tells the delivery worker's Attempt about every
// part it sends (bot.AttemptReporter): a long message resumes after its last
// accepted part, even after a crash.
func (c *Channel) ReportsAttempts() {}

// Send renders out as Cloud API messages and returns the id (wamid) of the
// last one. Inside the 24-hour window it sends text, photos, map points, reply
// buttons, lists and location requests; outside it, a notice goes as its
// approved template, or waits for the person to write (bot.ErrAwaitReply) when
// there is none, and a conversation message is not sent (bot.ErrRejected). It
// never writes first to a number that never wrote. Every part is paced here;
// a retry starts after the parts the delivery worker's attempt says were accepted.
func (c *Channel) Send(ctx context.Context, out bot.Outbound) (string, error) {
	chat := out.ChatID
	if !chatIDRE.MatchString(chat) {
		return "", fmt.Errorf("whatsappcloud: chat id %q: %w", chat, bot.ErrRejected)
	}
	if d := c.paused(); d > 0 {
		return "", &bot.RetryAfterError{After: d}
	}
	last, err := c.lastInbound(ctx, chat)
	if err != nil {
		return "", err
	}
	if last.IsZero() {
		c.log.Warn("whatsapp cloud api refuses to message a number that never wrote to the bot")
		return "", fmt.Errorf("whatsappcloud: the chat never wrote first: %w", bot.ErrRejected)
	}
	var parts []part
	open := c.windowOpen(chat, last)
	if open {
		parts = c.plan(out)
	} else if parts, err = c.outsideWindow(out); err != nil {
		return "", err
	}
	if len(parts) == 0 {
		return "", nil
	}
	attempt := bot.AttemptFrom(ctx)
	start := attempt.Resume()
	if start >= len(parts) {
		start = 0 // the message is planned anew (the window closed meanwhile): all of it
	}
	var lastID string
	for i := start; i < len(parts); i++ {
		id, err := c.sendPaced(ctx, out, parts[i], i, len(parts))
		if err != nil {
			if kind, _ := classify(err); kind == kindWindowClosed && open {
				// Meta's clock says the window has closed: the rest goes as outside it.
				c.markClosed(chat, last)
				c.log.Info("whatsapp cloud api: the 24-hour window had closed (131047); sending as outside it")
				return c.sendOutside(ctx, out, i)
			}
			return "", err
		}
		lastID = id
	}
	return lastID, nil
}

// sendOutside sends out as it goes outside the window (its template), after a
// 131047 on part n: the template goes as that part.
func (c *Channel) sendOutside(ctx context.Context, out bot.Outbound, n int) (string, error) {
	parts, err := c.outsideWindow(out)
	if err != nil || len(parts) == 0 {
		return "", err
	}
	return c.sendPaced(ctx, out, parts[0], n, n+1)
}

// sendPaced waits for the number's and the person's rate and sends part n
// (from 0) of a message of parts, telling the delivery worker's attempt.
//
// The message is recorded in flight after the person's own rate and before the
// number's: the database write then stays out of the time the number's limit
// counts (a send's slot is held from the moment it is let go until its answer
// begins to arrive), which at full rate would cost as many messages per second
// as the write takes of each second. The wait it still covers is short: a
// pause longer than maxPairWait puts the job back first.
func (c *Channel) sendPaced(ctx context.Context, out bot.Outbound, p part, n, parts int) (string, error) {
	wait := c.lim.ChatWait(out.ChatID)
	if paused := c.lim.PausedFor(); paused > wait {
		wait = paused
	}
	if wait > maxPairWait {
		return "", &bot.RetryAfterError{After: wait}
	}
	if err := pace.SleepUntil(ctx, time.Now().Add(c.lim.ChatWait(out.ChatID))); err != nil {
		return "", err
	}
	attempt := bot.AttemptFrom(ctx)
	if err := attempt.Sending(ctx, n); err != nil {
		return "", err
	}
	release, err := c.lim.AcquireTimed(ctx, out.ChatID)
	if err != nil {
		return "", err
	}
	var answered atomic.Int64
	id, err := c.sendPart(ctx, out, p, n+1, parts, &answered)
	landed := time.Time{}
	if ns := answered.Load(); ns != 0 {
		landed = time.Unix(0, ns)
	}
	release(landed)
	if err != nil {
		if kind, _ := classify(err); kind == kindWindowClosed {
			return "", err
		}
		return "", c.sendError(ctx, out.ChatID, err)
	}
	attempt.Accepted(n)
	c.sent(out.ChatID)
	if p.typ == "template" {
		c.count(func(s *State) { s.TemplatesSent++ })
	}
	return id, nil
}

// lastInbound is when the chat last wrote: from memory when that is recent
// enough to open the window (a known message time is never wrong, only maybe
// not the newest: another replica may have taken a newer one), else from History.
func (c *Channel) lastInbound(ctx context.Context, chat string) (time.Time, error) {
	c.mu.Lock()
	t, ok := c.inboundAt[chat]
	c.mu.Unlock()
	if ok && c.opts.Now().Sub(t) < Window-WindowMargin {
		return t, nil
	}
	t, err := c.opts.History.LastInbound(ctx, chat)
	if err != nil {
		return time.Time{}, fmt.Errorf("whatsappcloud: last message of the chat: %w", err)
	}
	c.noteInbound(chat, t)
	return t, nil
}

// noteInbound remembers a time the chat wrote, keeping the newest.
func (c *Channel) noteInbound(chat string, t time.Time) {
	if t.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.inboundAt) > 200000 {
		c.inboundAt = map[string]time.Time{}
	}
	if t.After(c.inboundAt[chat]) {
		c.inboundAt[chat] = t
	}
}

// windowOpen reports whether free-form messages may go to chat, whose last
// message arrived at last: within 24 hours (less a margin for clock
// differences), and Meta has not said otherwise since.
func (c *Channel) windowOpen(chat string, last time.Time) bool {
	if c.opts.Now().Sub(last) >= Window-WindowMargin {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.closed[chat]; ok {
		if last.After(t) {
			delete(c.closed, chat)
			return true
		}
		return false
	}
	return true
}

// markClosed records that Meta said the chat's window had closed although its
// last message (at last) seemed recent enough; a newer message opens it again.
func (c *Channel) markClosed(chat string, last time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.closed) > 100000 {
		c.closed = map[string]time.Time{}
	}
	c.closed[chat] = last
}

// outsideWindow is what out becomes outside the 24-hour window: the notice's
// template; a notice without one, or a notice's photo, waits for the person
// to write again; a conversation message is stale by then and not sent.
func (c *Channel) outsideWindow(out bot.Outbound) ([]part, error) {
	n := out.Notice
	switch {
	case n != nil && strings.TrimSpace(out.Text) != "":
		if tpl, ok := c.opts.Templates.For(n.Key); ok {
			return []part{{typ: "template", obj: tpl.templateMessage(n)}}, nil
		}
		c.count(func(s *State) { s.Held++ })
		c.log.Info("whatsapp cloud api: no template for this notice outside the 24-hour window; it waits for the person to write",
			slog.String("notice", n.Key))
		return nil, fmt.Errorf("whatsappcloud: no template for %s outside the 24-hour window: %w", n.Key, bot.ErrAwaitReply)
	case n != nil:
		c.count(func(s *State) { s.Held++ })
		return nil, fmt.Errorf("whatsappcloud: a notice's photo or map point outside the 24-hour window: %w", bot.ErrAwaitReply)
	}
	c.count(func(s *State) { s.Dropped++ })
	return nil, fmt.Errorf("whatsappcloud: a conversation message outside the 24-hour window is not sent: %w", bot.ErrRejected)
}

// plan splits out into Cloud API messages: the photo (with the text as its
// caption when nothing else follows), the map point, the text in parts of at
// most 4096 characters, and the choices or the location request last, with the
// end of the text (at most 1024 characters) as their body.
func (c *Channel) plan(out bot.Outbound) []part {
	lang := cmp.Or(out.Lang, "id")
	text := strings.TrimSpace(out.Text)
	interactive := out.AskLocation || len(out.Choices) > 0
	var parts []part
	if out.PhotoPath != "" {
		if path, ok := c.photoFile(out.PhotoPath); ok {
			p := part{typ: "image", photo: path}
			if text != "" && !interactive && !out.HasLocation {
				p.caption = splitText(text, MaxCaptionLen)[0]
				text = strings.TrimSpace(text[len(p.caption):])
			}
			parts = append(parts, p)
		}
	}
	if out.HasLocation {
		parts = append(parts, part{typ: "location", obj: map[string]any{"latitude": out.Lat, "longitude": out.Lng}})
	}
	if !interactive {
		if text != "" {
			for _, chunk := range splitText(text, MaxTextLen) {
				parts = append(parts, textPart(chunk))
			}
		}
		return parts
	}
	// The interactive message's body is the end of the text; what does not fit goes before it.
	var body string
	if text != "" {
		chunks := splitText(text, MaxTextLen)
		lastChunk := chunks[len(chunks)-1]
		for _, chunk := range chunks[:len(chunks)-1] {
			parts = append(parts, textPart(chunk))
		}
		bodies := splitText(lastChunk, MaxBodyLen)
		for _, chunk := range bodies[:len(bodies)-1] {
			parts = append(parts, textPart(chunk))
		}
		body = bodies[len(bodies)-1]
	}
	if out.AskLocation {
		parts = append(parts, part{typ: "interactive", obj: map[string]any{
			"type":   "location_request_message",
			"body":   map[string]any{"text": cmp.Or(body, c.opts.Translator.T(lang, "whatsappcloud.kirim_lokasi", nil))},
			"action": map[string]any{"name": "send_location"},
		}})
		if len(out.Choices) > 0 {
			parts = append(parts, c.choicePart(out.ChatID, lang, c.opts.Translator.T(lang, "whatsappcloud.atau_pilih", nil), out.Choices))
		}
		return parts
	}
	parts = append(parts, c.choicePart(out.ChatID, lang, cmp.Or(body, c.opts.Translator.T(lang, "whatsappcloud.pilih", nil)), out.Choices))
	return parts
}

func textPart(s string) part {
	return part{typ: "text", obj: map[string]any{"body": s, "preview_url": false}}
}

// choicePart renders choices: up to 3 whose labels fit as reply buttons,
// otherwise a list message, in pages of 9 with "Berikutnya" beyond 10.
func (c *Channel) choicePart(chat, lang, body string, choices []bot.Choice) part {
	if len(choices) <= MaxButtons && labelsFit(choices, MaxButtonTitle) {
		var buttons []any
		for _, ch := range choices {
			buttons = append(buttons, map[string]any{"type": "reply",
				"reply": map[string]any{"id": c.buttonID(ch.ID, MaxButtonID), "title": strings.TrimSpace(ch.Label)}})
		}
		return part{typ: "interactive", obj: map[string]any{
			"type": "button", "body": map[string]any{"text": body}, "action": map[string]any{"buttons": buttons},
		}}
	}
	if len(choices) > MaxListRows {
		c.mu.Lock()
		if len(c.lists) > 100000 {
			c.lists = map[string]listMemory{}
		}
		c.lists[chat] = listMemory{choices: choices, lang: lang}
		c.mu.Unlock()
	}
	return c.listPart(lang, body, choices, 0)
}

// listPart is one page of a list message from offset: all of it when it fits
// 10 rows, otherwise 9 choices and "Berikutnya".
func (c *Channel) listPart(lang, body string, choices []bot.Choice, offset int) part {
	page := choices[offset:]
	more := len(page) > MaxListRows
	if more {
		page = page[:pageRows]
	}
	var rows []any
	for _, ch := range page {
		label := strings.TrimSpace(ch.Label)
		row := map[string]any{"id": c.buttonID(ch.ID, MaxRowID), "title": Shorten(label, MaxRowTitle)}
		if utf8.RuneCountInString(label) > MaxRowTitle {
			row["description"] = Shorten(label, MaxRowDescription)
		}
		rows = append(rows, row)
	}
	if more {
		next := offset + pageRows
		rows = append(rows, map[string]any{"id": pagePrefix + strconv.Itoa(next),
			"title": Shorten(c.opts.Translator.T(lang, "whatsappcloud.lainnya", nil), MaxRowTitle),
			"description": Shorten(c.opts.Translator.T(lang, "whatsappcloud.lainnya_rincian", map[string]any{
				"dari": next + 1, "sampai": min(next+pageRows, len(choices)), "jumlah": len(choices)}), MaxRowDescription)})
	}
	return part{typ: "interactive", obj: map[string]any{
		"type": "list", "body": map[string]any{"text": body},
		"action": map[string]any{
			"button":   Shorten(c.opts.Translator.T(lang, "whatsappcloud.tombol_daftar", nil), MaxListButton),
			"sections": []any{map[string]any{"rows": rows}},
		},
	}}
}

// sendPage shows the page of the chat's last long list from offset, when the
// person tapped "Berikutnya". It is a view of a message already sent, so it is
// sent here rather than queued; a failure makes Meta deliver the tap again.
func (c *Channel) sendPage(ctx context.Context, chat string, offset int) error {
	c.mu.Lock()
	mem, ok := c.lists[chat]
	c.mu.Unlock()
	if !ok {
		choices, err := c.opts.History.LastChoices(ctx, chat)
		if err != nil {
			return fmt.Errorf("whatsappcloud: the list to page: %w", err)
		}
		mem = listMemory{choices: choices, lang: "id"}
	}
	if offset >= len(mem.choices) {
		c.log.Debug("whatsapp cloud api: a page of a list that is gone was asked for")
		return nil
	}
	body := c.opts.Translator.T(mem.lang, "whatsappcloud.halaman", map[string]any{
		"dari": offset + 1, "sampai": min(offset+pageRows, len(mem.choices)), "jumlah": len(mem.choices)})
	if len(mem.choices)-offset <= MaxListRows {
		body = c.opts.Translator.T(mem.lang, "whatsappcloud.halaman", map[string]any{
			"dari": offset + 1, "sampai": len(mem.choices), "jumlah": len(mem.choices)})
	}
	p := c.listPart(mem.lang, body, mem.choices, offset)
	_, err := c.sendPaced(ctx, bot.Outbound{Channel: Name, ChatID: chat}, p, 0, 1)
	var ra *bot.RetryAfterError
	if errors.As(err, &ra) {
		return fmt.Errorf("whatsappcloud: page of a list: rate limited for %s", ra.After)
	}
	return err
}

// labelsFit reports whether every label fits limit characters and no two are the same.
func labelsFit(choices []bot.Choice, limit int) bool {
	seen := map[string]bool{}
	for _, ch := range choices {
		l := strings.TrimSpace(ch.Label)
		if l == "" || utf8.RuneCountInString(l) > limit || seen[l] {
			return false
		}
		seen[l] = true
	}
	return true
}

// Shorten fits s into limit characters: as is when it fits, otherwise cut at
// the last word boundary that leaves room for "…" (or mid-word, with the
// ellipsis, when the first word alone is too long).
func Shorten(s string, limit int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	if limit < 2 {
		return string([]rune(s)[:max(limit, 0)])
	}
	runes := []rune(s)
	cut := limit - 1
	head := runes[:cut]
	if end := lastSpace(head); end >= cut/2 {
		head = head[:end]
	}
	return strings.TrimRightFunc(string(head), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' }) + "…"
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i > 0; i-- {
		if unicode.IsSpace(rs[i]) {
			return i
		}
	}
	return -1
}

// splitText cuts s into parts of at most limit characters at natural breaks.
func splitText(s string, limit int) []string { return bot.SplitText(s, limit, bot.RuneSize) }

// sendPart makes one send call; answered gets the time (unix ns) its answer
// began to arrive, when it did (a photo's upload before it is not counted).
func (c *Channel) sendPart(ctx context.Context, out bot.Outbound, p part, n, of int, answered *atomic.Int64) (string, error) {
	msg := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "type": p.typ}
	if isPhone(out.ChatID) {
		msg["to"] = out.ChatID
	} else {
		msg["recipient"] = out.ChatID
	}
	if out.Ref != 0 {
		msg["biz_opaque_callback_data"] = callbackData(out.Ref, n, of)
	}
	obj := p.obj
	if p.typ == "image" {
		id, err := c.upload(ctx, p.photo)
		if err != nil {
			return "", err
		}
		obj = map[string]any{"id": id}
		if p.caption != "" {
			obj["caption"] = p.caption
		}
	}
	msg[p.typ] = obj
	var resp struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { answered.CompareAndSwap(0, time.Now().UnixNano()) }}
	if err := c.call(httptrace.WithClientTrace(ctx, trace), http.MethodPost, c.opts.PhoneNumberID+"/messages", msg, &resp); err != nil {
		return "", err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return "", errors.New("whatsappcloud: the send was answered without a message id")
	}
	return resp.Messages[0].ID, nil
}

// upload puts a photo on the Graph API and returns its media id; a file is
// uploaded once a day (files are named by their content, and Meta keeps them 30 days).
func (c *Channel) upload(ctx context.Context, path string) (string, error) {
	c.mu.Lock()
	if m, ok := c.media[path]; ok && time.Since(m.at) < 24*time.Hour {
		c.mu.Unlock()
		return m.id, nil
	}
	c.mu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("whatsappcloud: read photo: %w: %w", err, bot.ErrRejected)
	}
	mime := http.DetectContentType(data)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", mime)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="foto`+photoExt(mime)+`"`)
	h.Set("Content-Type", mime)
	fw, err := mw.CreatePart(h)
	if err != nil {
		return "", fmt.Errorf("whatsappcloud: upload: %w", err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		return "", fmt.Errorf("whatsappcloud: upload: %w", err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, c.url(c.opts.PhoneNumberID+"/media"), &buf)
	if err != nil {
		return "", fmt.Errorf("whatsappcloud: upload: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var resp struct {
		ID string `json:"id"`
	}
	if err := c.do(req, &resp); err != nil {
		return "", err
	}
	if resp.ID == "" {
		return "", errors.New("whatsappcloud: the upload was answered without a media id")
	}
	c.mu.Lock()
	if len(c.media) > 10000 {
		c.media = map[string]mediaUpload{}
	}
	c.media[path] = mediaUpload{id: resp.ID, at: time.Now()}
	c.mu.Unlock()
	return resp.ID, nil
}

func photoExt(mime string) string {
	switch mime {
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	}
	return ".jpg"
}

// photoFile resolves an outbound photo path under the data directory; a path
// outside it or a missing file is logged and the message goes out without it.
func (c *Channel) photoFile(p string) (string, bool) {
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(c.opts.DataDir, filepath.FromSlash(p))
	}
	base, err := filepath.Abs(c.opts.DataDir)
	abs, err2 := filepath.Abs(filepath.Clean(full))
	if err != nil || err2 != nil || (abs != base && !strings.HasPrefix(abs, base+string(filepath.Separator))) {
		c.log.Warn("whatsapp cloud api photo outside the data directory not sent", slog.String("path", p))
		return "", false
	}
	if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() {
		c.log.Warn("whatsapp cloud api photo file missing; sending the text only", slog.String("path", p))
		return "", false
	}
	return abs, true
}
