package app

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestTelegramOfficerAnswers: over the real Telegram client and the fake Bot API,
// an officer registers with the deep link, gets a new complaint with its photo,
// map point and buttons, accepts it and replies; the citizen gets the reply.
func TestTelegramOfficerAnswers(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := newFake(t, tgLimits)
		b := startTelegram(t, db, fake, tgOptions{})
		code, err := b.app.Complaints.Invite(t.Context(), db, "PUPR", "Budi", models.RolePetugas, 72*time.Hour)
		require.NoError(t, err)

		officer := &citizen{t: t, fake: fake, chat: 5001}
		m := officer.say("/start daftar_" + code)
		require.Contains(t, m.Text, "Selamat bergabung, Budi")

		warga := &citizen{t: t, fake: fake, chat: 5002}
		ticket := warga.fileByButtons()

		// One message: the photo with the text as its caption and the buttons under it,
		// the map point as a link in the text.
		news := officer.replies(1)
		n := news[0]
		require.Equal(t, "sendPhoto", n.Method)
		require.NotEmpty(t, n.Photo)
		require.Contains(t, n.Text, "Laporan baru untuk Dinas PUPR — "+ticket)
		require.Contains(t, n.Text, "query=-3.393700,104.830600", "the map point is a link in the caption")
		var labels []string
		for _, row := range n.Inline {
			for _, b := range row {
				labels = append(labels, b.Text)
				require.Contains(t, b.Data, ticket, "every button names its complaint")
			}
		}
		require.Contains(t, labels, "✅ Terima")
		m = officer.press("✅ Terima")
		require.Contains(t, m.Text, "Anda terima")
		require.Contains(t, warga.replies(1)[0].Text, "sudah diterima Dinas PUPR")

		m = officer.say("/lihat " + ticket)
		require.Equal(t, "sendPhoto", m.Method, "the details are the photo's caption")
		require.Contains(t, m.Text, "Laporan "+ticket)
		require.NotEmpty(t, m.Inline)
		m = officer.press("💬 Balas")
		require.Contains(t, m.Text, "Ketik balasan")
		m = officer.say("Tim kami meninjau lokasi besok pagi.")
		require.Contains(t, m.Text, "sudah diteruskan kepada pelapor")
		reply := warga.replies(1)[0]
		require.Contains(t, reply.Text, "Tanggapan untuk laporan "+ticket)
		require.Contains(t, reply.Text, "Tim kami meninjau lokasi besok pagi.")
	})
}

// TestTelegramNoticesArriveOnePerComplaint: reports filed at once reach the
// officer as one message each, its buttons under its own ticket; a description
// too long for a caption is shortened to fit (the fake Bot API fails the test on
// a caption over 1024 characters) and points to /lihat for the rest.
func TestTelegramNoticesArriveOnePerComplaint(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := newFake(t, tgLimits)
		b := startTelegram(t, db, fake, tgOptions{})
		code, err := b.app.Complaints.Invite(t.Context(), db, "PUPR", "Budi", models.RolePetugas, 72*time.Hour)
		require.NoError(t, err)
		officer := &citizen{t: t, fake: fake, chat: 5101}
		officer.say("/start daftar_" + code)

		long := "Jalan rusak parah di depan pasar. " + strings.Repeat("Lubangnya makin dalam setiap hujan turun dan motor sering terjatuh. ", 25)
		w1 := &citizen{t: t, fake: fake, chat: 5102}
		w2 := &citizen{t: t, fake: fake, chat: 5103}
		t1 := w1.fileByButtons()
		t2 := w2.fileDescribing(long)

		news := officer.replies(2)
		for i, ticket := range []string{t1, t2} {
			n := news[i]
			require.Equal(t, "sendPhoto", n.Method, "notice %d", i)
			require.Contains(t, n.Text, ticket)
			require.NotEmpty(t, n.Inline)
			for _, row := range n.Inline {
				for _, b := range row {
					require.True(t, strings.HasSuffix(b.Data, ":"+ticket), "button %q of notice %s", b.Data, ticket)
				}
			}
		}
		require.LessOrEqual(t, len([]rune(news[1].Text)), 1024)
		require.Contains(t, news[1].Text, "…")
		require.Contains(t, news[1].Text, "/lihat "+t2)
		require.Contains(t, news[1].Text, "Batas tanggapan", "the deadline survives the shortening")
		require.Empty(t, fake.Violations())

		// The buttons of the first notice act on the first complaint.
		_, err = fake.PressIn(5101, news[0].ID, "✅ Terima")
		require.NoError(t, err)
		m := officer.replies(1)[0]
		require.Contains(t, m.Text, t1)
		require.Contains(t, w1.replies(1)[0].Text, "sudah diterima")
	})
}

// TestOfficerOfAnotherOPDIsRefusedEverywhere: an officer of DLH cannot see, answer
// or change a PUPR complaint by any chat route, and a confidential reporter's name
// appears in no message to any officer.
func TestOfficerOfAnotherOPDIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newPartyRunner(t, db)
		h := r.h
		steps := []bot.Inbound{
			{Kind: bot.KindText, Text: "/start", Name: "Siti Rahmawati"},
			{Kind: bot.KindChoice, ChoiceID: "pengaduan"},
			{Kind: bot.KindText, Text: "1"},
			{Kind: bot.KindText, Text: "Jembatan kayu di Desa Sukadamai lapuk dan hampir roboh, anak sekolah lewat setiap hari"},
			{Kind: bot.KindLocation, Lat: -3.39, Lng: 104.83},
			{Kind: bot.KindChoice, ChoiceID: "lewati"},
			{Kind: bot.KindChoice, ChoiceID: "rahasia"},
			{Kind: bot.KindChoice, ChoiceID: "kirim"},
		}
		for _, in := range steps {
			h.send(r.chats["warga"], in)
		}
		h.waitDelivered("")
		r.collect()
		const ticket = "OKI-2611-0001"

		dlh := r.chats["petugas_dlh"]
		forged := []bot.Inbound{
			{Kind: bot.KindChoice, ChoiceID: "aksi:terima:" + ticket},
			{Kind: bot.KindChoice, ChoiceID: "aksi:balas:" + ticket},
			{Kind: bot.KindChoice, ChoiceID: "aksi:selesai:" + ticket},
			{Kind: bot.KindChoice, ChoiceID: "aksi:tolak:" + ticket},
			{Kind: bot.KindChoice, ChoiceID: "lihat:" + ticket},
			{Kind: bot.KindText, Text: "/lihat " + ticket},
			{Kind: bot.KindText, Text: "/balas " + ticket + " ini balasan palsu"},
		}
		for _, in := range forged {
			h.send(dlh, in)
		}
		h.waitDelivered("")
		refusals := r.collect()
		require.Len(t, refusals, len(forged), "every forged press or command gets an answer")
		for _, line := range refusals {
			require.True(t, strings.HasPrefix(line, "bot > petugas_dlh: Mohon maaf, laporan "+ticket+" bukan laporan dinas Anda"), line)
		}
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", ticket).Take(&c).Error)
		require.Equal(t, complaint.StatusTerdisposisi, c.Status, "nothing changed")
		var events int64
		require.NoError(t, db.Model(&models.ComplaintEvent{}).Where("complaint_id = ?", c.ID).Count(&events).Error)
		require.EqualValues(t, 2, events, "only dibuat and terdisposisi")

		// The PUPR officer works on it; the reporter's name never reaches an officer.
		pupr := r.chats["petugas"]
		for _, in := range []bot.Inbound{
			{Kind: bot.KindText, Text: "/lihat " + ticket},
			{Kind: bot.KindText, Text: "/tugas"},
			{Kind: bot.KindChoice, ChoiceID: "aksi:minta_info:" + ticket},
			{Kind: bot.KindText, Text: "Jembatan yang mana, dekat rumah siapa?"},
		} {
			h.send(pupr, in)
		}
		h.waitDelivered("")
		h.send(r.chats["warga"], bot.Inbound{Kind: bot.KindText, Text: "Dekat rumah saya, Siti Rahmawati, RT 03"})
		h.waitDelivered("")
		officerChats := []string{r.chats["petugas"], r.chats["kepala"], r.chats["petugas_dlh"], r.chats["admin"]}
		var toOfficers []models.Message
		require.NoError(t, db.Where("direction = ? AND chat_id IN ?", models.DirectionOut, officerChats).Find(&toOfficers).Error)
		require.NotEmpty(t, toOfficers)
		sawAnswer := false
		for _, m := range toOfficers {
			if strings.Contains(m.Text, "Dekat rumah saya") {
				sawAnswer = true // the citizen chose to write it in the answer; the bot itself never adds the name
				continue
			}
			require.NotContains(t, m.Text, "Siti Rahmawati", "a confidential reporter's name reached an officer")
			require.NotContains(t, m.Payload, "Siti Rahmawati")
		}
		require.True(t, sawAnswer, "the citizen's answer reached the officer")
	})
}

// TestQuotedReplyAnswersTheOPD: a citizen who left the answer flow can still
// answer the OPD's question by replying to (quoting) the question's message.
func TestQuotedReplyAnswersTheOPD(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newPartyRunner(t, db)
		h := r.h
		require.NoError(t, fileComplaint(h, r.chats["warga"]))
		h.waitDelivered("")
		const ticket = "OKI-2611-0001"
		h.send(r.chats["petugas"], bot.Inbound{Kind: bot.KindChoice, ChoiceID: "aksi:minta_info:" + ticket})
		h.send(r.chats["petugas"], bot.Inbound{Kind: bot.KindText, Text: "Lubangnya sebesar apa?"})
		h.waitDelivered("")
		var question models.Message
		require.NoError(t, db.Where("chat_id = ? AND text LIKE ?", r.chats["warga"], "%memerlukan keterangan tambahan%").Take(&question).Error)
		require.NotNil(t, question.PlatformID)

		h.send(r.chats["warga"], bot.Inbound{Kind: bot.KindText, Text: "menu"}) // leaves the answer flow
		h.send(r.chats["warga"], bot.Inbound{Kind: bot.KindText, Text: "Kira-kira satu meter, dalam sejengkal", ReplyTo: *question.PlatformID})
		h.waitDelivered("")
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", ticket).Take(&c).Error)
		require.Equal(t, complaint.StatusDiproses, c.Status, "the quoted answer reached the complaint")
		var relayed int64
		require.NoError(t, db.Model(&models.Message{}).Where("chat_id = ? AND text LIKE ?", r.chats["petugas"], "%Kira-kira satu meter%").Count(&relayed).Error)
		require.EqualValues(t, 1, relayed, "the officer got the answer")
	})
}
