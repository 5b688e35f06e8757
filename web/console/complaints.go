package console

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// PageSize is how many complaints one list page shows.
const PageSize = 25

// MaxExportRows bounds one CSV export.
const MaxExportRows = 100000

// openStatuses are the statuses in which an OPD still works on a complaint (and may be late).
var openStatuses = []string{complaint.StatusTerdisposisi, complaint.StatusDiproses, complaint.StatusPerluInfo}

// Filter is the complaint list's filter, as in the page's query string.
type Filter struct {
	Status    string // a complaint status
	Agency    string // OPD code
	Category  string // category code
	Kecamatan string // region code of a kecamatan
	From, To  string // YYYY-MM-DD, in the regency's time zone, both inclusive
	Overdue   bool   // only open complaints past a deadline
	Open      bool   // only complaints an OPD still works on (terdisposisi, diproses, perlu_info)
	Q         string // ticket code or words of the description or address
	Page      int    // 1-based
}

// ParseFilter reads a Filter from query values; unknown values are dropped.
func ParseFilter(v url.Values) Filter {
	f := Filter{
		Status: v.Get("status"), Agency: strings.ToUpper(strings.TrimSpace(v.Get("opd"))),
		Category: strings.TrimSpace(v.Get("kategori")), Kecamatan: strings.TrimSpace(v.Get("kecamatan")),
		From: v.Get("dari"), To: v.Get("sampai"), Overdue: v.Get("terlambat") == "1", Open: v.Get("terbuka") == "1",
		Q: strings.TrimSpace(v.Get("q")),
	}
	if !has(complaint.Statuses(), f.Status) {
		f.Status = ""
	}
	if _, err := time.Parse(time.DateOnly, f.From); err != nil {
		f.From = ""
	}
	if _, err := time.Parse(time.DateOnly, f.To); err != nil {
		f.To = ""
	}
	if utf8.RuneCountInString(f.Q) > 200 {
		f.Q = string([]rune(f.Q)[:200])
	}
	f.Page, _ = strconv.Atoi(v.Get("hal"))
	if f.Page < 1 {
		f.Page = 1
	}
	return f
}

// Values is the filter as query values (without the page), for links and the export.
func (f Filter) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("status", f.Status)
	set("opd", f.Agency)
	set("kategori", f.Category)
	set("kecamatan", f.Kecamatan)
	set("dari", f.From)
	set("sampai", f.To)
	set("q", f.Q)
	if f.Overdue {
		v.Set("terlambat", "1")
	}
	if f.Open {
		v.Set("terbuka", "1")
	}
	return v
}

// Row is one complaint in the list or the export.
type Row struct {
	ID              int64
	Code            string
	Status          string
	Description     string
	Address         string
	Lat, Lng        *float64
	Confidential    bool
	CreatedAt       time.Time
	RespondBy       time.Time
	ResolveBy       time.Time
	FirstResponseAt *time.Time
	CategoryName    string
	AgencyCode      string
	AgencyName      string
	KecamatanName   *string
	Overdue         bool `gorm:"-"`
}

// Excerpt is the start of the description, for the list.
func (r Row) Excerpt() string {
	if utf8.RuneCountInString(r.Description) <= 140 {
		return r.Description
	}
	return string([]rune(r.Description)[:140]) + "…"
}

// overdue reports whether an open complaint is past its resolution deadline, or past its
// first-response deadline without a response.
func overdue(status string, respondBy, resolveBy time.Time, firstResponse *time.Time, now time.Time) bool {
	if !has(openStatuses, status) {
		return false
	}
	return resolveBy.Before(now) || (firstResponse == nil && respondBy.Before(now))
}

// likeEscape escapes LIKE wildcards so the search matches the text as typed.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// query is the filtered complaint query for the session: a petugas only ever sees their OPD's.
func (c *Console) query(ctx context.Context, s *session, f Filter) *gorm.DB {
	return c.queryOn(c.cfg.DB, ctx, s, f)
}

// queryOn is query on db (a transaction of listDB).
func (c *Console) queryOn(db *gorm.DB, ctx context.Context, s *session, f Filter) *gorm.DB {
	now := c.now()
	q := db.WithContext(ctx).Table("complaints AS c").
		Joins("JOIN categories cat ON cat.id = c.category_id").
		Joins("JOIN agencies a ON a.id = c.agency_id").
		Joins("LEFT JOIN regions r ON r.id = c.region_id").
		Joins("LEFT JOIN regions k ON k.id = (CASE WHEN r.kind = ? THEN r.parent_id ELSE r.id END)", models.RegionDesa)
	if s.User.Role == models.UserPetugas {
		agency := int64(-1)
		if s.User.AgencyID != nil {
			agency = *s.User.AgencyID
		}
		q = q.Where("c.agency_id = ?", agency)
	}
	if f.Status != "" {
		q = q.Where("c.status = ?", f.Status)
	}
	if f.Agency != "" && s.User.Role != models.UserPetugas {
		q = q.Where("a.code = ?", f.Agency)
	}
	if f.Category != "" {
		q = q.Where("cat.code = ?", f.Category)
	}
	if f.Kecamatan != "" {
		q = q.Where("k.code = ?", f.Kecamatan)
	}
	if t, err := time.ParseInLocation(time.DateOnly, f.From, c.cfg.Loc); err == nil {
		q = q.Where("c.created_at >= ?", t.UTC())
	}
	if t, err := time.ParseInLocation(time.DateOnly, f.To, c.cfg.Loc); err == nil {
		q = q.Where("c.created_at < ?", t.AddDate(0, 0, 1).UTC())
	}
	if f.Open {
		q = q.Where("c.status IN ?", openStatuses)
	}
	if f.Overdue {
		q = q.Where("c.status IN ? AND (c.resolve_by < ? OR (c.first_response_at IS NULL AND c.respond_by < ?))", openStatuses, now, now)
	}
	if f.Q != "" {
		like := "%" + likeEscape(strings.ToLower(f.Q)) + "%"
		q = q.Where(`(c.code = ? OR LOWER(c.description) LIKE ? ESCAPE '\' OR LOWER(c.address) LIKE ? ESCAPE '\')`,
			complaint.NormalizeCode(f.Q), like, like)
	}
	return q
}

const rowColumns = `c.id, c.code, c.status, c.description, c.address, c.lat, c.lng, c.confidential, c.created_at,
	c.respond_by, c.resolve_by, c.first_response_at, cat.name AS category_name, a.code AS agency_code,
	a.name AS agency_name, k.name AS kecamatan_name`

// option is one entry of a filter's drop-down.
type option struct{ Value, Label string }

// listPage is the complaint list's data.
type listPage struct {
	Filter      Filter
	Rows        []Row
	Total       int64
	Page, Pages int
	Prev, Next  string // links, empty at the ends
	Export      string
	Statuses    []option
	Agencies    []option
	Categories  []option
	Kecamatan   []option
}

// listDB runs the list page's queries. A text search on PostgreSQL runs them in a
// read-only transaction that plans each statement for its own pattern: after five
// runs PostgreSQL would otherwise keep one generic plan for every pattern, which
// cannot use the trigram indexes (migration 0006) and walked all 100,000 complaints
// of the benchmark by date, 150 ms instead of 15 (BENCHMARKS.md).
func (c *Console) listDB(ctx context.Context, f Filter, fn func(db *gorm.DB) error) error {
	if f.Q == "" || models.Dialect(c.cfg.DB) != models.DialectPostgres {
		return fn(c.cfg.DB)
	}
	return c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
			return fmt.Errorf("plan per search: %w", err)
		}
		return fn(tx)
	}, &sql.TxOptions{ReadOnly: true})
}

func (c *Console) list(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f := ParseFilter(r.URL.Query())
	p := listPage{Filter: f, Page: f.Page}
	err := c.listDB(ctx, f, func(db *gorm.DB) error {
		if err := c.queryOn(db, ctx, s, f).Count(&p.Total).Error; err != nil {
			return fmt.Errorf("count complaints: %w", err)
		}
		if err := c.queryOn(db, ctx, s, f).Select(rowColumns).Order("c.created_at DESC, c.id DESC").
			Limit(PageSize).Offset((f.Page - 1) * PageSize).Scan(&p.Rows).Error; err != nil {
			return fmt.Errorf("list complaints: %w", err)
		}
		return nil
	})
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	p.Pages = max(int((p.Total+PageSize-1)/PageSize), 1)
	now := c.now()
	for i := range p.Rows {
		row := &p.Rows[i]
		row.Overdue = overdue(row.Status, row.RespondBy, row.ResolveBy, row.FirstResponseAt, now)
	}
	link := func(page int) string {
		v := f.Values()
		v.Set("hal", strconv.Itoa(page))
		return Prefix + "/pengaduan?" + v.Encode()
	}
	if f.Page > 1 {
		p.Prev = link(f.Page - 1)
	}
	if f.Page < p.Pages {
		p.Next = link(f.Page + 1)
	}
	p.Export = Prefix + "/ekspor/pengaduan.csv?" + f.Values().Encode()
	d := c.data(w, r, s, "konsol.daftar.judul", nil)
	if err := c.options(ctx, s, d.L, &p); err != nil {
		c.internal(w, r, s, err)
		return
	}
	d.Page = p
	c.render(w, r, http.StatusOK, "daftar", d)
}

// options fills the filter drop-downs.
func (c *Console) options(ctx context.Context, s *session, l tr, p *listPage) error {
	db := c.cfg.DB.WithContext(ctx)
	for _, st := range complaint.Statuses() {
		p.Statuses = append(p.Statuses, option{st, l.T("konsol.status." + st)})
	}
	if s.User.Role != models.UserPetugas {
		agencies, err := models.Agencies(ctx, db)
		if err != nil {
			return err
		}
		for _, a := range agencies {
			p.Agencies = append(p.Agencies, option{a.Code, a.Code + " — " + a.Name})
		}
	}
	cats, err := models.Categories(ctx, db)
	if err != nil {
		return err
	}
	for _, ct := range cats {
		label := ct.Name
		if l.lang == "en" && ct.NameEN != "" {
			label = ct.NameEN
		}
		p.Categories = append(p.Categories, option{ct.Code, label})
	}
	var kec []models.Region
	if err := db.Where("kind = ?", models.RegionKecamatan).Order("name").Find(&kec).Error; err != nil {
		return fmt.Errorf("load kecamatan: %w", err)
	}
	for _, k := range kec {
		p.Kecamatan = append(p.Kecamatan, option{k.Code, k.Name})
	}
	return nil
}

// timelineEntry is one line of a complaint's timeline on the detail page.
type timelineEntry struct {
	At    time.Time
	Text  string
	Quote string // the officer's or citizen's own words, shown apart
	Who   string
	Photo string // a link to the event's photo
}

// detailPage is the complaint detail's data.
type detailPage struct {
	View      *complaint.StatusView
	Overdue   bool
	Timeline  []timelineEntry
	Photos    []string
	Proofs    []string
	MapURL    string
	CanAct    bool
	Actions   map[string]bool
	Agencies  []option // where a complaint may be forwarded
	Form      map[string]string
	Kecamatan string
	Desa      string
}

func (c *Console) detail(w http.ResponseWriter, r *http.Request, s *session) {
	d := c.data(w, r, s, "konsol.detail.judul", nil)
	if ok := r.URL.Query().Get("ok"); ok != "" && has(allActions, ok) {
		d.Flash = d.L.T("konsol.aksi.berhasil_" + ok)
	}
	c.renderDetail(w, r, s, d, http.StatusOK, nil)
}

var allActions = []string{complaint.ActionAccept, complaint.ActionReply, complaint.ActionAskInfo, complaint.ActionForward,
	complaint.ActionFinish, complaint.ActionReject}

// renderDetail loads the complaint of the path as the session's account and shows it; form
// keeps what the person typed when an action failed.
func (c *Console) renderDetail(w http.ResponseWriter, r *http.Request, s *session, d *layoutData, status int, form map[string]string) {
	ctx := r.Context()
	code := r.PathValue("kode")
	v, err := c.cfg.Complaints.View(ctx, nil, code, complaint.ConsoleActor(&s.User))
	if err != nil {
		c.viewError(w, r, s, code, err)
		return
	}
	p := detailPage{View: v, Form: form, Actions: map[string]bool{}}
	p.Overdue = overdue(v.Complaint.Status, v.Complaint.RespondBy, v.Complaint.ResolveBy, v.Complaint.FirstResponseAt, c.now())
	if v.Kecamatan != nil {
		p.Kecamatan = v.Kecamatan.Name
	}
	if v.Region != nil && v.Region.Kind == models.RegionDesa {
		p.Desa = v.Region.Name
	}
	if v.Complaint.Lat != nil && v.Complaint.Lng != nil {
		lat, lng := strconv.FormatFloat(*v.Complaint.Lat, 'f', 6, 64), strconv.FormatFloat(*v.Complaint.Lng, 'f', 6, 64)
		p.MapURL = "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lng + "#map=17/" + lat + "/" + lng
	}
	photo := func(id int64) string {
		return Prefix + "/pengaduan/" + url.PathEscape(v.Complaint.Code) + "/foto/" + strconv.FormatInt(id, 10)
	}
	for _, a := range v.Attachments {
		if a.Kind == models.AttachmentBukti {
			p.Proofs = append(p.Proofs, photo(a.AttachmentID))
		} else {
			p.Photos = append(p.Photos, photo(a.AttachmentID))
		}
	}
	names, err := c.actorNames(ctx, v.Events)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	kanal := d.L.T("kanal." + v.Complaint.Channel)
	for _, ev := range v.Events {
		data := map[string]any{"opd": v.Agency.Name, "teks": ev.Text, "nilai": ev.Text, "kanal": kanal}
		if ev.Kind == complaint.EventTerdisposisi || ev.Kind == complaint.EventDialihkan {
			data["opd"] = ev.Text
		}
		e := timelineEntry{At: ev.CreatedAt, Text: c.cfg.Locales.T(d.L.lang, "peristiwa."+ev.Kind, data)}
		switch ev.Kind {
		case complaint.EventTanggapan, complaint.EventMintaInfo, complaint.EventInfoWarga, complaint.EventSelesai,
			complaint.EventDitolak, complaint.EventBukanWewenang:
			e.Quote = ev.Text
		}
		if ev.ActorKind == models.ActorKonsol && ev.ActorID != nil {
			e.Who = names[*ev.ActorID]
		}
		if ev.AttachmentID != nil {
			e.Photo = photo(*ev.AttachmentID)
		}
		p.Timeline = append(p.Timeline, e)
	}
	p.CanAct = has(actors, s.User.Role)
	if p.CanAct {
		for _, a := range allActions {
			p.Actions[a] = complaint.Allowed(a, v.Complaint.Status)
		}
		if p.Actions[complaint.ActionForward] {
			agencies, err := models.Agencies(ctx, c.cfg.DB)
			if err != nil {
				c.internal(w, r, s, err)
				return
			}
			for _, a := range agencies {
				if a.ID != v.Complaint.AgencyID {
					p.Agencies = append(p.Agencies, option{a.Code, a.Code + " — " + a.Name})
				}
			}
		}
	}
	d.Page = p
	d.Title = v.Complaint.Code + " — " + d.Title
	c.render(w, r, status, "detail", d)
}

// actorNames maps the console accounts named in a timeline to their names.
func (c *Console) actorNames(ctx context.Context, events []models.ComplaintEvent) (map[int64]string, error) {
	var ids []int64
	for _, ev := range events {
		if ev.ActorKind == models.ActorKonsol && ev.ActorID != nil {
			ids = append(ids, *ev.ActorID)
		}
	}
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []models.User
	if err := c.cfg.DB.WithContext(ctx).Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("load timeline actors: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u.Name
	}
	return out, nil
}

// viewError answers a failed View: not found, not theirs, or broken.
func (c *Console) viewError(w http.ResponseWriter, r *http.Request, s *session, code string, err error) {
	switch {
	case errors.Is(err, complaint.ErrNotFound):
		c.fail(w, r, s, http.StatusNotFound, "konsol.galat.tidak_ditemukan", map[string]any{"kode": code})
	case errors.Is(err, complaint.ErrForbidden):
		c.fail(w, r, s, http.StatusForbidden, "konsol.galat.bukan_opd_anda", map[string]any{"kode": code})
	default:
		c.internal(w, r, s, err)
	}
}

// act runs one action on a complaint through the complaint service, as the console account,
// and records it in the audit log in the same transaction.
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

// formFile reads an optional uploaded file; nil data when none was chosen.
func formFile(r *http.Request, field string, max int64) ([]byte, string, error) {
	if r.MultipartForm == nil {
		return nil, "", nil
	}
	f, h, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if h.Size == 0 {
		return nil, "", nil
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(data)) > max {
		return nil, "", models.ErrTooLarge
	}
	return data, h.Header.Get("Content-Type"), nil
}

// photo serves one of a complaint's photos to someone who may see the complaint.
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
