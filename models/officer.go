package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Officer roles.
const (
	RolePetugas = "petugas" // an OPD's officer: handles its complaints
	RoleKepala  = "kepala"  // an OPD's head: an officer who also receives its escalations
	RoleAdmin   = "admin"   // a regency-wide administrator (no OPD): receives every escalation
)

// Officer is a person who handles complaints through the bot. They chat with the bot like anyone,
// so they have a Citizen row and identities; this row says which OPD they act for and in what role.
type Officer struct {
	ID        int64 `gorm:"primaryKey"`
	CitizenID int64
	AgencyID  *int64 // nil for RoleAdmin
	Name      string
	Role      string // RolePetugas, RoleKepala or RoleAdmin
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OfficerInvite is a one-time code an admin hands to a future officer; only its SHA-256 is stored.
type OfficerInvite struct {
	ID        int64 `gorm:"primaryKey"`
	CodeHash  string
	AgencyID  *int64 // nil for RoleAdmin
	Name      string
	Role      string
	ExpiresAt time.Time
	UsedAt    *time.Time
	OfficerID *int64 // the officer who redeemed it
	CreatedAt time.Time
}

// DeadlineAlert records that a deadline timer (a reminder or a breach) took effect for one
// generation of a complaint's deadlines, so a timer that runs twice takes effect once.
type DeadlineAlert struct {
	ComplaintID int64  `gorm:"primaryKey;autoIncrement:false"`
	Kind        string `gorm:"primaryKey"` // route, respond, resolve or autoclose
	Stage       string `gorm:"primaryKey"` // remind or breach
	Gen         int64  `gorm:"primaryKey;autoIncrement:false"`
	FiredAt     time.Time
}

// OfficerByCitizen returns the active officer who is the citizen citizenID.
func OfficerByCitizen(ctx context.Context, db *gorm.DB, citizenID int64) (*Officer, error) {
	var o Officer
	if err := db.WithContext(ctx).Where("citizen_id = ? AND active = ?", citizenID, true).Take(&o).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load officer of citizen %d", citizenID))
	}
	return &o, nil
}

// OfficerByID returns the officer with id, active or not.
func OfficerByID(ctx context.Context, db *gorm.DB, id int64) (*Officer, error) {
	var o Officer
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&o).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load officer %d", id))
	}
	return &o, nil
}

// schema0002 adds officers and their invitations, the deadline generation and the
// citizen's rating on complaints, and the record of fired deadline timers. Frozen.
const schema0002 = `
CREATE TABLE officers (
	id {{id}},
	citizen_id BIGINT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
	agency_id BIGINT REFERENCES agencies (id),
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_officers_citizen ON officers (citizen_id);
CREATE INDEX idx_officers_agency_role ON officers (agency_id, role);
CREATE INDEX idx_officers_role ON officers (role);

CREATE TABLE officer_invites (
	id {{id}},
	code_hash TEXT NOT NULL,
	agency_id BIGINT REFERENCES agencies (id),
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	expires_at {{ts}} NOT NULL,
	used_at {{ts}},
	officer_id BIGINT REFERENCES officers (id),
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_officer_invites_code_hash ON officer_invites (code_hash);

ALTER TABLE complaints ADD COLUMN deadline_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN rating INTEGER;
ALTER TABLE complaints ADD COLUMN rating_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN rated_at {{ts}};
CREATE INDEX idx_complaints_agency_status ON complaints (agency_id, status);

CREATE TABLE deadline_alerts (
	complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	stage TEXT NOT NULL,
	gen BIGINT NOT NULL,
	fired_at {{ts}} NOT NULL,
	PRIMARY KEY (complaint_id, kind, stage, gen)
)
`
