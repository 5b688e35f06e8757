package models

import "time"

// Surge is a surge of complaints of one category in one kecamatan (see complaint.IsSurge):
// one row per surge, so each is alerted once. LastSeenAt moves on with every hourly check that
// still finds it; a surge whose LastSeenAt is more than 24 hours before a check has ended, and
// a new surge of the same pair is a new row and a new alert.
type Surge struct {
	ID          int64 `gorm:"primaryKey"`
	KecamatanID int64
	CategoryID  int64
	WindowStart time.Time // the 24-hour window of the first check that found it
	Count       int       // complaints in that window
	Usual       float64   // the mean of the 8 baseline windows
	Threshold   float64   // the count had to be above this
	Peak        int       // the highest count of any check that found it
	LastSeenAt  time.Time // the end of the latest window in which the rule held
	AlertedAt   time.Time
	CreatedAt   time.Time
}

// schema0038 records surges (issue 14, item 4). Frozen.
const schema0038 = `
CREATE TABLE surges (
	id {{id}},
	kecamatan_id BIGINT NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
	category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
	window_start {{ts}} NOT NULL,
	count INTEGER NOT NULL,
	usual DOUBLE PRECISION NOT NULL,
	threshold DOUBLE PRECISION NOT NULL,
	peak INTEGER NOT NULL,
	last_seen_at {{ts}} NOT NULL,
	alerted_at {{ts}} NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_surges_pair_window ON surges (kecamatan_id, category_id, window_start);
CREATE INDEX idx_surges_pair_seen ON surges (kecamatan_id, category_id, last_seen_at)
`
