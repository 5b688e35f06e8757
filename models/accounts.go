package models

import "time"

// PasswordReset is a one-time link an admin made for a console account: the account's
// holder opens it and chooses a password. Only the SHA-256 of the link's token is stored;
// the link works once (UsedAt) and until ExpiresAt.
type PasswordReset struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64
	TokenHash string
	CreatedBy *int64 // the admin's account; nil from the command line
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// schema0045 adds the one-time password links of console accounts.
const schema0045 = `
CREATE TABLE password_resets (
	id {{id}},
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL,
	created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL,
	used_at {{ts}}
);
CREATE UNIQUE INDEX idx_password_resets_token ON password_resets (token_hash);
CREATE INDEX idx_password_resets_user ON password_resets (user_id)
`

// ComplaintRead records when a console account last opened a complaint: the inbox marks a
// complaint new for that account when it changed since (or was never opened).
type ComplaintRead struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	ComplaintID int64 `gorm:"primaryKey;autoIncrement:false"`
	SeenAt      time.Time
}

// SavedFilter is a console account's named complaint-list filter (the list's query string).
type SavedFilter struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64
	Name      string
	Query     string
	CreatedAt time.Time
}

// schema0046 adds what makes the complaint list an inbox: per-account read marks, saved
// filters, and an index for "nearest deadline first" (without it that order sorted every
// complaint: 260 ms a page at 100,000 complaints, BENCHMARKS.md).
const schema0046 = `
CREATE TABLE complaint_reads (
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
	seen_at {{ts}} NOT NULL,
	PRIMARY KEY (user_id, complaint_id)
);
CREATE INDEX idx_complaint_reads_complaint ON complaint_reads (complaint_id);
CREATE TABLE saved_filters (
	id {{id}},
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	query TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX idx_saved_filters_user ON saved_filters (user_id);
CREATE INDEX idx_complaints_resolve_by ON complaints (resolve_by, id)
`
