package complaint_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
)

type testBundle struct {
	db      *gorm.DB
	svc     *complaint.Service
	citizen models.Citizen
	clock   time.Time
}

func setup(t *testing.T, db *gorm.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	_, err := regency.LoadIfEmpty(ctx, db)
	require.NoError(t, err)
	tb := &testBundle{db: db, citizen: models.Citizen{Name: "Budi", Lang: "id"},
		clock: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)} // Friday 10:00 WIB
	require.NoError(t, db.Create(&tb.citizen).Error)
	// Prefix and Loc left empty: taken from the regency row.
	tb.svc = &complaint.Service{DB: db, Now: func() time.Time { return tb.clock }}
	return tb
}

func TestSubmitAndStatus(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		tb := setup(t, db)
		loc := jakarta(t)

		c, err := tb.svc.Submit(ctx, db, complaint.SubmitInput{
			CitizenID: tb.citizen.ID, Channel: "telegram", CategoryCode: "jalan",
			Description: "  Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh ",
		})
		require.NoError(t, err)
		require.Equal(t, "OKI-2611-0001", c.Code)
		require.Equal(t, complaint.StatusTerdisposisi, c.Status)
		require.Equal(t, "Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh", c.Description)
		require.True(t, time.Date(2026, 12, 2, 23, 59, 59, 0, loc).Equal(c.RouteBy), "route by %v", c.RouteBy)
		require.True(t, time.Date(2026, 12, 4, 23, 59, 59, 0, loc).Equal(c.RespondBy), "respond by %v", c.RespondBy)
		require.True(t, time.Date(2026, 12, 17, 23, 59, 59, 0, loc).Equal(c.ResolveBy), "resolve by %v", c.ResolveBy)
		require.Equal(t, "Jumat, 4 Desember 2026", complaint.FormatDate(c.RespondBy.In(loc), "id"))

		// A second report with a place, a point and a photo.
		img, err := models.SaveAttachment(ctx, db, t.TempDir(), pngBytes(t), "image/png", 1<<20)
		require.NoError(t, err)
		lat, lng := -3.3945, 104.8306
		tb.clock = tb.clock.Add(time.Hour)
		c2, err := tb.svc.Submit(ctx, db, complaint.SubmitInput{
			CitizenID: tb.citizen.ID, Channel: "webchat", CategoryCode: "adminduk",
			Description: "KTP elektronik belum jadi sejak dua bulan", RegionCode: "16.02.05.1007",
			Lat: &lat, Lng: &lng, Confidential: true, AttachmentIDs: []int64{img.ID, img.ID},
		})
		require.NoError(t, err)
		require.Equal(t, "OKI-2611-0002", c2.Code)
		require.NotNil(t, c2.RegionID)
		require.True(t, time.Date(2026, 12, 4, 23, 59, 59, 0, loc).Equal(c2.ResolveBy), "adminduk target is 5 days")
		var links []models.ComplaintAttachment
		require.NoError(t, db.Where("complaint_id = ?", c2.ID).Find(&links).Error)
		require.Len(t, links, 1)
		require.Equal(t, models.AttachmentFoto, links[0].Kind)

		// Status: case-insensitive, with OPD, category and timeline.
		v, err := tb.svc.Status(ctx, db, " oki-2611-0001", tb.citizen.ID)
		require.NoError(t, err)
		require.Equal(t, c.ID, v.Complaint.ID)
		require.Equal(t, "PUPR", v.Agency.Code)
		require.Equal(t, "Dinas Pekerjaan Umum dan Penataan Ruang", v.Agency.Name)
		require.Equal(t, "Jalan & jembatan", v.Category.Name)
		require.Len(t, v.Events, 2)
		require.Equal(t, complaint.EventDibuat, v.Events[0].Kind)
		require.Equal(t, models.ActorWarga, v.Events[0].ActorKind)
		require.Equal(t, complaint.EventTerdisposisi, v.Events[1].Kind)
		require.Equal(t, complaint.StatusTerdisposisi, v.Events[1].ToStatus)
		require.Equal(t, v.Agency.Name, v.Events[1].Text)
		v, err = tb.svc.Status(ctx, db, "oki 2611 2", tb.citizen.ID)
		require.NoError(t, err)
		require.Equal(t, c2.ID, v.Complaint.ID)

		// Someone else's report, or a code that does not exist, is simply not found.
		other := models.Citizen{Name: "Siti", Lang: "id"}
		require.NoError(t, db.Create(&other).Error)
		_, err = tb.svc.Status(ctx, db, c.Code, other.ID)
		require.ErrorIs(t, err, complaint.ErrNotFound)
		_, err = tb.svc.Status(ctx, db, "OKI-2611-9999", tb.citizen.ID)
		require.ErrorIs(t, err, complaint.ErrNotFound)

		list, err := tb.svc.ByCitizen(ctx, db, tb.citizen.ID, 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, c2.Code, list[0].Code, "newest first")
		list, err = tb.svc.ByCitizen(ctx, db, tb.citizen.ID, 1)
		require.NoError(t, err)
		require.Len(t, list, 1)
		list, err = tb.svc.ByCitizen(ctx, db, other.ID, 10)
		require.NoError(t, err)
		require.Empty(t, list)

		// A new month in Kayu Agung starts a new sequence, even while it is still November in UTC.
		tb.clock = time.Date(2026, 11, 30, 17, 30, 0, 0, time.UTC)
		c3, err := tb.svc.Submit(ctx, db, complaint.SubmitInput{CitizenID: tb.citizen.ID, CategoryCode: "lainnya",
			Description: "Pertanyaan tentang layanan umum kabupaten"})
		require.NoError(t, err)
		require.Equal(t, "OKI-2612-0001", c3.Code)
		triage, err := models.AgencyByID(ctx, db, c3.AgencyID)
		require.NoError(t, err)
		require.True(t, triage.Triage)
	})
}

func TestSubmitRejects(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		tb := setup(t, db)
		ok := complaint.SubmitInput{CitizenID: tb.citizen.ID, CategoryCode: "sampah", Description: "Sampah menumpuk di pasar"}

		in := ok
		in.Description = "   "
		_, err := tb.svc.Submit(ctx, db, in)
		require.ErrorIs(t, err, complaint.ErrInvalid)
		in = ok
		in.CategoryCode = "parkir"
		_, err = tb.svc.Submit(ctx, db, in)
		require.ErrorIs(t, err, models.ErrNotFound)
		in = ok
		in.RegionCode = "16.02.99"
		_, err = tb.svc.Submit(ctx, db, in)
		require.ErrorIs(t, err, models.ErrNotFound)
		lat := 1.0
		in = ok
		in.Lat = &lat
		_, err = tb.svc.Submit(ctx, db, in)
		require.ErrorIs(t, err, complaint.ErrInvalid)

		// A failure inside the caller's transaction leaves that transaction usable and stores nothing.
		err = db.Transaction(func(tx *gorm.DB) error {
			in := ok
			in.AttachmentIDs = []int64{424242}
			_, err := tb.svc.Submit(ctx, tx, in)
			require.Error(t, err)
			return tx.Create(&models.Citizen{Name: "Setelah gagal", Lang: "id"}).Error
		})
		require.NoError(t, err)
		var n int64
		require.NoError(t, db.Model(&models.Complaint{}).Count(&n).Error)
		require.Zero(t, n)

		c, err := tb.svc.Submit(ctx, db, ok)
		require.NoError(t, err)
		require.Equal(t, "OKI-2611-0001", c.Code, "failed submissions use no ticket number")
	})
}

func TestSubmitConcurrentCodesAreUnique(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		tb := setup(t, db)
		const n = 200
		codes := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = db.Transaction(func(tx *gorm.DB) error {
					c, err := tb.svc.Submit(ctx, tx, complaint.SubmitInput{CitizenID: tb.citizen.ID, Channel: "telegram",
						CategoryCode: "pju", Description: fmt.Sprintf("Lampu jalan mati nomor %d", i)})
					if err != nil {
						return err
					}
					codes[i] = c.Code
					return nil
				})
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		sort.Strings(codes)
		for i, code := range codes {
			require.Equal(t, fmt.Sprintf("OKI-2611-%04d", i+1), code)
		}
	})
}
