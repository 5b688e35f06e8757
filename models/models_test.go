package models_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// liveModels are every struct stored by this package, checked against the migrated schema.
var liveModels = []any{
	&models.Citizen{}, &models.Identity{}, &models.Conversation{}, &models.Message{}, &models.Agency{},
	&models.Category{}, &models.Region{}, &models.Complaint{}, &models.ComplaintEvent{}, &models.Attachment{},
	&models.ComplaintAttachment{}, &models.FlowRevision{}, &models.Regency{}, &models.Holiday{}, &models.TicketSequence{},
}

func TestMigrateIsIdempotentAndMatchesStructs(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		require.NoError(t, models.Migrate(ctx, db), "second run must be a no-op")

		var ids []string
		require.NoError(t, db.Raw(`SELECT id FROM schema_migrations ORDER BY id`).Scan(&ids).Error)
		// Each issue numbers its migrations from its own block, so the list (the
		// order they landed in) need not be in id order; every one is applied once.
		require.Equal(t, slices.Sorted(slices.Values(models.MigrationIDs())), ids)

		for _, m := range liveModels {
			stmt := &gorm.Statement{DB: db}
			require.NoError(t, stmt.Parse(m))
			require.True(t, db.Migrator().HasTable(stmt.Schema.Table), "table %s", stmt.Schema.Table)
			cols, err := db.Migrator().ColumnTypes(m)
			require.NoError(t, err)
			have := map[string]bool{}
			for _, c := range cols {
				have[c.Name()] = true
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName == "" {
					continue
				}
				require.True(t, have[f.DBName], "column %s.%s missing for field %s", stmt.Schema.Table, f.DBName, f.Name)
			}
			require.Len(t, have, len(stmt.Schema.DBNames), "table %s has columns the struct does not map", stmt.Schema.Table)
		}

		require.True(t, db.Migrator().HasTable("river_job"), "river tables migrated")
	})
}

func TestRiverTablesLiveBesideOurs(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		sqlDB, err := db.DB()
		require.NoError(t, err)
		var insert func(tx *sql.Tx) error
		if models.Dialect(db) == models.DialectPostgres {
			var inSchema int
			require.NoError(t, db.Raw(`SELECT COUNT(*) FROM information_schema.tables
				WHERE table_schema = current_schema() AND table_name IN ('river_job', 'complaints')`).Scan(&inSchema).Error)
			require.Equal(t, 2, inSchema, "river_job and complaints both in the test schema")
			client, err := river.NewClient(riverdatabasesql.New(sqlDB), &river.Config{})
			require.NoError(t, err)
			insert = func(tx *sql.Tx) error { _, err := client.InsertTx(ctx, tx, pingArgs{N: 1}, nil); return err }
		} else {
			client, err := river.NewClient(riversqlite.New(sqlDB), &river.Config{})
			require.NoError(t, err)
			insert = func(tx *sql.Tx) error { _, err := client.InsertTx(ctx, tx, pingArgs{N: 1}, nil); return err }
		}
		// A job commits atomically with the gorm transaction that caused it.
		err = db.Transaction(func(tx *gorm.DB) error {
			require.NoError(t, tx.Create(&models.Citizen{Name: "Budi", Lang: "id"}).Error)
			sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
			require.True(t, ok)
			return insert(sqlTx)
		})
		require.NoError(t, err)
		var jobs int64
		require.NoError(t, db.Raw(`SELECT COUNT(*) FROM river_job WHERE kind = 'modeltest_ping'`).Scan(&jobs).Error)
		require.EqualValues(t, 1, jobs)
	})
}

type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "modeltest_ping" }

func TestConstraints(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		c := models.Citizen{Name: "Siti", Lang: "id"}
		require.NoError(t, db.Create(&c).Error)

		// At most one active conversation per citizen.
		require.NoError(t, db.Create(&models.Conversation{CitizenID: c.ID, FlowID: "menu", Status: models.ConversationActive}).Error)
		err := db.Create(&models.Conversation{CitizenID: c.ID, FlowID: "pengaduan", Status: models.ConversationActive}).Error
		require.ErrorIs(t, err, gorm.ErrDuplicatedKey)
		require.NoError(t, db.Create(&models.Conversation{CitizenID: c.ID, FlowID: "status", Status: models.ConversationEnded}).Error)
		active, err := models.ActiveConversation(ctx, db, c.ID)
		require.NoError(t, err)
		require.Equal(t, "menu", active.FlowID)

		// Platform ids are unique per channel and direction; NULL may repeat.
		pid := "m-1"
		msg := func(dir string, id *string) error {
			return db.Create(&models.Message{CitizenID: c.ID, Direction: dir, Channel: "telegram", ChatID: "42",
				PlatformID: id, Status: models.MessageReceived}).Error
		}
		require.NoError(t, msg(models.DirectionIn, &pid))
		require.ErrorIs(t, msg(models.DirectionIn, &pid), gorm.ErrDuplicatedKey)
		require.NoError(t, msg(models.DirectionOut, &pid))
		require.NoError(t, msg(models.DirectionOut, nil))
		require.NoError(t, msg(models.DirectionOut, nil))

		// Foreign keys are enforced on both databases.
		err = db.Create(&models.Identity{CitizenID: 999999, Channel: "webchat", Address: "x"}).Error
		require.Error(t, err)

		// Times come back as the same instant.
		at := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
		cv := models.Conversation{CitizenID: c.ID, FlowID: "x", Status: models.ConversationEnded, ExpiresAt: &at}
		require.NoError(t, db.Create(&cv).Error)
		var back models.Conversation
		require.NoError(t, db.Take(&back, cv.ID).Error)
		require.NotNil(t, back.ExpiresAt)
		require.True(t, at.Equal(*back.ExpiresAt), "got %v", back.ExpiresAt)
	})
}

func TestEnsureCitizen(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		_, err := models.CitizenByIdentity(ctx, db, "telegram", "42")
		require.ErrorIs(t, err, models.ErrNotFound)

		c, created, err := models.EnsureCitizen(ctx, db, "telegram", "42", "Budi", "id")
		require.NoError(t, err)
		require.True(t, created)
		again, created, err := models.EnsureCitizen(ctx, db, "telegram", "42", "Budi S", "id")
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, c.ID, again.ID)

		// Racing callers end up with one citizen.
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Go(func() {
				got, _, err := models.EnsureCitizen(ctx, db, "whatsapp", "6281234@s.whatsapp.net", "", "id")
				errs[i] = err
				if err == nil {
					ids[i] = got.ID
				}
			})
		}
		wg.Wait()
		for i := range ids {
			require.NoError(t, errs[i])
			require.Equal(t, ids[0], ids[i])
		}
		var n int64
		require.NoError(t, db.Model(&models.Citizen{}).Count(&n).Error)
		require.EqualValues(t, 2, n)
	})
}

func TestFlowRevisions(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		_, err := models.LatestFlowRevision(ctx, db, "menu")
		require.ErrorIs(t, err, models.ErrNotFound)
		r1, err := models.SaveFlowRevision(ctx, db, "menu", "flow: menu # v1", "sistem", "impor awal")
		require.NoError(t, err)
		require.EqualValues(t, 1, r1.Revision)
		r2, err := models.SaveFlowRevision(ctx, db, "menu", "flow: menu # v2", "admin", "")
		require.NoError(t, err)
		require.EqualValues(t, 2, r2.Revision)
		_, err = models.SaveFlowRevision(ctx, db, "pengaduan", "flow: pengaduan", "sistem", "")
		require.NoError(t, err)

		latest, err := models.LatestFlowRevision(ctx, db, "menu")
		require.NoError(t, err)
		require.Equal(t, "flow: menu # v2", latest.Source)
		old, err := models.FlowRevisionByNumber(ctx, db, "menu", 1)
		require.NoError(t, err)
		require.Equal(t, "flow: menu # v1", old.Source)
		list, err := models.FlowRevisions(ctx, db, "menu")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.EqualValues(t, 2, list[0].Revision)
		require.Empty(t, list[0].Source)
	})
}

func TestSaveAttachment(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		img := pngBytes(t)

		a, err := models.SaveAttachment(ctx, db, dir, img, "image/png", 1<<20)
		require.NoError(t, err)
		require.Equal(t, "image/png", a.MIME)
		require.Equal(t, "attachments/"+a.SHA256[:2]+"/"+a.SHA256+".png", a.Path)
		require.True(t, a.Cleaned())
		require.Equal(t, [2]int{4, 4}, [2]int{a.Width, a.Height})
		onDisk, err := os.ReadFile(models.AttachmentFile(dir, a))
		require.NoError(t, err)
		require.EqualValues(t, len(onDisk), a.Size)
		sum := sha256.Sum256(onDisk)
		require.Equal(t, hex.EncodeToString(sum[:]), a.SHA256, "named by the stored (cleaned) bytes")
		decoded, err := png.Decode(bytes.NewReader(onDisk))
		require.NoError(t, err)
		require.Equal(t, color.NRGBA{R: 200, A: 255}, color.NRGBAModel.Convert(decoded.At(1, 1)), "the pixels are kept")
		// A PNG previews as a JPEG of its own.
		require.Equal(t, "attachments/"+a.SHA256[:2]+"/"+a.SHA256+".preview.jpg", a.Preview())
		require.FileExists(t, filepath.Join(dir, a.Preview()))

		// Same bytes, even claimed as another type: one row, one file.
		b, err := models.SaveAttachment(ctx, db, dir, img, "image/jpeg", 1<<20)
		require.NoError(t, err)
		require.Equal(t, a.ID, b.ID)
		entries, err := os.ReadDir(filepath.Join(dir, "attachments", a.SHA256[:2]))
		require.NoError(t, err)
		require.Len(t, entries, 2, "the original and its preview")

		// A missing file is rewritten when the same bytes come again.
		require.NoError(t, os.Remove(models.AttachmentFile(dir, a)))
		_, err = models.SaveAttachment(ctx, db, dir, img, "image/png", 1<<20)
		require.NoError(t, err)
		require.FileExists(t, models.AttachmentFile(dir, a))

		_, err = models.SaveAttachment(ctx, db, dir, img, "image/png", int64(len(img)-1))
		require.ErrorIs(t, err, models.ErrTooLarge)
		_, err = models.SaveAttachment(ctx, db, dir, []byte("%PDF-1.4 not an image"), "image/png", 1<<20)
		require.ErrorIs(t, err, models.ErrNotImage)
		_, err = models.SaveAttachment(ctx, db, dir, nil, "image/png", 1<<20)
		require.ErrorIs(t, err, models.ErrNotImage)
	})
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	t.Parallel()
	_, err := models.Open(context.Background(), "mysql://root:geheim@localhost/x")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "geheim")
}
