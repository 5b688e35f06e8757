package complaint_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

func TestInviteAndRedeem(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		budi := models.Citizen{Name: "Budi di Telegram", Lang: "id"}
		require.NoError(t, db.Create(&budi).Error)

		code, err := w.svc.Invite(ctx, db, "pupr", " Budi ", models.RoleKepala, 0)
		require.NoError(t, err)
		require.Regexp(t, regexp.MustCompile(`^[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}$`), code)
		var inv models.OfficerInvite
		require.NoError(t, db.Order("id DESC").Take(&inv).Error)
		require.NotContains(t, inv.CodeHash, strings.ReplaceAll(code, "-", ""), "only the hash is stored")
		require.Len(t, inv.CodeHash, 64)
		require.True(t, w.clock.Now().Add(complaint.DefaultInviteTTL).Equal(inv.ExpiresAt))

		// Typed loosely, or from the deep link's start parameter.
		typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
		o, err := w.svc.Redeem(ctx, db, typed, budi.ID)
		require.NoError(t, err)
		require.Equal(t, models.RoleKepala, o.Role)
		require.Equal(t, "Budi", o.Name)
		require.Equal(t, w.agency["PUPR"], *o.AgencyID)
		require.True(t, o.Active)
		got, err := complaint.OfficerByCitizen(ctx, db, budi.ID)
		require.NoError(t, err)
		require.Equal(t, o.ID, got.ID)
		require.Equal(t, complaint.Actor{Kind: models.ActorPetugas, ID: o.ID, AgencyID: w.agency["PUPR"]}, complaint.ActorFor(got))

		// Once only.
		_, err = w.svc.Redeem(ctx, db, "daftar_"+code, w.tamu.ID)
		require.ErrorIs(t, err, complaint.ErrInviteUsed)
		key, _, ok := complaint.ErrorKey(err, "")
		require.True(t, ok)
		require.Equal(t, "petugas.undangan_terpakai", key)
		_, err = complaint.OfficerByCitizen(ctx, db, w.tamu.ID)
		require.ErrorIs(t, err, models.ErrNotFound)

		// Unknown and expired codes.
		_, err = w.svc.Redeem(ctx, db, "AAA-BBB-CCC", w.tamu.ID)
		require.ErrorIs(t, err, complaint.ErrInviteUnknown)
		short, err := w.svc.Invite(ctx, db, "DLH", "Sari", models.RolePetugas, time.Hour)
		require.NoError(t, err)
		w.clock.Set(w.clock.Now().Add(time.Hour))
		_, err = w.svc.Redeem(ctx, db, short, w.tamu.ID)
		require.ErrorIs(t, err, complaint.ErrInviteExpired)

		// An admin has no OPD; a second invitation moves an existing officer.
		adm, err := w.svc.Invite(ctx, db, "", "Admin Baru", models.RoleAdmin, time.Hour)
		require.NoError(t, err)
		o, err = w.svc.Redeem(ctx, db, adm, budi.ID)
		require.NoError(t, err)
		require.Nil(t, o.AgencyID)
		require.Equal(t, models.RoleAdmin, o.Role)
		require.Equal(t, complaint.Actor{Kind: models.ActorAdmin, ID: o.ID}, complaint.ActorFor(o))
		var n int64
		require.NoError(t, db.Model(&models.Officer{}).Where("citizen_id = ?", budi.ID).Count(&n).Error)
		require.Equal(t, int64(1), n)

		// Bad invitations.
		for _, tc := range []struct{ agency, name, role string }{
			{"PUPR", "", models.RolePetugas}, {"PUPR", "X", "bupati"}, {"PUPR", "X", models.RoleAdmin}, {"", "X", models.RolePetugas},
		} {
			_, err := w.svc.Invite(ctx, db, tc.agency, tc.name, tc.role, time.Hour)
			require.ErrorIs(t, err, complaint.ErrInvalid, "%+v", tc)
		}
		_, err = w.svc.Invite(ctx, db, "NOPE", "X", models.RolePetugas, time.Hour)
		require.ErrorIs(t, err, models.ErrNotFound)
	})
}

// TestRedeemRace: two people redeeming one code at once; exactly one becomes an officer.
func TestRedeemRace(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		code, err := w.svc.Invite(ctx, db, "PUPR", "Satu", models.RolePetugas, time.Hour)
		require.NoError(t, err)
		people := make([]models.Citizen, 8)
		for i := range people {
			people[i] = models.Citizen{Name: "Calon", Lang: "id"}
			require.NoError(t, db.Create(&people[i]).Error)
		}
		errs := make([]error, len(people))
		var wg sync.WaitGroup
		for i := range people {
			wg.Go(func() { _, errs[i] = w.svc.Redeem(ctx, db, code, people[i].ID) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				require.ErrorIs(t, err, complaint.ErrInviteUsed)
			}
		}
		require.Equal(t, 1, ok)
	})
}
