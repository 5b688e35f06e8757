package complaint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// Assignment and internal notes: the inbox side of a complaint.
const (
	ActionAssign = "tugaskan" // give an open complaint to one officer of its OPD (or take it)
	ActionNote   = "catatan"  // write an internal note

	// EventDitugaskan records an assignment; Text holds the assignee's name (empty: unassigned).
	EventDitugaskan = "ditugaskan"

	// AudienceOfficer is one officer: Notification.OfficerID.
	AudienceOfficer Audience = "petugas_satu"
)

// MaxNote is the longest internal note accepted, in characters.
const MaxNote = 4000

// Person is someone of an OPD a complaint can be assigned to: a console account, a chat
// officer, or one person with both (an account linked to its officer, keyed by the account).
type Person struct {
	Key       string // "u<user id>" or "o<officer id>"
	Name      string
	UserID    *int64
	OfficerID *int64
}

// People lists the active officers of an OPD, by name: its console petugas and its chat
// officers (petugas and kepala), one entry for a person who is both.
func (s *Service) People(ctx context.Context, tx *gorm.DB, agencyID int64) ([]Person, error) {
	db := s.db(tx).WithContext(ctx)
	var users []models.User
	if err := db.Where("agency_id = ? AND role = ? AND active = ?", agencyID, models.UserPetugas, true).Order("id").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("load console officers of agency %d: %w", agencyID, err)
	}
	var officers []models.Officer
	if err := db.Where("agency_id = ? AND role IN ? AND active = ?", agencyID, []string{models.RolePetugas, models.RoleKepala}, true).
		Order("id").Find(&officers).Error; err != nil {
		return nil, fmt.Errorf("load chat officers of agency %d: %w", agencyID, err)
	}
	linked := map[int64]bool{}
	var out []Person
	byOfficer := map[int64]models.Officer{}
	for _, o := range officers {
		byOfficer[o.ID] = o
	}
	for _, u := range users {
		p := Person{Key: "u" + strconv.FormatInt(u.ID, 10), Name: u.Name, UserID: &u.ID}
		if u.OfficerID != nil {
			if _, ok := byOfficer[*u.OfficerID]; ok {
				id := *u.OfficerID
				p.OfficerID, linked[id] = &id, true
			}
		}
		out = append(out, p)
	}
	for _, o := range officers {
		if !linked[o.ID] {
			out = append(out, Person{Key: "o" + strconv.FormatInt(o.ID, 10), Name: o.Name, OfficerID: &o.ID})
		}
	}
	slices.SortStableFunc(out, func(a, b Person) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// Self is the person an actor is, for "Ambil" (take it myself): a console account with its
// linked officer, or a chat officer with the account linked to it.
func (s *Service) Self(ctx context.Context, tx *gorm.DB, by Actor) (Person, error) {
	db := s.db(tx).WithContext(ctx)
	switch by.Kind {
	case models.ActorKonsol:
		u, err := models.UserByID(ctx, db, by.ID)
		if err != nil {
			return Person{}, err
		}
		return Person{Key: "u" + strconv.FormatInt(u.ID, 10), Name: u.Name, UserID: &u.ID, OfficerID: u.OfficerID}, nil
	case models.ActorPetugas:
		o, err := models.OfficerByID(ctx, db, by.ID)
		if err != nil {
			return Person{}, err
		}
		p := Person{Key: "o" + strconv.FormatInt(o.ID, 10), Name: o.Name, OfficerID: &o.ID}
		var u models.User
		err = db.Where("officer_id = ? AND active = ?", o.ID, true).Order("id").Take(&u).Error
		switch {
		case err == nil:
			p.Key, p.UserID = "u"+strconv.FormatInt(u.ID, 10), &u.ID
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return Person{}, fmt.Errorf("load account of officer %d: %w", o.ID, err)
		}
		return p, nil
	}
	return Person{}, fmt.Errorf("%s %d is not an OPD officer: %w", by.Kind, by.ID, ErrInvalid)
}

// Assign gives an open complaint to the person of its OPD with key (see People), or takes
// it from whoever has it when key is empty. The assignee's chat gets the complaint with its
// buttons, unless they assigned it to themselves. Assigning it to whom it already has is a no-op.
func (s *Service) Assign(ctx context.Context, tx *gorm.DB, code string, by Actor, key string) (*models.Complaint, error) {
	return s.change(ctx, tx, code, ActionAssign, by, s.officerAuth(ctx, by, ActionAssign), func(tx *gorm.DB, st *step) error {
		var to *Person
		if key != "" {
			people, err := s.People(ctx, tx, st.c.AgencyID)
			if err != nil {
				return err
			}
			for i := range people {
				if people[i].Key == key {
					to = &people[i]
				}
			}
			if to == nil {
				return fmt.Errorf("assign to %q: not an active officer of the complaint's OPD: %w", key, ErrInvalid)
			}
		}
		if to == nil && st.c.AssigneeUserID == nil && st.c.AssigneeOfficerID == nil {
			return nil
		}
		if to != nil && eqID(to.UserID, st.c.AssigneeUserID) && eqID(to.OfficerID, st.c.AssigneeOfficerID) {
			return nil
		}
		now := st.now
		name := ""
		if to == nil {
			st.c.AssigneeUserID, st.c.AssigneeOfficerID, st.c.AssignedAt = nil, nil, nil
		} else {
			st.c.AssigneeUserID, st.c.AssigneeOfficerID, st.c.AssignedAt = to.UserID, to.OfficerID, &now
			name = to.Name
		}
		st.event(EventDitugaskan, st.c.Status, st.c.Status, name, nil)
		self := to != nil && to.OfficerID != nil && by.Kind == models.ActorPetugas && by.ID == *to.OfficerID
		if to != nil && to.OfficerID != nil && !self {
			who, err := s.actorName(ctx, tx, by)
			if err != nil {
				return err
			}
			st.notes = append(st.notes, Notification{ComplaintID: st.c.ID, Audience: AudienceOfficer, AgencyID: st.c.AgencyID,
				OfficerID: *to.OfficerID, Key: "petugas.ditugaskan",
				Data: st.data("nama", to.Name, "oleh", who, "batas", st.local(st.c.ResolveBy), "uraian", st.c.Description)})
		}
		return nil
	})
}

func eqID(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

// actorName is the name of who acts, for texts ("ditugaskan oleh …").
func (s *Service) actorName(ctx context.Context, tx *gorm.DB, by Actor) (string, error) {
	switch by.Kind {
	case models.ActorKonsol:
		u, err := models.UserByID(ctx, tx, by.ID)
		if err != nil {
			return "", err
		}
		return u.Name, nil
	case models.ActorPetugas, models.ActorAdmin:
		o, err := models.OfficerByID(ctx, tx, by.ID)
		if err != nil {
			return "", err
		}
		return o.Name, nil
	}
	return "", nil
}

// AddNote writes an internal note on a complaint: by must be an officer of its OPD or an admin.
// A note is never sent to anyone; only the OPD it was written in and admins read it.
func (s *Service) AddNote(ctx context.Context, tx *gorm.DB, code string, by Actor, text string) (*models.ComplaintNote, error) {
	text = strings.TrimSpace(text)
	if text == "" || len([]rune(text)) > MaxNote {
		return nil, fmt.Errorf("note on %s: empty or longer than %d characters: %w", code, MaxNote, ErrInvalid)
	}
	var out *models.ComplaintNote
	err := s.db(tx).WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := models.ComplaintByCode(ctx, tx, NormalizeCode(code))
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, tx, by, c, ActionNote); err != nil {
			return err
		}
		name, err := s.actorName(ctx, tx, by)
		if err != nil {
			return err
		}
		n := models.ComplaintNote{ComplaintID: c.ID, AgencyID: c.AgencyID, AuthorKind: by.Kind, AuthorID: by.ID, AuthorName: name,
			Text: text, CreatedAt: s.now()}
		if err := tx.Create(&n).Error; err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		out = &n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("note on complaint %s: %w", NormalizeCode(code), err)
	}
	return out, nil
}

// Notes returns the internal notes of complaint c the viewer may read, oldest first: all of
// them for an admin, those written in the viewer's OPD for its officers, none for anyone else.
func (s *Service) Notes(ctx context.Context, tx *gorm.DB, c *models.Complaint, viewer Actor) ([]models.ComplaintNote, error) {
	db := s.db(tx).WithContext(ctx)
	admin, agency, err := s.noteReader(ctx, db, viewer)
	if err != nil || (!admin && agency == 0) {
		return nil, err
	}
	q := db.Where("complaint_id = ?", c.ID).Order("created_at, id")
	if !admin {
		q = q.Where("agency_id = ?", agency)
	}
	var out []models.ComplaintNote
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load notes of %s: %w", c.Code, err)
	}
	return out, nil
}

// noteReader says whether viewer reads every note (an admin) or its OPD's (agency, 0: none).
// The account is read again, so a deactivated one reads nothing.
func (s *Service) noteReader(ctx context.Context, db *gorm.DB, viewer Actor) (admin bool, agency int64, err error) {
	switch viewer.Kind {
	case models.ActorKonsol:
		u, err := models.UserByID(ctx, db, viewer.ID)
		if errors.Is(err, models.ErrNotFound) {
			return false, 0, nil
		}
		if err != nil || !u.Active {
			return false, 0, err
		}
		switch {
		case u.Role == models.UserAdmin:
			return true, 0, nil
		case u.Role == models.UserPetugas && u.AgencyID != nil:
			return false, *u.AgencyID, nil
		}
	case models.ActorPetugas, models.ActorAdmin:
		o, err := models.OfficerByID(ctx, db, viewer.ID)
		if errors.Is(err, models.ErrNotFound) {
			return false, 0, nil
		}
		if err != nil || !o.Active {
			return false, 0, err
		}
		if o.Role == models.RoleAdmin {
			return true, 0, nil
		}
		if o.AgencyID != nil {
			return false, *o.AgencyID, nil
		}
	}
	return false, 0, nil
}
