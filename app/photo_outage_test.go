package app

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestPhotoDuringDatabaseOutage: storing a photo fails because the database is
// restarting (found by cmd/swchaos). The message is not taken, so the platform
// delivers it again, and the citizen is never told their photo failed; once the
// database is back the same message goes through and the flow carries on.
func TestPhotoDuringDatabaseOutage(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{NoWorkers: true})
		h.knownCitizens() // asked the identity question, as on Telegram
		const chat = "outage-photo"
		for _, in := range []bot.Inbound{
			{Kind: bot.KindText, Text: "/start"},
			{Kind: bot.KindChoice, ChoiceID: "pengaduan"},
			{Kind: bot.KindText, Text: "1"},
			{Kind: bot.KindText, Text: "Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh"},
			{Kind: bot.KindLocation, Lat: -3.3937, Lng: 104.8306},
		} {
			h.send(chat, in)
		}
		var down atomic.Bool
		down.Store(true)
		require.NoError(t, db.Callback().Query().Before("gorm:query").Register("test:attachments_down", func(tx *gorm.DB) {
			if down.Load() && tx.Statement.Table == "attachments" {
				_ = tx.AddError(errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
			}
		}))
		t.Cleanup(func() { _ = db.Callback().Query().Remove("test:attachments_down") })
		var before int64
		require.NoError(t, db.Model(&models.Message{}).Where("chat_id = ?", chat).Count(&before).Error)

		photo := bot.Inbound{Kind: bot.KindPhoto, Photo: testPNG(3), PhotoMIME: "image/png", MessageID: "the-photo"}
		require.Error(t, h.sendErr(chat, photo), "the platform must deliver the photo again")
		var after int64
		require.NoError(t, db.Model(&models.Message{}).Where("chat_id = ?", chat).Count(&after).Error)
		require.Equal(t, before, after, "nothing recorded, nothing queued for the citizen")

		down.Store(false)
		require.NoError(t, h.sendErr(chat, photo), "delivered again, the photo is taken")
		var outs []models.Message
		require.NoError(t, db.Where("chat_id = ? AND direction = ?", chat, models.DirectionOut).Order("id").Find(&outs).Error)
		last := outs[len(outs)-1].Text
		require.Contains(t, last, "identitas", "the flow carries on after the photo")
		for _, m := range outs {
			require.False(t, strings.Contains(m.Text, "gagal kami simpan"), "the citizen was told the photo failed: %q", m.Text)
		}
		var withPhoto int64
		require.NoError(t, db.Model(&models.Attachment{}).Count(&withPhoto).Error)
		require.Equal(t, int64(1), withPhoto)
	})
}
