package console

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// PageSize is how many complaints one list page shows.
const PageSize = 50

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
	Desa      string // region code of a desa/kelurahan (the dashboard's map links to it)
	From, To  string // YYYY-MM-DD, in the regency's time zone, both inclusive
	Overdue   bool   // only open complaints past a deadline
	Open      bool   // only complaints an OPD still works on (terdisposisi, diproses, perlu_info)
	Q         string // ticket code or words of the description or address
	Mine      bool   // "Tugas saya": open complaints assigned to the viewer (tugas=saya)
	Nobody    bool   // open complaints assigned to nobody (tugas=belum)
	Sort      string // "" newest first, SortOldest, SortDeadline
	Page      int    // 1-based
}

// The list's orders besides newest first.
const (
	SortOldest   = "lama"  // the longest waiting first
	SortDeadline = "batas" // the nearest resolution deadline first
)

// ParseFilter reads a Filter from query values; unknown values are dropped.
func ParseFilter(v url.Values) Filter {
	f := Filter{
		Status: v.Get("status"), Agency: strings.ToUpper(strings.TrimSpace(v.Get("opd"))),
		Category: strings.TrimSpace(v.Get("kategori")), Kecamatan: strings.TrimSpace(v.Get("kecamatan")),
		Desa: strings.TrimSpace(v.Get("desa")),
		From: v.Get("dari"), To: v.Get("sampai"), Overdue: v.Get("terlambat") == "1", Open: v.Get("terbuka") == "1",
		Q: strings.TrimSpace(v.Get("q")), Mine: v.Get("tugas") == "saya", Nobody: v.Get("tugas") == "belum",
		Sort: v.Get("urut"),
	}
	if f.Sort != SortOldest && f.Sort != SortDeadline {
		f.Sort = ""
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
	set("desa", f.Desa)
	set("dari", f.From)
	set("sampai", f.To)
	set("q", f.Q)
	if f.Overdue {
		v.Set("terlambat", "1")
	}
	if f.Open {
		v.Set("terbuka", "1")
	}
	if f.Mine {
		v.Set("tugas", "saya")
	} else if f.Nobody {
		v.Set("tugas", "belum")
	}
	set("urut", f.Sort)
	return v
}

// order is the list's ORDER BY; "Tugas saya" defaults to the nearest deadline.
func (f Filter) order() string {
	sort := f.Sort
	if sort == "" && f.Mine {
		sort = SortDeadline
	}
	switch sort {
	case SortOldest:
		return "c.created_at ASC, c.id ASC"
	case SortDeadline:
		return "c.resolve_by ASC, c.id ASC"
	}
	return "c.created_at DESC, c.id DESC"
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
	DesaName        *string
	UpdatedAt       time.Time
	SeenAt          *time.Time // when the viewer last opened it (the list only)
	AssigneeName    *string    // who has it (the list only)
	Supporters      int        // citizens who back it (issue 14's complaints.supporters, once that column exists)
	Hotspot         bool       // open and part of a hotspot: marked 🔥, listed first in the open list
	Overdue         bool       `gorm:"-"`
	Unread          bool       `gorm:"-"` // new or changed since the viewer last opened it
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
	if f.Desa != "" {
		q = q.Where("r.code = ? AND r.kind = ?", f.Desa, models.RegionDesa)
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
	if f.Mine {
		officer := int64(-1)
		if s.User.OfficerID != nil {
			officer = *s.User.OfficerID
		}
		q = q.Where("c.status IN ? AND (c.assignee_user_id = ? OR c.assignee_officer_id = ?)", openStatuses, s.User.ID, officer)
	}
	if f.Nobody {
		q = q.Where("c.status IN ? AND c.assignee_user_id IS NULL AND c.assignee_officer_id IS NULL", openStatuses)
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
	a.name AS agency_name, k.name AS kecamatan_name, CASE WHEN r.kind = 'desa' THEN r.name END AS desa_name,
	(c.hotspot_id IS NOT NULL AND c.status IN ('terdisposisi', 'diproses', 'perlu_info')) AS hotspot`

// hotspotFirst orders the open complaints of a hotspot before the rest.
const hotspotFirst = "CASE WHEN c.hotspot_id IS NOT NULL AND c.status IN ('terdisposisi', 'diproses', 'perlu_info') THEN 0 ELSE 1 END"

// listColumns are rowColumns plus what only the inbox shows: the viewer's read mark, the assignee.
const listColumns = rowColumns + `, c.updated_at, cr.seen_at, COALESCE(au.name, ao.name) AS assignee_name`

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
	People      []option // whom the ticked complaints may be assigned to (one OPD's people)
	CanAct      bool
	Saved       []savedFilter
	Filtered    bool   // a filter besides the view and the order is set: the filter form opens
	Query       string // the filter as a query string, for saving it
	Back        string // this page, for the bulk form to come back to
	Tabs        bool   // the officer's views: Tugas saya, Belum ditugaskan, Semua
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
		order := f.order()
		if f.Open && f.Sort == "" {
			// The OPD's work list: a hotspot's complaints first (the open set is small; the
			// full list keeps the order its index serves).
			order = hotspotFirst + ", " + order
		}
		cols := listColumns
		if c.hasSupporters(ctx) {
			cols += ", c.supporters"
		}
		if err := c.queryOn(db, ctx, s, f).
			Joins("LEFT JOIN complaint_reads cr ON cr.complaint_id = c.id AND cr.user_id = ?", s.User.ID).
			Joins("LEFT JOIN users au ON au.id = c.assignee_user_id").
			Joins("LEFT JOIN officers ao ON ao.id = c.assignee_officer_id").
			Select(cols).Order(order).
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
		row.Unread = row.SeenAt == nil || row.UpdatedAt.After(*row.SeenAt)
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
	p.Query = f.Values().Encode()
	p.Back = Prefix + "/pengaduan"
	if f.Page > 1 || p.Query != "" {
		v := f.Values()
		if f.Page > 1 {
			v.Set("hal", strconv.Itoa(f.Page))
		}
		p.Back += "?" + v.Encode()
	}
	p.Tabs = s.User.Role == models.UserPetugas
	bare := f
	bare.Mine, bare.Nobody, bare.Sort = false, false, ""
	p.Filtered = len(bare.Values()) > 0
	title := "konsol.daftar.judul"
	if f.Mine {
		title = "konsol.daftar.tugas_saya"
	} else if f.Nobody {
		title = "konsol.daftar.belum_ditugaskan"
	}
	d := c.data(w, r, s, title, nil)
	if err := c.options(ctx, s, d.L, &p); err != nil {
		c.internal(w, r, s, err)
		return
	}
	if err := c.inboxExtras(ctx, s, f, &p); err != nil {
		c.internal(w, r, s, err)
		return
	}
	d.Flash = c.bulkFlash(d.L, r.URL.Query())
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

// actorNames maps the people named in a timeline ("konsol:<user id>", "petugas:<officer id>",
// "admin:<officer id>") to their names.
func (c *Console) actorNames(ctx context.Context, events []models.ComplaintEvent) (map[string]string, error) {
	var users, officers []int64
	for _, ev := range events {
		if ev.ActorID == nil {
			continue
		}
		switch ev.ActorKind {
		case models.ActorKonsol:
			users = append(users, *ev.ActorID)
		case models.ActorPetugas, models.ActorAdmin:
			officers = append(officers, *ev.ActorID)
		}
	}
	out := map[string]string{}
	db := c.cfg.DB.WithContext(ctx)
	if len(users) > 0 {
		var us []models.User
		if err := db.Where("id IN ?", users).Find(&us).Error; err != nil {
			return nil, fmt.Errorf("load timeline actors: %w", err)
		}
		for _, u := range us {
			out[models.ActorKonsol+":"+strconv.FormatInt(u.ID, 10)] = u.Name
		}
	}
	if len(officers) > 0 {
		var os []models.Officer
		if err := db.Where("id IN ?", officers).Find(&os).Error; err != nil {
			return nil, fmt.Errorf("load timeline actors: %w", err)
		}
		for _, o := range os {
			id := strconv.FormatInt(o.ID, 10)
			out[models.ActorPetugas+":"+id], out[models.ActorAdmin+":"+id] = o.Name, o.Name
		}
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
