package complaint

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
)

// Place is where a map point falls in the regency.
type Place struct {
	Desa      *models.Region // the desa/kelurahan holding the point; nil when none does
	Kecamatan *models.Region // its kecamatan (or the kecamatan holding the point); nil when none
	// Inside reports the point in the regency: a kecamatan or desa boundary holds it.
	Inside bool
	// Known reports that the regency has boundaries at all; without them nothing is placed
	// and a point is never called outside.
	Known bool
}

// Region is the most precise region of the place (the desa, else the kecamatan), or nil.
func (p Place) Region() *models.Region {
	if p.Desa != nil {
		return p.Desa
	}
	return p.Kecamatan
}

// Places is the regency's map: its regions with their boundaries, read from the
// database and indexed for point lookups. It is read again every PlacesTTL, so a
// `seed` of new boundaries on a running bot is seen; Reset reads it at once.
type Places struct {
	DB *gorm.DB

	mu     sync.Mutex
	atlas  *Atlas
	loaded time.Time
}

// PlacesTTL is how long the map read from the database is used before it is read again.
const PlacesTTL = 5 * time.Minute

// Atlas is one reading of the regency's regions and boundaries.
type Atlas struct {
	Regions []models.Region // every region, kecamatan and desa, ordered by code
	ByID    map[int64]*models.Region
	ByCode  map[string]*models.Region
	Shapes  map[string]*geo.Shape // region code -> boundary, for the regions that have one
	desa    *geo.Index
	kec     *geo.Index
}

// Reset forgets the map read earlier, so the next lookup reads the database.
func (p *Places) Reset() {
	p.mu.Lock()
	p.atlas = nil
	p.mu.Unlock()
}

// Atlas returns the regency's map, reading it when it is not read yet or is older
// than PlacesTTL. db may be a transaction (nil means p.DB).
func (p *Places) Atlas(ctx context.Context, db *gorm.DB) (*Atlas, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.atlas != nil && time.Since(p.loaded) < PlacesTTL {
		return p.atlas, nil
	}
	if db == nil {
		db = p.DB
	}
	a, err := LoadAtlas(ctx, db)
	if err != nil {
		return nil, err
	}
	p.atlas, p.loaded = a, time.Now()
	return a, nil
}

// LoadAtlas reads every region and boundary from db and indexes them.
func LoadAtlas(ctx context.Context, db *gorm.DB) (*Atlas, error) {
	db = db.Session(&gorm.Session{NewDB: true}).WithContext(ctx)
	a := &Atlas{ByID: map[int64]*models.Region{}, ByCode: map[string]*models.Region{}, Shapes: map[string]*geo.Shape{}}
	if err := db.Order("code").Find(&a.Regions).Error; err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	for i := range a.Regions {
		r := &a.Regions[i]
		a.ByID[r.ID], a.ByCode[r.Code] = r, r
	}
	var bounds []models.RegionBoundary
	if err := db.Find(&bounds).Error; err != nil {
		return nil, fmt.Errorf("load region boundaries: %w", err)
	}
	var desa, kec []geo.Region
	for _, b := range bounds {
		r := a.ByID[b.RegionID]
		if r == nil {
			continue
		}
		shape, err := geo.ParseGeometry([]byte(b.Geometry))
		if err != nil {
			return nil, fmt.Errorf("boundary of %s: %w", r.Code, err)
		}
		a.Shapes[r.Code] = shape
		if r.Kind == models.RegionDesa {
			desa = append(desa, geo.Region{Code: r.Code, Shape: shape})
		} else {
			kec = append(kec, geo.Region{Code: r.Code, Shape: shape})
		}
	}
	a.desa, a.kec = geo.NewIndex(desa), geo.NewIndex(kec)
	return a, nil
}

// Locate places the point (lat, lng) in its desa and kecamatan.
func (a *Atlas) Locate(lat, lng float64) Place {
	pl := Place{Known: a.desa.Len()+a.kec.Len() > 0}
	pt := geo.Point{Lng: lng, Lat: lat}
	if code := a.desa.Locate(pt); code != "" {
		pl.Desa = a.ByCode[code]
		if pl.Desa.ParentID != nil {
			pl.Kecamatan = a.ByID[*pl.Desa.ParentID]
		}
	}
	if pl.Kecamatan == nil {
		if code := a.kec.Locate(pt); code != "" {
			pl.Kecamatan = a.ByCode[code]
		}
	}
	pl.Inside = pl.Desa != nil || pl.Kecamatan != nil
	return pl
}

// Box is the bounding box of every boundary of the regency.
func (a *Atlas) Box() geo.Box {
	b := a.kec.Box()
	if a.desa.Len() > 0 {
		b = b.Union(a.desa.Box())
	}
	return b
}

// DesaIn finds the desa/kelurahan of kecamatan kecCode that a typed address names
// ("Desa Sukadana, depan masjid"): the longest name found as whole words, or nil.
func (a *Atlas) DesaIn(kecCode, address string) *models.Region {
	k := a.ByCode[kecCode]
	if k == nil {
		return nil
	}
	text := " " + wordsOf(address) + " "
	var best *models.Region
	for i := range a.Regions {
		r := &a.Regions[i]
		if r.Kind != models.RegionDesa || r.ParentID == nil || *r.ParentID != k.ID {
			continue
		}
		name := wordsOf(r.Name)
		if name == "" || !strings.Contains(text, " "+name+" ") && !strings.Contains(text, " "+strings.ReplaceAll(name, " ", "")+" ") {
			continue
		}
		if best == nil || len(r.Name) > len(best.Name) {
			best = r
		}
	}
	return best
}

// wordsOf lower-cases s and keeps its letters and digits, words separated by one space
// ("Jua-Jua" and "jua jua" both become "jua jua").
func wordsOf(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// places is s.Places, made on first use.
func (s *Service) places() *Places {
	s.placesOnce.Do(func() {
		if s.Places == nil {
			s.Places = &Places{DB: s.DB}
		}
	})
	return s.Places
}

// ResetPlaces drops the regency's map read earlier (the console changed a region).
func (s *Service) ResetPlaces() { s.places().Reset() }

// Locate places the point (lat, lng) in the regency's desa and kecamatan.
func (s *Service) Locate(ctx context.Context, tx *gorm.DB, lat, lng float64) (Place, error) {
	a, err := s.places().Atlas(ctx, s.db(tx))
	if err != nil {
		return Place{}, err
	}
	return a.Locate(lat, lng), nil
}

// Atlas is the regency's map (regions and boundaries), read at most every PlacesTTL.
func (s *Service) Atlas(ctx context.Context, tx *gorm.DB) (*Atlas, error) {
	return s.places().Atlas(ctx, s.db(tx))
}

// PlaceUnplaced gives every complaint that has a map point but no region the desa
// (or kecamatan) holding its point, in batches, and returns how many it placed.
// `seed` and the upgrade of the sample run it once the boundaries are loaded, so
// reports filed before the regency had boundaries get their place too.
func PlaceUnplaced(ctx context.Context, db *gorm.DB) (int, error) {
	a, err := LoadAtlas(ctx, db)
	if err != nil {
		return 0, err
	}
	if a.desa.Len()+a.kec.Len() == 0 {
		return 0, nil
	}
	placed := 0
	var after int64
	for {
		var rows []struct {
			ID       int64
			Lat, Lng float64
		}
		err := db.WithContext(ctx).Model(&models.Complaint{}).Select("id, lat, lng").
			Where("region_id IS NULL AND lat IS NOT NULL AND lng IS NOT NULL AND id > ?", after).
			Order("id").Limit(1000).Scan(&rows).Error
		if err != nil {
			return placed, fmt.Errorf("load unplaced complaints: %w", err)
		}
		if len(rows) == 0 {
			return placed, nil
		}
		err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, r := range rows {
				after = r.ID
				if reg := a.Locate(r.Lat, r.Lng).Region(); reg != nil {
					if err := tx.Model(&models.Complaint{}).Where("id = ? AND region_id IS NULL", r.ID).
						Update("region_id", reg.ID).Error; err != nil {
						return fmt.Errorf("place complaint %d: %w", r.ID, err)
					}
					placed++
				}
			}
			return nil
		})
		if err != nil {
			return placed, err
		}
	}
}
