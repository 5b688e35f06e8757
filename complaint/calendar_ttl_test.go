package complaint

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
)

// A holiday added by another process (suarawarga seed on a running bot) is used once the
// calendar read earlier is older than CalendarTTL; a calendar given in code is kept.
func TestCalendarReadAgainAfterTTL(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := t.Context()
		_, err := regency.LoadIfEmpty(ctx, db)
		require.NoError(t, err)
		s := &Service{DB: db, Prefix: "OKI", Loc: time.UTC}
		day := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) // a Wednesday without a holiday
		cal, err := s.calendar(ctx, db)
		require.NoError(t, err)
		require.True(t, cal.IsWorkingDay(day))

		require.NoError(t, db.Create(&models.Holiday{Date: "2026-12-02", Name: "Libur daerah", Kind: models.HolidayLibur,
			CreatedAt: day, UpdatedAt: day}).Error)
		cal, err = s.calendar(ctx, db)
		require.NoError(t, err)
		require.True(t, cal.IsWorkingDay(day), "within the TTL the copy read earlier is used")

		s.calLoaded = time.Now().Add(-CalendarTTL - time.Second)
		cal, err = s.calendar(ctx, db)
		require.NoError(t, err)
		require.False(t, cal.IsWorkingDay(day), "after the TTL the new holiday counts")

		given := &Service{DB: db, Calendar: cal}
		got, err := given.calendar(ctx, db)
		require.NoError(t, err)
		require.Same(t, cal, got)
	})
}
