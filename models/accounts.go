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
