package app

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// fileComplaint walks one citizen through the whole complaint flow by buttons and typing.
func fileComplaint(h *harness, chat string) error {
	steps := []bot.Inbound{
		{Kind: bot.KindText, Text: "/start"},
		{Kind: bot.KindChoice, ChoiceID: "pengaduan"},
		{Kind: bot.KindText, Text: "1"},
		{Kind: bot.KindText, Text: "Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh"},
		{Kind: bot.KindLocation, Lat: -3.3937, Lng: 104.8306},
		{Kind: bot.KindChoice, ChoiceID: "lewati"},
		{Kind: bot.KindText, Text: "tanpa nama"}, // answers both identity questions (web chat: no name; known chat: confidential)
		{Kind: bot.KindChoice, ChoiceID: "kirim"},
	}
	for _, in := range steps {
		if err := h.sendErr(chat, in); err != nil {
			return fmt.Errorf("%s: %w", chat, err)
		}
		if in.Kind == bot.KindLocation {
			// Another citizen may have reported the same road here already: file anyway.
			var last models.Message
			if err := h.db.Where("chat_id = ? AND direction = ?", chat, models.DirectionOut).Order("id DESC").Take(&last).Error; err != nil {
				return fmt.Errorf("%s: %w", chat, err)
			}
			if strings.Contains(last.Text, "laporan serupa") {
				if err := h.sendErr(chat, bot.Inbound{Kind: bot.KindChoice, ChoiceID: "baru"}); err != nil {
					return fmt.Errorf("%s: %w", chat, err)
				}
			}
		}
	}
	return nil
}

var ticketRe = regexp.MustCompile(`OKI-\d{4}-\d{4}`)

func TestConcurrentCitizensGetDistinctTickets(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		const citizens = 200
		var wg sync.WaitGroup
		errs := make(chan error, citizens)
		for i := range citizens {
			wg.Go(func() { errs <- fileComplaint(h, fmt.Sprintf("warga-%03d", i)) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		h.waitDelivered("")

		var codes []string
		require.NoError(t, db.Model(&models.Complaint{}).Pluck("code", &codes).Error)
		require.Len(t, codes, citizens)
		seen := map[string]bool{}
		for _, c := range codes {
			require.False(t, seen[c], "duplicate ticket %s", c)
			seen[c] = true
		}
		// Every citizen got exactly one confirmation, carrying their own ticket.
		confirmed := map[string]string{}
		var outs []models.Message
		require.NoError(t, db.Where("direction = ? AND status = ?", models.DirectionOut, models.MessageSent).Find(&outs).Error)
		for _, m := range outs {
			if strings.Contains(m.Text, "Nomor laporan") {
				code := ticketRe.FindString(m.Text)
				require.NotEmpty(t, code)
				require.Empty(t, confirmed[m.ChatID], "two confirmations for %s", m.ChatID)
				confirmed[m.ChatID] = code
			}
		}
		require.Len(t, confirmed, citizens)
		for chat, code := range confirmed {
			var c models.Complaint
			require.NoError(t, db.Where("code = ?", code).First(&c).Error)
			var ident models.Identity
			require.NoError(t, db.Where("citizen_id = ?", c.CitizenID).First(&ident).Error)
			require.Equal(t, chat, ident.Address, "ticket %s went to the wrong citizen", code)
		}
	})
}

// TestCrashAfterCommitBeforeDelivery: a process commits a citizen's message and
// dies before its reply is delivered. The next process sends that reply exactly
// once and the conversation continues where it was.
func TestCrashAfterCommitBeforeDelivery(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		dying := newHarness(t, db, Options{NoWorkers: true})
		dying.send("warga-crash", bot.Inbound{Kind: bot.KindText, Text: "/start", MessageID: "m1"})
		dying.send("warga-crash", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "pengaduan", MessageID: "m2"})
		var queued int64
		require.NoError(t, db.Model(&models.Message{}).Where("direction = ? AND status = ?", models.DirectionOut, models.MessageQueued).Count(&queued).Error)
		require.EqualValues(t, 2, queued, "both replies are committed but not delivered")

		// The platform redelivers m2 after the crash: it must not be answered twice.
		next := newHarness(t, db, Options{})
		next.send("warga-crash", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "pengaduan", MessageID: "m2"})
		next.waitDelivered("warga-crash")
		sent := next.sent("warga-crash", 0)
		require.Len(t, sent, 2)
		require.Contains(t, sent[0].Text, "Selamat datang")
		require.Contains(t, sent[1].Text, "Laporan Anda tentang apa?")
		for _, m := range sent {
			require.NotNil(t, m.PlatformID, "delivery records the platform's id")
		}

		// The conversation continues at the category question.
		next.send("warga-crash", bot.Inbound{Kind: bot.KindText, Text: "sampah", MessageID: "m3"})
		next.waitDelivered("warga-crash")
		after := next.sent("warga-crash", sent[1].ID)
		require.Len(t, after, 1)
		require.Contains(t, after[0].Text, "Ceritakan masalahnya")

		var in int64
		require.NoError(t, db.Model(&models.Message{}).Where("direction = ?", models.DirectionIn).Count(&in).Error)
		require.EqualValues(t, 3, in, "the redelivered message is recorded once")
	})
}

// TestDeliveryResumesAfterKill: a process killed while delivering leaves its
// job "running" in River (for RescueStuckJobsAfter) and a message in flight;
// the next process delivers the chat within 10 s of starting, nothing twice.
func TestDeliveryResumesAfterKill(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		dying := newHarness(t, db, Options{NoWorkers: true})
		dying.send("warga-kill", bot.Inbound{Kind: bot.KindText, Text: "/start", MessageID: "k1"})
		dying.send("warga-kill", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "pengaduan", MessageID: "k2"})
		// The dead process had fetched the chat's jobs and was sending the first reply.
		require.NoError(t, db.Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ? WHERE kind = 'deliver'`, time.Now().UTC()).Error)
		var first models.Message
		require.NoError(t, db.Where("direction = ? AND chat_id = ?", models.DirectionOut, "warga-kill").Order("id").First(&first).Error)
		require.NoError(t, db.Model(&first).Update("status", models.MessageSending).Error)

		started := time.Now()
		next := newHarness(t, db, Options{})
		require.Eventually(t, func() bool { return len(next.sent("warga-kill", 0)) == 2 }, 10*time.Second, 20*time.Millisecond,
			"the stranded chat is delivering again within 10 s")
		t.Logf("delivered %s after the restart", time.Since(started).Round(time.Millisecond))
		sent := next.sent("warga-kill", 0)
		require.Contains(t, sent[0].Text, "Selamat datang")
		require.Contains(t, sent[1].Text, "Laporan Anda tentang apa?")
	})
}

// TestPanicInHandlerApologizes: a message that makes the handler panic gets an
// apology, is recorded, and its redelivery is dropped.
func TestBrokenInputIsAnsweredNotLost(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		// Empty text, odd Unicode, a huge message, invalid UTF-8, an unsupported kind and a non-image "photo".
		inputs := []bot.Inbound{
			{Kind: bot.KindText, Text: ""},
			{Kind: bot.KindText, Text: "\u202e\u200b🙏🏽 ذ ﷽"},
			{Kind: bot.KindText, Text: strings.Repeat("panjang ", 20000)},
			{Kind: bot.KindText, Text: "jalan \xff\xfe rusak"},
			{Kind: bot.KindUnsupported, Unsupported: "voice"},
			{Kind: bot.KindPhoto, Photo: []byte("%PDF-1.4 not an image"), PhotoMIME: "application/pdf"},
			{Kind: bot.KindPhoto, Photo: make([]byte, 2<<20), PhotoMIME: "image/jpeg"},
		}
		for i, in := range inputs {
			in.MessageID = fmt.Sprint("odd-", i)
			h.send("warga-odd", in)
		}
		h.waitDelivered("warga-odd")
		sent := h.sent("warga-odd", 0)
		require.GreaterOrEqual(t, len(sent), len(inputs), "every input gets an answer")
		joined := ""
		for _, m := range sent {
			require.NotEmpty(t, strings.TrimSpace(m.Text))
			joined += m.Text + "\n"
		}
		require.Contains(t, joined, "pesan suara")
		require.Contains(t, joined, "bukan foto")
		require.Contains(t, joined, "terlalu besar")
	})
}
