package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// Console-only actions on a complaint, besides the lifecycle's.
const (
	actionTake = "ambil"   // assign it to oneself
	actionNote = "catatan" // an internal note
)

// allActions are the actions the detail page posts, in toolbar order.
var allActions = []string{complaint.ActionAccept, actionTake, complaint.ActionAssign, complaint.ActionReply,
	complaint.ActionAskInfo, complaint.ActionForward, complaint.ActionFinish, complaint.ActionReject, complaint.ActionDuplicate, actionNote}

// confirmed are the actions that are asked "are you sure?" before they run: they end the OPD's work.
var confirmed = map[string]bool{complaint.ActionFinish: true, complaint.ActionReject: true}

// savedReplyOption is one saved reply offered in the reply box, its fields filled in.
type savedReplyOption struct {
	ID    int64
	Title string
	Body  string
}

// detailPage is the complaint detail's data.
type detailPage struct {
	View      *complaint.StatusView
	Overdue   bool
	Thread    *thread
	Photos    []string
	Proofs    []string
	MapURL    string
	Reporter  string
	Kecamatan string
	Desa      string
	CanAct    bool
	Actions   map[string]bool
	Agencies  []option // where a complaint may be forwarded
	People    []option // who of the OPD it may be assigned to
	Assignee  string   // the name of who has it
	Mine      bool     // assigned to the viewer
	CanNote   bool
	Replies   []savedReplyOption
	Form      map[string]string
	Confirm   string // an action waiting for "yes" (without JavaScript)
}

func (c *Console) detail(w http.ResponseWriter, r *http.Request, s *session) {
	// Every opening is in the audit log (UU 27/2022: who saw what, for a breach notice).
	code := complaint.NormalizeCode(r.PathValue("kode"))
	if err := Audit(r.Context(), c.cfg.DB, &s.User, c.clientIP(r), "pengaduan.buka", "pengaduan:"+code, "", c.now()); err != nil {
		c.internal(w, r, s, err)
		return
	}
	d := c.data(w, r, s, "konsol.detail.judul", nil)
	if ok := r.URL.Query().Get("ok"); ok != "" && has(allActions, ok) {
		d.Flash = d.L.T("konsol.aksi.berhasil_" + ok)
	}
	form := map[string]string{}
	if id, err := strconv.ParseInt(r.URL.Query().Get("balasan"), 10, 64); err == nil {
		form["balasan"] = strconv.FormatInt(id, 10) // a saved reply picked without JavaScript
	}
	c.renderDetail(w, r, s, d, http.StatusOK, form)
}

// fillReply puts the complaint's fields into a saved reply's body.
func fillReply(body, name, code, opd string) string {
	return strings.NewReplacer("{nama}", name, "{kode}", code, "{opd}", opd).Replace(body)
}

// savedReplies are the saved replies an OPD's officers may use: its own and the shared ones.
func (c *Console) savedReplies(ctx context.Context, agencyID *int64) ([]models.SavedReply, error) {
	q := c.cfg.DB.WithContext(ctx).Order("title, id")
	if agencyID != nil {
		q = q.Where("agency_id IS NULL OR agency_id = ?", *agencyID)
	}
	var out []models.SavedReply
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load saved replies: %w", err)
	}
	return out, nil
}

// renderDetail loads the complaint of the path as the session's account and shows it; form
// keeps what the person typed when an action failed (by action name).
func (c *Console) renderDetail(w http.ResponseWriter, r *http.Request, s *session, d *layoutData, status int, form map[string]string) {
	ctx := r.Context()
	code := r.PathValue("kode")
	actor := complaint.ConsoleActor(&s.User)
	v, err := c.cfg.Complaints.View(ctx, nil, code, actor)
	if err != nil {
		c.viewError(w, r, s, code, err)
		return
	}
	l := d.L
	cp := &v.Complaint
	c.markSeen(ctx, s, cp.ID)
	if form == nil {
		form = map[string]string{}
	}
	p := detailPage{View: v, Form: form, Actions: map[string]bool{}, Confirm: form["konfirmasi"]}
	p.Overdue = overdue(cp.Status, cp.RespondBy, cp.ResolveBy, cp.FirstResponseAt, c.now())
	if v.Kecamatan != nil {
		p.Kecamatan = v.Kecamatan.Name
	}
	if v.Region != nil && v.Region.Kind == models.RegionDesa {
		p.Desa = v.Region.Name
	}
	if cp.Lat != nil && cp.Lng != nil {
		p.MapURL = osmLink(*cp.Lat, *cp.Lng)
	}
	photo := func(id int64) string {
		return Prefix + "/pengaduan/" + url.PathEscape(cp.Code) + "/foto/" + strconv.FormatInt(id, 10)
	}
	for _, a := range v.Attachments {
		if a.Kind == models.AttachmentBukti {
			p.Proofs = append(p.Proofs, photo(a.AttachmentID))
		} else {
			p.Photos = append(p.Photos, photo(a.AttachmentID))
		}
	}
	name := l.T("konsol.detail.bapak_ibu")
	switch {
	case cp.Confidential:
		p.Reporter = l.T("konsol.detail.dirahasiakan")
	case v.ReporterName != "":
		p.Reporter, name = v.ReporterName, v.ReporterName
		if v.ReporterContact != "" {
			p.Reporter += " · " + v.ReporterContact
		}
	default:
		p.Reporter = l.T("konsol.detail.tanpa_nama")
	}
	notes, err := c.cfg.Complaints.Notes(ctx, nil, cp, actor)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	if p.Thread, err = c.buildThread(ctx, l, v, notes, photo); err != nil {
		c.internal(w, r, s, err)
		return
	}
	if p.Assignee, err = c.assigneeName(ctx, cp); err != nil {
		c.internal(w, r, s, err)
		return
	}
	p.Mine = cp.AssigneeUserID != nil && *cp.AssigneeUserID == s.User.ID
	p.CanAct = has(actors, s.User.Role)
	if p.CanAct {
		for _, a := range allActions {
			switch a {
			case actionTake:
				p.Actions[a] = complaint.Allowed(complaint.ActionAssign, cp.Status) && s.User.Role == models.UserPetugas && !p.Mine
			case actionNote:
				p.Actions[a] = true
			default:
				p.Actions[a] = complaint.Allowed(a, cp.Status)
			}
		}
		p.CanNote = true
		if p.Actions[complaint.ActionForward] {
			agencies, err := models.Agencies(ctx, c.cfg.DB)
			if err != nil {
				c.internal(w, r, s, err)
				return
			}
			for _, a := range agencies {
				if a.ID != cp.AgencyID {
					p.Agencies = append(p.Agencies, option{a.Code, a.Code + " — " + a.Name})
				}
			}
		}
		if p.Actions[complaint.ActionAssign] {
			people, err := c.cfg.Complaints.People(ctx, nil, cp.AgencyID)
			if err != nil {
				c.internal(w, r, s, err)
				return
			}
			for _, pe := range people {
				p.People = append(p.People, option{pe.Key, pe.Name})
			}
		}
		if p.Actions[complaint.ActionReply] {
			replies, err := c.savedReplies(ctx, &cp.AgencyID)
			if err != nil {
				c.internal(w, r, s, err)
				return
			}
			for _, sr := range replies {
				body := fillReply(sr.Body, name, cp.Code, v.Agency.Name)
				p.Replies = append(p.Replies, savedReplyOption{ID: sr.ID, Title: sr.Title, Body: body})
				if form["balasan"] == strconv.FormatInt(sr.ID, 10) && form[complaint.ActionReply] == "" {
					form[complaint.ActionReply] = body
				}
			}
		}
	}
	d.Page = p
	d.Title = cp.Code + " — " + d.Title
	c.render(w, r, status, "detail", d)
}

// assigneeName is the name of who the complaint is assigned to, "" when nobody.
func (c *Console) assigneeName(ctx context.Context, cp *models.Complaint) (string, error) {
	db := c.cfg.DB.WithContext(ctx)
	if cp.AssigneeUserID != nil {
		u, err := models.UserByID(ctx, db, *cp.AssigneeUserID)
		if err == nil {
			return u.Name, nil
		}
		if !errors.Is(err, models.ErrNotFound) {
			return "", err
		}
	}
	if cp.AssigneeOfficerID != nil {
		o, err := models.OfficerByID(ctx, db, *cp.AssigneeOfficerID)
		if err == nil {
			return o.Name, nil
		}
		if !errors.Is(err, models.ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}

// act runs one action on a complaint through the complaint service, as the console account,
// and records it in the audit log in the same transaction. Tolak and Selesai run only when
// the form says it was confirmed; otherwise the page asks first.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	code := complaint.NormalizeCode(r.PathValue("kode"))
	action := r.PathValue("aksi")
	if !has(allActions, action) {
		c.fail(w, r, s, http.StatusNotFound, "konsol.galat.tidak_ditemukan", map[string]any{"kode": code})
		return
	}
	by := complaint.ConsoleActor(&s.User)
	text := r.PostFormValue("teks")
	target := strings.ToUpper(strings.TrimSpace(r.PostFormValue("opd")))
	proofData, proofMIME, err := formFile(r, "bukti", c.cfg.MaxPhotoBytes)
	if err != nil {
		d := c.data(w, r, s, "konsol.detail.judul", nil)
		d.Error = d.L.T("konsol.aksi.foto_tidak_valid", "mb", c.cfg.MaxPhotoBytes>>20)
		c.renderDetail(w, r, s, d, http.StatusBadRequest, map[string]string{action: text})
		return
	}
	if confirmed[action] && r.PostFormValue("konfirmasi") != "1" {
		d := c.data(w, r, s, "konsol.detail.judul", nil)
		c.renderDetail(w, r, s, d, http.StatusOK, map[string]string{action: text, "konfirmasi": action})
		return
	}
	svc := c.cfg.Complaints
	now := c.now()
	err = c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		detail := ""
		switch action {
		case complaint.ActionAccept:
			_, err = svc.Accept(ctx, tx, code, by)
		case complaint.ActionReply:
			_, err = svc.Reply(ctx, tx, code, by, text)
		case complaint.ActionAskInfo:
			_, err = svc.AskInfo(ctx, tx, code, by, text)
		case complaint.ActionForward:
			detail = "opd=" + target
			_, err = svc.Forward(ctx, tx, code, by, target, text)
		case complaint.ActionFinish:
			// The proof is written only once the account may finish this complaint.
			_, err = svc.FinishWithUpload(ctx, tx, code, by, text, func(tx *gorm.DB) (*int64, error) {
				if proofData == nil {
					return nil, nil
				}
				att, err := models.SaveAttachment(ctx, tx, c.cfg.DataDir, proofData, proofMIME, c.cfg.MaxPhotoBytes)
				if err != nil {
					return nil, err
				}
				detail = "bukti=" + strconv.FormatInt(att.ID, 10)
				return &att.ID, nil
			})
		case complaint.ActionReject:
			_, err = svc.Reject(ctx, tx, code, by, text)
		case actionTake:
			me, err2 := svc.Self(ctx, tx, by)
			if err2 != nil {
				return err2
			}
			detail = "petugas=" + me.Key
			_, err = svc.Assign(ctx, tx, code, by, me.Key)
		case complaint.ActionAssign:
			key := r.PostFormValue("petugas")
			detail = "petugas=" + key
			_, err = svc.Assign(ctx, tx, code, by, key)
		case complaint.ActionDuplicate:
			orig := complaint.NormalizeCode(r.PostFormValue("asli"))
			detail = "asli=" + orig
			_, err = svc.MarkDuplicate(ctx, tx, code, orig, by)
		case actionNote:
			_, err = svc.AddNote(ctx, tx, code, by, text)
		}
		if err != nil {
			return err
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "pengaduan."+action, "pengaduan:"+code, detail, now)
	})
	if err == nil {
		http.Redirect(w, r, Prefix+"/pengaduan/"+url.PathEscape(code)+"?ok="+action, http.StatusSeeOther)
		return
	}
	d := c.data(w, r, s, "konsol.detail.judul", nil)
	var te *complaint.TransitionError
	switch {
	case errors.Is(err, complaint.ErrForbidden), errors.Is(err, complaint.ErrNotFound):
		c.viewError(w, r, s, code, err)
		return
	case errors.As(err, &te):
		d.Error = d.L.T("konsol.aksi.tidak_bisa", "status", d.L.T("konsol.status."+te.From))
		c.renderDetail(w, r, s, d, http.StatusConflict, map[string]string{action: text})
	case errors.Is(err, models.ErrNotImage), errors.Is(err, models.ErrTooLarge), errors.Is(err, models.ErrTooManyPixels):
		d.Error = d.L.T("konsol.aksi.foto_tidak_valid", "mb", c.cfg.MaxPhotoBytes>>20)
		c.renderDetail(w, r, s, d, http.StatusBadRequest, map[string]string{action: text})
	case errors.Is(err, complaint.ErrInvalid):
		d.Error = d.L.T("konsol.aksi.isian_tidak_valid", "max", complaint.MaxText)
		c.renderDetail(w, r, s, d, http.StatusBadRequest, map[string]string{action: text})
	default:
		c.internal(w, r, s, err)
	}
}

// photo serves a photo of a complaint's thread (the report's, the proof, one the citizen sent
// in its conversations) to someone who may see the complaint.
func (c *Console) photo(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	code := r.PathValue("kode")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	v, err := c.cfg.Complaints.View(ctx, nil, code, complaint.ConsoleActor(&s.User))
	if err != nil {
		c.viewError(w, r, s, code, err)
		return
	}
	linked := false
	for _, a := range v.Attachments {
		linked = linked || a.AttachmentID == id
	}
	if !linked {
		d := c.data(w, r, s, "konsol.detail.judul", nil)
		th, err := c.buildThread(ctx, d.L, v, nil, func(int64) string { return "" })
		if err != nil {
			c.internal(w, r, s, err)
			return
		}
		linked = th.Photos[id]
	}
	if !linked {
		http.NotFound(w, r)
		return
	}
	// Servable cleans a photo stored before cleaning existed: no byte served keeps its metadata.
	att, err := models.Servable(ctx, c.cfg.DB, c.cfg.DataDir, id)
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			c.log.WarnContext(ctx, "console photo not servable", slog.Int64("attachment_id", id), slog.Any("error", err))
		}
		http.NotFound(w, r)
		return
	}
	// The page shows the preview; "?asli=1" is the cleaned original, kept for the record.
	rel, mime := att.Preview(), "image/jpeg"
	if r.URL.Query().Get("asli") == "1" || rel == att.Path {
		rel, mime = att.Path, att.MIME
	}
	f, err := os.Open(filepath.Join(c.cfg.DataDir, filepath.FromSlash(rel)))
	if err != nil {
		c.log.WarnContext(ctx, "console photo file missing", slog.Int64("attachment_id", id), slog.Any("error", err))
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", mime)
	h.Set("Cache-Control", models.PhotoCacheControl(v.Complaint.Confidential))
	h.Set("Content-Disposition", "inline; filename="+strconv.Quote(filepath.Base(rel)))
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, f)
}
