package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// dataPath is the master-data page.
const dataPath = Prefix + "/data"

// registerMasterData mounts the master-data pages: leaders may read them, only admins change them.
func (c *Console) registerMasterData(mux Handler) {
	mux.Handle("GET "+dataPath, c.page(readAll, c.masterData))
	mux.Handle("POST "+dataPath+"/opd", c.page(adminOnly, c.saveAgency))
	mux.Handle("POST "+dataPath+"/opd/{id}", c.page(adminOnly, c.saveAgency))
	mux.Handle("POST "+dataPath+"/kategori", c.page(adminOnly, c.saveCategory))
	mux.Handle("POST "+dataPath+"/kategori/{id}", c.page(adminOnly, c.saveCategory))
	mux.Handle("POST "+dataPath+"/libur", c.page(adminOnly, c.addHoliday))
	mux.Handle("POST "+dataPath+"/libur/{id}", c.page(adminOnly, c.editHoliday))
	mux.Handle("POST "+dataPath+"/libur/{id}/hapus", c.page(adminOnly, c.removeHoliday))
	mux.Handle("POST "+dataPath+"/wilayah", c.page(adminOnly, c.saveRegion))
	mux.Handle("POST "+dataPath+"/wilayah/{id}", c.page(adminOnly, c.saveRegion))
	c.registerOfficers(mux)
}

// masterPage is what the master-data template shows.
type masterPage struct {
	Agencies   []models.Agency
	Categories []models.Category
	Holidays   []models.Holiday
	AgencyCode map[int64]string
	Kecamatan  []models.Region
	Desa       map[int64][]models.Region // per kecamatan ID
	// RetentionYears is how long a closed complaint keeps its reporter's personal data.
	RetentionYears int
}

// flashes are the success messages a redirect back to the page may name.
var dataFlashes = map[string]bool{"opd": true, "kategori": true, "libur": true, "libur_ubah": true, "libur_hapus": true, "wilayah": true}

// dataInputError is a validation failure; its key names the Indonesian message.
type dataInputError struct{ key string }

func (e dataInputError) Error() string { return "invalid input: " + e.key }

var (
	agencyCodeRe   = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,19}$`)
	categoryCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,29}$`)
	dateRe         = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	kecamatanRe    = regexp.MustCompile(`^\d{2}\.\d{2}\.\d{2}$`)
	desaRe         = regexp.MustCompile(`^\d{2}\.\d{2}\.\d{2}\.\d{4}$`)
)

func (c *Console) loadMaster(ctx context.Context) (*masterPage, error) {
	db := c.cfg.DB.WithContext(ctx)
	p := &masterPage{AgencyCode: map[int64]string{}, Desa: map[int64][]models.Region{}, RetentionYears: c.cfg.RetentionYears}
	if p.RetentionYears <= 0 {
		p.RetentionYears = 2
	}
	if err := db.Order("code").Find(&p.Agencies).Error; err != nil {
		return nil, fmt.Errorf("load agencies: %w", err)
	}
	for _, a := range p.Agencies {
		p.AgencyCode[a.ID] = a.Code
	}
	if err := db.Order("sort, code").Find(&p.Categories).Error; err != nil {
		return nil, fmt.Errorf("load categories: %w", err)
	}
	if err := db.Order("date").Find(&p.Holidays).Error; err != nil {
		return nil, fmt.Errorf("load holidays: %w", err)
	}
	var regions []models.Region
	if err := db.Order("code").Find(&regions).Error; err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	for _, g := range regions {
		if g.Kind == models.RegionKecamatan {
			p.Kecamatan = append(p.Kecamatan, g)
		} else if g.ParentID != nil {
			p.Desa[*g.ParentID] = append(p.Desa[*g.ParentID], g)
		}
	}
	return p, nil
}

func (c *Console) masterData(w http.ResponseWriter, r *http.Request, s *session) {
	c.showMaster(w, r, s, http.StatusOK, "")
}

// showMaster renders the page with an error message key, or the flash the query names.
func (c *Console) showMaster(w http.ResponseWriter, r *http.Request, s *session, status int, errKey string) {
	p, err := c.loadMaster(r.Context())
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	d := c.data(w, r, s, "data_induk.judul", p)
	if errKey != "" {
		d.Error = d.L.T("data_induk.galat." + errKey)
	} else if k := r.URL.Query().Get("ok"); dataFlashes[k] {
		d.Flash = d.L.T("data_induk.berhasil." + k)
	}
	c.render(w, r, status, "data", d)
}

// dataDone finishes a change: a validation error re-renders the page, success redirects with a flash.
func (c *Console) dataDone(w http.ResponseWriter, r *http.Request, s *session, flash string, err error) {
	var in dataInputError
	switch {
	case err == nil:
		http.Redirect(w, r, dataPath+"?ok="+url.QueryEscape(flash), http.StatusSeeOther)
	case errors.As(err, &in):
		c.showMaster(w, r, s, http.StatusUnprocessableEntity, in.key)
	case errors.Is(err, gorm.ErrRecordNotFound):
		c.fail(w, r, s, http.StatusNotFound, "data_induk.galat.tidak_ada", nil)
	default:
		c.internal(w, r, s, err)
	}
}

// dataPathID is the {id} of the route, or 0 when the route has none (an addition).
func dataPathID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, gorm.ErrRecordNotFound
	}
	return id, nil
}

func dataField(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

// saveAgency adds an OPD or renames one and sets its triage mark.
func (c *Console) saveAgency(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := dataPathID(r)
		if err != nil {
			return err
		}
		var a models.Agency
		action := "opd.tambah"
		if id != 0 {
			if err := tx.First(&a, id).Error; err != nil {
				return err
			}
			action = "opd.ubah"
		} else {
			a.Code = strings.ToUpper(dataField(r, "kode"))
			if !agencyCodeRe.MatchString(a.Code) {
				return dataInputError{"kode_opd"}
			}
			var n int64
			if err := tx.Model(&models.Agency{}).Where("code = ?", a.Code).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return dataInputError{"kode_ganda"}
			}
			a.CreatedAt = now
		}
		a.Name, a.ShortName, a.Triage = dataField(r, "nama"), dataField(r, "singkatan"), r.PostFormValue("triase") == "1"
		if a.Name == "" || len(a.Name) > 200 || len(a.ShortName) > 60 {
			return dataInputError{"nama"}
		}
		if a.ShortName == "" {
			a.ShortName = a.Name
		}
		a.UpdatedAt = now
		if err := tx.Save(&a).Error; err != nil {
			return fmt.Errorf("save agency: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), action, "opd "+a.Code,
			fmt.Sprintf("nama=%q singkatan=%q triase=%t", a.Name, a.ShortName, a.Triage), now)
	})
	c.dataDone(w, r, s, "opd", err)
}

// saveCategory adds a category or edits its names, OPD, target days and order. The bot reads
// the categories on every conversation, so the change shows there at once.
func (c *Console) saveCategory(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := dataPathID(r)
		if err != nil {
			return err
		}
		var k models.Category
		action := "kategori.tambah"
		if id != 0 {
			if err := tx.First(&k, id).Error; err != nil {
				return err
			}
			action = "kategori.ubah"
		} else {
			k.Code = strings.ToLower(dataField(r, "kode"))
			if !categoryCodeRe.MatchString(k.Code) {
				return dataInputError{"kode_kategori"}
			}
			var n int64
			if err := tx.Model(&models.Category{}).Where("code = ?", k.Code).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return dataInputError{"kode_ganda"}
			}
			k.CreatedAt = now
		}
		k.Name, k.NameEN = dataField(r, "nama"), dataField(r, "nama_en")
		if k.Name == "" || len(k.Name) > 200 || len(k.NameEN) > 200 {
			return dataInputError{"nama"}
		}
		if k.NameEN == "" {
			k.NameEN = k.Name
		}
		days, err := strconv.Atoi(dataField(r, "target"))
		if err != nil || days < 1 || days > 365 {
			return dataInputError{"target"}
		}
		sort, err := strconv.Atoi(dataField(r, "urutan"))
		if err != nil || sort < 0 || sort > 9999 {
			return dataInputError{"urutan"}
		}
		k.TargetDays, k.Sort = days, sort
		if words, ok := r.PostForm["kata"]; ok { // a form without the field keeps the vocabulary
			if len(words[0]) > 4000 {
				return dataInputError{"kata"}
			}
			k.Words = models.JoinWords(words[:1])
		}
		var a models.Agency
		if err := tx.Where("code = ?", strings.ToUpper(dataField(r, "opd"))).First(&a).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return dataInputError{"opd"}
			}
			return err
		}
		k.AgencyID, k.UpdatedAt = a.ID, now
		if err := tx.Save(&k).Error; err != nil {
			return fmt.Errorf("save category: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), action, "kategori "+k.Code,
			fmt.Sprintf("nama=%q nama_en=%q opd=%s target=%d urutan=%d kata=%d", k.Name, k.NameEN, a.Code, k.TargetDays, k.Sort,
				len(models.WordList(k.Words))), now)
	})
	// Nothing to invalidate: the bot loads the categories and their words at each message and
	// its reader caches indexes under a hash of their content (flows/understand/cache.go).
	c.dataDone(w, r, s, "kategori", err)
}

// addHoliday adds a day off and makes the deadlines use it from now on.
func (c *Console) addHoliday(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		h := models.Holiday{Date: dataField(r, "tanggal"), Name: dataField(r, "nama"), Kind: dataField(r, "jenis"), CreatedAt: now, UpdatedAt: now}
		if _, err := time.Parse("2006-01-02", h.Date); err != nil || !dateRe.MatchString(h.Date) {
			return dataInputError{"tanggal"}
		}
		if h.Name == "" || len(h.Name) > 200 {
			return dataInputError{"nama"}
		}
		if h.Kind != models.HolidayLibur && h.Kind != models.HolidayCutiBersama {
			return dataInputError{"jenis"}
		}
		var n int64
		if err := tx.Model(&models.Holiday{}).Where("date = ?", h.Date).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return dataInputError{"tanggal_ganda"}
		}
		if err := tx.Create(&h).Error; err != nil {
			return fmt.Errorf("add holiday: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "libur.tambah", "libur "+h.Date,
			fmt.Sprintf("nama=%q jenis=%s", h.Name, h.Kind), now)
	})
	if err == nil {
		c.cfg.Complaints.ResetCalendar()
	}
	c.dataDone(w, r, s, "libur", err)
}

// editHoliday renames a day off or changes its kind.
func (c *Console) editHoliday(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := dataPathID(r)
		if err != nil {
			return err
		}
		var h models.Holiday
		if err := tx.First(&h, id).Error; err != nil {
			return err
		}
		h.Name, h.Kind, h.UpdatedAt = dataField(r, "nama"), dataField(r, "jenis"), now
		if h.Name == "" || len(h.Name) > 200 {
			return dataInputError{"nama"}
		}
		if h.Kind != models.HolidayLibur && h.Kind != models.HolidayCutiBersama {
			return dataInputError{"jenis"}
		}
		if err := tx.Save(&h).Error; err != nil {
			return fmt.Errorf("edit holiday: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "libur.ubah", "libur "+h.Date, fmt.Sprintf("nama=%q jenis=%s", h.Name, h.Kind), now)
	})
	if err == nil {
		c.cfg.Complaints.ResetCalendar()
	}
	c.dataDone(w, r, s, "libur_ubah", err)
}

// removeHoliday deletes a day off.
func (c *Console) removeHoliday(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := dataPathID(r)
		if err != nil {
			return err
		}
		var h models.Holiday
		if err := tx.First(&h, id).Error; err != nil {
			return err
		}
		if err := tx.Delete(&h).Error; err != nil {
			return fmt.Errorf("remove holiday: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "libur.hapus", "libur "+h.Date,
			fmt.Sprintf("nama=%q jenis=%s", h.Name, h.Kind), now)
	})
	if err == nil {
		c.cfg.Complaints.ResetCalendar()
	}
	c.dataDone(w, r, s, "libur_hapus", err)
}

// saveRegion adds a kecamatan or a desa/kelurahan (its kecamatan is the code's prefix), or renames one.
func (c *Console) saveRegion(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := dataPathID(r)
		if err != nil {
			return err
		}
		var g models.Region
		action := "wilayah.ubah"
		if id != 0 {
			if err := tx.First(&g, id).Error; err != nil {
				return err
			}
		} else {
			action = "wilayah.tambah"
			g.Code, g.CreatedAt = dataField(r, "kode"), now
			switch {
			case kecamatanRe.MatchString(g.Code):
				g.Kind = models.RegionKecamatan
			case desaRe.MatchString(g.Code):
				g.Kind = models.RegionDesa
				var parent models.Region
				err := tx.Where("code = ? AND kind = ?", g.Code[:8], models.RegionKecamatan).First(&parent).Error
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return dataInputError{"kecamatan"}
				}
				if err != nil {
					return err
				}
				g.ParentID = &parent.ID
			default:
				return dataInputError{"kode_wilayah"}
			}
			var n int64
			if err := tx.Model(&models.Region{}).Where("code = ?", g.Code).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return dataInputError{"kode_ganda"}
			}
		}
		g.Name, g.UpdatedAt = dataField(r, "nama"), now
		if g.Name == "" || len(g.Name) > 200 {
			return dataInputError{"nama"}
		}
		if err := tx.Save(&g).Error; err != nil {
			return fmt.Errorf("save region: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), action, "wilayah "+g.Code, fmt.Sprintf("nama=%q jenis=%s", g.Name, g.Kind), now)
	})
	if err == nil {
		c.cfg.Complaints.ResetPlaces()
	}
	c.dataDone(w, r, s, "wilayah", err)
}

// dataDict builds a map from name, value pairs, for passing several values to a sub-template.
func dataDict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

func init() { funcs["dataDict"] = dataDict }
