package complaint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
)

// Hotspot defaults, used where the regency file gives a category none.
const (
	HotspotMin     = 3   // complaints plus supporters
	HotspotRadiusM = 300 // metres around the completing complaint
	HotspotHours   = 48  // filed no longer ago than this
)

// Hotspot kinds.
const (
	HotspotDesa  = "desa"  // one desa
	HotspotTitik = "titik" // within the radius of a map point
)

// HotspotArgs is the River job that checks, right after a complaint is filed or supported,
// whether it completes a hotspot. It is inserted in the transaction of that change, so the
// check (and its alert) follows within seconds of the commit and survives a crash.
type HotspotArgs struct {
	ComplaintID int64 `json:"complaint_id"`
}

// Kind is the River job kind.
func (HotspotArgs) Kind() string { return "complaint_hotspot" }

// InsertOpts puts the check on the timers queue.
func (HotspotArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTimers, MaxAttempts: 10}
}

// HotspotWorker runs HotspotArgs jobs.
type HotspotWorker struct {
	river.WorkerDefaults[HotspotArgs]
	Service *Service
}

// Work checks the complaint.
func (w *HotspotWorker) Work(ctx context.Context, job *river.Job[HotspotArgs]) error {
	_, err := w.Service.CheckHotspot(ctx, job.Args.ComplaintID)
	return err
}

// queueHotspotCheck inserts the hotspot check of complaint id in tx.
func (s *Service) queueHotspotCheck(ctx context.Context, tx *gorm.DB, id int64) error {
	if s.Jobs == nil {
		return nil
	}
	stx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return errors.New("queue hotspot check: not inside a database transaction")
	}
	if _, err := s.Jobs.InsertManyFastTx(ctx, stx, []river.InsertManyParams{{Args: HotspotArgs{ComplaintID: id}}}); err != nil {
		return fmt.Errorf("queue hotspot check of complaint %d: %w", id, err)
	}
	return nil
}

type hotspotMember struct {
	ID         int64
	Code       string
	Lat, Lng   *float64
	RegionID   *int64
	Supporters int
	HotspotID  *int64
	CreatedAt  time.Time
}

// CheckHotspot looks at the complaints of complaintID's category filed in the category's
// window (48 hours by default) in its desa, or else within the category's radius (300 m) of
// its point: when they and their supporters reach the category's minimum (3), that is a
// hotspot. A new hotspot alerts the OPD's officers and kepala and the admins; a known one
// (same desa, or sharing a complaint) alerts again only when its weight doubled since the
// last alert. Every complaint of it is marked (hotspot_id). It returns the hotspot, or nil.
// It runs in one transaction (serialized per category), so an alert goes out exactly once.
func (s *Service) CheckHotspot(ctx context.Context, complaintID int64) (*models.Hotspot, error) {
	var out *models.Hotspot
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c models.Complaint
		if err := tx.Where("id = ?", complaintID).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return fmt.Errorf("load complaint %d: %w", complaintID, err)
		}
		if c.DuplicateOfID != nil || c.Status == StatusDitolak {
			return nil
		}
		cat, err := categoryByID(ctx, tx, c.CategoryID)
		if err != nil {
			return err
		}
		if models.Dialect(tx) == models.DialectPostgres {
			h := fnv.New64a()
			fmt.Fprintf(h, "suarawarga.hotspot.%d", cat.ID)
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64())).Error; err != nil {
				return fmt.Errorf("lock hotspots: %w", err)
			}
		}
		min, radius, hours := hotspotRule(cat)
		now := s.now()
		since := now.Add(-time.Duration(hours) * time.Hour)
		base := func() *gorm.DB {
			return tx.Model(&models.Complaint{}).Select("id, code, lat, lng, region_id, supporters, hotspot_id, created_at").
				Where("category_id = ? AND created_at >= ? AND status <> ? AND duplicate_of_id IS NULL", cat.ID, since, StatusDitolak).
				Order("created_at, id")
		}
		weigh := func(ms []hotspotMember) int {
			w := 0
			for _, m := range ms {
				w += 1 + m.Supporters
			}
			return w
		}
		var members []hotspotMember
		kind := ""
		var desa *models.Region
		if c.RegionID != nil {
			var r models.Region
			if err := tx.Where("id = ?", *c.RegionID).Take(&r).Error; err != nil {
				return fmt.Errorf("load region: %w", err)
			}
			if r.Kind == models.RegionDesa {
				desa = &r
				if err := base().Where("region_id = ?", r.ID).Find(&members).Error; err != nil {
					return fmt.Errorf("complaints of the desa: %w", err)
				}
				if weigh(members) >= min {
					kind = HotspotDesa
				}
			}
		}
		if kind == "" && c.Lat != nil && c.Lng != nil {
			p := geo.Point{Lat: *c.Lat, Lng: *c.Lng}
			var near []hotspotMember
			if err := base().Where("geo_cell IN ?", geo.NearCells(p, float64(radius))).Find(&near).Error; err != nil {
				return fmt.Errorf("complaints near the point: %w", err)
			}
			members = members[:0]
			for _, m := range near {
				if m.Lat != nil && m.Lng != nil && geo.Distance(p, geo.Point{Lat: *m.Lat, Lng: *m.Lng}) <= float64(radius) {
					members = append(members, m)
				}
			}
			if weigh(members) >= min {
				kind = HotspotTitik
			}
		}
		if kind == "" {
			return nil
		}
		weight := weigh(members)

		// The same hotspot: of this desa, or one a member already belongs to, still active.
		var h models.Hotspot
		found := false
		q := tx.Where("category_id = ? AND last_at >= ?", cat.ID, since).Order("id")
		var ids []int64
		for _, m := range members {
			if m.HotspotID != nil {
				ids = append(ids, *m.HotspotID)
			}
		}
		switch {
		case kind == HotspotDesa && len(ids) > 0:
			q = q.Where("(kind = ? AND region_id = ?) OR id IN ?", HotspotDesa, desa.ID, ids)
		case kind == HotspotDesa:
			q = q.Where("kind = ? AND region_id = ?", HotspotDesa, desa.ID)
		case len(ids) > 0:
			q = q.Where("id IN ?", ids)
		default:
			q = nil
		}
		if q != nil {
			var hs []models.Hotspot
			if err := q.Limit(1).Find(&hs).Error; err != nil {
				return fmt.Errorf("load hotspot: %w", err)
			}
			if len(hs) == 1 {
				h, found = hs[0], true
			}
		}
		alert := false
		if !found {
			h = models.Hotspot{CategoryID: cat.ID, AgencyID: c.AgencyID, Kind: kind, FirstAt: members[0].CreatedAt, CreatedAt: now}
			if desa != nil && kind == HotspotDesa {
				h.RegionID = &desa.ID
			}
			if c.Lat != nil && c.Lng != nil {
				h.Lat, h.Lng = c.Lat, c.Lng
			}
			alert = true
		} else if weight >= 2*h.AlertedWeight {
			alert = true
		}
		h.Weight = max(h.Weight, weight)
		h.Complaints = max(h.Complaints, len(members))
		h.LastAt = now
		if alert {
			h.AlertedWeight = weight
			h.Alerts++
			h.AlertedAt = &now
		}
		if err := tx.Save(&h).Error; err != nil {
			return fmt.Errorf("save hotspot: %w", err)
		}
		mids := make([]int64, len(members))
		for i, m := range members {
			mids[i] = m.ID
		}
		if err := tx.Model(&models.Complaint{}).Where("id IN ?", mids).Update("hotspot_id", h.ID).Error; err != nil {
			return fmt.Errorf("mark hotspot complaints: %w", err)
		}
		if alert {
			if err := s.hotspotAlert(ctx, tx, &h, cat, desa, members, weight, radius, hours); err != nil {
				return err
			}
			s.logger().InfoContext(ctx, "hotspot alert", slog.Int64("hotspot_id", h.ID), slog.String("category", cat.Code),
				slog.String("kind", kind), slog.Int("weight", weight), slog.Int("alerts", h.Alerts))
		}
		out = &h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check hotspot of complaint %d: %w", complaintID, err)
	}
	return out, nil
}

// hotspotRule is the category's minimum weight, radius in metres and window in hours.
func hotspotRule(cat *models.Category) (min, radius, hours int) {
	min, radius, hours = cat.HotspotMin, cat.HotspotRadiusM, cat.HotspotHours
	if min <= 0 {
		min = HotspotMin
	}
	if radius <= 0 {
		radius = HotspotRadiusM
	}
	if hours <= 0 {
		hours = HotspotHours
	}
	return min, radius, hours
}

// hotspotAlert tells the OPD's officers and kepala and the admins about h.
func (s *Service) hotspotAlert(ctx context.Context, tx *gorm.DB, h *models.Hotspot, cat *models.Category, desa *models.Region,
	members []hotspotMember, weight, radius, hours int) error {
	agency, err := models.AgencyByID(ctx, tx, h.AgencyID)
	if err != nil {
		return err
	}
	codes := make([]string, len(members))
	var sumLat, sumLng float64
	points := 0
	for i, m := range members {
		codes[i] = m.Code
		if m.Lat != nil && m.Lng != nil {
			sumLat, sumLng, points = sumLat+*m.Lat, sumLng+*m.Lng, points+1
		}
	}
	d := map[string]any{
		"kategori":      LocalText{"id": cat.Name, "en": cmpText(cat.NameEN, cat.Name)},
		"kategori_kode": cat.Code,
		"opd":           agencyShort(agency),
		"bobot":         weight,
		"jumlah":        len(members),
		"pendukung":     weight - len(members),
		"jam":           hours,
		"radius":        radius,
		"daftar":        "• " + strings.Join(codes, "\n• "),
		"ulang":         h.Alerts > 1,
	}
	if desa != nil && h.Kind == HotspotDesa {
		d["desa"], d["desa_kode"] = desa.Name, desa.Code
		if desa.ParentID != nil {
			var k models.Region
			if err := tx.Where("id = ?", *desa.ParentID).Take(&k).Error; err == nil {
				d["kecamatan"] = k.Name
			}
		}
	}
	// The place in one phrase, for a template's parameter.
	d["tempat_rawan"] = fmt.Sprintf("radius %d m", radius)
	if name, ok := d["desa"].(string); ok {
		d["tempat_rawan"] = "Desa " + name
		if k, ok := d["kecamatan"].(string); ok {
			d["tempat_rawan"] = fmt.Sprintf("Desa %s, Kec. %s (%s)", name, k, desa.Code)
		}
	}
	if points > 0 {
		lat, lng := sumLat/float64(points), sumLng/float64(points)
		d["tautan"] = fmt.Sprintf("https://www.google.com/maps/search/?api=1&query=%.6f,%.6f", round6(lat), round6(lng))
	}
	return s.notify(ctx, tx,
		Notification{Audience: AudienceOfficers, AgencyID: agency.ID, Key: "petugas.hotspot", Data: d},
		Notification{Audience: AudienceAdmins, Key: "petugas.hotspot", Data: d})
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
