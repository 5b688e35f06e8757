package complaint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
)

// Similar reports: what a citizen filing a report is shown before filing a second one.
const (
	SimilarRadius = 250.0               // metres around the new report's map point
	SimilarWindow = 30 * 24 * time.Hour // filed no longer ago than this
	SimilarMax    = 3                   // shown at most
)

// More timeline event kinds.
const (
	EventDidukung  = "didukung"  // a citizen supports the complaint; Text holds the number of supporters
	EventDuplikat  = "duplikat"  // marked a duplicate; Text holds the original's code
	EventDigabung  = "digabung"  // another complaint was marked a duplicate of this one; Text holds its code
	EventPendukung = "pendukung" // a supporter answered the survey; Text holds "ya" (fixed) or "tidak"
)

// More actions.
const (
	ActionSupport   = "dukung"
	ActionDuplicate = "duplikat"
)

func init() {
	transitions[ActionSupport] = open
	transitions[ActionDuplicate] = open
}

// ErrOwnComplaint is returned when a citizen tries to support their own complaint.
var ErrOwnComplaint = errors.New("own complaint")

// SimilarQuery describes a report being filed.
type SimilarQuery struct {
	CategoryCode string
	Lat, Lng     *float64 // its map point, when shared
	RegionCode   string   // its desa (a kecamatan code is ignored), when known
	// CitizenID is who files it: their own complaints and those they support are left out.
	CitizenID int64
}

// SimilarReport is an open complaint like the one being filed. It carries nothing
// personal: no description, address, name or exact point, only what a confidential
// complaint may show (category, place, status) and when it was filed.
type SimilarReport struct {
	ID         int64
	Code       string
	Status     string
	CreatedAt  time.Time
	Place      string  // the desa's name, "" when unknown
	Distance   float64 // metres from the new report's point; -1 when not known
	Supporters int
}

type similarRow struct {
	ID         int64
	Code       string
	Status     string
	CreatedAt  time.Time
	Lat, Lng   *float64
	RegionID   *int64
	Supporters int
}

// Similar lists the open complaints of the same category filed in the last SimilarWindow
// within SimilarRadius of the new report's point or in its desa, nearest first (those
// without a known distance last, newest first), at most SimilarMax.
func (s *Service) Similar(ctx context.Context, tx *gorm.DB, q SimilarQuery) ([]SimilarReport, error) {
	db := s.db(tx).Session(&gorm.Session{NewDB: true}).WithContext(ctx)
	cat, err := models.CategoryByCode(ctx, db, q.CategoryCode)
	if err != nil {
		return nil, err
	}
	var desaID int64
	if q.RegionCode != "" {
		if r, err := models.RegionByCode(ctx, db, q.RegionCode); err == nil && r.Kind == models.RegionDesa {
			desaID = r.ID
		} else if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	hasPoint := q.Lat != nil && q.Lng != nil
	if !hasPoint && desaID == 0 {
		return nil, nil
	}
	since := s.now().Add(-SimilarWindow)
	base := func() *gorm.DB {
		b := db.Model(&models.Complaint{}).Select("id, code, status, created_at, lat, lng, region_id, supporters").
			Where("category_id = ? AND created_at >= ? AND status IN ? AND duplicate_of_id IS NULL", cat.ID, since, open)
		if q.CitizenID != 0 {
			b = b.Where("citizen_id <> ? AND id NOT IN (?)", q.CitizenID,
				db.Model(&models.ComplaintSupporter{}).Select("complaint_id").Where("citizen_id = ?", q.CitizenID))
		}
		return b
	}
	var rows []similarRow
	if hasPoint {
		cells := geo.NearCells(geo.Point{Lat: *q.Lat, Lng: *q.Lng}, SimilarRadius)
		if err := base().Where("geo_cell IN ?", cells).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("similar complaints near the point: %w", err)
		}
	}
	if desaID != 0 {
		var inDesa []similarRow
		if err := base().Where("region_id = ?", desaID).Order("created_at DESC").Limit(50).Find(&inDesa).Error; err != nil {
			return nil, fmt.Errorf("similar complaints in the desa: %w", err)
		}
		rows = append(rows, inDesa...)
	}
	seen := map[int64]bool{}
	var out []SimilarReport
	regionIDs := map[int64]bool{}
	for _, r := range rows {
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		dist := -1.0
		if hasPoint && r.Lat != nil && r.Lng != nil {
			dist = geo.Distance(geo.Point{Lat: *q.Lat, Lng: *q.Lng}, geo.Point{Lat: *r.Lat, Lng: *r.Lng})
		}
		sameDesa := desaID != 0 && r.RegionID != nil && *r.RegionID == desaID
		if !sameDesa && (dist < 0 || dist > SimilarRadius) {
			continue
		}
		if r.RegionID != nil {
			regionIDs[*r.RegionID] = true
		}
		out = append(out, SimilarReport{ID: r.ID, Code: r.Code, Status: r.Status, CreatedAt: r.CreatedAt, Distance: dist,
			Supporters: r.Supporters, Place: fmt.Sprint(derefID(r.RegionID))})
	}
	slices.SortFunc(out, func(a, b SimilarReport) int {
		switch {
		case a.Distance >= 0 && b.Distance < 0:
			return -1
		case a.Distance < 0 && b.Distance >= 0:
			return 1
		case a.Distance != b.Distance:
			return cmp.Compare(a.Distance, b.Distance)
		}
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	out = out[:min(len(out), SimilarMax)]
	names := map[string]string{}
	if len(regionIDs) > 0 {
		var regs []models.Region
		ids := make([]int64, 0, len(regionIDs))
		for id := range regionIDs {
			ids = append(ids, id)
		}
		if err := db.Where("id IN ?", ids).Find(&regs).Error; err != nil {
			return nil, fmt.Errorf("load regions: %w", err)
		}
		for _, r := range regs {
			if r.Kind == models.RegionDesa {
				names[fmt.Sprint(r.ID)] = r.Name
			}
		}
	}
	for i := range out {
		out[i].Place = names[out[i].Place]
	}
	return out, nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// isSupporter reports whether citizenID supports complaint id.
func isSupporter(ctx context.Context, tx *gorm.DB, id, citizenID int64) (bool, error) {
	var n int64
	err := tx.Session(&gorm.Session{NewDB: true}).WithContext(ctx).Model(&models.ComplaintSupporter{}).
		Where("complaint_id = ? AND citizen_id = ?", id, citizenID).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check supporter: %w", err)
	}
	return n > 0, nil
}

// addSupporter records citizenID as a supporter of c (once) and counts them in c.Supporters;
// it reports whether they were new.
func addSupporter(ctx context.Context, tx *gorm.DB, c *models.Complaint, citizenID int64, via string, from *int64, now time.Time) (bool, error) {
	if citizenID == c.CitizenID {
		return false, nil
	}
	res := tx.Session(&gorm.Session{NewDB: true}).WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&models.ComplaintSupporter{ComplaintID: c.ID, CitizenID: citizenID, Via: via, FromComplaintID: from, CreatedAt: now})
	if res.Error != nil {
		return false, fmt.Errorf("add supporter: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	c.Supporters++
	return true, nil
}

// Support makes citizenID a supporter of the open complaint with code instead of filing their
// own: they receive its updates and its survey, and count in its weight. The OPD's officers
// are told how many support it now (never who). Supporting again changes nothing; the
// reporter cannot support their own complaint (ErrOwnComplaint).
func (s *Service) Support(ctx context.Context, tx *gorm.DB, code string, citizenID int64) (*models.Complaint, error) {
	by := Actor{Kind: models.ActorWarga}
	auth := func(_ *gorm.DB, c *models.Complaint) error {
		if c.CitizenID == citizenID {
			return fmt.Errorf("support complaint %s: %w", c.Code, ErrOwnComplaint)
		}
		return nil
	}
	return s.change(ctx, tx, code, ActionSupport, by, auth, func(tx *gorm.DB, st *step) error {
		added, err := addSupporter(ctx, tx, st.c, citizenID, models.SupportDukung, nil, st.now)
		if err != nil || !added {
			return err
		}
		st.event(EventDidukung, st.c.Status, st.c.Status, fmt.Sprint(st.c.Supporters), nil)
		st.toOfficers("petugas.dukungan_baru", st.data("jumlah", st.c.Supporters))
		return s.queueHotspotCheck(ctx, tx, st.c.ID)
	})
}

// MarkDuplicate marks the open complaint dupCode a duplicate of origCode (linked both ways):
// the duplicate is closed, its reporter and its supporters become supporters of the
// original and are told. by must be allowed to act on both (their OPD's, or an admin).
func (s *Service) MarkDuplicate(ctx context.Context, tx *gorm.DB, dupCode, origCode string, by Actor) (*models.Complaint, error) {
	origCode = NormalizeCode(origCode)
	return s.change(ctx, tx, dupCode, ActionDuplicate, by, s.officerAuth(ctx, by, ActionDuplicate), func(tx *gorm.DB, st *step) error {
		o, err := lockComplaint(ctx, tx, "code = ?", origCode)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("duplicate of %s: no such complaint: %w", origCode, ErrInvalid)
		}
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, tx, by, o, ActionDuplicate); err != nil {
			return err
		}
		if o.ID == st.c.ID || o.DuplicateOfID != nil {
			return fmt.Errorf("duplicate of %s: %w", o.Code, ErrInvalid)
		}
		if o.Status == StatusDitolak {
			return &TransitionError{Code: o.Code, From: o.Status, Action: ActionDuplicate, Key: "petugas.aksi_tidak_bisa"}
		}
		from := st.c.Status
		now := st.now
		st.c.Status = StatusDitutup
		st.c.ClosedAt = &now
		st.c.DuplicateOfID = &o.ID
		st.event(EventDuplikat, from, st.c.Status, o.Code, nil)
		dupID := st.c.ID
		if _, err := addSupporter(ctx, tx, o, st.c.CitizenID, models.SupportDuplikat, &dupID, now); err != nil {
			return err
		}
		var moved []int64
		if err := tx.Model(&models.ComplaintSupporter{}).Where("complaint_id = ?", st.c.ID).Pluck("citizen_id", &moved).Error; err != nil {
			return fmt.Errorf("load supporters: %w", err)
		}
		for _, cit := range moved {
			if _, err := addSupporter(ctx, tx, o, cit, models.SupportDuplikat, &dupID, now); err != nil {
				return err
			}
		}
		oAgency, err := models.AgencyByID(ctx, tx, o.AgencyID)
		if err != nil {
			return err
		}
		o.UpdatedAt = now
		if err := tx.Save(o).Error; err != nil {
			return fmt.Errorf("save original: %w", err)
		}
		if err := s.queueHotspotCheck(ctx, tx, o.ID); err != nil {
			return err
		}
		ev := models.ComplaintEvent{ComplaintID: o.ID, Kind: EventDigabung, FromStatus: o.Status, ToStatus: o.Status,
			ActorKind: by.Kind, Text: st.c.Code, CreatedAt: now}
		if by.ID != 0 {
			id := by.ID
			ev.ActorID = &id
		}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("insert original's timeline: %w", err)
		}
		d := st.data("asli", o.Code, "opd_asli", agencyShort(oAgency), "status_asli", o.Status)
		st.toCitizen("notifikasi.duplikat", d)
		if st.c.Supporters > 0 {
			st.notes = append(st.notes, Notification{ComplaintID: st.c.ID, Audience: AudienceSupporters, AgencyID: st.c.AgencyID,
				Key: "notifikasi.duplikat", Data: d})
		}
		return nil
	})
}

// supporterKeys maps a notification to a complaint's reporter to the one its supporters get
// ("" for none: an officer's question is for the reporter alone).
var supporterKeys = map[string]string{
	"notifikasi.diterima":         "notifikasi.diterima",
	"notifikasi.tanggapan":        "notifikasi.tanggapan",
	"notifikasi.dialihkan":        "notifikasi.dialihkan",
	"notifikasi.selesai":          "notifikasi.selesai",
	"notifikasi.ditolak":          "notifikasi.ditolak",
	"notifikasi.ditutup":          "dukungan.ditutup",
	"notifikasi.dibuka_kembali":   "dukungan.dibuka_kembali",
	"notifikasi.ditutup_otomatis": "notifikasi.ditutup_otomatis",
}

// forSupporters adds, for each notification to the reporter that supporters follow too,
// the same for the complaint's supporters.
func forSupporters(ns []Notification) []Notification {
	out := ns
	for _, n := range ns {
		if n.Audience != AudienceCitizen {
			continue
		}
		if key := supporterKeys[n.Key]; key != "" {
			m := n
			m.Audience, m.Key = AudienceSupporters, key
			out = append(out, m)
		}
	}
	return out
}

// supporterConfirm records a supporter's answer to "is it really fixed?" on a finished
// complaint. It changes no status: a supporter who says it is not fixed is heard by the OPD.
func (s *Service) supporterConfirm(ctx context.Context, tx *gorm.DB, c *models.Complaint, citizenID int64, fixed bool) (*models.Complaint, error) {
	if c.ResolvedAt == nil || (c.Status != StatusSelesai && c.Status != StatusDitutup) {
		return nil, &TransitionError{Code: c.Code, From: c.Status, Action: ActionConfirm, Key: "survei.tidak_berlaku"}
	}
	now := s.now()
	err := s.db(tx).WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.ComplaintSupporter{}).Where("complaint_id = ? AND citizen_id = ?", c.ID, citizenID).
			Update("fixed", fixed).Error; err != nil {
			return fmt.Errorf("record supporter answer: %w", err)
		}
		answer := "ya"
		if !fixed {
			answer = "tidak"
		}
		ev := models.ComplaintEvent{ComplaintID: c.ID, Kind: EventPendukung, FromStatus: c.Status, ToStatus: c.Status,
			ActorKind: models.ActorWarga, Text: answer, CreatedAt: now}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("insert timeline: %w", err)
		}
		if fixed {
			return nil
		}
		agency, err := models.AgencyByID(ctx, tx, c.AgencyID)
		if err != nil {
			return err
		}
		d := noticeData(c, agency)
		return s.notify(ctx, tx,
			Notification{ComplaintID: c.ID, Audience: AudienceOfficers, AgencyID: c.AgencyID, Key: "petugas.pendukung_belum", Data: d},
			Notification{ComplaintID: c.ID, Audience: AudienceOne, CitizenID: citizenID, AgencyID: c.AgencyID, Key: "dukungan.belum_diterima", Data: d})
	})
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s by supporter: %w", ActionConfirm, c.Code, err)
	}
	return c, nil
}

// supporterRate records a supporter's 1..5 score of a finished complaint.
func (s *Service) supporterRate(ctx context.Context, tx *gorm.DB, c *models.Complaint, citizenID int64, score int) error {
	if c.ResolvedAt == nil {
		return &TransitionError{Code: c.Code, From: c.Status, Action: ActionRate, Key: "survei.tidak_berlaku"}
	}
	now := s.now()
	err := s.db(tx).WithContext(ctx).Model(&models.ComplaintSupporter{}).Where("complaint_id = ? AND citizen_id = ?", c.ID, citizenID).
		Updates(map[string]any{"rating": score, "rated_at": now}).Error
	if err != nil {
		return fmt.Errorf("%s complaint %s by supporter: %w", ActionRate, c.Code, err)
	}
	return nil
}

// supporterOf loads the complaint with code when citizenID supports it (not when they report it).
func supporterOf(ctx context.Context, tx *gorm.DB, code string, citizenID int64) (*models.Complaint, bool, error) {
	c, err := models.ComplaintByCode(ctx, tx, NormalizeCode(code))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if c.CitizenID == citizenID {
		return c, false, nil
	}
	ok, err := isSupporter(ctx, tx, c.ID, citizenID)
	return c, ok, err
}
