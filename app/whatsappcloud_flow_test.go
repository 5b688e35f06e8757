package app

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// cloudCitizen is one scripted WhatsApp user.
type cloudCitizen struct {
	t     *testing.T
	b     *cloudBot
	phone string
	seen  int
}

func (c *cloudCitizen) replies(n int) []graphtest.Message {
	c.t.Helper()
	ms, err := c.b.fake.WaitMessages(c.phone, c.seen+n, 30*time.Second)
	require.NoError(c.t, err, "%s: %s", c.phone, lastCloudTexts(ms))
	out := ms[c.seen:]
	c.seen = len(ms)
	return out
}

func lastCloudTexts(ms []graphtest.Message) string {
	var parts []string
	for _, m := range ms[max(0, len(ms)-3):] {
		parts = append(parts, fmt.Sprintf("%q", m.Text))
	}
	return strings.Join(parts, ", ")
}

// say sends a text and returns the last of the n replies it gets (1 by default).
func (c *cloudCitizen) say(text string, n ...int) graphtest.Message {
	c.t.Helper()
	c.b.fake.SendText(c.phone, text)
	ms := c.replies(max(1, firstOr(n)))
	return ms[len(ms)-1]
}

func (c *cloudCitizen) press(label string, n ...int) graphtest.Message {
	c.t.Helper()
	_, err := c.b.fake.Press(c.phone, label)
	require.NoError(c.t, err)
	ms := c.replies(max(1, firstOr(n)))
	return ms[len(ms)-1]
}

func firstOr(n []int) int {
	if len(n) > 0 {
		return n[0]
	}
	return 1
}

// file files a complaint with buttons, a shared location and a photo, and returns the ticket code.
func (c *cloudCitizen) file() string {
	c.t.Helper()
	m := c.say("/start")
	require.Contains(c.t, m.Text, "Selamat datang")
	m = c.press("📝 Buat pengaduan")
	require.Contains(c.t, m.Text, "Laporan Anda tentang apa?")
	m = c.press("Jalan & jembatan")
	require.Contains(c.t, m.Text, "Ceritakan masalahnya")
	m = c.say("Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh", 2)
	require.Equal(c.t, []string{"Pilih kecamatan"}, m.Buttons)
	c.b.fake.ShareLocation(c.phone, -3.3937, 104.8306, "Pasar Kayuagung", "")
	require.Contains(c.t, c.replies(1)[0].Text, "Ada foto?")
	c.b.fake.SendPhoto(c.phone, testPNG(3), "image/png", "lubangnya")
	require.Contains(c.t, c.replies(1)[0].Text, "identitas")
	m = c.press("Boleh (biasa)")
	require.Contains(c.t, m.Text, "Foto: 1")
	m = c.press("✅ Kirim")
	code := tgTicketRe.FindString(m.Text)
	require.NotEmpty(c.t, code, m.Text)
	return code
}

// officer registers a webchat officer of agency and returns its chat id.
func registerWebOfficer(t *testing.T, h *harness, agency, role, chat string) {
	t.Helper()
	code, err := h.app.Complaints.Invite(t.Context(), h.db, agency, "Petugas "+agency, role, time.Hour)
	require.NoError(t, err)
	h.send(chat, bot.Inbound{Kind: bot.KindText, Text: "/daftar " + code})
	h.waitDelivered(chat)
}

// TestWhatsAppCloudQuietCitizen: a citizen files, goes quiet for 25 hours, and
// gets the OPD's reply and the "sudah selesai?" survey as templates; the
// survey's quick reply opens the window again and the survey goes on there.
func TestWhatsAppCloudQuietCitizen(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startCloud(t, db, cloudOptions{})
		h := b.h
		c := &cloudCitizen{t: t, b: b, phone: "6281377700001"}
		code := c.file()
		registerWebOfficer(t, h, "PUPR", models.RolePetugas, "web-petugas")
		b.settle()
		c.seen = len(b.fake.Messages(c.phone))

		h.clock.Advance(25 * time.Hour)
		h.send("web-petugas", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "aksi:balas:" + code})
		h.send("web-petugas", bot.Inbound{Kind: bot.KindText, Text: "Tim kami\nakan meninjau lokasi besok pagi."})
		m := c.replies(1)[0]
		require.Equal(t, "template", m.Type)
		require.Equal(t, "suarawarga_tanggapan", m.Template)
		require.Contains(t, m.Text, `"Tim kami akan meninjau lokasi besok pagi."`)

		h.send("web-petugas", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "aksi:selesai:" + code})
		h.send("web-petugas", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "lewati"})
		h.send("web-petugas", bot.Inbound{Kind: bot.KindText, Text: "Lubang sudah ditambal."})
		b.settle()
		m = c.replies(1)[0]
		require.Equal(t, "suarawarga_selesai", m.Template, "the survey goes as the notice's template, nothing free-form")
		require.Contains(t, m.Text, "Apakah masalah Anda sudah benar-benar selesai?")
		require.Equal(t, []string{"Ya, sudah selesai", "Belum"}, m.Buttons)
		time.Sleep(100 * time.Millisecond)
		require.Len(t, b.fake.Messages(c.phone), c.seen, "the survey question is not sent outside the window")

		m = c.press("Ya, sudah selesai", 2)
		require.Contains(t, m.Text, "Seberapa puas")
		m = c.press("5")
		require.Contains(t, m.Text, "Ada saran")
		m = c.press("Lewati")
		require.Contains(t, m.Text, "Terima kasih atas penilaian")
		var cmp models.Complaint
		require.NoError(t, db.Where("code = ?", code).Take(&cmp).Error)
		require.Equal(t, complaint.StatusDitutup, cmp.Status)
		require.NotNil(t, cmp.Rating)
		require.Equal(t, 5, *cmp.Rating)
		b.settle()
		require.Eventually(t, func() bool {
			var n int64
			require.NoError(t, db.Model(&models.Message{}).Where("channel = ? AND direction = ? AND status = ? AND delivered_at IS NOT NULL",
				whatsappcloud.Name, models.DirectionOut, models.MessageSent).Count(&n).Error)
			var sent int64
			require.NoError(t, db.Model(&models.Message{}).Where("channel = ? AND direction = ? AND status = ?",
				whatsappcloud.Name, models.DirectionOut, models.MessageSent).Count(&sent).Error)
			return n == sent && n > 0
		}, 10*time.Second, 20*time.Millisecond, "every sent message is recorded delivered")
		st := h.app.Cloud.State()
		require.Equal(t, int64(2), st.TemplatesSent)
		require.Positive(t, st.Dropped)
	})
}

// TestWhatsAppCloudDuplicate delivers the same webhook twice (Meta did not
// see the 200): one complaint, one reply each.
func TestWhatsAppCloudDuplicate(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startCloud(t, db, cloudOptions{})
		c := &cloudCitizen{t: t, b: b, phone: "6281377700002"}
		c.file()
		// A text and a tap, each delivered again.
		id := b.fake.SendText(c.phone, "menu")
		c.replies(1)
		require.NoError(t, b.fake.Duplicate(id))
		tap, err := b.fake.Press(c.phone, "ℹ️ Bantuan")
		require.NoError(t, err)
		c.replies(1)
		require.NoError(t, b.fake.Duplicate(tap))
		b.settle()
		time.Sleep(200 * time.Millisecond)
		require.Len(t, b.fake.Messages(c.phone), c.seen, "a duplicate gets no second reply")
		require.Equal(t, int64(1), complaintCount(t, db))
		var in int64
		require.NoError(t, db.Model(&models.Message{}).Where("direction = ? AND platform_id = ?", models.DirectionIn, id).Count(&in).Error)
		require.Equal(t, int64(1), in)
	})
}

// TestWhatsAppCloudRestartMidBatch stops the app while webhooks of many chats
// are being handled, starts a new one on the same database and checks every
// conversation continues with each reply sent exactly once.
func TestWhatsAppCloudRestartMidBatch(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := newTestClock()
		b := startCloud(t, db, cloudOptions{clock: clock})
		const chats = 10
		cits := make([]*cloudCitizen, chats)
		for i := range cits {
			cits[i] = &cloudCitizen{t: t, b: b, phone: fmt.Sprintf("62813888%05d", i)}
			cits[i].say("/start")
		}
		for _, c := range cits {
			_, err := b.fake.Press(c.phone, "📝 Buat pengaduan")
			require.NoError(t, err)
			b.fake.SendText(c.phone, "sekolah")
		}
		time.Sleep(30 * time.Millisecond)
		b.stop()
		t.Logf("when the app stopped: %d webhook calls not answered 200", b.fake.Pending())
		b2 := startCloud(t, db, cloudOptions{clock: clock, fake: b.fake})
		b2.settle()
		for _, c := range cits {
			c.b = b2
			ms := c.replies(2)
			require.Contains(t, ms[0].Text, "Laporan Anda tentang apa?")
			require.Contains(t, ms[1].Text, "Ceritakan masalahnya")
		}
		time.Sleep(200 * time.Millisecond)
		for _, c := range cits {
			require.Len(t, b2.fake.Messages(c.phone), c.seen, "chat %s got a reply twice", c.phone)
		}
		var queued int64
		require.NoError(t, db.Model(&models.Message{}).Where("status = ?", models.MessageQueued).Count(&queued).Error)
		require.Zero(t, queued)
	})
}

// TestWhatsAppCloudFaults runs conversations through throughput and pair rate
// errors, 5xx answers, slow answers and dropped connections: every reply
// arrives once, in order, and no rule is broken.
func TestWhatsAppCloudFaults(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		var mu sync.Mutex
		perChat := map[string]int{}
		lastFailed := map[string]bool{}
		var rate atomic.Int32
		rate.Store(2)
		b := startCloud(t, db, cloudOptions{})
		b.fake.SetFaults(func(r graphtest.Request) *graphtest.Fault {
			if r.Kind != "send" {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			perChat[r.To]++
			n := perChat[r.To]
			var f *graphtest.Fault
			// Never two failures in a row for one chat (the worker's retries back off).
			switch {
			case lastFailed[r.To]:
			case n == 2 && rate.Add(-1) >= 0:
				f = &graphtest.Fault{Code: whatsappcloud.CodeRateLimit}
			case n == 4:
				f = &graphtest.Fault{Code: whatsappcloud.CodePairRateLimit}
			case n == 6:
				return &graphtest.Fault{Delay: 200 * time.Millisecond} // slow, then answered
			case n == 7:
				f = &graphtest.Fault{HTTPStatus: http.StatusBadGateway}
			case n == 9:
				f = &graphtest.Fault{Delay: 100 * time.Millisecond, Drop: true}
			}
			lastFailed[r.To] = f != nil
			return f
		})
		var wg sync.WaitGroup
		for i := range 4 {
			c := &cloudCitizen{t: t, b: b, phone: fmt.Sprintf("62813999%05d", i)}
			wg.Go(func() {
				m := c.say("/start")
				require.Contains(t, m.Text, "Selamat datang")
				m = c.press("📝 Buat pengaduan")
				require.Contains(t, m.Text, "Laporan Anda tentang apa?")
				m = c.press("Sekolah")
				require.Contains(t, m.Text, "Ceritakan masalahnya")
				m = c.say("Atap ruang kelas 3 SD Negeri 5 Kayuagung bocor setiap hujan, murid dipindah", 2)
				require.Equal(t, []string{"Pilih kecamatan"}, m.Buttons)
				m = c.say("SD Negeri 5 Kayuagung, Jalan Merdeka")
				require.Contains(t, m.Text, "Ada foto?")
			})
		}
		wg.Wait()
		b.settle()
		require.Positive(t, b.fake.Count("send", whatsappcloud.CodeRateLimit))
		require.Positive(t, b.fake.Count("send", whatsappcloud.CodePairRateLimit))
		require.Positive(t, b.fake.Count("send", http.StatusBadGateway))
		require.Positive(t, b.fake.Count("send", -1), "some connections were dropped")
		require.Empty(t, b.fake.Violations())
	})
}

// TestWhatsAppCloudUnreachable: a person who blocked the number is marked
// unreachable and nothing more is queued for them, until they write again.
func TestWhatsAppCloudUnreachable(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startCloud(t, db, cloudOptions{})
		c := &cloudCitizen{t: t, b: b, phone: "6281377700003"}
		c.say("/start")
		b.fake.Block(c.phone)
		b.fake.SendText(c.phone, "menu")
		var cit models.Citizen
		require.Eventually(t, func() bool {
			require.NoError(t, db.Joins("JOIN identities ON identities.citizen_id = citizens.id").
				Where("identities.channel = ? AND identities.address = ?", whatsappcloud.Name, c.phone).Take(&cit).Error)
			return cit.Unreachable
		}, 10*time.Second, 20*time.Millisecond)
		b.settle()
		var failed int64
		require.NoError(t, db.Model(&models.Message{}).Where("citizen_id = ? AND status = ? AND error = ?", cit.ID, models.MessageFailed, "unreachable").Count(&failed).Error)
		require.Positive(t, failed)
		// They unblock and write: reachable again, and answered.
		b.fake.Unblock(c.phone)
		c.seen = len(b.fake.Messages(c.phone))
		m := c.say("menu")
		require.Contains(t, m.Text, "Apa yang ingin Anda lakukan?")
		require.NoError(t, db.Take(&cit, cit.ID).Error)
		require.False(t, cit.Unreachable)
	})
}

// TestWhatsAppCloudTokenExpired: Meta refuses the token (190): sending pauses,
// the admin hears of it on their other channel, and once a new token works the
// held replies go out and the admin is told.
func TestWhatsAppCloudTokenExpired(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startCloud(t, db, cloudOptions{cfg: func(c *Config) { c.WhatsAppCloud.PauseProbe = 300 * time.Millisecond }})
		h := b.h
		registerWebOfficer(t, h, "", models.RoleAdmin, "web-admin")
		before := len(h.sent("web-admin", 0))
		c := &cloudCitizen{t: t, b: b, phone: "6281377700004"}
		c.say("/start")
		b.fake.ExpireToken()
		b.fake.SendText(c.phone, "menu")
		require.Eventually(t, func() bool {
			h.waitDelivered("web-admin")
			ms := h.sent("web-admin", 0)
			return len(ms) > before && strings.Contains(ms[len(ms)-1].Text, "WHATSAPP_CLOUD_TOKEN")
		}, 15*time.Second, 20*time.Millisecond, "the admin is told on the web chat")
		require.True(t, h.app.Cloud.State().Paused)
		require.NotContains(t, h.app.Cloud.State().LastError, b.fake.Token)
		b.fake.RenewToken()
		m := c.replies(1)[0]
		require.Contains(t, m.Text, "Apa yang ingin Anda lakukan?", "the held reply goes out")
		require.Eventually(t, func() bool {
			h.waitDelivered("web-admin")
			ms := h.sent("web-admin", 0)
			return strings.Contains(ms[len(ms)-1].Text, "berjalan kembali")
		}, 15*time.Second, 20*time.Millisecond)
		require.False(t, h.app.Cloud.State().Paused)
	})
}

// TestWhatsAppCloudHeldNotice: a notice with no template outside the window
// waits for the person, and goes out before the answer to what they write.
func TestWhatsAppCloudHeldNotice(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		file := filepath.Join(t.TempDir(), "templat.yaml")
		require.NoError(t, os.WriteFile(file, []byte("templates:\n  notifikasi.diterima: {name: \"\"}\n"), 0o600))
		b := startCloud(t, db, cloudOptions{cfg: func(c *Config) { c.WhatsAppCloud.TemplatesFile = file }})
		h := b.h
		c := &cloudCitizen{t: t, b: b, phone: "6281377700005"}
		code := c.file()
		registerWebOfficer(t, h, "PUPR", models.RolePetugas, "web-petugas2")
		b.settle()
		c.seen = len(b.fake.Messages(c.phone))
		h.clock.Advance(30 * time.Hour)
		h.send("web-petugas2", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "aksi:terima:" + code})
		require.Eventually(t, func() bool {
			var n int64
			require.NoError(t, db.Model(&models.Message{}).Where("chat_id = ? AND status = ?", c.phone, models.MessageWaiting).Count(&n).Error)
			return n == 1
		}, 10*time.Second, 20*time.Millisecond)
		require.Len(t, b.fake.Messages(c.phone), c.seen)
		ms := func() []graphtest.Message { c.b.fake.SendText(c.phone, "halo"); return c.replies(2) }()
		require.Contains(t, ms[0].Text, "sudah diterima Dinas PUPR", "the notice first")
		require.Contains(t, ms[1].Text, "Selamat datang")
	})
}

// TestWhatsAppCloudOddInput feeds what a real number meets: kinds the bot
// cannot read, malformed messages, a username-only person: each is answered
// or ignored, and the chat carries on.
func TestWhatsAppCloudOddInput(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startCloud(t, db, cloudOptions{})
		c := &cloudCitizen{t: t, b: b, phone: "6281377700006"}
		c.say("/start")
		for kind, want := range map[string]string{"audio": "pesan suara", "sticker": "stiker", "video": "video", "document": "dokumen",
			"contacts": "kontak", "reaction": "reaksi", "unsupported": "jenis pesan ini"} {
			b.fake.SendKind(c.phone, kind)
			require.Contains(t, c.replies(1)[0].Text, want, kind)
		}
		b.fake.SendKind(c.phone, "system")
		b.fake.SendRaw(c.phone, `"type":"text","text":{"body":5}`)
		b.fake.SendRaw(c.phone, `"type":"text","text":{"body":"halo \u0000 dunia"}`)
		b.fake.SendRaw(c.phone, `"type":"text","text":{"body":"`+strings.Repeat("panjang ", 2000)+`"}`)
		b.settle()
		ms := c.replies(2)
		for _, m := range ms {
			require.NotEmpty(t, m.Text)
		}
		m := c.say("menu")
		require.Contains(t, m.Text, "Apa yang ingin Anda lakukan?")
		b.settle()
		require.Len(t, b.fake.Messages(c.phone), c.seen, "the system message and the malformed one get no answer")

		u := b.fake.AddUser(graphtest.User{UserID: "ID.55667788"})
		b.fake.SendText(u.UserID, "/start")
		got, err := b.fake.WaitMessages(u.UserID, 1, 20*time.Second)
		require.NoError(t, err)
		require.Contains(t, got[0].Text, "Selamat datang", "a username-only person is answered at their business-scoped id")
	})
}

func TestWhatsAppCloudConfig(t *testing.T) {
	for k, v := range map[string]string{"WHATSAPP_CLOUD_TOKEN": "t", "WHATSAPP_CLOUD_PHONE_NUMBER_ID": "123",
		"WHATSAPP_CLOUD_RATE": "50", "WHATSAPP_CLOUD_PAIR_GAP": "4s", "WHATSAPP_CLOUD_PAIR_BURST": "5"} {
		t.Setenv(k, v)
	}
	c, err := ConfigFromEnv()
	require.NoError(t, err)
	require.Equal(t, WhatsAppCloudConfig{Token: "t", PhoneNumberID: "123", Rate: 50, PairGap: 4 * time.Second, PairBurst: 5}, c.WhatsAppCloud)
	db := modeltest.Open(t, models.DialectSQLite)
	cfg := testConfig(t)
	cfg.WhatsAppCloud = c.WhatsAppCloud
	_, err = New(t.Context(), cfg, quietLogger(), Options{DB: db})
	require.ErrorContains(t, err, "WHATSAPP_CLOUD_APP_SECRET, WHATSAPP_CLOUD_VERIFY_TOKEN", "a half-configured channel is refused with what is missing")
	t.Setenv("WHATSAPP_CLOUD_PAIR_GAP", "sebentar")
	_, err = ConfigFromEnv()
	require.Error(t, err)
}

// TestREADMEListsCloudTemplates keeps the README's template texts the ones the bot sends.
func TestREADMEListsCloudTemplates(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	tpls := whatsappcloud.DefaultTemplates()
	for _, k := range tpls.Keys() {
		tpl, _ := tpls.For(k)
		require.Contains(t, string(readme), "`"+tpl.Name+"`", k)
		for _, line := range strings.Split(tpl.Body, "\n") {
			require.Contains(t, string(readme), line, "README shows the body of %s", tpl.Name)
		}
	}
}

// TestEveryNoticeHasACloudTemplate reads the notices the complaint lifecycle
// and the app send and checks that each kind has a template, so none waits
// for a person who went quiet only because nobody wrote its template.
func TestEveryNoticeHasACloudTemplate(t *testing.T) {
	var src strings.Builder
	for _, glob := range []string{"../complaint/*.go", "*.go"} {
		files, err := filepath.Glob(glob)
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			src.Write(data)
		}
	}
	found := map[string]bool{}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`to(?:Citizen|Officers)\("([a-z_.]+)"(\s*\+)?`),
		regexp.MustCompile(`(?s)Notification\{[^}]*?Key:\s*"([a-z_.]+)"(\s*\+)?`),
		regexp.MustCompile(`tellAdmins\(ctx, "([a-z_.]+)"()`),
	} {
		for _, m := range re.FindAllStringSubmatch(src.String(), -1) {
			if m[2] != "" { // a key with the deadline appended
				for _, d := range []string{"route", "respond", "resolve"} {
					found[m[1]+d] = true
				}
				continue
			}
			found[m[1]] = true
		}
	}
	require.Greater(t, len(found), 15, "the notices were found in the source: %v", found)
	tpls := whatsappcloud.DefaultTemplates()
	for key := range found {
		_, ok := tpls.For(key)
		require.Truef(t, ok, "notice %s has no WhatsApp Cloud API template (bot/whatsappcloud/templates.go, README)", key)
	}
}
