package complaint

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// View returns a complaint with its OPD, category, place, files and timeline for an officer of its
// OPD or an admin (ErrForbidden for anyone else). A confidential reporter's name and contact are
// left empty, for every viewer.
func (s *Service) View(ctx context.Context, tx *gorm.DB, code string, viewer Actor) (*StatusView, error) {
	db := s.db(tx).WithContext(ctx)
	c, err := models.ComplaintByCode(ctx, db, NormalizeCode(code))
	if err != nil {
		return nil, err
	}
	if viewer.Kind == models.ActorWarga {
		return nil, fmt.Errorf("view complaint %s as citizen: %w", c.Code, ErrForbidden)
	}
	if err := s.authorize(ctx, db, viewer, c, "lihat"); err != nil {
		return nil, fmt.Errorf("view complaint %s: %w", c.Code, err)
	}
	v, err := statusView(db, c)
	if err != nil {
		return nil, err
	}
	if err := db.Where("complaint_id = ?", c.ID).Order("created_at, attachment_id").Find(&v.Attachments).Error; err != nil {
		return nil, fmt.Errorf("load complaint %s attachments: %w", c.Code, err)
	}
	if c.DuplicateOfID != nil {
		var codes []string
		if err := db.Model(&models.Complaint{}).Where("id = ?", *c.DuplicateOfID).Pluck("code", &codes).Error; err != nil {
			return nil, fmt.Errorf("load complaint %s original: %w", c.Code, err)
		}
		if len(codes) > 0 {
			v.DuplicateOf = codes[0]
		}
	}
	if err := db.Model(&models.Complaint{}).Where("duplicate_of_id = ?", c.ID).Order("id").Pluck("code", &v.Duplicates).Error; err != nil {
		return nil, fmt.Errorf("load complaint %s duplicates: %w", c.Code, err)
	}
	if c.RegionID != nil {
		var r models.Region
		if err := db.Where("id = ?", *c.RegionID).Take(&r).Error; err != nil {
			return nil, fmt.Errorf("load complaint %s region: %w", c.Code, err)
		}
		v.Region, v.Kecamatan = &r, &r
		if r.Kind == models.RegionDesa && r.ParentID != nil {
			var p models.Region
			if err := db.Where("id = ?", *r.ParentID).Take(&p).Error; err != nil {
				return nil, fmt.Errorf("load complaint %s kecamatan: %w", c.Code, err)
			}
			v.Kecamatan = &p
		}
	}
	if !c.Confidential {
		var cit models.Citizen
		if err := db.Where("id = ?", c.CitizenID).Take(&cit).Error; err != nil {
			return nil, fmt.Errorf("load complaint %s reporter: %w", c.Code, err)
		}
		v.ReporterName = cit.Name
		var ident models.Identity
		err := db.Where("citizen_id = ? AND channel = ?", c.CitizenID, "whatsapp").Order("id DESC").Take(&ident).Error
		switch {
		case err == nil:
			v.ReporterContact = "+" + strings.TrimPrefix(strings.SplitN(ident.Address, "@", 2)[0], "+")
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return nil, fmt.Errorf("load complaint %s contact: %w", c.Code, err)
		}
	}
	return v, nil
}

// OpenForAgency returns the complaints an OPD still works on (terdisposisi, diproses, perlu_info),
// those of a hotspot first, then the most urgent resolution deadline first, at most limit (all
// when limit <= 0): an officer's /tugas.
func (s *Service) OpenForAgency(ctx context.Context, tx *gorm.DB, agencyID int64, limit int) ([]models.Complaint, error) {
	q := s.db(tx).WithContext(ctx).Where("agency_id = ? AND status IN ?", agencyID, open).
		Order("CASE WHEN hotspot_id IS NULL THEN 1 ELSE 0 END, resolve_by, id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var cs []models.Complaint
	if err := q.Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list open complaints of agency %d: %w", agencyID, err)
	}
	return cs, nil
}

// AgencySatisfaction is one OPD's satisfaction score from its citizens' ratings.
type AgencySatisfaction struct {
	AgencyID int64
	Code     string
	Name     string
	Count    int64   // rated complaints
	Average  float64 // mean score 1..5; 0 when Count is 0
}

// Satisfaction returns every OPD's rating count and average score, ordered by OPD code.
func (s *Service) Satisfaction(ctx context.Context, tx *gorm.DB) ([]AgencySatisfaction, error) {
	var out []AgencySatisfaction
	err := s.db(tx).WithContext(ctx).Raw(`SELECT a.id AS agency_id, a.code, a.name,
			COUNT(c.rating) AS count, COALESCE(AVG(c.rating), 0) AS average
		FROM agencies a LEFT JOIN complaints c ON c.agency_id = a.id AND c.rating IS NOT NULL
		GROUP BY a.id, a.code, a.name
		ORDER BY a.code`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("satisfaction per agency: %w", err)
	}
	return out, nil
}

// WorkingCalendar is the regency's working-day calendar (read from the database at most
// every CalendarTTL).
func (s *Service) WorkingCalendar(ctx context.Context) (*Calendar, error) {
	return s.calendar(ctx, s.DB.WithContext(ctx))
}
