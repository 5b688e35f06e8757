package complaint_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

func TestSubmitPlacesTheMapPoint(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		file := func(region string, lat, lng float64) *models.Region {
			t.Helper()
			c, err := w.svc.Submit(ctx, nil, complaint.SubmitInput{CitizenID: w.warga.ID, Channel: "telegram", CategoryCode: "jalan",
				Description: "Jalan berlubang besar sejak tiga bulan", RegionCode: region, Lat: &lat, Lng: &lng})
			require.NoError(t, err)
			if c.RegionID == nil {
				return nil
			}
			var r models.Region
			require.NoError(t, db.Where("id = ?", *c.RegionID).Take(&r).Error)
			return &r
		}
		r := file("", -3.4026, 104.8291)
		require.Equal(t, "16.02.05.1001", r.Code, "Pasar Kayuagung is in Jua-jua")
		require.Equal(t, "Jua-jua", r.Name)

		r = file("16.02.24", -3.4026, 104.8291)
		require.Equal(t, "16.02.05.1001", r.Code, "the map point beats a kecamatan picked before")

		require.Nil(t, file("", -2.9761, 104.7458), "Palembang is outside the regency: no place")
		r = file("16.02.05", -2.9761, 104.7458)
		require.Equal(t, "16.02.05", r.Code, "outside the regency the named kecamatan stays")

		pl, err := w.svc.Locate(ctx, nil, -3.4026, 104.8291)
		require.NoError(t, err)
		require.True(t, pl.Inside)
		require.True(t, pl.Known)
		require.Equal(t, "Kayu Agung", pl.Kecamatan.Name)
		pl, err = w.svc.Locate(ctx, nil, -6.2, 106.8)
		require.NoError(t, err)
		require.False(t, pl.Inside)
		require.True(t, pl.Known)
		require.Nil(t, pl.Region())
	})
}

func TestDesaFromTypedAddress(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		a, err := w.svc.Atlas(context.Background(), nil)
		require.NoError(t, err)
		cases := map[string]string{
			"Desa Jua Jua, depan masjid":          "16.02.05.1001",
			"jl. lintas timur, kel. JUA-JUA":      "16.02.05.1001",
			"Tanjung Serang dekat SD":             "16.02.05.2022",
			"serigeni baru ujung":                 "16.02.05.2023", // the longer of Serigeni and Serigeni Baru
			"depan pasar":                         "",
			"Desa Pedamaran V (bukan Kayu Agung)": "",
		}
		for addr, want := range cases {
			got := a.DesaIn("16.02.05", addr)
			if want == "" {
				require.Nil(t, got, addr)
				continue
			}
			require.NotNil(t, got, addr)
			require.Equal(t, want, got.Code, addr)
		}
	})
}
