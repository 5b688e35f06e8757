package regency_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
)

func TestParseDefault(t *testing.T) {
	t.Parallel()
	f, err := regency.Parse(regency.Default)
	require.NoError(t, err)
	require.Equal(t, "Kabupaten Ogan Komering Ilir", f.Regency.Name)
	require.Equal(t, "OKI", f.Regency.TicketPrefix)
	require.Equal(t, "Asia/Jakarta", f.Regency.Timezone)
	require.Len(t, f.Regions, 18, "OKI has 18 kecamatan")
	require.NotEmpty(t, f.Regions[0].Desa, "Kayu Agung lists its desa/kelurahan")
	require.Len(t, f.Categories, 11)
	require.Equal(t, "Jalan & jembatan", f.Categories[0].Name)
	require.Equal(t, "PUPR", f.Categories[0].Agency)
	require.Equal(t, "lainnya", f.Categories[len(f.Categories)-1].Code)

	years := map[string]int{}
	for _, h := range f.Holidays {
		years[h.Date[:4]]++
		if strings.HasPrefix(h.Date, "2026") {
			require.False(t, h.Estimated, "2026 dates come from the SKB: %s", h.Date)
		}
	}
	require.Positive(t, years["2026"])
	require.Positive(t, years["2027"])
}

func TestParseErrorsNameTheField(t *testing.T) {
	t.Parallel()
	base := string(regency.Default)
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown agency", "agency: DISDUKCAPIL\n", "agency: DUKCAPIL\n",
			`categories[2] (adminduk).agency: unknown agency "DUKCAPIL"`},
		{"bad prefix", "ticket_prefix: OKI", "ticket_prefix: oki-1",
			`regency.ticket_prefix: "oki-1" must be 2 to 6 capital letters`},
		{"bad timezone", "timezone: Asia/Jakarta", "timezone: Asia/Kayuagung",
			`regency.timezone: unknown timezone "Asia/Kayuagung"`},
		{"bad date", `date: "2026-01-16"`, `date: "2026-13-16"`,
			`holidays[1] (2026-13-16).date: "2026-13-16" must be YYYY-MM-DD`},
		{"bad kind", "name: Tahun Baru 2026 Masehi, kind: libur", "name: Tahun Baru 2026 Masehi, kind: cuti",
			`holidays[0] (2026-01-01).kind: "cuti" must be libur or cuti_bersama`},
		{"desa outside its kecamatan", `"16.02.05.1002"`, `"16.02.04.1002"`,
			`regions[0] (Kayu Agung).desa[1] (Kayuagung).code: "16.02.04.1002" does not start with its kecamatan code 16.02.05`},
		{"duplicate kecamatan", `"16.02.24"`, `"16.02.23"`,
			`regions[17] (Pedamaran Timur).code: duplicate code "16.02.23"`},
		{"target days", "agency: BPBD\n    target_days: 3", "agency: BPBD\n    target_days: 0",
			`categories[9] (bencana).target_days: 0 must be between 1 and 365`},
		{"two triage agencies", "short_name: BPBD}", "short_name: BPBD, triage: true}",
			`agencies: exactly one agency must have triage: true, found 2`},
		{"unknown field", "target_days: 14\n", "target_day: 14\n", `field target_day not found`},
		{"word with a comma", `"jalan rusak", `, `"jalan rusak, parah", `,
			`categories[0] (jalan).words[4]: "jalan rusak, parah" must not contain a comma`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(base, tc.old, tc.new, 1)
			require.NotEqual(t, base, src, "replacement must apply")
			_, err := regency.Parse([]byte(src))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func counts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for name, m := range map[string]any{"regencies": &models.Regency{}, "agencies": &models.Agency{},
		"categories": &models.Category{}, "regions": &models.Region{}, "holidays": &models.Holiday{}} {
		var n int64
		require.NoError(t, db.Model(m).Count(&n).Error)
		out[name] = n
	}
	return out
}

func TestLoadIsIdempotent(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		loaded, err := regency.LoadIfEmpty(ctx, db)
		require.NoError(t, err)
		require.True(t, loaded)
		loaded, err = regency.LoadIfEmpty(ctx, db)
		require.NoError(t, err)
		require.False(t, loaded)

		f, err := regency.Parse(regency.Default)
		require.NoError(t, err)
		desa := 0
		for _, k := range f.Regions {
			desa += len(k.Desa)
		}
		first := counts(t, db)
		require.Equal(t, map[string]int64{"regencies": 1, "agencies": 11, "categories": 11,
			"regions": int64(18 + desa), "holidays": int64(len(f.Holidays))}, first)

		var before []models.Category
		require.NoError(t, db.Order("id").Find(&before).Error)
		require.NoError(t, regency.Load(ctx, db, f))
		require.Equal(t, first, counts(t, db))
		var after []models.Category
		require.NoError(t, db.Order("id").Find(&after).Error)
		require.Len(t, after, len(before))
		for i := range before {
			require.True(t, before[i].UpdatedAt.Equal(after[i].UpdatedAt), "category %s untouched", before[i].Code)
		}

		// Routing, kecamatan and holiday rows are what the file says.
		cat, err := models.CategoryByCode(ctx, db, "adminduk")
		require.NoError(t, err)
		ag, err := models.AgencyByID(ctx, db, cat.AgencyID)
		require.NoError(t, err)
		require.Equal(t, "DISDUKCAPIL", ag.Code)
		require.Equal(t, 5, cat.TargetDays)
		kec, err := models.Regions(ctx, db, models.RegionKecamatan)
		require.NoError(t, err)
		require.Len(t, kec, 18)
		desaRow, err := models.RegionByCode(ctx, db, "16.02.05.1003")
		require.NoError(t, err)
		kayuAgung, err := models.RegionByCode(ctx, db, "16.02.05")
		require.NoError(t, err)
		require.Equal(t, kayuAgung.ID, *desaRow.ParentID)
		reg, err := models.RegencyProfile(ctx, db)
		require.NoError(t, err)
		require.Equal(t, "OKI", reg.TicketPrefix)

		// A changed file updates what changed and adds what is new.
		f.Categories[0].TargetDays = 10
		f.Agencies = append(f.Agencies, regency.AgencySpec{Code: "DISPERKIM", Name: "Dinas Perumahan dan Kawasan Permukiman"})
		f.Holidays = append(f.Holidays, regency.HolidaySpec{Date: "2027-12-31", Name: "Cuti Bersama", Kind: models.HolidayCutiBersama})
		require.NoError(t, regency.Load(ctx, db, f))
		cat, err = models.CategoryByCode(ctx, db, "jalan")
		require.NoError(t, err)
		require.Equal(t, 10, cat.TargetDays)
		second := counts(t, db)
		require.Equal(t, first["agencies"]+1, second["agencies"])
		require.Equal(t, first["holidays"]+1, second["holidays"])
	})
}

// The sample names its logo and map centre; they reach the database, and a logo that is not
// an image is refused with the field named.
func TestLogoAndCenter(t *testing.T) {
	f, err := regency.DefaultFile()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(f.Logo, "data:image/svg+xml;base64,"), f.Logo[:min(40, len(f.Logo))])
	require.NotNil(t, f.Regency.Center)

	dir := t.TempDir()
	src := strings.Replace(string(regency.Default), "logo: data/oki-logo.svg", "logo: logo.png", 1)
	require.NoError(t, writeFiles(dir, map[string]string{"oki.yaml": src, "logo.png": "bukan gambar"}))
	_, err = regency.ReadFile(dir + "/oki.yaml")
	require.ErrorContains(t, err, "regency.logo: logo.png is text/plain")

	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		require.NoError(t, regency.Load(context.Background(), db, f))
		var reg models.Regency
		require.NoError(t, db.First(&reg).Error)
		require.Equal(t, f.Logo, reg.Logo)
		require.NotNil(t, reg.CenterLat)
		require.InDelta(t, -3.39268, *reg.CenterLat, 1e-9)
		require.InDelta(t, 104.83082, *reg.CenterLng, 1e-9)
	})
}

func writeFiles(dir string, files map[string]string) error {
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}
