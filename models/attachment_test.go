package models_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/media/mediatest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestSaveAttachmentStoresNoMetadata: whatever a phone hid in the file, no
// stored byte holds it, and the picture stays upright.
func TestSaveAttachmentStoresNoMetadata(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		for _, f := range mediatest.Fixtures(t) {
			a, err := models.SaveAttachment(ctx, db, dir, f.Data, f.MIME, 10<<20)
			require.NoError(t, err, f.Name)
			for _, p := range []string{a.Path, a.Preview()} {
				data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
				require.NoError(t, err)
				mediatest.AssertClean(t, f.Name+" "+p, data)
				mediatest.AssertUpright(t, f.Name+" "+p, data)
			}
		}
		// Nothing under the data directory holds the identity, temporary files included.
		require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			mediatest.AssertClean(t, path, data)
			return nil
		}))
	})
}

// TestCleanLegacyAttachments: a photo stored byte for byte before cleaning
// existed is cleaned in place (same id), the messages naming its file follow
// it, and its old file is removed.
func TestCleanLegacyAttachments(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		var legacy []models.Attachment
		for i, f := range mediatest.Fixtures(t) {
			rel := "attachments/00/legacy" + string(rune('a'+i)) + ".bin"
			full := filepath.Join(dir, filepath.FromSlash(rel))
			require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o750))
			require.NoError(t, os.WriteFile(full, f.Data, 0o600))
			old := time.Now().Add(-48 * time.Hour)
			require.NoError(t, os.Chtimes(full, old, old))
			a := models.Attachment{SHA256: "legacy-" + f.Name, Path: rel, MIME: f.MIME, Size: int64(len(f.Data)), CreatedAt: old}
			require.NoError(t, db.Create(&a).Error)
			legacy = append(legacy, a)
		}
		broken := models.Attachment{SHA256: "legacy-missing", Path: "attachments/00/missing.jpg", MIME: "image/jpeg", CreatedAt: time.Now()}
		require.NoError(t, db.Create(&broken).Error)
		cit := models.Citizen{Lang: "id"}
		require.NoError(t, db.Create(&cit).Error)
		queued := models.Message{CitizenID: cit.ID, Direction: models.DirectionOut, Channel: "webchat", ChatID: "c", Kind: "photo",
			Payload: `{"text":"Foto","photo_path":"` + legacy[0].Path + `"}`, Status: models.MessageQueued, CreatedAt: time.Now()}
		require.NoError(t, db.Create(&queued).Error)

		// Served before the command ran: cleaned on the way out.
		a, err := models.Servable(ctx, db, dir, legacy[2].ID)
		require.NoError(t, err)
		require.True(t, a.Cleaned())
		data, err := os.ReadFile(filepath.Join(dir, a.Preview()))
		require.NoError(t, err)
		mediatest.AssertClean(t, "servable", data)

		dry, err := models.CleanAll(ctx, db, dir, true, nil)
		require.NoError(t, err)
		require.Equal(t, 3, dry.Uncleaned)
		require.Equal(t, 0, dry.Cleaned)
		require.Equal(t, 1, dry.Removed, "the old file of the photo served above")
		require.FileExists(t, filepath.Join(dir, legacy[2].Path), "a dry run removes nothing")

		var calls int
		rep, err := models.CleanAll(ctx, db, dir, false, func(done, total int) { calls++ })
		require.NoError(t, err)
		require.Equal(t, 3, rep.Uncleaned)
		require.Equal(t, 2, rep.Cleaned)
		require.Len(t, rep.Failed, 1, "the row whose file is gone")
		require.Equal(t, 3, calls)
		require.Equal(t, 3, rep.Removed)

		for _, l := range legacy {
			var got models.Attachment
			require.NoError(t, db.Take(&got, l.ID).Error)
			require.True(t, got.Cleaned())
			require.NotEqual(t, l.Path, got.Path)
			require.NoFileExists(t, filepath.Join(dir, l.Path))
			for _, p := range []string{got.Path, got.Preview()} {
				data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
				require.NoError(t, err)
				mediatest.AssertClean(t, p, data)
				mediatest.AssertUpright(t, p, data)
			}
		}
		var m models.Message
		require.NoError(t, db.Take(&m, queued.ID).Error)
		var first models.Attachment
		require.NoError(t, db.Take(&first, legacy[0].ID).Error)
		require.Contains(t, m.Payload, `"photo_path":"`+first.Preview()+`"`, "a queued message sends the cleaned preview")

		// Again: nothing left to do.
		rep, err = models.CleanAll(ctx, db, dir, false, nil)
		require.NoError(t, err)
		require.Equal(t, models.CleanReport{Uncleaned: 1, Failed: rep.Failed}, rep)
	})
}
