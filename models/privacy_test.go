package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestEraseCitizen: identities on two channels, the linked device's contact entry,
// messages (sent, queued, waiting) and the conversation's data go; the last request
// stays emptied when asked; other citizens keep everything.
func TestEraseCitizen(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
		c := models.Citizen{Name: "Siti Aminah", Lang: "id"}
		other := models.Citizen{Name: "Budi", Lang: "id"}
		require.NoError(t, db.Create(&c).Error)
		require.NoError(t, db.Create(&other).Error)
		require.NoError(t, db.Create(&[]models.Identity{
			{CitizenID: c.ID, Channel: "telegram", Address: "7340912"},
			{CitizenID: c.ID, Channel: "whatsapp", Address: "628129876501@s.whatsapp.net"},
			{CitizenID: other.ID, Channel: "telegram", Address: "111"},
		}).Error)
		require.NoError(t, db.Exec("CREATE TABLE whatsmeow_contacts (our_jid TEXT, their_jid TEXT, push_name TEXT)").Error)
		require.NoError(t, db.Exec("INSERT INTO whatsmeow_contacts VALUES ('bot', '628129876501@s.whatsapp.net', 'Siti'), ('bot', 'x@s.whatsapp.net', 'X')").Error)
		pid := "in-1"
		msgs := []models.Message{
			{CitizenID: c.ID, Direction: models.DirectionIn, Channel: "telegram", ChatID: "7340912", PlatformID: &pid, Text: "rumah saya di Jl. Mawar 7", Status: models.MessageReceived},
			{CitizenID: c.ID, Direction: models.DirectionOut, Channel: "telegram", ChatID: "7340912", Text: "terkirim", Status: models.MessageSent},
			{CitizenID: c.ID, Direction: models.DirectionOut, Channel: "telegram", ChatID: "7340912", Text: "menunggu", Status: models.MessageQueued},
			{CitizenID: c.ID, Direction: models.DirectionOut, Channel: "whatsapp", ChatID: "628129876501@s.whatsapp.net", Text: "nanti", Status: models.MessageWaiting},
			{CitizenID: c.ID, Direction: models.DirectionIn, Channel: "telegram", ChatID: "7340912", Text: "ya", Status: models.MessageReceived},
			{CitizenID: other.ID, Direction: models.DirectionIn, Channel: "telegram", ChatID: "111", Text: "halo", Status: models.MessageReceived},
		}
		for i := range msgs {
			msgs[i].CreatedAt = now
			require.NoError(t, db.Create(&msgs[i]).Error)
		}
		require.NoError(t, db.Create(&models.Conversation{CitizenID: c.ID, FlowID: "pengaduan", Status: models.ConversationActive,
			Data: `{"data":{"nama_warga":"Siti Aminah"}}`}).Error)

		var e models.Erasure
		require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
			var err error
			e, err = models.EraseCitizen(ctx, tx, c.ID, now, true)
			return err
		}))
		require.EqualValues(t, 2, e.Identities)
		require.EqualValues(t, 2, e.Cancelled, "the queued and the waiting message")
		require.EqualValues(t, 4, e.Messages)
		require.ElementsMatch(t, []string{"telegram", "whatsapp"}, e.Channels)
		require.NotContains(t, e.Detail(), "7340912", "the audit detail names no address")

		var back models.Citizen
		require.NoError(t, db.Take(&back, c.ID).Error)
		require.Empty(t, back.Name)
		require.NotNil(t, back.ErasedAt)
		var n int64
		require.NoError(t, db.Model(&models.Identity{}).Where("citizen_id = ?", c.ID).Count(&n).Error)
		require.Zero(t, n)
		var left []models.Message
		require.NoError(t, db.Where("citizen_id = ?", c.ID).Find(&left).Error)
		require.Len(t, left, 1, "only the request stays")
		require.Equal(t, msgs[4].ID, left[0].ID)
		require.Empty(t, left[0].Text)
		var cv models.Conversation
		require.NoError(t, db.Where("citizen_id = ?", c.ID).Take(&cv).Error)
		require.Equal(t, models.ConversationEnded, cv.Status)
		require.Empty(t, cv.Data)
		var contacts []string
		require.NoError(t, db.Raw("SELECT their_jid FROM whatsmeow_contacts").Scan(&contacts).Error)
		require.Equal(t, []string{"x@s.whatsapp.net"}, contacts)

		rec, err := models.CitizenRecordOf(ctx, db, other.ID)
		require.NoError(t, err)
		require.Equal(t, "Budi", rec.Citizen.Name)
		require.Len(t, rec.Identities, 1)
		require.Len(t, rec.Messages, 1)
	})
}
