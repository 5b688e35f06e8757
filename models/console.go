package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Console account roles.
const (
	UserAdmin    = "admin"    // manages everything and acts on every complaint
	UserPimpinan = "pimpinan" // a leader: sees everything, changes nothing
	UserPetugas  = "petugas"  // an OPD's officer: sees and acts on their own OPD's complaints
)

// ActorKonsol is the timeline actor kind of a person acting through the web console; the
// event's ActorID is their User id.
const ActorKonsol = "konsol"

// User is an account of the web console.
type User struct {
	ID           int64 `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         string // UserAdmin, UserPimpinan or UserPetugas
	AgencyID     *int64 // the OPD of a UserPetugas; nil for the others
	PasswordHash string // argon2id, PHC string format
	Active       bool
	// OfficerID links the account to the same person's chat officer, so work assigned to
	// one reaches the other.
	OfficerID *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserSession is a signed-in console browser; only the SHA-256 of its cookie token is stored.
type UserSession struct {
	ID        int64 `gorm:"primaryKey"`
	TokenHash string
	UserID    int64
	IP        string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEntry is one line of the console's audit log: who did what to which object, and when.
type AuditEntry struct {
	ID        int64  `gorm:"primaryKey"`
	UserID    *int64 // nil for the command line and the system
	Actor     string // the user's e-mail, or "cli"
	Action    string
	Object    string
	Detail    string
	IP        string
	CreatedAt time.Time
}

// TableName keeps the audit log's table name singular, as the design names it.
func (AuditEntry) TableName() string { return "audit_log" }

// LoginAttempt is one console sign-in try, kept for the per-account and per-address rate limit.
type LoginAttempt struct {
	ID        int64 `gorm:"primaryKey"`
	Email     string
	IP        string
	OK        bool `gorm:"column:ok"`
	CreatedAt time.Time
}

// NormalizeEmail is how e-mail addresses are stored and compared: trimmed and lower-case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UserByEmail returns the console account with email (any case), active or not.
func UserByEmail(ctx context.Context, db *gorm.DB, email string) (*User, error) {
	var u User
	if err := db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error; err != nil {
		return nil, notFound(err, "load user "+NormalizeEmail(email))
	}
	return &u, nil
}

// UserByID returns the console account with id, active or not.
func UserByID(ctx context.Context, db *gorm.DB, id int64) (*User, error) {
	var u User
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load user %d", id))
	}
	return &u, nil
}

// schema0003 adds the web console's accounts, sessions, audit log and sign-in attempts. Frozen.
const schema0003 = `
CREATE TABLE users (
	id {{id}},
	email TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	agency_id BIGINT REFERENCES agencies (id),
	password_hash TEXT NOT NULL,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	CHECK (role IN ('admin', 'pimpinan', 'petugas')),
	CHECK (role <> 'petugas' OR agency_id IS NOT NULL)
);
CREATE UNIQUE INDEX uq_users_email ON users (email);

CREATE TABLE user_sessions (
	id {{id}},
	token_hash TEXT NOT NULL,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_user_sessions_token_hash ON user_sessions (token_hash);
CREATE INDEX idx_user_sessions_user ON user_sessions (user_id);
CREATE INDEX idx_user_sessions_expires ON user_sessions (expires_at);

CREATE TABLE audit_log (
	id {{id}},
	user_id BIGINT REFERENCES users (id),
	actor TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	object TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE INDEX idx_audit_log_created ON audit_log (created_at);
CREATE INDEX idx_audit_log_object ON audit_log (object);

CREATE TABLE login_attempts (
	id {{id}},
	email TEXT NOT NULL,
	ip TEXT NOT NULL,
	ok BOOLEAN NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX idx_login_attempts_email_created ON login_attempts (email, created_at);
CREATE INDEX idx_login_attempts_ip_created ON login_attempts (ip, created_at)
`
