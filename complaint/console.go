package complaint

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// ActionView names looking at a complaint in authorization checks and logs.
const ActionView = "lihat"

// ConsoleActor is the actor a web console account acts as: an admin acts on every complaint, a
// petugas on their own OPD's, a pimpinan only looks. The timeline records the account's id.
func ConsoleActor(u *models.User) Actor {
	a := Actor{Kind: models.ActorKonsol, ID: u.ID}
	if u.AgencyID != nil {
		a.AgencyID = *u.AgencyID
	}
	return a
}

// consoleAllowed reports whether the console account by may take action on c. The account is
// read again inside the transaction, so a deactivated account or a changed OPD takes effect at once.
func consoleAllowed(ctx context.Context, tx *gorm.DB, by Actor, c *models.Complaint, action string) (bool, error) {
	u, err := models.UserByID(ctx, tx, by.ID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !u.Active {
		return false, nil
	}
	switch u.Role {
	case models.UserAdmin:
		return true, nil
	case models.UserPimpinan:
		return action == ActionView, nil
	case models.UserPetugas:
		return u.AgencyID != nil && *u.AgencyID == c.AgencyID && by.AgencyID == c.AgencyID, nil
	}
	return false, nil
}
