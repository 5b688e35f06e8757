package models

import (
	"context"
	"fmt"
	"math"

	"gorm.io/gorm"
)

// schema0035 prepares similar reports: a grid cell per map point, indexed with the
// category and the time for nearby searches (and the same for the desa), supporters and
// duplicates. Frozen.
const schema0035 = `
ALTER TABLE complaints ADD COLUMN geo_cell BIGINT;
ALTER TABLE complaints ADD COLUMN supporters INTEGER NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN duplicate_of_id BIGINT REFERENCES complaints (id) ON DELETE SET NULL;
CREATE INDEX idx_complaints_category_cell ON complaints (category_id, geo_cell, created_at) WHERE geo_cell IS NOT NULL;
CREATE INDEX idx_complaints_category_region ON complaints (category_id, region_id, created_at);
CREATE INDEX idx_complaints_duplicate_of ON complaints (duplicate_of_id) WHERE duplicate_of_id IS NOT NULL;
CREATE TABLE complaint_supporters (
	complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
	citizen_id BIGINT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
	via TEXT NOT NULL,
	from_complaint_id BIGINT REFERENCES complaints (id) ON DELETE SET NULL,
	fixed BOOLEAN,
	rating INTEGER,
	rated_at {{ts}},
	created_at {{ts}} NOT NULL,
	PRIMARY KEY (complaint_id, citizen_id)
);
CREATE INDEX idx_complaint_supporters_citizen ON complaint_supporters (citizen_id)
`

// schema0036 adds hotspots: clusters of complaints of one category in a desa or around a
// point, each complaint's latest hotspot, and each category's rule (0: the defaults). Frozen.
const schema0036 = `
CREATE TABLE hotspots (
	id {{id}},
	category_id BIGINT NOT NULL REFERENCES categories (id),
	agency_id BIGINT NOT NULL REFERENCES agencies (id),
	kind TEXT NOT NULL,
	region_id BIGINT REFERENCES regions (id) ON DELETE SET NULL,
	lat DOUBLE PRECISION,
	lng DOUBLE PRECISION,
	weight INTEGER NOT NULL DEFAULT 0,
	alerted_weight INTEGER NOT NULL DEFAULT 0,
	complaints INTEGER NOT NULL DEFAULT 0,
	alerts INTEGER NOT NULL DEFAULT 0,
	first_at {{ts}} NOT NULL,
	last_at {{ts}} NOT NULL,
	alerted_at {{ts}},
	created_at {{ts}} NOT NULL
);
CREATE INDEX idx_hotspots_category_last ON hotspots (category_id, last_at);
ALTER TABLE complaints ADD COLUMN hotspot_id BIGINT REFERENCES hotspots (id) ON DELETE SET NULL;
CREATE INDEX idx_complaints_hotspot ON complaints (hotspot_id) WHERE hotspot_id IS NOT NULL;
ALTER TABLE categories ADD COLUMN hotspot_min INTEGER NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN hotspot_radius_m INTEGER NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN hotspot_hours INTEGER NOT NULL DEFAULT 0
`

// cellKey0035 is geo.CellKey as migration 0035 computed it (0.005° cells, 72000 a row). Frozen.
func cellKey0035(lat, lng float64) int64 {
	x := int64(math.Floor((lng + 180) / 0.005))
	y := int64(math.Floor((lat + 90) / 0.005))
	return y*72000 + x
}

// similarReports runs schema0035 and gives every complaint with a map point its cell.
func similarReports(ctx context.Context, tx *gorm.DB, dialect string) error {
	if err := sqlSteps(schema0035)(ctx, tx, dialect); err != nil {
		return err
	}
	var after int64
	for {
		var rows []struct {
			ID       int64
			Lat, Lng float64
		}
		if err := tx.Raw(`SELECT id, lat, lng FROM complaints WHERE lat IS NOT NULL AND lng IS NOT NULL AND id > ? ORDER BY id LIMIT 1000`, after).
			Scan(&rows).Error; err != nil {
			return fmt.Errorf("load complaint points: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			after = r.ID
			if err := tx.Exec(`UPDATE complaints SET geo_cell = ? WHERE id = ?`, cellKey0035(r.Lat, r.Lng), r.ID).Error; err != nil {
				return fmt.Errorf("cell of complaint %d: %w", r.ID, err)
			}
		}
	}
}

// SupporterCount is how many citizens support complaint id.
func SupporterCount(ctx context.Context, db *gorm.DB, id int64) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&ComplaintSupporter{}).Where("complaint_id = ?", id).Count(&n).Error
	return n, err
}
