package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// The inbox's own routes: bulk actions on ticked complaints, and saved filters.
const (
	bulkPath   = Prefix + "/pengaduan/massal"
	filterPath = Prefix + "/saringan"
)

// MaxBulk bounds how many complaints one bulk action changes (a page holds PageSize).
const MaxBulk = 100

// MaxSavedFilters bounds one account's saved filters.
const MaxSavedFilters = 20

func (c *Console) registerInbox(mux Handler) {
	mux.Handle("POST "+bulkPath, c.page(actors, c.bulk))
	mux.Handle("POST "+filterPath, c.page(anyRole, c.saveFilter))
	mux.Handle("POST "+filterPath+"/{id}/hapus", c.page(anyRole, c.deleteFilter))
}

// savedFilter is a saved filter as a link.
type savedFilter struct {
	ID   int64
	Name string
	URL  string
}

// officerHome is where a petugas lands: "Tugas saya".
const officerHome = Prefix + "/pengaduan?tugas=saya"

// hasSupporters reports whether complaints has issue 14's supporters column (looked up once).
func (c *Console) hasSupporters(ctx context.Context) bool {
	c.supportersOnce.Do(func() {
		c.supporters = c.cfg.DB.WithContext(ctx).Migrator().HasColumn("complaints", "supporters")
	})
	return c.supporters
}

// inboxExtras fills what the list needs besides its rows: the viewer's saved filters and,
// for someone who may act, whom ticked complaints may be assigned to.
func (c *Console) inboxExtras(ctx context.Context, s *session, f Filter, p *listPage) error {
	db := c.cfg.DB.WithContext(ctx)
	var saved []models.SavedFilter
	if err := db.Where("user_id = ?", s.User.ID).Order("name, id").Find(&saved).Error; err != nil {
		return fmt.Errorf("load saved filters: %w", err)
	}
	for _, sf := range saved {
		p.Saved = append(p.Saved, savedFilter{ID: sf.ID, Name: sf.Name, URL: Prefix + "/pengaduan?" + sf.Query})
	}
	p.CanAct = has(actors, s.User.Role)
	if !p.CanAct {
		return nil
	}
	var agency *int64
	if s.User.Role == models.UserPetugas {
		agency = s.User.AgencyID
	} else if f.Agency != "" {
		a, err := models.AgencyByCode(ctx, db, f.Agency)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if a != nil {
			agency = &a.ID
		}
	}
	if agency == nil {
		return nil
	}
	people, err := c.cfg.Complaints.People(ctx, nil, *agency)
	if err != nil {
		return err
	}
	for _, pe := range people {
		p.People = append(p.People, option{pe.Key, pe.Name})
	}
	return nil
}

// bulkFlash is the message after a bulk action or a saved filter, from the redirect's query.
func (c *Console) bulkFlash(l tr, q url.Values) string {
	switch q.Get("ok") {
	case "massal":
		n, _ := strconv.Atoi(q.Get("n"))
		action := q.Get("aksi")
		if action != complaint.ActionAccept && action != complaint.ActionAssign {
			return ""
		}
		msg := l.T("konsol.massal.berhasil_"+action, "n", n)
		if failed := q.Get("gagal"); failed != "" && utf8.RuneCountInString(failed) < 2000 {
			msg += " " + l.T("konsol.massal.gagal", "kode", failed)
		}
		return msg
	case "saringan":
		return l.T("konsol.saringan.disimpan")
	case "saringan_hapus":
		return l.T("konsol.saringan.dihapus")
	}
	return ""
}

// backTo is the list page a form came from (only a list page of this console), else the
// list, ending in "?" or in its query, ready for more parameters.
func backTo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != Prefix+"/pengaduan" {
		return Prefix + "/pengaduan?"
	}
	q := u.Query()
	for _, k := range []string{"ok", "aksi", "n", "gagal"} {
		q.Del(k) // a flash of an earlier bulk action
	}
	return u.Path + "?" + q.Encode()
}

// bulk accepts the ticked complaints, or assigns them to one person, each in its own
// transaction (one that cannot be changed does not hold up the others), each audited.
func (c *Console) bulk(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	action := r.PostFormValue("aksi")
	back := backTo(r.PostFormValue("kembali"))
	codes := r.PostForm["kode"]
	if action != complaint.ActionAccept && action != complaint.ActionAssign {
		c.fail(w, r, s, http.StatusBadRequest, "konsol.massal.tidak_dikenal", nil)
		return
	}
	if len(codes) == 0 || len(codes) > MaxBulk {
		c.fail(w, r, s, http.StatusBadRequest, "konsol.massal.pilih", map[string]any{"max": MaxBulk})
		return
	}
	key := r.PostFormValue("petugas")
	if action == complaint.ActionAssign && key == "" {
		c.fail(w, r, s, http.StatusBadRequest, "konsol.massal.pilih_petugas", nil)
		return
	}
	by := complaint.ConsoleActor(&s.User)
	svc := c.cfg.Complaints
	done := 0
	var failed []string
	for _, raw := range codes {
		code := complaint.NormalizeCode(raw)
		err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			detail := "massal"
			if action == complaint.ActionAccept {
				_, err = svc.Accept(ctx, tx, code, by)
			} else {
				detail += " petugas=" + key
				_, err = svc.Assign(ctx, tx, code, by, key)
			}
			if err != nil {
				return err
			}
			return Audit(ctx, tx, &s.User, c.clientIP(r), "pengaduan."+action, "pengaduan:"+code, detail, c.now())
		})
		var te *complaint.TransitionError
		switch {
		case err == nil:
			done++
		case errors.As(err, &te), errors.Is(err, complaint.ErrForbidden), errors.Is(err, complaint.ErrNotFound), errors.Is(err, complaint.ErrInvalid):
			failed = append(failed, code)
		default:
			c.internal(w, r, s, err)
			return
		}
	}
	c.log.InfoContext(ctx, "console bulk action", slog.String("action", action), slog.Int("done", done), slog.Int("failed", len(failed)))
	v := url.Values{"ok": {"massal"}, "aksi": {action}, "n": {strconv.Itoa(done)}}
	if len(failed) > 0 {
		v.Set("gagal", strings.Join(failed, ", "))
	}
	sep := "&"
	if strings.HasSuffix(back, "?") {
		sep = ""
	}
	http.Redirect(w, r, back+sep+v.Encode(), http.StatusSeeOther)
}

// saveFilter keeps the list's current filter under a name for the signed-in account.
func (c *Console) saveFilter(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	name := strings.TrimSpace(r.PostFormValue("nama"))
	q, err := url.ParseQuery(r.PostFormValue("saringan"))
	if name == "" || utf8.RuneCountInString(name) > 60 || err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "konsol.saringan.nama", nil)
		return
	}
	query := ParseFilter(q).Values().Encode() // only what the list understands is kept
	db := c.cfg.DB.WithContext(ctx)
	var n int64
	if err := db.Model(&models.SavedFilter{}).Where("user_id = ?", s.User.ID).Count(&n).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("count saved filters: %w", err))
		return
	}
	if n >= MaxSavedFilters {
		c.fail(w, r, s, http.StatusUnprocessableEntity, "konsol.saringan.penuh", map[string]any{"max": MaxSavedFilters})
		return
	}
	if err := db.Create(&models.SavedFilter{UserID: s.User.ID, Name: name, Query: query, CreatedAt: c.now()}).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("save filter: %w", err))
		return
	}
	back := Prefix + "/pengaduan?"
	if query != "" {
		back += query + "&"
	}
	http.Redirect(w, r, back+"ok=saringan", http.StatusSeeOther)
}

// deleteFilter removes one of the signed-in account's saved filters.
func (c *Console) deleteFilter(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if err := c.cfg.DB.WithContext(r.Context()).Where("id = ? AND user_id = ?", id, s.User.ID).Delete(&models.SavedFilter{}).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("delete saved filter: %w", err))
		return
	}
	http.Redirect(w, r, Prefix+"/pengaduan?ok=saringan_hapus", http.StatusSeeOther)
}

// markSeen records that the account opened the complaint now (its "new" mark goes).
func (c *Console) markSeen(ctx context.Context, s *session, complaintID int64) {
	err := c.cfg.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "complaint_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"seen_at"}),
	}).Create(&models.ComplaintRead{UserID: s.User.ID, ComplaintID: complaintID, SeenAt: c.now()}).Error
	if err != nil {
		c.log.WarnContext(ctx, "console read mark not saved", slog.Int64("complaint_id", complaintID), slog.Any("error", err))
	}
}
