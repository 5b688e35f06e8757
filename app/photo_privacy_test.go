package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/telegram"
	"github.com/suarawarga/suarawarga/bot/telegram/telegramtest"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/bot/whatsapp/whatsapptest"
	"github.com/suarawarga/suarawarga/media/mediatest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// allChannels is the whole bot with every channel: Telegram against the fake Bot
// API, WhatsApp against the fake client, the web chat and the console over HTTP.
type allChannels struct {
	t    *testing.T
	db   *gorm.DB
	app  *App
	tg   *telegramtest.Server
	wa   *whatsapptest.Client
	web  *httptest.Server
	seq  int
	logs *logSink
}

func startAllChannels(t *testing.T, db *gorm.DB) *allChannels {
	t.Helper()
	tg := newFake(t, tgLimits)
	cfg := testConfig(t)
	cfg.MaxPhotoSize = 10 << 20
	cfg.TelegramToken, cfg.TelegramAPIURL = tg.Token, tg.URL
	cfg.TelegramRate, cfg.TelegramChatRate = tgLimits.GlobalPerSecond, tgLimits.ChatPerSecond
	clock := newTestClock()
	log, logs := testLogger(t)
	a, err := New(t.Context(), cfg, log, Options{DB: db, Now: clock.Now, PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	guardLogs(t, db, logs)
	wa := whatsapptest.New(nil)
	ch, err := a.AddWhatsApp(WhatsAppSetup{
		NewClient: func(context.Context) (whatsapp.Client, error) { return wa, nil }, Pacing: waFast, BackoffMin: time.Millisecond,
	})
	require.NoError(t, err)
	web := httptest.NewServer(a.Web.Handler())
	t.Cleanup(web.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the app did not stop")
		}
	})
	require.Eventually(t, func() bool { return ch.State().Status == whatsapp.StatusConnected }, 10*time.Second, time.Millisecond)
	return &allChannels{t: t, db: db, app: a, tg: tg, wa: wa, web: web, logs: logs}
}

// settle waits until every message the bot queued went out.
func (b *allChannels) settle() {
	b.t.Helper()
	require.Eventually(b.t, func() bool {
		var n int64
		require.NoError(b.t, b.db.Model(&models.Message{}).Where("direction = ? AND status = ?", models.DirectionOut, models.MessageQueued).Count(&n).Error)
		return n == 0
	}, 30*time.Second, 10*time.Millisecond)
}

// waitInbound waits until chat on channel has n committed inbound messages.
func (b *allChannels) waitInbound(channel, chat string, n int) {
	b.t.Helper()
	require.Eventually(b.t, func() bool {
		var got int64
		require.NoError(b.t, b.db.Model(&models.Message{}).Where("direction = ? AND channel = ? AND chat_id = ?", models.DirectionIn, channel, chat).
			Count(&got).Error)
		return got >= int64(n)
	}, 30*time.Second, 10*time.Millisecond, "%s %s: %d messages", channel, chat, n)
}

// received is one photo a person got: its bytes and how they reached them.
type received struct {
	what  string
	data  []byte
	cache string // the Cache-Control of a photo fetched over HTTP
}

// party is one person on one channel.
type party interface {
	say(text string)
	press(label string) // a button of the last message that has it
	photo(data []byte)
	location(lat, lng float64)
	photos() []received // every photo this person got so far
}

type tgParty struct {
	b    *allChannels
	chat int64
	in   int
}

func (p *tgParty) wait() {
	p.in++
	p.b.waitInbound(telegram.Name, fmt.Sprint(p.chat), p.in)
	p.b.settle()
}
func (p *tgParty) say(text string) { p.b.tg.SendText(p.chat, text); p.wait() }
func (p *tgParty) press(label string) {
	_, err := p.b.tg.Press(p.chat, label)
	require.NoError(p.b.t, err)
	p.wait()
}
func (p *tgParty) photo(data []byte)         { p.b.tg.SendPhoto(p.chat, data); p.wait() }
func (p *tgParty) location(lat, lng float64) { p.b.tg.SendLocation(p.chat, lat, lng); p.wait() }
func (p *tgParty) photos() []received {
	var out []received
	for _, m := range p.b.tg.Messages(p.chat) {
		require.Contains(p.b.t, []string{"sendMessage", "sendPhoto", "sendLocation"}, m.Method)
		if len(m.Photo) > 0 {
			require.Equal(p.b.t, "sendPhoto", m.Method, "a photo goes as a photo, never as a file (a file keeps every byte)")
			out = append(out, received{what: fmt.Sprintf("telegram %d message %d", p.chat, m.ID), data: m.Photo})
		}
	}
	return out
}

type waParty struct {
	b     *allChannels
	phone string
}

func (p *waParty) emit(m *waE2E.Message) {
	p.b.seq++
	require.True(p.b.t, p.b.wa.Emit(whatsapptest.Event(p.phone, fmt.Sprintf("PRIV%05d", p.b.seq), m)))
	p.b.settle()
}
func (p *waParty) say(text string)    { p.emit(whatsapptest.TextMessage(text)) }
func (p *waParty) press(label string) { p.say(label) } // a typed label picks it, as a number would
func (p *waParty) photo(data []byte) {
	p.b.seq++
	p.emit(p.b.wa.ImageMessage(fmt.Sprintf("/priv/%d", p.b.seq), data, "image/jpeg"))
}
func (p *waParty) location(lat, lng float64) { p.emit(whatsapptest.LocationMessage(lat, lng)) }
func (p *waParty) photos() []received {
	var out []received
	for i, s := range p.b.wa.SentTo(whatsapptest.JID(p.phone).String()) {
		if s.Msg.GetImageMessage() != nil {
			data := p.b.wa.Uploaded(s.Msg)
			require.NotNil(p.b.t, data, "an image message with no uploaded bytes")
			out = append(out, received{what: fmt.Sprintf("whatsapp %s message %d", p.phone, i), data: data})
		}
	}
	return out
}

// webParty is a browser on the web chat, with its own chat cookie.
type webParty struct {
	b      *allChannels
	client *http.Client
	n      int
}

func newWebParty(b *allChannels) *webParty {
	jar, err := cookiejar.New(nil)
	require.NoError(b.t, err)
	return &webParty{b: b, client: &http.Client{Jar: jar}}
}

func (p *webParty) post(body map[string]any) {
	p.n++
	body["client_id"] = fmt.Sprintf("c%d", p.n)
	data, err := json.Marshal(body)
	require.NoError(p.b.t, err)
	resp, err := p.client.Post(p.b.web.URL+"/api/chat/send", "application/json", bytes.NewReader(data))
	require.NoError(p.b.t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Equal(p.b.t, http.StatusOK, resp.StatusCode, string(msg))
	p.b.settle()
}

func (p *webParty) say(text string) { p.post(map[string]any{"kind": "text", "text": text}) }
func (p *webParty) press(label string) {
	items := p.items()
	for i := len(items) - 1; i >= 0; i-- {
		for _, c := range items[i].Choices {
			if c.Label == label {
				p.post(map[string]any{"kind": "choice", "choice_id": c.ID, "text": c.Label})
				return
			}
		}
	}
	p.b.t.Fatalf("web chat: no button %q", label)
}
func (p *webParty) location(lat, lng float64) {
	p.post(map[string]any{"kind": "location", "lat": lat, "lng": lng})
}
func (p *webParty) photo(data []byte) {
	p.n++
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(p.b.t, mw.WriteField("client_id", fmt.Sprintf("c%d", p.n)))
	fw, err := mw.CreateFormFile("photo", "foto")
	require.NoError(p.b.t, err)
	_, _ = fw.Write(data)
	require.NoError(p.b.t, mw.Close())
	resp, err := p.client.Post(p.b.web.URL+"/api/chat/photo", mw.FormDataContentType(), &body)
	require.NoError(p.b.t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Equal(p.b.t, http.StatusOK, resp.StatusCode, string(msg))
	p.b.settle()
}

func (p *webParty) items() []webchat.Item {
	resp, err := p.client.Get(p.b.web.URL + "/api/chat/messages?after=0&wait=0")
	require.NoError(p.b.t, err)
	defer resp.Body.Close()
	var r struct{ Messages []webchat.Item }
	require.NoError(p.b.t, json.NewDecoder(resp.Body).Decode(&r))
	return r.Messages
}

// photos fetches every photo of the chat's history, what it sent and what it got, through the media route.
func (p *webParty) photos() []received {
	var out []received
	for _, it := range p.items() {
		if it.PhotoURL == "" {
			continue
		}
		resp, err := p.client.Get(p.b.web.URL + it.PhotoURL)
		require.NoError(p.b.t, err)
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(p.b.t, err)
		require.Equal(p.b.t, http.StatusOK, resp.StatusCode, it.PhotoURL)
		out = append(out, received{what: "web chat " + it.Direction + " " + it.PhotoURL, data: data, cache: resp.Header.Get("Cache-Control")})
	}
	return out
}

// fileConfidential files a confidential road report with the three fixtures as its photos.
func fileConfidential(t *testing.T, b *allChannels, p party, channel string) string {
	t.Helper()
	p.say("/start")
	p.say("Buat pengaduan")
	p.say("Jalan & jembatan")
	p.say("Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh")
	var earlier int64
	require.NoError(t, b.db.Model(&models.Complaint{}).Count(&earlier).Error)
	p.location(-3.3937, 104.8306)
	if earlier > 0 {
		p.say("Tetap buat laporan baru") // the same road was reported here before
	}
	for _, f := range mediatest.Fixtures(t) {
		p.photo(f.Data)
	}
	if channel == webchat.Name {
		p.say("Tanpa nama") // the web chat knows nobody: no name given is confidential too
	} else {
		p.say("Rahasiakan identitas saya")
	}
	p.say("Kirim")
	var c models.Complaint
	require.NoError(t, b.db.Where("channel = ?", channel).Order("id DESC").Take(&c).Error)
	require.True(t, c.Confidential)
	var n int64
	require.NoError(t, b.db.Model(&models.ComplaintAttachment{}).Where("complaint_id = ?", c.ID).Count(&n).Error)
	require.EqualValues(t, 3, n, "every photo of the album is on the complaint")
	return c.Code
}

// TestPhotosLeaveTheBotClean: a reporter hides nothing in a photo that any
// officer, console page or other chat can get. Confidential reports with a JPEG
// (EXIF owner, GPS, XMP, IPTC, comment), a PNG (text chunks, eXIf) and a WebP
// (EXIF, XMP), each stored turned with orientation 6, are filed on Telegram,
// WhatsApp and the web chat; officers on all three channels get the notices, one
// asks for more (answered with a photo), each finishes a report with a proof
// photo that its reporter gets. Every photo byte sent (the fake Bot API, the fake
// WhatsApp client) or served (the web chat's media route, the console's photo
// route, preview and original) holds none of the metadata and is upright; a
// confidential complaint's photos are served with no-store.
func TestPhotosLeaveTheBotClean(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startAllChannels(t, db)
		ctx := t.Context()
		tgOfficer := &tgParty{b: b, chat: 8001}
		waOfficer := &waParty{b: b, phone: "628120009001"}
		webOfficer := newWebParty(b)
		for i, o := range []party{tgOfficer, waOfficer, webOfficer} {
			code, err := b.app.Complaints.Invite(ctx, db, "PUPR", fmt.Sprintf("Petugas %d", i+1), models.RolePetugas, time.Hour)
			require.NoError(t, err)
			o.say("/daftar " + code)
		}
		tgCitizen := &tgParty{b: b, chat: 8101}
		waCitizen := &waParty{b: b, phone: "628120009101"}
		webCitizen := newWebParty(b)
		codes := []string{
			fileConfidential(t, b, tgCitizen, telegram.Name),
			fileConfidential(t, b, waCitizen, whatsapp.Name),
			fileConfidential(t, b, webCitizen, webchat.Name),
		}

		// Minta info, answered with a photo.
		tgOfficer.say("/lihat " + codes[2])
		tgOfficer.press("❓ Minta info")
		tgOfficer.say("Boleh dikirim foto dari sisi lain?")
		webCitizen.photo(mediatest.Variant(t, 1).Data)

		// Each officer finishes one report with a proof photo.
		for i, o := range []party{tgOfficer, waOfficer, webOfficer} {
			o.say("/lihat " + codes[i])
			o.press("✅ Terima")
			o.say("/lihat " + codes[i])
			o.press("✔️ Selesai")
			o.photo(mediatest.Variant(t, 2+i).Data)
			o.say("Lubang sudah ditambal.")
		}

		check := func(who string, p party, atLeast int) {
			got := p.photos()
			require.GreaterOrEqual(t, len(got), atLeast, "%s got %d photos", who, len(got))
			for _, r := range got {
				mediatest.AssertClean(t, who+": "+r.what, r.data)
				mediatest.AssertUpright(t, who+": "+r.what, r.data)
				if r.cache != "" {
					require.Equal(t, "no-store", r.cache, "%s: a confidential complaint's photo", r.what)
				}
			}
		}
		// 3 reports × 3 photos, the answer photo, and their own proof photo.
		for name, o := range map[string]party{"telegram officer": tgOfficer, "whatsapp officer": waOfficer, "web chat officer": webOfficer} {
			check(name, o, 3*3+1)
		}
		// Each reporter: the proof photo (and on the web chat, their own photos through the media route).
		check("telegram reporter", tgCitizen, 1)
		check("whatsapp reporter", waCitizen, 1)
		check("web chat reporter", webCitizen, 3+1+1)

		// The console: every photo of every report, preview and original, for an admin.
		_, err := console.CreateUser(ctx, db, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin,
			Password: "kata-sandi-rahasia-123"}, console.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, nil, time.Now())
		require.NoError(t, err)
		admin := consoleHTTPLogin(t, b.web.URL, "admin@oki.go.id", "kata-sandi-rahasia-123")
		served := 0
		for _, code := range codes {
			var c models.Complaint
			require.NoError(t, db.Where("code = ?", code).Take(&c).Error)
			var links []models.ComplaintAttachment
			require.NoError(t, db.Where("complaint_id = ?", c.ID).Find(&links).Error)
			kinds := map[string]int{}
			for _, l := range links {
				kinds[l.Kind]++
			}
			require.Equal(t, 1, kinds[models.AttachmentBukti], "the proof of %s (%s): %s", code, c.Status, b.transcript())
			for _, l := range links {
				for _, q := range []string{"", "?asli=1"} {
					path := fmt.Sprintf("/konsol/pengaduan/%s/foto/%d%s", code, l.AttachmentID, q)
					resp, err := admin.Get(b.web.URL + path)
					require.NoError(t, err)
					data, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					require.Equal(t, http.StatusOK, resp.StatusCode, path)
					require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), path)
					mediatest.AssertClean(t, "console "+path, data)
					mediatest.AssertUpright(t, "console "+path, data)
					served++
				}
			}
		}
		require.GreaterOrEqual(t, served, 2*13)

		// The same photos of complaints that are not confidential may be kept by the
		// browser, but are checked again on every view: every route says so.
		require.NoError(t, db.Model(&models.Complaint{}).Where("code IN ?", codes).Update("confidential", false).Error)
		for name, p := range map[string]*webParty{"web chat officer": webOfficer, "web chat reporter": webCitizen} {
			got := p.photos()
			require.NotEmpty(t, got, name)
			for _, r := range got {
				require.Equal(t, "private, no-cache", r.cache, "%s: %s", name, r.what)
			}
		}
		var link models.ComplaintAttachment
		require.NoError(t, db.Joins("JOIN complaints ON complaints.id = complaint_attachments.complaint_id").
			Where("complaints.code = ?", codes[0]).Take(&link).Error)
		for _, q := range []string{"", "?asli=1"} {
			resp, err := admin.Get(fmt.Sprintf("%s/konsol/pengaduan/%s/foto/%d%s", b.web.URL, codes[0], link.AttachmentID, q))
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "private, no-cache", resp.Header.Get("Cache-Control"), "console photo %s", q)
		}

		// Nothing on disk keeps the metadata either.
		require.NoError(t, filepath.WalkDir(b.app.Config.DataDir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.Contains(path, "attachments") {
				return err
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			mediatest.AssertClean(t, path, data)
			return nil
		}))
	})
}

// transcript is every message, for a failure's message.
func (b *allChannels) transcript() string {
	var ms []models.Message
	require.NoError(b.t, b.db.Order("id").Find(&ms).Error)
	var sb strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&sb, "%s %s %s %s: %q\n", m.Direction, m.Channel, m.ChatID, m.Kind, m.Text)
	}
	return sb.String()
}

// consoleHTTPClient is a browser for the console: its own cookies, redirects not followed.
func consoleHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// consoleCSRF opens the sign-in page and returns its CSRF token.
func consoleCSRF(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/konsol/masuk")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	require.NotNil(t, m)
	return string(m[1])
}

// consoleHTTPLogin signs in to the console and returns a client holding the session.
func consoleHTTPLogin(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	c := consoleHTTPClient(t)
	resp, err := c.PostForm(base+"/konsol/masuk", url.Values{"csrf": {consoleCSRF(t, c, base)}, "email": {email}, "password": {password}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return c
}

// TestRefusedPhotosWriteNoFile: a photo the bot refuses (not an image) on any
// channel is answered and leaves nothing in DATA_DIR.
func TestRefusedPhotosWriteNoFile(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startAllChannels(t, db)
		notImage := []byte("<svg xmlns='http://www.w3.org/2000/svg'>" + mediatest.OwnerName + "</svg>")
		tg := &tgParty{b: b, chat: 8201}
		wa := &waParty{b: b, phone: "628120009201"}
		for _, p := range []party{tg, wa} {
			p.say("/start")
			p.photo(notImage)
		}
		web := newWebParty(b)
		web.say("/start")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		require.NoError(t, mw.WriteField("client_id", "refused-1"))
		fw, err := mw.CreateFormFile("photo", "foto")
		require.NoError(t, err)
		_, _ = fw.Write(notImage)
		require.NoError(t, mw.Close())
		resp, err := web.client.Post(b.web.URL+"/api/chat/photo", mw.FormDataContentType(), &body)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)

		var refusals int64
		require.NoError(t, db.Model(&models.Message{}).Where("direction = ? AND text LIKE ?", models.DirectionOut, "%bukan foto%").
			Count(&refusals).Error)
		require.EqualValues(t, 2, refusals, "telegram and whatsapp are told: %s", b.transcript())
		var files []string
		_ = filepath.WalkDir(b.app.Config.DataDir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(path, "attachments") {
				files = append(files, path)
			}
			return nil
		})
		require.Empty(t, files, "a refused photo writes no file")
		var atts int64
		require.NoError(t, db.Model(&models.Attachment{}).Count(&atts).Error)
		require.Zero(t, atts)
	})
}
