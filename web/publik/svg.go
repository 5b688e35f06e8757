package publik

import (
	"math"
	"strconv"
	"strings"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
)

// mapWidth is the width of the map's viewBox; its height follows the regency's shape.
const mapWidth = 800.0

// tolerance is how far (in viewBox units) a simplified outline may stray from the boundary.
const tolerance = 0.7

// desaPath is one desa drawn as an SVG path, simplified.
type desaPath struct {
	Code, Name, Kecamatan string
	D                     string
}

// drawing is the regency's desa drawn once per reading of the map.
type drawing struct {
	Width, Height float64
	Desa          []desaPath
}

// draw projects every desa boundary of the atlas (equirectangular, scaled by the cosine
// of the middle latitude) into a mapWidth-wide box and simplifies each ring (Douglas-Peucker).
func draw(a *complaint.Atlas) *drawing {
	box := geo.Box{MinLng: math.Inf(1), MinLat: math.Inf(1), MaxLng: math.Inf(-1), MaxLat: math.Inf(-1)}
	var desa []models.Region
	for _, r := range a.Regions {
		if sh := a.Shapes[r.Code]; sh != nil && r.Kind == models.RegionDesa {
			desa = append(desa, r)
			box = box.Union(sh.Box)
		}
	}
	d := &drawing{Width: mapWidth}
	if len(desa) == 0 {
		return d
	}
	cos := math.Cos((box.MinLat + box.MaxLat) / 2 * math.Pi / 180)
	k := mapWidth / ((box.MaxLng - box.MinLng) * cos)
	d.Height = math.Ceil((box.MaxLat - box.MinLat) * k)
	project := func(p geo.Point) [2]float64 {
		return [2]float64{(p.Lng - box.MinLng) * cos * k, (box.MaxLat - p.Lat) * k}
	}
	for _, r := range desa {
		var b strings.Builder
		for _, poly := range a.Shapes[r.Code].Polygons {
			for _, ring := range poly {
				pts := make([][2]float64, len(ring))
				for i, p := range ring {
					pts[i] = project(p)
				}
				pts = simplify(pts, tolerance)
				if len(pts) < 3 {
					continue
				}
				for i, p := range pts {
					if i == 0 {
						b.WriteByte('M')
					} else {
						b.WriteByte('L')
					}
					b.WriteString(num(p[0]))
					b.WriteByte(' ')
					b.WriteString(num(p[1]))
				}
				b.WriteByte('Z')
			}
		}
		kec := ""
		if r.ParentID != nil {
			if p := a.ByID[*r.ParentID]; p != nil {
				kec = p.Name
			}
		}
		d.Desa = append(d.Desa, desaPath{Code: r.Code, Name: r.Name, Kecamatan: kec, D: b.String()})
	}
	return d
}

func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// simplify is Douglas-Peucker over a closed ring: points closer than tol to the line
// between the kept neighbours are dropped.
func simplify(pts [][2]float64, tol float64) [][2]float64 {
	if len(pts) < 4 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	// A closed ring starts and ends at one point: split it at its farthest point first.
	far, best := 0, -1.0
	for i, p := range pts {
		if d := math.Hypot(p[0]-pts[0][0], p[1]-pts[0][1]); d > best {
			far, best = i, d
		}
	}
	keep[far] = true
	var rec func(a, b int)
	rec = func(a, b int) {
		if b <= a+1 {
			return
		}
		idx, dmax := -1, tol
		for i := a + 1; i < b; i++ {
			if d := segDist(pts[i], pts[a], pts[b]); d > dmax {
				idx, dmax = i, d
			}
		}
		if idx >= 0 {
			keep[idx] = true
			rec(a, idx)
			rec(idx, b)
		}
	}
	rec(0, far)
	rec(far, len(pts)-1)
	out := pts[:0:0]
	for i, p := range pts {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

func segDist(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		return math.Hypot(p[0]-a[0], p[1]-a[1])
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}
