package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/suarawarga/suarawarga/models"
)

// The audit log page filters by account, action, object and dates, and exports what it
// filters as CSV (itself audited): who saw and did what, for accountability and a breach
// notice (UU 27/2022).

// auditFilter is the audit page's query.
type auditFilter struct {
	Oleh, Aksi, Objek, Dari, Sampai string
}

func parseAuditFilter(q url.Values) auditFilter {
	t := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return auditFilter{Oleh: t("oleh"), Aksi: t("aksi"), Objek: t("objek"), Dari: t("dari"), Sampai: t("sampai")}
}

// Query is the filter as a query string, for the export link (already URL-encoded).
func (f auditFilter) Query() template.URL {
	v := url.Values{}
	for k, s := range map[string]string{"oleh": f.Oleh, "aksi": f.Aksi, "objek": f.Objek, "dari": f.Dari, "sampai": f.Sampai} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return template.URL(v.Encode()) //nolint:gosec // url.Values.Encode escapes every value
}

// auditPageData feeds templates/audit.html.
type auditPageData struct {
	Filter  auditFilter
	Entries []models.AuditEntry
}

// maxAuditRows bounds the page; the export takes up to maxAuditExport.
const (
	maxAuditRows   = 200
	maxAuditExport = 100000
)

func (c *Console) auditEntries(ctx context.Context, f auditFilter, limit int) ([]models.AuditEntry, error) {
	q := c.cfg.DB.WithContext(ctx).Order("created_at DESC, id DESC").Limit(limit)
	like := func(s string) string {
		return "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(strings.ToLower(s)) + "%"
	}
	if f.Oleh != "" {
		q = q.Where("LOWER(actor) LIKE ? ESCAPE '!'", like(f.Oleh))
	}
	if f.Aksi != "" {
		q = q.Where("LOWER(action) LIKE ? ESCAPE '!'", like(f.Aksi))
	}
	if f.Objek != "" {
		q = q.Where("LOWER(object) LIKE ? ESCAPE '!'", like(f.Objek))
	}
	if t, err := time.ParseInLocation(time.DateOnly, f.Dari, c.cfg.Loc); err == nil {
		q = q.Where("created_at >= ?", t.UTC())
	}
	if t, err := time.ParseInLocation(time.DateOnly, f.Sampai, c.cfg.Loc); err == nil {
		q = q.Where("created_at < ?", t.AddDate(0, 0, 1).UTC())
	}
	var out []models.AuditEntry
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load audit log: %w", err)
	}
	return out, nil
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	f := parseAuditFilter(r.URL.Query())
	entries, err := c.auditEntries(r.Context(), f, maxAuditRows)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "audit", c.data(w, r, s, "konsol.audit.judul", &auditPageData{Filter: f, Entries: entries}))
}

// auditCSV exports the filtered audit log; the export is itself audited.
func (c *Console) auditCSV(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f := parseAuditFilter(r.URL.Query())
	now := c.now()
	if err := Audit(ctx, c.cfg.DB, &s.User, c.clientIP(r), "audit.ekspor", "audit", string(f.Query()), now); err != nil {
		c.internal(w, r, s, err)
		return
	}
	entries, err := c.auditEntries(ctx, f, maxAuditExport)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+now.In(c.cfg.Loc).Format("20060102-1504")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"waktu", "oleh", "tindakan", "objek", "rincian", "alamat_ip"})
	for _, e := range entries {
		_ = cw.Write([]string{e.CreatedAt.In(c.cfg.Loc).Format(time.RFC3339), csvSafe(e.Actor), csvSafe(e.Action), csvSafe(e.Object),
			csvSafe(e.Detail), csvSafe(e.IP)})
	}
	cw.Flush()
}
