// Package publik serves the public page /publik: each OPD's record, a map of the regency
// shaded by open complaints per desa, and the hotspots. No sign-in and no personal data:
// only counts, shares, medians and place names; it is cacheable for a few minutes.
package publik

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/web/assets"
)

//go:embed templates static
var embedded embed.FS

var static = assets.New(embedded, "static", "/publik/static")

// MaxAge is how long a browser or a proxy may keep the page.
const MaxAge = 5 * time.Minute

// Window is the period the OPDs' record covers.
const Window = 365 * 24 * time.Hour

// Config is what the page reads.
type Config struct {
	DB         *gorm.DB
	Complaints *complaint.Service
	Locales    *locales.Catalog
	Now        func() time.Time // nil: time.Now
	Log        *slog.Logger
}

// Page is the public page's handler.
type Page struct {
	cfg  Config
	tmpl *template.Template

	mu      sync.Mutex
	atlas   *complaint.Atlas
	drawing *drawing
	cache   map[string]cached
}

type cached struct {
	body []byte
	at   time.Time
}

// New builds the page.
func New(cfg Config) *Page {
	p := &Page{cfg: cfg, cache: map[string]cached{}}
	p.tmpl = template.Must(template.New("publik.html").Funcs(template.FuncMap{
		"T": func(lang, key string, kv ...any) string {
			d := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				d[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return cfg.Locales.T(lang, key, d)
		},
		"pct":   func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) },
		"minus": func(a, b int) int { return a - b },
		"one":   func(v float64) string { return strings.Replace(fmt.Sprintf("%.1f", v), ".", ",", 1) },
	}).ParseFS(embedded, "templates/publik.html"))
	return p
}

// Mount adds GET /publik and its static files to mux.
func (p *Page) Mount(handle func(pattern string, h http.Handler)) {
	handle("GET /publik", p)
	handle("GET /publik/static/{file}", static.Handler())
}

func (p *Page) now() time.Time {
	if p.cfg.Now != nil {
		return p.cfg.Now()
	}
	return time.Now()
}

// ServeHTTP renders the page (kept for a minute per category and language).
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := "id"
	if r.URL.Query().Get("lang") == "en" {
		lang = "en"
	}
	cat := strings.TrimSpace(r.URL.Query().Get("kategori"))
	key := lang + "|" + cat
	p.mu.Lock()
	c, ok := p.cache[key]
	p.mu.Unlock()
	if !ok || time.Since(c.at) > time.Minute {
		body, err := p.render(ctx, lang, cat)
		if err != nil {
			if p.cfg.Log != nil {
				p.cfg.Log.ErrorContext(ctx, "public page", slog.Any("error", err))
			}
			http.Error(w, p.cfg.Locales.T(lang, "publik.galat", nil), http.StatusInternalServerError)
			return
		}
		c = cached{body: body, at: time.Now()}
		p.mu.Lock()
		if len(p.cache) > 64 {
			clear(p.cache)
		}
		p.cache[key] = c
		p.mu.Unlock()
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(MaxAge.Seconds())))
	_, _ = w.Write(c.body)
}

// OPDRecord is one OPD's record over Window.
type OPDRecord struct {
	Code, Name string
	Received   int64
	Due        int64   // complaints whose response deadline passed or that were answered
	OnTime     int64   // answered by the deadline
	Share      float64 // OnTime / Due
	Closed     int
	MedianDays float64 // working days from filing to closing, median
	Rated      int64
	Rating     float64
}

// DesaShade is one desa on the map.
type DesaShade struct {
	desaPath
	Open  int64
	Class int // 0 (none) .. 4 (most)
}

// HotspotItem is one active hotspot.
type HotspotItem struct {
	Category  string
	Place     string
	Weight    int
	Reports   int
	Since     time.Time
	SinceText string
}

// legendEntry is one colour class of the map and the counts it holds.
type legendEntry struct {
	Class  int
	Lo, Hi int64
}

type pageData struct {
	Lang, OtherLang string
	Regency         string
	Category        string
	Categories      []models.Category
	CategoryName    string
	OPDs            []OPDRecord
	Width, Height   float64
	Desa            []DesaShade
	Top             []DesaShade // the desa with the most open complaints, for the table
	TotalOpen       int64
	Unplaced        int64
	Legend          []legendEntry
	Hotspots        []HotspotItem
	Updated         string
	StyleURL        string
	Since           string
}

var openStatuses = []string{complaint.StatusTerdisposisi, complaint.StatusDiproses, complaint.StatusPerluInfo}

func (p *Page) render(ctx context.Context, lang, catCode string) ([]byte, error) {
	db := p.cfg.DB.WithContext(ctx)
	now := p.now()
	reg, err := models.RegencyProfile(ctx, db)
	if err != nil {
		return nil, err
	}
	cal, err := p.cfg.Complaints.WorkingCalendar(ctx)
	if err != nil {
		return nil, err
	}
	loc := cal.Location()
	d := pageData{Lang: lang, OtherLang: map[string]string{"id": "en", "en": "id"}[lang], Regency: reg.Name, StyleURL: static.URL("publik.css")}
	d.Updated = complaint.FormatDate(now.In(loc), lang) + " " + now.In(loc).Format("15.04")
	since := now.Add(-Window)
	d.Since = complaint.FormatDate(since.In(loc), lang)
	if err := db.Order("sort, id").Find(&d.Categories).Error; err != nil {
		return nil, fmt.Errorf("load categories: %w", err)
	}
	var catID int64
	for _, c := range d.Categories {
		if c.Code == catCode {
			catID, d.Category, d.CategoryName = c.ID, c.Code, categoryName(c, lang)
		}
	}

	if d.OPDs, err = p.records(ctx, db, cal, since, now); err != nil {
		return nil, err
	}
	if err := p.shade(ctx, db, &d, catID); err != nil {
		return nil, err
	}
	if d.Hotspots, err = p.hotspots(ctx, db, lang, loc, now); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return buf.Bytes(), nil
}

func categoryName(c models.Category, lang string) string {
	if lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

// records is every OPD's record over the window: received, answered in time, median working
// days to close, satisfaction. Duplicates joined to another complaint are not counted.
func (p *Page) records(ctx context.Context, db *gorm.DB, cal *complaint.Calendar, since, now time.Time) ([]OPDRecord, error) {
	var ags []models.Agency
	if err := db.Order("name").Find(&ags).Error; err != nil {
		return nil, fmt.Errorf("load agencies: %w", err)
	}
	var rows []struct {
		AgencyID int64
		Received int64
		OnTime   int64
		Due      int64
		Rated    int64
		Rating   float64
	}
	err := db.Raw(`SELECT agency_id, COUNT(*) AS received,
			SUM(CASE WHEN first_response_at IS NOT NULL AND first_response_at <= respond_by THEN 1 ELSE 0 END) AS on_time,
			SUM(CASE WHEN first_response_at IS NOT NULL OR respond_by < ? THEN 1 ELSE 0 END) AS due,
			COUNT(rating) AS rated, COALESCE(AVG(rating), 0) AS rating
		FROM complaints WHERE created_at >= ? AND duplicate_of_id IS NULL GROUP BY agency_id`, now.UTC(), since.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("record per agency: %w", err)
	}
	var closed []struct {
		AgencyID  int64
		CreatedAt time.Time
		ClosedAt  time.Time
	}
	if err := db.Model(&models.Complaint{}).Select("agency_id, created_at, closed_at").
		Where("status = ? AND closed_at IS NOT NULL AND created_at >= ? AND duplicate_of_id IS NULL", complaint.StatusDitutup, since.UTC()).
		Scan(&closed).Error; err != nil {
		return nil, fmt.Errorf("closed complaints: %w", err)
	}
	days := map[int64][]int{}
	for _, c := range closed {
		days[c.AgencyID] = append(days[c.AgencyID], cal.WorkingDaysBetween(c.CreatedAt, c.ClosedAt))
	}
	byID := map[int64]int{}
	out := make([]OPDRecord, len(ags))
	for i, a := range ags {
		out[i] = OPDRecord{Code: a.Code, Name: a.Name, MedianDays: -1}
		byID[a.ID] = i
	}
	for _, r := range rows {
		i, ok := byID[r.AgencyID]
		if !ok {
			continue
		}
		o := &out[i]
		o.Received, o.OnTime, o.Due, o.Rated, o.Rating = r.Received, r.OnTime, r.Due, r.Rated, r.Rating
		if r.Due > 0 {
			o.Share = float64(r.OnTime) / float64(r.Due)
		}
	}
	for id, ds := range days {
		if i, ok := byID[id]; ok {
			out[i].Closed = len(ds)
			out[i].MedianDays = median(ds)
		}
	}
	return out, nil
}

func median(v []int) float64 {
	if len(v) == 0 {
		return -1
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return float64(v[n/2])
	} else {
		return float64(v[n/2-1]+v[n/2]) / 2
	}
}

// shade counts the open complaints per desa (of one category when catID is set) and gives
// each desa of the map its class.
func (p *Page) shade(ctx context.Context, db *gorm.DB, d *pageData, catID int64) error {
	a, err := p.cfg.Complaints.Atlas(ctx, nil)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.atlas != a || p.drawing == nil {
		p.atlas, p.drawing = a, draw(a)
	}
	dr := p.drawing
	p.mu.Unlock()
	q := db.Model(&models.Complaint{}).Select("region_id, COUNT(*) AS n").Where("status IN ? AND duplicate_of_id IS NULL", openStatuses)
	if catID != 0 {
		q = q.Where("category_id = ?", catID)
	}
	var rows []struct {
		RegionID *int64
		N        int64
	}
	if err := q.Group("region_id").Scan(&rows).Error; err != nil {
		return fmt.Errorf("open complaints per desa: %w", err)
	}
	open := map[string]int64{}
	var maxN int64
	for _, r := range rows {
		d.TotalOpen += r.N
		var reg *models.Region
		if r.RegionID != nil {
			reg = a.ByID[*r.RegionID]
		}
		if reg == nil || reg.Kind != models.RegionDesa {
			d.Unplaced += r.N
			continue
		}
		open[reg.Code] += r.N
		maxN = max(maxN, open[reg.Code])
	}
	// Four classes above zero, split evenly up to the busiest desa: class c holds the desa
	// with more than (c-1)/4 and at most c/4 of the busiest one's count.
	for c := int64(1); c <= 4 && maxN > 0; c++ {
		if lo, hi := (c-1)*maxN/4+1, c*maxN/4; lo <= hi {
			d.Legend = append(d.Legend, legendEntry{Class: int(c), Lo: lo, Hi: hi})
		}
	}
	d.Width, d.Height = dr.Width, dr.Height
	for _, dp := range dr.Desa {
		s := DesaShade{desaPath: dp, Open: open[dp.Code]}
		if s.Open > 0 {
			s.Class = int(min(4, (4*s.Open+maxN-1)/maxN))
		}
		d.Desa = append(d.Desa, s)
	}
	top := slices.Clone(d.Desa)
	top = slices.DeleteFunc(top, func(s DesaShade) bool { return s.Open == 0 })
	slices.SortStableFunc(top, func(a, b DesaShade) int { return int(b.Open - a.Open) })
	d.Top = top[:min(len(top), 10)]
	return nil
}

// hotspots lists the hotspots still within their category's window.
func (p *Page) hotspots(ctx context.Context, db *gorm.DB, lang string, loc *time.Location, now time.Time) ([]HotspotItem, error) {
	var hs []models.Hotspot
	if err := db.Where("last_at >= ?", now.Add(-7*24*time.Hour).UTC()).Order("weight DESC, id").Limit(20).Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("load hotspots: %w", err)
	}
	var out []HotspotItem
	for _, h := range hs {
		var cat models.Category
		if err := db.Where("id = ?", h.CategoryID).Take(&cat).Error; err != nil {
			return nil, fmt.Errorf("load category: %w", err)
		}
		_, _, hours := hotspotRule(cat)
		if h.LastAt.Before(now.Add(-time.Duration(hours) * time.Hour)) {
			continue
		}
		place := p.cfg.Locales.T(lang, "publik.sekitar_titik", nil)
		if h.RegionID != nil {
			var r models.Region
			if err := db.Where("id = ?", *h.RegionID).Take(&r).Error; err == nil {
				place = p.cfg.Locales.T(lang, "publik.desa", map[string]any{"nama": r.Name})
				if r.ParentID != nil {
					var k models.Region
					if err := db.Where("id = ?", *r.ParentID).Take(&k).Error; err == nil {
						place += ", " + p.cfg.Locales.T(lang, "publik.kec", map[string]any{"nama": k.Name})
					}
				}
			}
		}
		out = append(out, HotspotItem{Category: categoryName(cat, lang), Place: place, Weight: h.Weight, Reports: h.Complaints,
			Since: h.FirstAt, SinceText: complaint.FormatDate(h.FirstAt.In(loc), lang)})
	}
	return out, nil
}

func hotspotRule(c models.Category) (min, radius, hours int) {
	min, radius, hours = c.HotspotMin, c.HotspotRadiusM, c.HotspotHours
	if hours <= 0 {
		hours = complaint.HotspotHours
	}
	return min, radius, hours
}
