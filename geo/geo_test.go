package geo_test

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/geo"
)

// oki reads the real boundaries shipped with the sample regency.
func oki(t testing.TB) (desa, kec []geo.Feature) {
	t.Helper()
	read := func(name string) []geo.Feature {
		data, err := os.ReadFile("../regency/data/" + name)
		require.NoError(t, err)
		fs, err := geo.ParseFeatures(data)
		require.NoError(t, err)
		return fs
	}
	return read("oki-desa.geojson"), read("oki-kecamatan.geojson")
}

func index(fs []geo.Feature) *geo.Index {
	rs := make([]geo.Region, len(fs))
	for i, f := range fs {
		rs[i] = geo.Region{Code: f.Code, Shape: f.Shape}
	}
	return geo.NewIndex(rs)
}

func TestRealBoundaries(t *testing.T) {
	t.Parallel()
	desa, kec := oki(t)
	require.Len(t, desa, 327)
	require.Len(t, kec, 18)
	di, ki := index(desa), index(kec)

	t.Run("pasar kayuagung is in jua-jua, kayu agung", func(t *testing.T) {
		p := geo.Point{Lng: 104.8291, Lat: -3.4026}
		require.Equal(t, "16.02.05.1001", di.Locate(p))
		require.Equal(t, "16.02.05", ki.Locate(p))
	})

	t.Run("each of the 18 kecamatan holds its centroid and a desa of its own there", func(t *testing.T) {
		for _, k := range kec {
			require.NotNil(t, k.Centroid, k.Code)
			require.Equal(t, k.Code, ki.Locate(*k.Centroid), "kecamatan %s %s", k.Code, k.Name)
			// The centroid may fall in a gap between desa outlines; a desa whose centroid is
			// inside it must then be found in the kecamatan.
			found := false
			for _, d := range desa {
				if strings.HasPrefix(d.Code, k.Code+".") && d.Centroid != nil && d.Shape.Contains(*d.Centroid) {
					require.Equal(t, k.Code, ki.Locate(*d.Centroid), "desa %s lies in its kecamatan", d.Code)
					found = true
					break
				}
			}
			require.True(t, found, "kecamatan %s has a desa", k.Code)
		}
	})

	t.Run("points outside the regency", func(t *testing.T) {
		for name, p := range map[string]geo.Point{
			"Palembang":                   {Lng: 104.7458, Lat: -2.9761},
			"Jakarta":                     {Lng: 106.8456, Lat: -6.2088},
			"Null Island":                 {},
			"the sea east of Air Sugihan": {Lng: 106.2, Lat: -2.7},
		} {
			require.Empty(t, di.Locate(p), name)
			require.Empty(t, ki.Locate(p), name)
		}
	})

	t.Run("vertices and edge midpoints belong to their region", func(t *testing.T) {
		for _, d := range desa {
			ring := d.Shape.Polygons[0][0]
			for i := 0; i+1 < len(ring); i += 7 {
				a, b := ring[i], ring[i+1]
				require.True(t, d.Shape.Contains(a), "vertex %d of %s", i, d.Code)
				mid := geo.Point{Lng: (a.Lng + b.Lng) / 2, Lat: (a.Lat + b.Lat) / 2}
				require.True(t, d.Shape.Contains(mid), "edge midpoint %d of %s", i, d.Code)
				code := di.Locate(a)
				require.NotEmpty(t, code, "vertex %d of %s", i, d.Code)
				require.LessOrEqual(t, code, d.Code, "a border point goes to the smaller code")
			}
		}
	})

	t.Run("holes", func(t *testing.T) {
		var checked int
		for _, d := range desa {
			for _, poly := range d.Shape.Polygons {
				for _, hole := range poly[1:] {
					in := interior(t, hole)
					require.False(t, d.Shape.Contains(in), "a point in a hole of %s is not in it", d.Code)
					if code := di.Locate(in); code != "" {
						require.NotEqual(t, d.Code, code)
					}
					require.True(t, d.Shape.Contains(hole[0]), "a hole's edge belongs to %s", d.Code)
					checked++
				}
			}
		}
		require.Equal(t, 7, checked, "Pedamaran V has 6 holes, Gajah Mati 1")
	})

	t.Run("multipolygons", func(t *testing.T) {
		multi := 0
		for _, d := range desa {
			if len(d.Shape.Polygons) < 2 {
				continue
			}
			multi++
			for _, poly := range d.Shape.Polygons {
				require.True(t, d.Shape.Contains(poly[0][0]), "%s holds each of its parts", d.Code)
			}
		}
		require.Equal(t, 10, multi)
	})
}

// interior is a point strictly inside ring r: the centre of a small triangle at its
// sharpest convex corner, checked with an even-odd test of its own.
func interior(t *testing.T, r geo.Ring) geo.Point {
	t.Helper()
	s := &geo.Shape{Polygons: []geo.Polygon{{r}}, Box: geo.Box{MinLng: -180, MinLat: -90, MaxLng: 180, MaxLat: 90}}
	for i := 1; i+1 < len(r); i++ {
		for _, f := range []float64{0.3, 0.1, 0.01} {
			c := geo.Point{Lng: (r[i-1].Lng+r[i].Lng+r[i+1].Lng)/3*f + r[i].Lng*(1-f),
				Lat: (r[i-1].Lat+r[i].Lat+r[i+1].Lat)/3*f + r[i].Lat*(1-f)}
			if s.Contains(c) && c != r[i] {
				return c
			}
		}
	}
	t.Fatal("no interior point found")
	return geo.Point{}
}

func TestSquareWithHole(t *testing.T) {
	t.Parallel()
	s, err := geo.ParseGeometry([]byte(`{"type":"Polygon","coordinates":[
		[[0,0],[10,0],[10,10],[0,10],[0,0]],
		[[4,4],[6,4],[6,6],[4,6],[4,4]]]}`))
	require.NoError(t, err)
	cases := map[geo.Point]bool{
		{Lng: 1, Lat: 1}: true, {Lng: 5, Lat: 5}: false, {Lng: 4, Lat: 5}: true, // the hole's edge
		{Lng: 0, Lat: 5}: true, {Lng: 10, Lat: 10}: true, {Lng: 10.0001, Lat: 5}: false,
		{Lng: -1, Lat: 5}: false, {Lng: 5, Lat: 0}: true, {Lng: 3.9999, Lat: 5}: true,
	}
	for p, want := range cases {
		require.Equal(t, want, s.Contains(p), "%v", p)
	}
}

func TestParseGeometryErrors(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"point":      `{"type":"Point","coordinates":[1,2]}`,
		"short ring": `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`,
		"no rings":   `{"type":"Polygon","coordinates":[]}`,
		"off globe":  `{"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]}`,
		"not json":   `{`,
	} {
		_, err := geo.ParseGeometry([]byte(src))
		require.ErrorIs(t, err, geo.ErrGeometry, name)
	}
}

func TestDistanceAndCells(t *testing.T) {
	t.Parallel()
	a := geo.Point{Lng: 104.8291, Lat: -3.4026}
	// 250 m east along the parallel.
	dLng := 250 / (6371008.8 * math.Pi / 180 * math.Cos(a.Lat*math.Pi/180))
	b := geo.Point{Lng: a.Lng + dLng, Lat: a.Lat}
	require.InDelta(t, 250, geo.Distance(a, b), 0.01)
	require.InDelta(t, 111195, geo.Distance(geo.Point{}, geo.Point{Lat: 1}), 1)

	cells := geo.NearCells(a, 250)
	require.LessOrEqual(t, len(cells), 4, "a 250 m circle touches at most 2×2 cells of 555 m")
	require.Contains(t, cells, geo.CellKey(a))
	require.Contains(t, cells, geo.CellKey(b))
	// Every point within the radius is in one of the cells.
	for i := 0; i < 360; i += 5 {
		θ := float64(i) * math.Pi / 180
		p := geo.Point{Lng: a.Lng + dLng*math.Cos(θ), Lat: a.Lat + 250/111195.0*math.Sin(θ)}
		require.Contains(t, cells, geo.CellKey(p), "angle %d", i)
	}
}

func BenchmarkLocate(b *testing.B) {
	desa, _ := oki(b)
	ix := index(desa)
	p := geo.Point{Lng: 104.8291, Lat: -3.4026}
	b.ReportAllocs()
	for b.Loop() {
		if ix.Locate(p) == "" {
			b.Fatal("not found")
		}
	}
}
