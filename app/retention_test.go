package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/media/mediatest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// TestRetentionAfterAClockJump: a report closed (rejected) with a photo, then the clock
// jumps past RETENTION_YEARS: the periodic River job anonymizes it (description, address,
// map point, timeline texts, conversation messages), removes the photo's original and
// keeps its preview, and erases its silent reporter; a report closed after the jump and
// an open one keep everything. A dry run before counted the same and changed nothing.
func TestRetentionAfterAClockJump(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		ctx := t.Context()
		a := h.app
		h.knownCitizens()
		h.send("retensi-lama", bot.Inbound{Kind: bot.KindText, Text: "/start"})
		h.send("retensi-baru", bot.Inbound{Kind: bot.KindText, Text: "/start"})
		h.waitDelivered("")
		citizen := func(chat string) int64 {
			c, err := models.CitizenByIdentity(ctx, db, "webchat", chat)
			require.NoError(t, err)
			return c.ID
		}
		photo, err := models.SaveAttachment(ctx, db, a.Config.DataDir, mediatest.Variant(t, 8).Data, "image/png", 0)
		require.NoError(t, err)
		require.NotEqual(t, photo.Path, photo.Preview(), "a PNG has a preview of its own")
		lat, lng := -3.3937, 104.8306
		submit := func(cit int64, desc string, photos ...int64) *models.Complaint {
			c, err := a.Complaints.Submit(ctx, nil, complaint.SubmitInput{CitizenID: cit, Channel: "webchat", CategoryCode: "jalan",
				Description: desc, Address: "Jl. Mawar 7, rumah Bu Siti", Lat: &lat, Lng: &lng, AttachmentIDs: photos})
			require.NoError(t, err)
			return c
		}
		_, err = console.CreateUser(ctx, db, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin,
			Password: "kata-sandi-rahasia-123"}, console.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, nil, time.Now())
		require.NoError(t, err)
		var admin models.User
		require.NoError(t, db.Where("email = ?", "admin@oki.go.id").Take(&admin).Error)
		reject := func(code string) {
			_, err := a.Complaints.Reject(ctx, nil, code, complaint.ConsoleActor(&admin), "Bukan kewenangan kabupaten")
			require.NoError(t, err)
		}
		old := submit(citizen("retensi-lama"), "Jalan berlubang di depan rumah saya, Siti Rahayu, Jl. Mawar 7", photo.ID)
		reject(old.Code)
		open := submit(citizen("retensi-baru"), "Lampu jalan mati di gang Melati sejak seminggu")

		// Two years and a day later.
		h.clock.Set(h.clock.Now().AddDate(a.Config.Retention(), 0, 1))
		recent := submit(citizen("retensi-baru"), "Jembatan kayu di Desa Sukadamai patah sebagian")
		reject(recent.Code)

		now := h.clock.Now()
		dry, err := models.ApplyRetention(ctx, db, a.Config.DataDir, complaint.RetentionCutoff(now, a.Config.Retention()), now, true)
		require.NoError(t, err)
		require.Equal(t, models.RetentionReport{Complaints: 1, Originals: 1, Citizens: 1}, dry)
		var back models.Complaint
		require.NoError(t, db.Take(&back, old.ID).Error)
		require.NotEmpty(t, back.Description, "a dry run changes nothing")

		_, err = a.River.Insert(ctx, complaint.RetentionArgs{}, nil)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			var c models.Complaint
			require.NoError(t, db.Take(&c, old.ID).Error)
			return c.AnonymizedAt != nil
		}, 30*time.Second, 20*time.Millisecond)

		require.NoError(t, db.Take(&back, old.ID).Error)
		require.Empty(t, back.Description)
		require.Empty(t, back.Address)
		require.Nil(t, back.Lat)
		require.True(t, back.Confidential)
		require.Equal(t, complaint.StatusDitolak, back.Status, "status, category, OPD and dates stay for the statistics")
		require.NotNil(t, back.RegionID)
		var texts []string
		require.NoError(t, db.Model(&models.ComplaintEvent{}).Where("complaint_id = ? AND text <> ''", old.ID).Pluck("text", &texts).Error)
		require.Empty(t, texts)
		var att models.Attachment
		require.NoError(t, db.Take(&att, photo.ID).Error)
		require.Equal(t, att.PreviewPath, att.Path, "the original is gone, the preview stays")
		_, err = os.Stat(filepath.Join(a.Config.DataDir, filepath.FromSlash(photo.Path)))
		require.ErrorIs(t, err, os.ErrNotExist)
		_, err = os.Stat(filepath.Join(a.Config.DataDir, filepath.FromSlash(photo.PreviewPath)))
		require.NoError(t, err)
		var reporter models.Citizen
		require.NoError(t, db.Take(&reporter, old.CitizenID).Error)
		require.NotNil(t, reporter.ErasedAt, "a silent reporter whose reports are all anonymized is erased")
		var n int64
		require.NoError(t, db.Model(&models.Identity{}).Where("citizen_id = ?", reporter.ID).Count(&n).Error)
		require.Zero(t, n)

		for _, id := range []int64{open.ID, recent.ID} {
			var c models.Complaint
			require.NoError(t, db.Take(&c, id).Error)
			require.Nil(t, c.AnonymizedAt)
			require.NotEmpty(t, c.Description)
		}
		var other models.Citizen
		require.NoError(t, db.Take(&other, open.CitizenID).Error)
		require.Nil(t, other.ErasedAt)
	})
}
