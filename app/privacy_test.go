package app

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/telegram"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
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
