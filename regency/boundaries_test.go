package regency_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
)

// The sample regency lists every desa of the boundary data with its real code and name.
func TestDefaultFileMatchesTheBoundaries(t *testing.T) {
	t.Parallel()
	f, err := regency.DefaultFile()
	require.NoError(t, err)
	names := map[string]string{}
	for _, k := range f.Regions {
		names[k.Code] = k.Name
		for _, d := range k.Desa {
			names[d.Code] = d.Name
		}
	}
	require.Len(t, names, 18+327)
	require.Len(t, f.Shapes, 18+327, "every region has its boundary")
	for _, file := range []string{"data/oki-kecamatan.geojson", "data/oki-desa.geojson"} {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		features, err := geo.ParseFeatures(data)
		require.NoError(t, err)
		for _, ft := range features {
			require.Equal(t, ft.Name, names[ft.Code], "region %s", ft.Code)
		}
	}
	_, err = os.Stat("data/LICENSE-wilayah_boundaries.txt")
	require.NoError(t, err, "the MIT licence ships with the data")
}

func TestBoundaryFileErrors(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(string(regency.Default), "desa: data/oki-desa.geojson", "desa: desa.geojson", 1)
	feature := func(code string) string {
		return `{"type":"Feature","properties":{"code":"` + code + `","name":"X"},` +
			`"geometry":{"type":"Polygon","coordinates":[[[104,-3],[105,-3],[105,-4],[104,-3]]]}}`
	}
	kec, err := os.ReadFile("data/oki-kecamatan.geojson")
	require.NoError(t, err)
	cases := map[string]struct{ desa, want string }{
		"unknown code": {`{"type":"FeatureCollection","features":[` + feature("16.02.05.9999") + `]}`,
			`boundaries.desa (desa.geojson): features[0] (16.02.05.9999 X): code is not in regions`},
		"wrong level": {`{"type":"FeatureCollection","features":[` + feature("16.02.05") + `]}`,
			`code is a kecamatan in regions, not a desa`},
		"bad geometry": {`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"16.02.05.1001"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
			`features[0] (16.02.05.1001): geo: invalid geometry: type "Point"`},
		"missing file": {"", `boundaries.desa: open desa.geojson`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"oki.yaml": {Data: []byte(yaml)}, "data/oki-kecamatan.geojson": {Data: kec}}
			if tc.desa != "" {
				fsys["desa.geojson"] = &fstest.MapFile{Data: []byte(tc.desa)}
			}
			_, err := regency.ParseFS(fsys, "oki.yaml")
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// oldSampleRegions is the regions section of the first sample file: twelve desa of
// Kayu Agung with made-up codes.
const oldSampleRegions = `regions:
  - code: "16.02.05"
    name: Kayu Agung
    desa:
      - {code: "16.02.05.1001", name: Cinta Raja}
      - {code: "16.02.05.1002", name: Jua-Jua}
      - {code: "16.02.05.1003", name: Kedaton}
      - {code: "16.02.05.1004", name: Kutaraya}
      - {code: "16.02.05.1005", name: Mangun Jaya}
      - {code: "16.02.05.1006", name: Paku}
      - {code: "16.02.05.1007", name: Perigi}
      - {code: "16.02.05.1008", name: Sidakersa}
      - {code: "16.02.05.1009", name: Sukadana}
      - {code: "16.02.05.1010", name: Tanjung Rancing}
      - {code: "16.02.05.2001", name: Tanjung Serang}
      - {code: "16.02.05.2002", name: Teloko}
  - {code: "16.02.02", name: Tanjung Lubuk}
`

// sampleWithRegions is the sample regency file with regions in place of its own and no boundaries.
func sampleWithRegions(regions string) string {
	src := string(regency.Default)
	start, end := strings.Index(src, "regions:\n"), strings.Index(src, "# Batas wilayah")
	out := src[:start] + regions + "\n" + src[end:]
	return out[:strings.Index(out, "boundaries:")] + out[strings.Index(out, "# Hari libur"):]
}

// A database seeded from the old sample keeps every complaint in its desa: the
// migration gives the twelve desa their real codes, the upgrade adds the rest
// and the boundaries, and complaints with a map point but no place get one.
func TestOldSampleMigrates(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f, err := regency.Parse([]byte(sampleWithRegions(oldSampleRegions)))
		require.NoError(t, err)
		require.NoError(t, regency.Load(ctx, db, f))

		// Complaints filed on the old data: one in "Cinta Raja", one with a map point only.
		cintaRaja, err := models.RegionByCode(ctx, db, "16.02.05.1001")
		require.NoError(t, err)
		require.Equal(t, "Cinta Raja", cintaRaja.Name)
		cit := models.Citizen{Name: "Warga", Lang: "id"}
		require.NoError(t, db.Create(&cit).Error)
		cat, err := models.CategoryByCode(ctx, db, "jalan")
		require.NoError(t, err)
		now := time.Now().UTC()
		lat, lng := -3.4026, 104.8291
		cs := []models.Complaint{
			{Code: "OKI-2601-0001", CitizenID: cit.ID, CategoryID: cat.ID, AgencyID: cat.AgencyID, RegionID: &cintaRaja.ID,
				Description: "Jalan rusak", Status: "diproses", RouteBy: now, RespondBy: now, ResolveBy: now, CreatedAt: now, UpdatedAt: now},
			{Code: "OKI-2601-0002", CitizenID: cit.ID, CategoryID: cat.ID, AgencyID: cat.AgencyID, Lat: &lat, Lng: &lng,
				Description: "Jalan rusak", Status: "diproses", RouteBy: now, RespondBy: now, ResolveBy: now, CreatedAt: now, UpdatedAt: now},
		}
		require.NoError(t, db.Create(&cs).Error)

		// Run migration 0012 again, as on a database made before it.
		require.NoError(t, db.Exec(`DROP TABLE region_boundaries`).Error)
		require.NoError(t, db.Exec(`DELETE FROM schema_migrations WHERE id = '0012_region_boundaries'`).Error)
		require.NoError(t, models.Migrate(ctx, db))

		var c models.Complaint
		require.NoError(t, db.Where("code = ?", "OKI-2601-0001").Take(&c).Error)
		r, err := models.RegionByCode(ctx, db, "16.02.05.1004")
		require.NoError(t, err)
		require.Equal(t, "Cintaraja", r.Name)
		require.Equal(t, r.ID, *c.RegionID, "the complaint stays in its desa under the real code")
		jua, err := models.RegionByCode(ctx, db, "16.02.05.1001")
		require.NoError(t, err)
		require.Equal(t, "Jua-jua", jua.Name)

		upgraded, err := regency.UpgradeSample(ctx, db)
		require.NoError(t, err)
		require.True(t, upgraded)
		var desa, bounds int64
		require.NoError(t, db.Model(&models.Region{}).Where("kind = ?", models.RegionDesa).Count(&desa).Error)
		require.NoError(t, db.Model(&models.RegionBoundary{}).Count(&bounds).Error)
		require.EqualValues(t, 327, desa, "no desa doubled")
		require.EqualValues(t, 345, bounds)
		again, err := regency.UpgradeSample(ctx, db)
		require.NoError(t, err)
		require.False(t, again, "once only")

		n, err := complaint.PlaceUnplaced(ctx, db)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		var c2 models.Complaint
		require.NoError(t, db.Where("code = ?", "OKI-2601-0002").Take(&c2).Error)
		require.Equal(t, jua.ID, *c2.RegionID, "the map point near Pasar Kayuagung is in Jua-jua")
	})
}

// A regency of its own whose desa happen to carry the old sample's codes is left alone.
func TestOwnRegencyIsNotRecoded(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		own := sampleWithRegions(strings.Replace(oldSampleRegions, "Cinta Raja", "Cinta Raya", 1))
		own = strings.Replace(own, "name: Kabupaten Ogan Komering Ilir", "name: Kabupaten Contoh", 1)
		f, err := regency.Parse([]byte(own))
		require.NoError(t, err)
		require.NoError(t, regency.Load(ctx, db, f))
		require.NoError(t, db.Exec(`DROP TABLE region_boundaries`).Error)
		require.NoError(t, db.Exec(`DELETE FROM schema_migrations WHERE id = '0012_region_boundaries'`).Error)
		require.NoError(t, models.Migrate(ctx, db))
		r, err := models.RegionByCode(ctx, db, "16.02.05.1002")
		require.NoError(t, err)
		require.Equal(t, "Jua-Jua", r.Name)
		upgraded, err := regency.UpgradeSample(ctx, db)
		require.NoError(t, err)
		require.False(t, upgraded, "not the sample regency")
	})
}

func TestLoadStoresBoundaries(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f, err := regency.DefaultFile()
		require.NoError(t, err)
		require.NoError(t, regency.Load(ctx, db, f))
		var before []models.RegionBoundary
		require.NoError(t, db.Order("region_id").Find(&before).Error)
		require.Len(t, before, 345)
		require.NoError(t, regency.Load(ctx, db, f))
		var after []models.RegionBoundary
		require.NoError(t, db.Order("region_id").Find(&after).Error)
		for i := range before {
			require.True(t, before[i].UpdatedAt.Equal(after[i].UpdatedAt), "boundary untouched")
		}
		// A file without boundaries leaves the stored ones.
		plain, err := regency.Parse(regency.Default)
		require.NoError(t, err)
		require.NoError(t, regency.Load(ctx, db, plain))
		var n int64
		require.NoError(t, db.Model(&models.RegionBoundary{}).Count(&n).Error)
		require.EqualValues(t, 345, n)
	})
}
