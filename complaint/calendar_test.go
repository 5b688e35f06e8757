package complaint_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/regency"
)

func jakarta(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	return loc
}

// okiCalendar is the calendar of the embedded sample regency file.
func okiCalendar(t *testing.T) *complaint.Calendar {
	t.Helper()
	f, err := regency.Parse(regency.Default)
	require.NoError(t, err)
	hs := make([]models.Holiday, 0, len(f.Holidays))
	for _, h := range f.Holidays {
		hs = append(hs, models.Holiday{Date: h.Date, Name: h.Name, Kind: h.Kind})
	}
	return complaint.NewCalendar(jakarta(t), hs)
}

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	cal := okiCalendar(t)
	loc := jakarta(t)
	cases := []struct {
		date string
		want bool
	}{
		{"2026-11-27", true},  // Friday
		{"2026-11-28", false}, // Saturday
		{"2026-11-29", false}, // Sunday
		{"2026-08-17", false}, // Hari Proklamasi (libur)
		{"2026-08-18", true},
		{"2026-03-23", false}, // cuti bersama Idulfitri
		{"2026-12-24", false}, // cuti bersama Natal
		{"2027-01-01", false},
	}
	for _, tc := range cases {
		d, err := time.ParseInLocation(time.DateOnly, tc.date, loc)
		require.NoError(t, err)
		require.Equal(t, tc.want, cal.IsWorkingDay(d.Add(9*time.Hour)), tc.date)
	}
	// 2026-11-27 20:00 UTC is already Saturday in Kayu Agung.
	require.False(t, cal.IsWorkingDay(time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)))
}

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	cal := okiCalendar(t)
	loc := jakarta(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		require.NoError(t, err)
		return v
	}
	end := func(date string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", date+" 23:59:59", loc)
		require.NoError(t, err)
		return v
	}
	cases := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"plain week (the model conversation)", at("2026-11-27 10:00"), 5, end("2026-12-04")},
		{"route within 3", at("2026-11-27 10:00"), 3, end("2026-12-02")},
		{"filed on Saturday", at("2026-11-28 08:00"), 1, end("2026-11-30")},
		{"late Friday night is still Friday", at("2026-11-27 23:30"), 1, end("2026-11-30")},
		{"UTC evening is next local day", time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC), 1, end("2026-11-30")},
		{"Nyepi and Idulfitri with cuti bersama", at("2026-03-17 09:00"), 1, end("2026-03-25")},
		{"Kenaikan plus cuti bersama", at("2026-05-13 09:00"), 1, end("2026-05-18")},
		{"Natal with cuti bersama", at("2026-12-23 09:00"), 2, end("2026-12-29")},
		{"year end into New Year and Isra Mikraj", at("2026-12-31 09:00"), 2, end("2027-01-06")},
		{"resolve in 14", at("2026-11-27 10:00"), 14, end("2026-12-17")},
		{"zero is end of today", at("2026-11-27 10:00"), 0, end("2026-11-27")},
	}
	for _, tc := range cases {
		got := cal.AddWorkingDays(tc.from, tc.n)
		require.True(t, tc.want.Equal(got), "%s: want %v, got %v", tc.name, tc.want, got)
		require.Equal(t, loc, got.Location(), tc.name)
	}
	require.Equal(t, 5, cal.WorkingDaysBetween(at("2026-11-27 10:00"), at("2026-12-04 10:00")))
	require.Equal(t, 0, cal.WorkingDaysBetween(at("2026-03-17 10:00"), at("2026-03-24 10:00")))
}

func TestAddWorkingDaysWithoutHolidays(t *testing.T) {
	t.Parallel()
	cal := complaint.NewCalendar(time.UTC, nil)
	got := cal.AddWorkingDays(time.Date(2027, 12, 31, 10, 0, 0, 0, time.UTC), 1) // Friday
	require.Equal(t, time.Date(2028, 1, 3, 23, 59, 59, 0, time.UTC), got)
}

func TestFormatDate(t *testing.T) {
	t.Parallel()
	loc := jakarta(t)
	d := time.Date(2026, 12, 4, 23, 59, 59, 0, loc)
	require.Equal(t, "Jumat, 4 Desember 2026", complaint.FormatDate(d, "id"))
	require.Equal(t, "Friday, 4 December 2026", complaint.FormatDate(d, "en"))
	require.Equal(t, "Minggu, 17 Januari 2027", complaint.FormatDate(time.Date(2027, 1, 17, 8, 0, 0, 0, loc), "id-ID"))
	require.Equal(t, "Rabu, 19 Agustus 2026", complaint.FormatDate(time.Date(2026, 8, 19, 8, 0, 0, 0, loc), ""))
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	return testImage(0)
}

// catalogT renders a locale text, as the bot's notifier does.
func catalogT(lang, key string, data map[string]any) string {
	cat, err := testCatalog()
	if err != nil {
		panic(err)
	}
	return cat.T(lang, key, data)
}

var testCatalog = sync.OnceValues(locales.Load)

func TestWorkingDayBefore(t *testing.T) {
	t.Parallel()
	cal := okiCalendar(t)
	loc := jakarta(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		require.NoError(t, err)
		return v
	}
	cases := []struct{ deadline, want string }{
		{"2026-12-04 23:59", "2026-12-03 08:00"}, // Friday: Thursday
		{"2026-11-30 23:59", "2026-11-27 08:00"}, // Monday: back over the weekend
		{"2026-12-28 23:59", "2026-12-23 08:00"}, // after Christmas and its cuti bersama
		{"2027-01-06 23:59", "2027-01-04 08:00"}, // across New Year, skipping Isra Mikraj (5 Jan 2027)
		{"2027-01-04 23:59", "2026-12-31 08:00"}, // into the previous year
		{"2026-03-25 23:59", "2026-03-17 08:00"}, // Nyepi, Idulfitri and its cuti bersama
	}
	for _, tc := range cases {
		got := cal.WorkingDayBefore(at(tc.deadline), 8)
		require.True(t, at(tc.want).Equal(got), "%s: want %s, got %v", tc.deadline, tc.want, got)
	}
	// Ten working days after selesai across the year end (the auto-close).
	require.True(t, time.Date(2027, 1, 7, 23, 59, 59, 0, loc).Equal(cal.AddWorkingDays(at("2026-12-18 10:00"), 10)))
	require.Equal(t, 10, cal.WorkingDaysBetween(at("2026-12-18 10:00"), at("2027-01-07 10:00")))
}
