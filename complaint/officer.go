package complaint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/models"
)

// Errors of Redeem.
var (
	ErrInviteUnknown = errors.New("unknown invitation code")
	ErrInviteUsed    = errors.New("invitation code already used")
	ErrInviteExpired = errors.New("invitation code expired")
)

// DefaultInviteTTL is how long an invitation code works when no lifetime is given.
const DefaultInviteTTL = 72 * time.Hour

// inviteAlphabet has no look-alikes (0/O, 1/I/L), so a code read over the phone is typed right.
const inviteAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// inviteLen is the number of characters of a code, written in groups of three ("K7Q-4MX-P2D").
const inviteLen = 9

// Invite creates a one-time invitation for a future officer of the OPD agencyCode (empty for an
// admin) with role models.RolePetugas, RoleKepala or RoleAdmin, valid for ttl (DefaultInviteTTL
// when ttl <= 0). It returns the code; only its SHA-256 is stored.
func (s *Service) Invite(ctx context.Context, db *gorm.DB, agencyCode, name, role string, ttl time.Duration) (string, error) {
	name = strings.TrimSpace(name)
	agencyCode = strings.ToUpper(strings.TrimSpace(agencyCode))
	switch {
	case name == "":
		return "", fmt.Errorf("invite officer: no name: %w", ErrInvalid)
	case role != models.RolePetugas && role != models.RoleKepala && role != models.RoleAdmin:
		return "", fmt.Errorf("invite officer: unknown role %q: %w", role, ErrInvalid)
	case role == models.RoleAdmin && agencyCode != "":
		return "", fmt.Errorf("invite officer: an admin belongs to no OPD (got %s): %w", agencyCode, ErrInvalid)
	case role != models.RoleAdmin && agencyCode == "":
		return "", fmt.Errorf("invite officer: a %s needs an OPD: %w", role, ErrInvalid)
	}
	if ttl <= 0 {
		ttl = DefaultInviteTTL
	}
	db = s.db(db).WithContext(ctx)
	inv := models.OfficerInvite{Name: name, Role: role, CreatedAt: s.now()}
	inv.ExpiresAt = inv.CreatedAt.Add(ttl)
	if agencyCode != "" {
		a, err := models.AgencyByCode(ctx, db, agencyCode)
		if err != nil {
			return "", fmt.Errorf("invite officer: %w", err)
		}
		inv.AgencyID = &a.ID
	}
	code, err := newInviteCode()
	if err != nil {
		return "", fmt.Errorf("invite officer: %w", err)
	}
	inv.CodeHash = hashInvite(code)
	if err := db.Create(&inv).Error; err != nil {
		return "", fmt.Errorf("invite officer: %w", err)
	}
	s.logger().InfoContext(ctx, "officer invited", slog.Int64("invite_id", inv.ID), slog.String("role", role),
		slog.String("agency", agencyCode), slog.Time("expires_at", inv.ExpiresAt))
	return code, nil
}

func newInviteCode() (string, error) {
	var b [inviteLen]byte
	var out strings.Builder
	for i := 0; i < inviteLen; {
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		for _, v := range b {
			// Rejection sampling keeps every character equally likely.
			if int(v) >= 256-256%len(inviteAlphabet) || i == inviteLen {
				continue
			}
			if i > 0 && i%3 == 0 {
				out.WriteByte('-')
			}
			out.WriteByte(inviteAlphabet[int(v)%len(inviteAlphabet)])
			i++
		}
	}
	return out.String(), nil
}

// NormalizeInviteCode turns what an officer typed ("k7q 4mx p2d", "daftar_K7Q-4MX-P2D") into the code's canonical form.
func NormalizeInviteCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	code = strings.TrimPrefix(code, "DAFTAR_")
	var b strings.Builder
	for _, r := range code {
		if strings.ContainsRune(inviteAlphabet, r) || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	raw := b.String()
	if len(raw) != inviteLen {
		return raw
	}
	return raw[:3] + "-" + raw[3:6] + "-" + raw[6:]
}

func hashInvite(code string) string {
	sum := sha256.Sum256([]byte(NormalizeInviteCode(code)))
	return hex.EncodeToString(sum[:])
}

// Redeem links the citizen citizenID (the person chatting) as the officer an invitation describes.
// A code works once and before it expires (ErrInviteUsed, ErrInviteExpired; ErrInviteUnknown for a
// code never issued). A citizen who already is an officer takes the invitation's OPD, role and name.
func (s *Service) Redeem(ctx context.Context, tx *gorm.DB, code string, citizenID int64) (*models.Officer, error) {
	var out *models.Officer
	err := s.db(tx).WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var inv models.OfficerInvite
		err := tx.Where("code_hash = ?", hashInvite(code)).Take(&inv).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrInviteUnknown
		}
		if err != nil {
			return err
		}
		now := s.now()
		if inv.UsedAt != nil {
			return ErrInviteUsed
		}
		if !now.Before(inv.ExpiresAt) {
			return ErrInviteExpired
		}
		o := models.Officer{CitizenID: citizenID, AgencyID: inv.AgencyID, Name: inv.Name, Role: inv.Role, Active: true,
			CreatedAt: now, UpdatedAt: now}
		res := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "citizen_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"agency_id", "name", "role", "active", "updated_at"}),
		}).Create(&o)
		if res.Error != nil {
			return fmt.Errorf("save officer: %w", res.Error)
		}
		if err := tx.Where("citizen_id = ?", citizenID).Take(&o).Error; err != nil {
			return fmt.Errorf("load officer: %w", err)
		}
		// The condition on used_at makes two redeemers racing for one code find a single winner.
		res = tx.Model(&models.OfficerInvite{}).Where("id = ? AND used_at IS NULL", inv.ID).
			Updates(map[string]any{"used_at": now, "officer_id": o.ID})
		if res.Error != nil {
			return fmt.Errorf("mark invitation used: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrInviteUsed
		}
		out = &o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redeem invitation for citizen %d: %w", citizenID, err)
	}
	s.logger().InfoContext(ctx, "officer linked", slog.Int64("officer_id", out.ID), slog.Int64("citizen_id", citizenID),
		slog.String("role", out.Role))
	return out, nil
}

// OfficerByCitizen returns the active officer who is the citizen citizenID, or ErrNotFound.
func OfficerByCitizen(ctx context.Context, tx *gorm.DB, citizenID int64) (*models.Officer, error) {
	return models.OfficerByCitizen(ctx, tx, citizenID)
}
