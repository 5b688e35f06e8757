// Package geo places map points in the regions of a regency: GeoJSON polygons
// read once, a grid of bounding boxes to find the few candidates of a point,
// and an exact point-in-polygon test (holes, MultiPolygons, points on an edge).
// It is pure Go and knows nothing of the database or HTTP.
package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Point is a position in degrees (WGS 84), longitude first as in GeoJSON.
type Point struct{ Lng, Lat float64 }

// Ring is a closed line of points; the last point may repeat the first.
type Ring []Point

// Polygon is an outer ring followed by its holes.
type Polygon []Ring

// Box is a bounding box in degrees.
type Box struct{ MinLng, MinLat, MaxLng, MaxLat float64 }

// Contains reports whether p lies in b, edges included.
func (b Box) Contains(p Point) bool {
	return p.Lng >= b.MinLng && p.Lng <= b.MaxLng && p.Lat >= b.MinLat && p.Lat <= b.MaxLat
}

// extend grows b to hold p.
func (b Box) extend(p Point) Box {
	return Box{math.Min(b.MinLng, p.Lng), math.Min(b.MinLat, p.Lat), math.Max(b.MaxLng, p.Lng), math.Max(b.MaxLat, p.Lat)}
}

// Union is the box holding both a and b.
func (b Box) Union(o Box) Box {
	return Box{math.Min(b.MinLng, o.MinLng), math.Min(b.MinLat, o.MinLat), math.Max(b.MaxLng, o.MaxLng), math.Max(b.MaxLat, o.MaxLat)}
}

var emptyBox = Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}

// Shape is a Polygon or MultiPolygon with its bounding box.
type Shape struct {
	Polygons []Polygon
	Box      Box
}

// Contains reports whether p lies in s: inside an outer ring and not inside one
// of its holes. A point on any ring (an outer edge or a hole's edge) counts as
// inside, so a point on the border of two desa lies in both.
func (s *Shape) Contains(p Point) bool {
	if s == nil || !s.Box.Contains(p) {
		return false
	}
	for _, poly := range s.Polygons {
		if len(poly) == 0 {
			continue
		}
		in, edge := ringContains(poly[0], p)
		if edge {
			return true
		}
		if !in {
			continue
		}
		inHole := false
		for _, hole := range poly[1:] {
			hin, hedge := ringContains(hole, p)
			if hedge {
				return true
			}
			if hin {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// edgeEps is how close (in degrees, about 1 cm) a point must be to a ring's line to be on it.
const edgeEps = 1e-7

// ringContains is the even-odd crossing test of p against r; edge reports p on r's line.
func ringContains(r Ring, p Point) (in, edge bool) {
	n := len(r)
	if n < 3 {
		return false, false
	}
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := r[j], r[i]
		if onSegment(a, b, p) {
			return false, true
		}
		// The edge crosses the horizontal line through p when exactly one end is above it.
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
			x := a.Lng + (p.Lat-a.Lat)*(b.Lng-a.Lng)/(b.Lat-a.Lat)
			if p.Lng < x {
				in = !in
			}
		}
	}
	return in, false
}

// onSegment reports whether p lies on the segment a-b, within edgeEps.
func onSegment(a, b, p Point) bool {
	if p.Lng < math.Min(a.Lng, b.Lng)-edgeEps || p.Lng > math.Max(a.Lng, b.Lng)+edgeEps ||
		p.Lat < math.Min(a.Lat, b.Lat)-edgeEps || p.Lat > math.Max(a.Lat, b.Lat)+edgeEps {
		return false
	}
	dx, dy := b.Lng-a.Lng, b.Lat-a.Lat
	length := math.Hypot(dx, dy)
	if length == 0 {
		return math.Hypot(p.Lng-a.Lng, p.Lat-a.Lat) <= edgeEps
	}
	// Distance from p to the line through a and b.
	return math.Abs(dx*(p.Lat-a.Lat)-dy*(p.Lng-a.Lng))/length <= edgeEps
}

// geometry is a GeoJSON geometry object.
type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// ErrGeometry is returned for a geometry that is not a usable Polygon or MultiPolygon.
var ErrGeometry = errors.New("geo: invalid geometry")

// ParseGeometry reads a GeoJSON Polygon or MultiPolygon geometry object.
func ParseGeometry(raw []byte) (*Shape, error) {
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
	}
	var polys [][][][2]float64
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("%w: Polygon coordinates: %v", ErrGeometry, err)
		}
		polys = [][][][2]float64{p}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			return nil, fmt.Errorf("%w: MultiPolygon coordinates: %v", ErrGeometry, err)
		}
	default:
		return nil, fmt.Errorf("%w: type %q, want Polygon or MultiPolygon", ErrGeometry, g.Type)
	}
	s := &Shape{Box: emptyBox}
	for i, p := range polys {
		if len(p) == 0 {
			return nil, fmt.Errorf("%w: polygon %d has no rings", ErrGeometry, i)
		}
		var poly Polygon
		for j, ring := range p {
			if len(ring) < 4 {
				return nil, fmt.Errorf("%w: polygon %d ring %d has %d points, a ring needs at least 4", ErrGeometry, i, j, len(ring))
			}
			r := make(Ring, 0, len(ring))
			for _, c := range ring {
				pt := Point{Lng: c[0], Lat: c[1]}
				if math.IsNaN(pt.Lng) || math.IsNaN(pt.Lat) || math.Abs(pt.Lng) > 180 || math.Abs(pt.Lat) > 90 {
					return nil, fmt.Errorf("%w: polygon %d ring %d: point %v outside the globe", ErrGeometry, i, j, c)
				}
				r = append(r, pt)
				if j == 0 {
					s.Box = s.Box.extend(pt)
				}
			}
			poly = append(poly, r)
		}
		s.Polygons = append(s.Polygons, poly)
	}
	if len(s.Polygons) == 0 {
		return nil, fmt.Errorf("%w: no polygons", ErrGeometry)
	}
	return s, nil
}

// Feature is one region of a boundary file.
type Feature struct {
	Code     string // Kemendagri code, e.g. 16.02.05.1001
	Name     string
	Level    string // kecamatan or desa, as the file says
	Centroid *Point // as the file gives it; nil when it gives none
	Shape    *Shape
	Geometry json.RawMessage // the GeoJSON geometry as read, for storing
}

// featureCollection is a GeoJSON FeatureCollection as the boundary files write it.
type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		Type       string `json:"type"`
		Properties struct {
			Code     string    `json:"code"`
			Name     string    `json:"name"`
			Level    string    `json:"level"`
			Centroid []float64 `json:"centroid"`
		} `json:"properties"`
		Geometry json.RawMessage `json:"geometry"`
	} `json:"features"`
}

// ParseFeatures reads a GeoJSON FeatureCollection whose features carry
// properties.code and properties.name. Errors name the feature.
func ParseFeatures(data []byte) ([]Feature, error) {
	var fc featureCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("read GeoJSON: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("read GeoJSON: type %q, want FeatureCollection", fc.Type)
	}
	out := make([]Feature, 0, len(fc.Features))
	seen := map[string]bool{}
	for i, f := range fc.Features {
		at := fmt.Sprintf("features[%d] (%s)", i, f.Properties.Code)
		if f.Properties.Code == "" {
			return nil, fmt.Errorf("%s: properties.code is required", at)
		}
		if seen[f.Properties.Code] {
			return nil, fmt.Errorf("%s: duplicate code", at)
		}
		seen[f.Properties.Code] = true
		shape, err := ParseGeometry(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		ft := Feature{Code: f.Properties.Code, Name: f.Properties.Name, Level: f.Properties.Level, Shape: shape, Geometry: f.Geometry}
		if c := f.Properties.Centroid; len(c) == 2 {
			ft.Centroid = &Point{Lng: c[0], Lat: c[1]}
		}
		out = append(out, ft)
	}
	return out, nil
}

// cellDeg is the side of the index's grid cells in degrees (about 2.2 km).
const cellDeg = 0.02

type cell struct{ x, y int32 }

func cellOf(p Point) cell {
	return cell{int32(math.Floor(p.Lng / cellDeg)), int32(math.Floor(p.Lat / cellDeg))}
}

// Index finds the regions holding a point. A grid maps each cell to the regions
// whose bounding box overlaps it, so a lookup tests only a few polygons.
type Index struct {
	regions []Region
	grid    map[cell][]int32
	box     Box
}

// Region is one indexed area: a code and its shape.
type Region struct {
	Code  string
	Shape *Shape
}

// NewIndex indexes regions. A point on the border of two regions is given to the
// one with the smaller code, so lookups are deterministic.
func NewIndex(regions []Region) *Index {
	rs := make([]Region, 0, len(regions))
	for _, r := range regions {
		if r.Shape != nil && len(r.Shape.Polygons) > 0 {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Code < rs[j].Code })
	ix := &Index{regions: rs, grid: map[cell][]int32{}, box: emptyBox}
	for i, r := range rs {
		b := r.Shape.Box
		ix.box = ix.box.Union(b)
		lo, hi := cellOf(Point{b.MinLng, b.MinLat}), cellOf(Point{b.MaxLng, b.MaxLat})
		for x := lo.x; x <= hi.x; x++ {
			for y := lo.y; y <= hi.y; y++ {
				ix.grid[cell{x, y}] = append(ix.grid[cell{x, y}], int32(i))
			}
		}
	}
	return ix
}

// Len is the number of indexed regions.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.regions)
}

// Box is the bounding box of every indexed region.
func (ix *Index) Box() Box { return ix.box }

// Locate returns the code of the region holding p, or "" when none does.
func (ix *Index) Locate(p Point) string {
	if ix == nil || !ix.box.Contains(p) {
		return ""
	}
	for _, i := range ix.grid[cellOf(p)] {
		if ix.regions[i].Shape.Contains(p) {
			return ix.regions[i].Code
		}
	}
	return ""
}

// earthRadius is the mean radius of the Earth in metres.
const earthRadius = 6371008.8

// Distance is the great-circle distance between a and b in metres (haversine).
func Distance(a, b Point) float64 {
	φ1, φ2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dφ, dλ := φ2-φ1, (b.Lng-a.Lng)*math.Pi/180
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// CellDeg is the side, in degrees, of the grid cells complaints are filed under for
// nearby searches (about 555 m at the equator): a search of radius r reads the
// few cells its circle's bounding box touches (3×3 for r up to a cell's side).
const CellDeg = 0.005

// cellsPerRow is how many cells a row of the grid holds (360° of longitude).
const cellsPerRow = 72000

// CellKey is the grid cell holding p, as one integer for an index.
func CellKey(p Point) int64 {
	x := int64(math.Floor((p.Lng + 180) / CellDeg))
	y := int64(math.Floor((p.Lat + 90) / CellDeg))
	return y*cellsPerRow + x
}

// NearCells lists the grid cells a circle of radius metres around p may touch.
func NearCells(p Point, radius float64) []int64 {
	dLat := radius / (earthRadius * math.Pi / 180)
	cos := math.Cos(p.Lat * math.Pi / 180)
	dLng := 180.0
	if cos > 1e-6 {
		dLng = math.Min(180, dLat/cos)
	}
	x0 := int64(math.Floor((p.Lng - dLng + 180) / CellDeg))
	x1 := int64(math.Floor((p.Lng + dLng + 180) / CellDeg))
	y0 := int64(math.Floor((math.Max(-90, p.Lat-dLat) + 90) / CellDeg))
	y1 := int64(math.Floor((math.Min(90, p.Lat+dLat) + 90) / CellDeg))
	var out []int64
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			out = append(out, y*cellsPerRow+((x%cellsPerRow)+cellsPerRow)%cellsPerRow)
		}
	}
	return out
}
