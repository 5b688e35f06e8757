package console

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// csvSafe keeps a cell from being read as a formula by a spreadsheet (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportCSV writes the filtered complaint list (every page) as CSV, for admins and leaders.
func (c *Console) exportCSV(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f := ParseFilter(r.URL.Query())
	l := tr{c: c.cfg.Locales, lang: c.lang(w, r), loc: c.cfg.Loc}
	now := c.now()
	if err := Audit(ctx, c.cfg.DB, &s.User, c.clientIP(r), "pengaduan.ekspor", "pengaduan", f.Values().Encode(), now); err != nil {
		c.internal(w, r, s, err)
		return
	}
	rows, err := c.query(ctx, s, f).Select(rowColumns).Order("c.created_at DESC, c.id DESC").Limit(MaxExportRows).Rows()
	if err != nil {
		c.internal(w, r, s, fmt.Errorf("export complaints: %w", err))
		return
	}
	defer rows.Close()
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="pengaduan-`+now.In(c.cfg.Loc).Format("20060102-1504")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	// A byte-order mark lets spreadsheet programs read the file as UTF-8.
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cols := []string{"kode", "dibuat", "status", "kategori", "opd", "kecamatan", "desa", "alamat", "lintang", "bujur", "uraian",
		"batas_selesai", "terlambat", "rahasia"}
	head := make([]string, len(cols))
	for i, k := range cols {
		head[i] = l.T("konsol.csv." + k)
	}
	_ = cw.Write(head)
	yes, no := l.T("konsol.ya"), l.T("konsol.tidak")
	yn := func(b bool) string {
		if b {
			return yes
		}
		return no
	}
	coord := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 6, 64)
	}
	db := c.cfg.DB.WithContext(ctx)
	for rows.Next() {
		var row Row
		if err := db.ScanRows(rows, &row); err != nil {
			c.log.ErrorContext(ctx, "console export row", slog.Any("error", err))
			return
		}
		kec := ""
		if row.KecamatanName != nil {
			kec = *row.KecamatanName
		}
		rec := []string{row.Code, row.CreatedAt.In(c.cfg.Loc).Format("2006-01-02 15:04"), l.T("konsol.status." + row.Status),
			row.CategoryName, row.AgencyCode, kec, textOf(row.DesaName), row.Address, coord(row.Lat), coord(row.Lng), row.Description,
			row.ResolveBy.In(c.cfg.Loc).Format("2006-01-02"),
			yn(overdue(row.Status, row.RespondBy, row.ResolveBy, row.FirstResponseAt, now)), yn(row.Confidential)}
		// Guard the free text; the numbers (a negative latitude) are written by us and stay numbers.
		for _, i := range []int{3, 5, 6, 7, 10} {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return
		}
	}
	cw.Flush()
	if err := rows.Err(); err != nil {
		c.log.ErrorContext(ctx, "console export", slog.Any("error", err))
	}
}

// auditPage shows the newest entries of the audit log to admins.
// textOf is *p, or "" when p is nil.
func textOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
