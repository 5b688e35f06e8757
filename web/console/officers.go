package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// officersPath is the page of the bot's officers (petugas) per OPD.
const officersPath = dataPath + "/petugas"

// registerOfficers mounts the officers page: leaders may read it, only admins invite and deactivate.
func (c *Console) registerOfficers(mux Handler) {
	mux.Handle("GET "+officersPath, c.page(readAll, c.officers))
	mux.Handle("POST "+officersPath+"/undang", c.page(adminOnly, c.inviteOfficer))
	mux.Handle("POST "+officersPath+"/{id}/nonaktif", c.page(adminOnly, c.deactivateOfficer))
}

// officerRow is one officer with the code of their OPD.
type officerRow struct {
	models.Officer
	AgencyCode string
}

// officersPage is what the officers template shows.
type officersPage struct {
	Officers []officerRow
	Agencies []models.Agency
	Invite   string // the text with the one-time code, shown once after an invitation
}

func (c *Console) showOfficers(w http.ResponseWriter, r *http.Request, s *session, status int, errKey, invite string) {
	db := c.cfg.DB.WithContext(r.Context())
	p := &officersPage{Invite: invite}
	if err := db.Order("code").Find(&p.Agencies).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("load agencies: %w", err))
		return
	}
	codes := map[int64]string{}
	for _, a := range p.Agencies {
		codes[a.ID] = a.Code
	}
	var list []models.Officer
	if err := db.Order("id").Find(&list).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("load officers: %w", err))
		return
	}
	for _, o := range list {
		row := officerRow{Officer: o}
		if o.AgencyID != nil {
			row.AgencyCode = codes[*o.AgencyID]
		}
		p.Officers = append(p.Officers, row)
	}
	// Grouped per OPD (admins, with no OPD, first), then by name.
	sortOfficers(p.Officers)
	d := c.data(w, r, s, "data_induk.petugas.judul", p)
	if errKey != "" {
		d.Error = d.L.T("data_induk.galat." + errKey)
	} else if r.URL.Query().Get("ok") == "nonaktif" {
		d.Flash = d.L.T("data_induk.berhasil.nonaktif")
	}
	c.render(w, r, status, "data_petugas", d)
}

func sortOfficers(list []officerRow) {
	slices.SortStableFunc(list, func(a, b officerRow) int {
		if n := strings.Compare(a.AgencyCode, b.AgencyCode); n != 0 {
			return n
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
}

func (c *Console) officers(w http.ResponseWriter, r *http.Request, s *session) {
	c.showOfficers(w, r, s, http.StatusOK, "", "")
}

// inviteOfficer creates a one-time invitation code, as `suarawarga officer invite` does, and
// shows it once.
func (c *Console) inviteOfficer(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	name, role := dataField(r, "nama"), dataField(r, "peran")
	agency := strings.ToUpper(dataField(r, "opd"))
	switch {
	case name == "" || len(name) > 200:
		c.showOfficers(w, r, s, http.StatusUnprocessableEntity, "nama", "")
		return
	case role != models.RolePetugas && role != models.RoleKepala && role != models.RoleAdmin:
		c.showOfficers(w, r, s, http.StatusUnprocessableEntity, "peran", "")
		return
	case (role == models.RoleAdmin) != (agency == ""):
		c.showOfficers(w, r, s, http.StatusUnprocessableEntity, "opd_peran", "")
		return
	}
	var code string
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if code, err = c.cfg.Complaints.Invite(ctx, tx, agency, name, role, complaint.DefaultInviteTTL); err != nil {
			return err
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "petugas.undang", "petugas "+name,
			fmt.Sprintf("peran=%s opd=%s", role, agency), now)
	})
	switch {
	case errors.Is(err, models.ErrNotFound) || errors.Is(err, gorm.ErrRecordNotFound):
		c.showOfficers(w, r, s, http.StatusUnprocessableEntity, "opd", "")
		return
	case err != nil:
		c.internal(w, r, s, err)
		return
	}
	l := tr{c: c.cfg.Locales, lang: c.lang(w, r), loc: c.cfg.Loc}
	opd := ""
	if agency != "" {
		a, err := models.AgencyByCode(ctx, c.cfg.DB, agency)
		if err != nil {
			c.internal(w, r, s, err)
			return
		}
		opd = a.Name
	}
	expires := now.Add(complaint.DefaultInviteTTL).In(c.cfg.Loc)
	text := l.T("petugas.undangan_dibuat", "nama", name, "peran", l.T("petugas.peran_"+role), "opd", opd, "kode", code,
		"batas", complaint.FormatDate(expires, l.lang), "jam", expires.Format("15.04"))
	c.showOfficers(w, r, s, http.StatusOK, "", text)
}

// deactivateOfficer stops an officer from acting for their OPD.
func (c *Console) deactivateOfficer(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := dataPathID(r)
		if err != nil {
			return err
		}
		var o models.Officer
		if err := tx.First(&o, id).Error; err != nil {
			return err
		}
		if !o.Active {
			return nil
		}
		if err := tx.Model(&o).Updates(map[string]any{"active": false, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("deactivate officer: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "petugas.nonaktif", fmt.Sprintf("petugas %d", o.ID), o.Name, now)
	})
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		c.fail(w, r, s, http.StatusNotFound, "data_induk.galat.tidak_ada", nil)
	case err != nil:
		c.internal(w, r, s, err)
	default:
		http.Redirect(w, r, officersPath+"?ok=nonaktif", http.StatusSeeOther)
	}
}
