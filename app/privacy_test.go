package app

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/telegram"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// noticeMark starts the privacy notice's text in every language.
const noticeMark = "🔒"

// TestPrivacyNoticeOncePerVersionPerChannel: a citizen's first reply on each channel
// carries the short privacy notice inside it (no extra message, no question), recorded
// with its version and time; later replies do not; a new version is shown once more;
// "/privasi" (or typing "privasi") shows it again and asks the waiting question again.
func TestPrivacyNoticeOncePerVersionPerChannel(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startAllChannels(t, db)
		web := newWebParty(b)
		parties := []struct {
			channel string
			p       party
		}{
			{telegram.Name, &tgParty{b: b, chat: 8301}},
			{whatsapp.Name, &waParty{b: b, phone: "628120009301"}},
			{webchat.Name, web},
		}
		// notices counts the outbound messages of the channel's one chat that carry the notice.
		notices := func(channel string) (withNotice, all int64) {
			q := db.Model(&models.Message{}).Where("direction = ? AND channel = ?", models.DirectionOut, channel)
			require.NoError(t, q.Session(&gorm.Session{}).Count(&all).Error)
			require.NoError(t, q.Where("text LIKE ?", "%"+noticeMark+"%").Count(&withNotice).Error)
			return withNotice, all
		}
		for _, c := range parties {
			c.p.say("/start")
			n, all := notices(c.channel)
			require.EqualValues(t, 1, n, "%s: the first reply carries the notice: %s", c.channel, b.transcript())
			require.EqualValues(t, 1, all, "%s: the notice is part of the reply, not a message of its own", c.channel)
			var last models.Message
			require.NoError(t, db.Where("direction = ? AND channel = ?", models.DirectionOut, c.channel).Order("id DESC").Take(&last).Error)
			require.Contains(t, last.Text, "Apa yang ingin Anda lakukan?", "the question stays last")
			require.Contains(t, last.Text, "/hapusdata")
			require.Contains(t, last.Text, "/privasi")

			var id models.Identity
			require.NoError(t, db.Where("channel = ?", c.channel).Take(&id).Error)
			require.Equal(t, bot.PrivacyNoticeVersion, id.NoticeVersion)
			require.NotNil(t, id.NoticeAt)

			c.p.say("/start")
			c.p.say("Buat pengaduan")
			n, _ = notices(c.channel)
			require.EqualValues(t, 1, n, "%s: shown once", c.channel)

			// Typed or as a command, the notice again, and the question waiting asked again.
			c.p.say("privasi")
			n, _ = notices(c.channel)
			require.EqualValues(t, 2, n, "%s: /privasi shows it again", c.channel)
			last = models.Message{} // gorm would look the old row up by its id
			require.NoError(t, db.Where("direction = ? AND channel = ?", models.DirectionOut, c.channel).Order("id DESC").Take(&last).Error)
			require.True(t, strings.HasPrefix(last.Text, noticeMark), b.transcript())
			require.Contains(t, last.Text, "Laporan Anda tentang apa?", "the report goes on")
		}
		// Telegram got the notice as sent, not only recorded.
		sent := false
		for _, m := range b.tg.Messages(8301) {
			sent = sent || strings.Contains(m.Text, noticeMark)
		}
		require.True(t, sent)

		// A new version of the notice: shown once more on each channel, then no more.
		b.app.Handler.PrivacyVersion = bot.PrivacyNoticeVersion + 1
		for _, c := range parties {
			c.p.say("/menu")
			c.p.say("/menu")
			n, _ := notices(c.channel)
			require.EqualValues(t, 3, n, "%s: the new version once", c.channel)
			var id models.Identity
			require.NoError(t, db.Where("channel = ?", c.channel).Take(&id).Error)
			require.Equal(t, bot.PrivacyNoticeVersion+1, id.NoticeVersion)
		}

		// The full text, without signing in: Indonesian first, English second.
		resp, err := http.Get(b.web.URL + "/privasi")
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		s := string(page)
		id, en := strings.Index(s, "Kebijakan privasi"), strings.Index(s, "Privacy policy")
		require.True(t, id > 0 && en > id, s)
		for _, want := range []string{"Pelindungan Data Pribadi", "2 tahun", "/hapusdata", "/datasaya", "3 × 24 jam", "Personal Data Protection"} {
			require.Contains(t, s, want)
		}
	})
}

// fileOpen files a plain (not confidential) road report without photos.
func fileOpen(t *testing.T, b *allChannels, p party, channel string) string {
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
	p.say("Lewati")
	if channel == webchat.Name {
		p.say("Pakai nama")
		p.say("Siti Aminah Rahayu")
	} else {
		p.say("Boleh (biasa)")
	}
	p.say("Kirim")
	var c models.Complaint
	require.NoError(t, b.db.Where("channel = ?", channel).Order("id DESC").Take(&c).Error, b.transcript())
	require.False(t, c.Confidential)
	return c.Code
}

// get fetches a page with c and returns its body (unzipped parts for an XLSX file).
func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
		var sb strings.Builder
		for _, f := range zr.File {
			rc, err := f.Open()
			require.NoError(t, err)
			part, _ := io.ReadAll(rc)
			rc.Close()
			sb.Write(part)
		}
		return sb.String()
	}
	return string(data)
}

// TestErasureLeavesNoIdentity: a citizen on Telegram, on WhatsApp and on the web chat
// each see their data (/datasaya; the web chat also as a file), ask to erase it (typed or
// /hapusdata), answer a no first and a yes then, and are told it is done. Afterwards no
// console page, export, metric, officer message or log holds their name or address,
// their messages and pending messages are gone, their reports stay (anonymized), and
// the erasure is in the audit log.
func TestErasureLeavesNoIdentity(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startAllChannels(t, db)
		ctx := t.Context()
		tgOfficer := &tgParty{b: b, chat: 8001}
		code, err := b.app.Complaints.Invite(ctx, db, "PUPR", "Petugas PUPR", models.RolePetugas, time.Hour)
		require.NoError(t, err)
		tgOfficer.say("/daftar " + code)

		tg := &tgParty{b: b, chat: 7340912}
		wa := &waParty{b: b, phone: "628129876501"}
		web := newWebParty(b)
		type citizen struct {
			channel string
			p       party
			code    string
			secrets []string // what identifies them
		}
		cs := []*citizen{
			{channel: telegram.Name, p: tg, secrets: []string{"Warga 7340912", "7340912"}},
			{channel: whatsapp.Name, p: wa, secrets: []string{"628129876501", "8129876501"}},
			{channel: webchat.Name, p: web, secrets: []string{"Siti Aminah Rahayu"}},
		}
		for _, c := range cs {
			c.code = fileOpen(t, b, c.p, c.channel)
		}
		var webCookie string
		for _, ck := range web.client.Jar.Cookies(mustURL(t, b.web.URL)) {
			if ck.Name == webchat.ChatCookie {
				webCookie = ck.Value
			}
		}
		require.NotEmpty(t, webCookie)
		cs[2].secrets = append(cs[2].secrets, webCookie)

		_, err = console.CreateUser(ctx, db, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin,
			Password: "kata-sandi-rahasia-123"}, console.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, nil, time.Now())
		require.NoError(t, err)
		admin := consoleHTTPLogin(t, b.web.URL, "admin@oki.go.id", "kata-sandi-rahasia-123")
		officerSeen := 0 // the officer's chat messages already counted: what was sent before cannot be unsent
		fetchable := func() string {
			var sb strings.Builder
			for _, c := range cs {
				sb.WriteString(get(t, admin, b.web.URL+"/konsol/pengaduan/"+c.code))
				tgOfficer.say("/lihat " + c.code)
			}
			sb.WriteString(get(t, admin, b.web.URL+"/konsol/pengaduan"))
			sb.WriteString(get(t, admin, b.web.URL+"/konsol/ekspor/pengaduan.csv"))
			sb.WriteString(get(t, admin, b.web.URL+"/konsol/ekspor/pengaduan.xlsx"))
			sb.WriteString(get(t, admin, b.web.URL+"/konsol/audit"))
			sb.WriteString(get(t, http.DefaultClient, b.web.URL+"/metrics"))
			ms := b.tg.Messages(8001)
			for _, m := range ms[officerSeen:] {
				sb.WriteString(m.Text)
			}
			officerSeen = len(ms)
			var texts []string
			require.NoError(t, db.Model(&models.Message{}).Pluck("text", &texts).Error)
			sb.WriteString(strings.Join(texts, "\n")) // every copy of every message kept
			return sb.String()
		}
		before := fetchable()
		require.Contains(t, before, "Warga 7340912", "the test sees an identity where there is one")
		require.Contains(t, before, "Siti Aminah Rahayu")

		// Their data, as a message (and on the web chat as a file).
		for _, c := range cs {
			c.p.say("data saya")
			var last models.Message
			require.NoError(t, db.Where("direction = ? AND channel = ?", models.DirectionOut, c.channel).Order("id DESC").Offset(1).Take(&last).Error)
			require.Contains(t, last.Text, "Data Anda yang kami simpan", c.channel)
			require.Contains(t, last.Text, c.code)
			require.NotContains(t, last.Text, webCookie, "the web chat's id is a credential: never shown")
		}
		items := web.items()
		var download string
		for _, it := range items {
			if it.DownloadURL != "" {
				download = it.DownloadURL
				require.Equal(t, "⬇️ Unduh data saya", it.DownloadLabel)
			}
		}
		require.Equal(t, "/api/chat/datasaya", download)
		file := get(t, web.client, b.web.URL+download)
		require.Contains(t, file, cs[2].code)
		require.Contains(t, file, "Siti Aminah Rahayu")
		require.Contains(t, file, "berlubang besar")
		require.NotContains(t, file, webCookie)
		other := newWebParty(b)
		other.say("/start")
		resp, err := other.client.Get(b.web.URL + download)
		require.NoError(t, err)
		otherFile, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NotContains(t, string(otherFile), "Siti Aminah Rahayu", "another browser gets only its own data")

		// Erase: a no first changes nothing, then a yes.
		for i, c := range cs {
			if i == 0 {
				c.p.say("/hapusdata")
			} else {
				c.p.say("hapus data saya")
			}
			c.p.say("Tidak")
			var n int64
			require.NoError(t, db.Model(&models.Identity{}).Where("channel = ?", c.channel).Count(&n).Error)
			require.NotZero(t, n, "%s: a no erases nothing", c.channel)
			c.p.say("/hapusdata")
			if p, ok := c.p.(*tgParty); ok {
				// The erasure takes the chat's messages with it: wait for the answer instead of counting them.
				b.tg.SendText(p.chat, "Ya")
				p.in = 1
			} else {
				c.p.say("Ya")
			}
			require.Eventually(t, func() bool {
				var last models.Message
				require.NoError(t, db.Where("direction = ? AND channel = ?", models.DirectionOut, c.channel).Order("id DESC").Limit(1).Find(&last).Error)
				return strings.Contains(last.Text, "Data Anda sudah kami hapus") && last.Status == models.MessageSent
			}, 30*time.Second, 10*time.Millisecond, "%s: the citizen is told: %s", c.channel, b.transcript())
		}
		sent := false
		for _, m := range b.tg.Messages(7340912) {
			sent = sent || strings.Contains(m.Text, "Data Anda sudah kami hapus")
		}
		require.True(t, sent, "Telegram delivered the answer")

		after := fetchable()
		for _, c := range cs {
			for _, s := range c.secrets {
				if i := strings.Index(after, s); i >= 0 {
					t.Fatalf("%s: %q left after erasure: …%s…", c.channel, s, after[max(0, i-300):min(len(after), i+100)])
				}
			}
			var comp models.Complaint
			require.NoError(t, db.Where("code = ?", c.code).Take(&comp).Error)
			require.True(t, comp.Confidential, "the report stays, anonymized")
			var cit models.Citizen
			require.NoError(t, db.Where("id = ?", comp.CitizenID).Take(&cit).Error)
			require.Empty(t, cit.Name)
			require.NotNil(t, cit.ErasedAt)
			var n int64
			require.NoError(t, db.Model(&models.Identity{}).Where("citizen_id = ?", cit.ID).Count(&n).Error)
			require.Zero(t, n)
			require.NoError(t, db.Model(&models.Message{}).Where("citizen_id = ? AND text <> ''", cit.ID).Count(&n).Error)
			require.EqualValues(t, 1, n, "only the answer that it is done is left (until the retention job)")
			var audit models.AuditEntry
			require.NoError(t, db.Where("action = ? AND object = ?", "warga.hapus_data", "warga:"+strconv.FormatInt(cit.ID, 10)).Take(&audit).Error)
			require.Contains(t, audit.Detail, c.channel)
		}
		require.Contains(t, after, "warga.hapus_data", "the audit page shows the erasure")
		logged := b.logs.text()
		for _, c := range cs {
			for _, s := range c.secrets {
				require.NotContains(t, logged, s, "log")
			}
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
