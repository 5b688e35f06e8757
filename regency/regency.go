// Package regency reads the file that describes one regency's government (its
// name and ticket prefix, OPDs, complaint categories, regions and holidays) and
// loads it into the database.
package regency

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
)

// Default is the embedded sample regency file: Kabupaten Ogan Komering Ilir.
//
//go:embed oki.yaml
var Default []byte

// sample holds the sample regency file with the boundary files it names.
//
//go:embed oki.yaml data/oki-kecamatan.geojson data/oki-desa.geojson data/oki-logo.svg
var sample embed.FS

// DefaultFile is the sample regency, parsed, with its boundaries. It is parsed
// once per process; callers must not change it.
func DefaultFile() (*File, error) { return defaultFile() }

var defaultFile = sync.OnceValues(func() (*File, error) { return ParseFS(sample, "oki.yaml") })

// File is a parsed regency file.
type File struct {
	Regency    RegencySpec    `yaml:"regency"`
	Agencies   []AgencySpec   `yaml:"agencies"`
	Categories []CategorySpec `yaml:"categories"`
	// Hotspot is the hotspot rule of every category that sets none of its own.
	Hotspot    *HotspotSpec  `yaml:"hotspot"`
	Regions    []RegionSpec  `yaml:"regions"`
	Boundaries BoundarySpec  `yaml:"boundaries"`
	Holidays   []HolidaySpec `yaml:"holidays"`

	// Shapes holds the boundary of each region code that has one (a GeoJSON geometry),
	// read from the Boundaries files by ParseFS; Parse alone reads none.
	Shapes map[string][]byte `yaml:"-"`
	// Logo is the regency's logo as a data: URL, read from Regency.Logo by ParseFS; "" without one.
	Logo string `yaml:"-"`
}

// BoundarySpec names the GeoJSON files (paths relative to the regency file) with the
// boundaries of the kecamatan and of the desa/kelurahan; either may be empty.
type BoundarySpec struct {
	Kecamatan string `yaml:"kecamatan"`
	Desa      string `yaml:"desa"`
}

// RegencySpec names the regency and its ticket prefix and timezone.
type RegencySpec struct {
	Name         string `yaml:"name"`
	ShortName    string `yaml:"short_name"`
	TicketPrefix string `yaml:"ticket_prefix"`
	Timezone     string `yaml:"timezone"`
	// Logo is an SVG, PNG, JPEG or WebP file (path relative to the regency file, at most
	// MaxLogoBytes) the web chat shows beside the regency's name.
	Logo string `yaml:"logo"`
	// Center is where a map opens when the phone gives no position (the regency's seat).
	Center *PointSpec `yaml:"center"`
}

// PointSpec is a point in latitude/longitude.
type PointSpec struct {
	Lat float64 `yaml:"lat"`
	Lng float64 `yaml:"lng"`
}

// MaxLogoBytes bounds the logo file: the web chat serves it with every first visit.
const MaxLogoBytes = 64 << 10

// logoTypes are the logo formats accepted, by what http.DetectContentType says (SVG is text).
var logoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true}

// AgencySpec is one OPD.
type AgencySpec struct {
	Code      string `yaml:"code"`
	Name      string `yaml:"name"`
	ShortName string `yaml:"short_name"`
	Triage    bool   `yaml:"triage"`
}

// CategorySpec is one complaint category; its position in the file is its display order.
type CategorySpec struct {
	Code       string `yaml:"code"`
	Name       string `yaml:"name"`
	NameEN     string `yaml:"name_en"`
	Agency     string `yaml:"agency"`
	TargetDays int    `yaml:"target_days"`
	// Words are the everyday words and synonyms citizens use for the category: the bot
	// recognizes the category of a typed complaint by them.
	Words []string `yaml:"words"`
	// Hotspot overrides the file's hotspot rule for this category.
	Hotspot *HotspotSpec `yaml:"hotspot"`
}

// HotspotSpec is when complaints of a category make a hotspot: at least Min complaints plus
// supporters in one desa, or within RadiusM metres of the latest, filed within Hours.
type HotspotSpec struct {
	Min     int `yaml:"min"`
	RadiusM int `yaml:"radius_m"`
	Hours   int `yaml:"hours"`
}

// rule is h over def, field by field.
func (h *HotspotSpec) rule(def *HotspotSpec) HotspotSpec {
	var out HotspotSpec
	for _, x := range []*HotspotSpec{def, h} {
		if x == nil {
			continue
		}
		if x.Min > 0 {
			out.Min = x.Min
		}
		if x.RadiusM > 0 {
			out.RadiusM = x.RadiusM
		}
		if x.Hours > 0 {
			out.Hours = x.Hours
		}
	}
	return out
}

func checkHotspot(add func(string, ...any), at string, h *HotspotSpec) {
	if h == nil {
		return
	}
	if h.Min < 0 || h.Min > 1000 {
		add("%s.hotspot.min: %d must be between 1 and 1000", at, h.Min)
	}
	if h.RadiusM < 0 || h.RadiusM > 5000 {
		add("%s.hotspot.radius_m: %d must be between 1 and 5000", at, h.RadiusM)
	}
	if h.Hours < 0 || h.Hours > 24*31 {
		add("%s.hotspot.hours: %d must be between 1 and 744", at, h.Hours)
	}
}

// RegionSpec is a kecamatan with its desa/kelurahan.
type RegionSpec struct {
	Code string     `yaml:"code"`
	Name string     `yaml:"name"`
	Desa []DesaSpec `yaml:"desa"`
}

// DesaSpec is one desa or kelurahan.
type DesaSpec struct {
	Code string `yaml:"code"`
	Name string `yaml:"name"`
}

// HolidaySpec is a national holiday or cuti bersama.
type HolidaySpec struct {
	Date string `yaml:"date"` // YYYY-MM-DD
	Name string `yaml:"name"`
	Kind string `yaml:"kind"` // libur or cuti_bersama
	// Estimated marks a date not yet fixed by the SKB 3 Menteri; admins must replace it once published.
	Estimated bool `yaml:"estimated"`
}

// MaxWordRunes bounds one word or phrase of a category's vocabulary.
const MaxWordRunes = 60

var (
	prefixRe    = regexp.MustCompile(`^[A-Z]{2,6}$`)
	agencyRe    = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,31}$`)
	categoryRe  = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)
	kecamatanRe = regexp.MustCompile(`^\d{2}\.\d{2}\.\d{2}$`)
	desaRe      = regexp.MustCompile(`^\d{2}\.\d{2}\.\d{2}\.\d{4}$`)
)

// Parse decodes and validates a regency file. Errors name the offending field,
// e.g. `categories[2] (adminduk).agency: unknown agency "DUKCAPIL"`.
func Parse(src []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse regency file: %w", err)
	}
	if problems := f.validate(); len(problems) > 0 {
		return nil, fmt.Errorf("invalid regency file:\n  %s", strings.Join(problems, "\n  "))
	}
	return &f, nil
}

// ReadFile parses the regency file at path and the boundary files it names.
func ReadFile(p string) (*File, error) {
	return ParseFS(os.DirFS(filepath.Dir(p)), filepath.Base(p))
}

// ParseFS parses the regency file name in fsys and reads the boundary files it
// names (relative to it). Every feature of a boundary file must be a region of
// the file at the right level; errors name the file and the feature.
func ParseFS(fsys fs.FS, name string) (*File, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read regency file: %w", err)
	}
	f, err := Parse(src)
	if err != nil {
		return nil, err
	}
	levels := map[string]string{}
	for _, k := range f.Regions {
		levels[k.Code] = models.RegionKecamatan
		for _, d := range k.Desa {
			levels[d.Code] = models.RegionDesa
		}
	}
	f.Shapes = map[string][]byte{}
	var problems []string
	if f.Regency.Logo != "" {
		logo, err := readLogo(fsys, path.Join(path.Dir(name), f.Regency.Logo))
		if err != nil {
			problems = append(problems, "regency.logo: "+err.Error())
		}
		f.Logo = logo
	}
	for _, b := range []struct{ field, file, level string }{
		{"boundaries.kecamatan", f.Boundaries.Kecamatan, models.RegionKecamatan},
		{"boundaries.desa", f.Boundaries.Desa, models.RegionDesa},
	} {
		if b.file == "" {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(path.Dir(name), b.file))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", b.field, err))
			continue
		}
		features, err := geo.ParseFeatures(data)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (%s): %v", b.field, b.file, err))
			continue
		}
		for i, ft := range features {
			at := fmt.Sprintf("%s (%s): features[%d] (%s %s)", b.field, b.file, i, ft.Code, ft.Name)
			switch levels[ft.Code] {
			case "":
				problems = append(problems, at+": code is not in regions")
			case b.level:
				f.Shapes[ft.Code] = []byte(ft.Geometry)
			default:
				problems = append(problems, fmt.Sprintf("%s: code is a %s in regions, not a %s", at, levels[ft.Code], b.level))
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid regency file:\n  %s", strings.Join(problems, "\n  "))
	}
	return f, nil
}

// validate returns one message per problem, each starting with the field's path.
func (f *File) validate() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	r := f.Regency
	if strings.TrimSpace(r.Name) == "" {
		add("regency.name: required")
	}
	if !prefixRe.MatchString(r.TicketPrefix) {
		add("regency.ticket_prefix: %q must be 2 to 6 capital letters", r.TicketPrefix)
	}
	if c := r.Center; c != nil && (c.Lat < -90 || c.Lat > 90 || c.Lng < -180 || c.Lng > 180 || c.Lat == 0 && c.Lng == 0) {
		add("regency.center: %v, %v is not a point (lat -90..90, lng -180..180)", c.Lat, c.Lng)
	}
	if r.Timezone == "" {
		add("regency.timezone: required, e.g. Asia/Jakarta")
	} else if _, err := time.LoadLocation(r.Timezone); err != nil {
		add("regency.timezone: unknown timezone %q", r.Timezone)
	}

	agencies := map[string]bool{}
	triage := 0
	if len(f.Agencies) == 0 {
		add("agencies: at least one agency is required")
	}
	for i, a := range f.Agencies {
		at := fmt.Sprintf("agencies[%d] (%s)", i, a.Code)
		switch {
		case !agencyRe.MatchString(a.Code):
			add("%s.code: %q must be capital letters, digits or _", at, a.Code)
		case agencies[a.Code]:
			add("%s.code: duplicate code %q", at, a.Code)
		}
		agencies[a.Code] = true
		if strings.TrimSpace(a.Name) == "" {
			add("%s.name: required", at)
		}
		if a.Triage {
			triage++
		}
	}
	if len(f.Agencies) > 0 && triage != 1 {
		add("agencies: exactly one agency must have triage: true, found %d", triage)
	}

	categories := map[string]bool{}
	checkHotspot(add, "hotspot", f.Hotspot)
	if len(f.Categories) == 0 {
		add("categories: at least one category is required")
	}
	for i, c := range f.Categories {
		at := fmt.Sprintf("categories[%d] (%s)", i, c.Code)
		switch {
		case !categoryRe.MatchString(c.Code):
			add("%s.code: %q must be lower-case letters, digits or _", at, c.Code)
		case categories[c.Code]:
			add("%s.code: duplicate code %q", at, c.Code)
		}
		categories[c.Code] = true
		if strings.TrimSpace(c.Name) == "" {
			add("%s.name: required", at)
		}
		if strings.TrimSpace(c.NameEN) == "" {
			add("%s.name_en: required", at)
		}
		if !agencies[c.Agency] {
			add("%s.agency: unknown agency %q", at, c.Agency)
		}
		if c.TargetDays < 1 || c.TargetDays > 365 {
			add("%s.target_days: %d must be between 1 and 365", at, c.TargetDays)
		}
		checkHotspot(add, at, c.Hotspot)
		for j, w := range c.Words {
			switch {
			case strings.TrimSpace(w) == "":
				add("%s.words[%d]: empty word", at, j)
			case strings.ContainsAny(w, ",;\n"):
				add("%s.words[%d]: %q must not contain a comma, semicolon or line break", at, j, w)
			case len([]rune(w)) > MaxWordRunes:
				add("%s.words[%d]: %q is longer than %d characters", at, j, w, MaxWordRunes)
			}
		}
	}

	regions := map[string]bool{}
	for i, k := range f.Regions {
		at := fmt.Sprintf("regions[%d] (%s)", i, k.Name)
		switch {
		case !kecamatanRe.MatchString(k.Code):
			add("%s.code: %q must look like 16.02.05", at, k.Code)
		case regions[k.Code]:
			add("%s.code: duplicate code %q", at, k.Code)
		}
		regions[k.Code] = true
		if strings.TrimSpace(k.Name) == "" {
			add("%s.name: required", at)
		}
		for j, d := range k.Desa {
			dat := fmt.Sprintf("%s.desa[%d] (%s)", at, j, d.Name)
			switch {
			case !desaRe.MatchString(d.Code):
				add("%s.code: %q must look like 16.02.05.1001", dat, d.Code)
			case !strings.HasPrefix(d.Code, k.Code+"."):
				add("%s.code: %q does not start with its kecamatan code %s", dat, d.Code, k.Code)
			case regions[d.Code]:
				add("%s.code: duplicate code %q", dat, d.Code)
			}
			regions[d.Code] = true
			if strings.TrimSpace(d.Name) == "" {
				add("%s.name: required", dat)
			}
		}
	}

	dates := map[string]bool{}
	for i, h := range f.Holidays {
		at := fmt.Sprintf("holidays[%d] (%s)", i, h.Date)
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			add("%s.date: %q must be YYYY-MM-DD", at, h.Date)
		} else if dates[h.Date] {
			add("%s.date: duplicate date", at)
		}
		dates[h.Date] = true
		if strings.TrimSpace(h.Name) == "" {
			add("%s.name: required", at)
		}
		if h.Kind != models.HolidayLibur && h.Kind != models.HolidayCutiBersama {
			add("%s.kind: %q must be libur or cuti_bersama", at, h.Kind)
		}
	}
	return problems
}

// Load upserts f into db by code (by date for holidays) in one transaction. It
// adds new rows and updates changed ones, never deletes, and leaves unchanged rows
// untouched, so loading the same file twice changes nothing.
func Load(ctx context.Context, db *gorm.DB, f *File) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := loadRegency(tx, f.Regency, f.Logo); err != nil {
			return err
		}
		agencyIDs, err := loadAgencies(tx, f.Agencies)
		if err != nil {
			return err
		}
		if err := loadCategories(tx, f.Categories, f.Hotspot, agencyIDs); err != nil {
			return err
		}
		regionIDs, err := loadRegions(tx, f.Regions)
		if err != nil {
			return err
		}
		if err := loadBoundaries(tx, f.Shapes, regionIDs); err != nil {
			return err
		}
		return loadHolidays(tx, f.Holidays)
	})
	if err != nil {
		return fmt.Errorf("load regency %s: %w", f.Regency.Name, err)
	}
	return nil
}

// LoadIfEmpty loads Default when the database has no regency yet and reports whether it did.
func LoadIfEmpty(ctx context.Context, db *gorm.DB) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&models.Regency{}).Count(&n).Error; err != nil {
		return false, fmt.Errorf("count regencies: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	f, err := DefaultFile()
	if err != nil {
		return false, err
	}
	if err := Load(ctx, db, f); err != nil {
		return false, err
	}
	slog.InfoContext(ctx, "sample regency loaded", slog.String("regency", f.Regency.Name),
		slog.Int("categories", len(f.Categories)), slog.Int("holidays", len(f.Holidays)))
	return true, nil
}

// UpgradeSample brings a database that was seeded with an older copy of the
// sample regency up to the current one's regions: every desa/kelurahan with its
// real code and the boundaries. It only acts when the database's regency is the
// sample's (same name and ticket prefix) and no region has a boundary yet, so a
// regency seeded from its own file is never touched; it adds and updates, never
// deletes. Migration 0012 has already given the old sample's twelve made-up desa
// codes their real ones, so complaints keep pointing at the right desa.
func UpgradeSample(ctx context.Context, db *gorm.DB) (bool, error) {
	f, err := DefaultFile()
	if err != nil {
		return false, err
	}
	var reg models.Regency
	if err := db.WithContext(ctx).Order("id").Limit(1).Find(&reg).Error; err != nil {
		return false, fmt.Errorf("load regency: %w", err)
	}
	if reg.ID == 0 || reg.Name != f.Regency.Name || reg.TicketPrefix != f.Regency.TicketPrefix {
		return false, nil
	}
	var n int64
	if err := db.WithContext(ctx).Model(&models.RegionBoundary{}).Count(&n).Error; err != nil {
		return false, fmt.Errorf("count region boundaries: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids, err := loadRegions(tx, f.Regions)
		if err != nil {
			return err
		}
		return loadBoundaries(tx, f.Shapes, ids)
	})
	if err != nil {
		return false, fmt.Errorf("upgrade sample regions: %w", err)
	}
	slog.InfoContext(ctx, "sample regency regions upgraded: every desa with its code and boundary",
		slog.Int("boundaries", len(f.Shapes)))
	return true, nil
}

func loadRegency(tx *gorm.DB, r RegencySpec, logo string) error {
	want := models.Regency{Name: r.Name, ShortName: r.ShortName, TicketPrefix: r.TicketPrefix, Timezone: r.Timezone, Logo: logo}
	if r.Center != nil {
		want.CenterLat, want.CenterLng = &r.Center.Lat, &r.Center.Lng
	}
	var have models.Regency
	err := tx.Order("id").Take(&have).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return tx.Create(&want).Error
	}
	if err != nil {
		return fmt.Errorf("regency: %w", err)
	}
	if have.Name == want.Name && have.ShortName == want.ShortName && have.TicketPrefix == want.TicketPrefix &&
		have.Timezone == want.Timezone && have.Logo == want.Logo && samePoint(have.CenterLat, want.CenterLat) &&
		samePoint(have.CenterLng, want.CenterLng) {
		return nil
	}
	return tx.Model(&have).Select("name", "short_name", "ticket_prefix", "timezone", "logo", "center_lat", "center_lng").Updates(&want).Error
}

func loadAgencies(tx *gorm.DB, specs []AgencySpec) (map[string]int64, error) {
	var rows []models.Agency
	if err := tx.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("agencies: %w", err)
	}
	byCode := map[string]models.Agency{}
	ids := map[string]int64{}
	for _, r := range rows {
		byCode[r.Code] = r
		ids[r.Code] = r.ID
	}
	for _, s := range specs {
		want := models.Agency{Code: s.Code, Name: s.Name, ShortName: s.ShortName, Triage: s.Triage}
		have, ok := byCode[s.Code]
		switch {
		case !ok:
			if err := tx.Create(&want).Error; err != nil {
				return nil, fmt.Errorf("agency %s: %w", s.Code, err)
			}
			ids[s.Code] = want.ID
		case have.Name != want.Name || have.ShortName != want.ShortName || have.Triage != want.Triage:
			if err := tx.Model(&have).Select("name", "short_name", "triage").Updates(&want).Error; err != nil {
				return nil, fmt.Errorf("agency %s: %w", s.Code, err)
			}
		}
	}
	return ids, nil
}

func loadCategories(tx *gorm.DB, specs []CategorySpec, hotspot *HotspotSpec, agencyIDs map[string]int64) error {
	var rows []models.Category
	if err := tx.Find(&rows).Error; err != nil {
		return fmt.Errorf("categories: %w", err)
	}
	byCode := map[string]models.Category{}
	for _, r := range rows {
		byCode[r.Code] = r
	}
	for i, s := range specs {
		hr := s.Hotspot.rule(hotspot)
		want := models.Category{Code: s.Code, Name: s.Name, NameEN: s.NameEN, AgencyID: agencyIDs[s.Agency],
			TargetDays: s.TargetDays, Sort: (i + 1) * 10, Words: models.JoinWords(s.Words),
			HotspotMin: hr.Min, HotspotRadiusM: hr.RadiusM, HotspotHours: hr.Hours}
		have, ok := byCode[s.Code]
		switch {
		case !ok:
			if err := tx.Create(&want).Error; err != nil {
				return fmt.Errorf("category %s: %w", s.Code, err)
			}
		case have.Name != want.Name || have.NameEN != want.NameEN || have.AgencyID != want.AgencyID ||
			have.TargetDays != want.TargetDays || have.Sort != want.Sort || have.Words != want.Words ||
			have.HotspotMin != want.HotspotMin || have.HotspotRadiusM != want.HotspotRadiusM || have.HotspotHours != want.HotspotHours:
			err := tx.Model(&have).Select("name", "name_en", "agency_id", "target_days", "sort", "words",
				"hotspot_min", "hotspot_radius_m", "hotspot_hours").Updates(&want).Error
			if err != nil {
				return fmt.Errorf("category %s: %w", s.Code, err)
			}
		}
	}
	return nil
}

func loadRegions(tx *gorm.DB, specs []RegionSpec) (map[string]int64, error) {
	var rows []models.Region
	if err := tx.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	ids := map[string]int64{}
	byCode := map[string]models.Region{}
	for _, r := range rows {
		byCode[r.Code] = r
		ids[r.Code] = r.ID
	}
	// New rows go in one multi-row insert per level (a regency has hundreds of desa);
	// changed rows are updated one by one.
	upsert := func(level []models.Region) error {
		var fresh []models.Region
		for _, want := range level {
			have, ok := byCode[want.Code]
			switch {
			case !ok:
				fresh = append(fresh, want)
			case have.Name != want.Name || have.Kind != want.Kind || !sameID(have.ParentID, want.ParentID):
				if err := tx.Model(&have).Select("name", "kind", "parent_id").Updates(&want).Error; err != nil {
					return fmt.Errorf("region %s: %w", want.Code, err)
				}
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		if err := tx.CreateInBatches(&fresh, 200).Error; err != nil {
			return fmt.Errorf("regions: %w", err)
		}
		for _, r := range fresh {
			ids[r.Code] = r.ID
		}
		return nil
	}
	kec := make([]models.Region, 0, len(specs))
	for _, k := range specs {
		kec = append(kec, models.Region{Code: k.Code, Name: k.Name, Kind: models.RegionKecamatan})
	}
	if err := upsert(kec); err != nil {
		return nil, err
	}
	var desa []models.Region
	for _, k := range specs {
		kid := ids[k.Code]
		for _, d := range k.Desa {
			desa = append(desa, models.Region{Code: d.Code, Name: d.Name, Kind: models.RegionDesa, ParentID: &kid})
		}
	}
	if err := upsert(desa); err != nil {
		return nil, err
	}
	return ids, nil
}

// loadBoundaries stores the boundary of each region that has one in shapes; a
// region whose boundary is absent from shapes keeps the one it has.
func loadBoundaries(tx *gorm.DB, shapes map[string][]byte, ids map[string]int64) error {
	if len(shapes) == 0 {
		return nil
	}
	var rows []models.RegionBoundary
	if err := tx.Find(&rows).Error; err != nil {
		return fmt.Errorf("region boundaries: %w", err)
	}
	have := map[int64]string{}
	for _, r := range rows {
		have[r.RegionID] = r.Geometry
	}
	now := time.Now().UTC()
	codes := make([]string, 0, len(shapes))
	for code := range shapes {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var fresh []models.RegionBoundary
	for _, code := range codes {
		g := shapes[code]
		id, ok := ids[code]
		if !ok {
			return fmt.Errorf("boundary of %s: region not loaded", code)
		}
		old, exists := have[id]
		switch {
		case !exists:
			fresh = append(fresh, models.RegionBoundary{RegionID: id, Geometry: string(g), UpdatedAt: now})
		case old != string(g):
			if err := tx.Model(&models.RegionBoundary{}).Where("region_id = ?", id).
				Updates(map[string]any{"geometry": string(g), "updated_at": now}).Error; err != nil {
				return fmt.Errorf("boundary of %s: %w", code, err)
			}
		}
	}
	if len(fresh) > 0 {
		if err := tx.CreateInBatches(&fresh, 100).Error; err != nil {
			return fmt.Errorf("region boundaries: %w", err)
		}
	}
	return nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func loadHolidays(tx *gorm.DB, specs []HolidaySpec) error {
	var rows []models.Holiday
	if err := tx.Find(&rows).Error; err != nil {
		return fmt.Errorf("holidays: %w", err)
	}
	byDate := map[string]models.Holiday{}
	for _, r := range rows {
		byDate[r.Date] = r
	}
	for _, s := range specs {
		want := models.Holiday{Date: s.Date, Name: s.Name, Kind: s.Kind}
		have, ok := byDate[s.Date]
		switch {
		case !ok:
			if err := tx.Create(&want).Error; err != nil {
				return fmt.Errorf("holiday %s: %w", s.Date, err)
			}
		case have.Name != want.Name || have.Kind != want.Kind:
			if err := tx.Model(&have).Select("name", "kind").Updates(&want).Error; err != nil {
				return fmt.Errorf("holiday %s: %w", s.Date, err)
			}
		}
	}
	return nil
}

func samePoint(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// readLogo reads a logo file and returns it as a data: URL.
func readLogo(fsys fs.FS, name string) (string, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", err
	}
	if len(data) > MaxLogoBytes {
		return "", fmt.Errorf("%s is %d KB; at most %d KB", name, len(data)>>10, MaxLogoBytes>>10)
	}
	mime := http.DetectContentType(data)
	if strings.HasSuffix(strings.ToLower(name), ".svg") && bytes.Contains(data, []byte("<svg")) {
		mime = "image/svg+xml"
	} else if !logoTypes[mime] {
		return "", fmt.Errorf("%s is %s; use SVG, PNG, JPEG or WebP", name, mime)
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data), nil
}
