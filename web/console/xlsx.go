package console

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"
)

// registerXLSX mounts the XLSX export of the complaint list, beside the CSV and for the same roles.
func (c *Console) registerXLSX(mux Handler) {
	mux.Handle("GET "+Prefix+"/ekspor/pengaduan.xlsx", c.page(readAll, c.exportXLSX))
}

// exportXLSX writes the filtered complaint list (every page) as an Excel workbook with one sheet.
// Cells are written as strings or numbers, never as formulas, so free text cannot become one.
func (c *Console) exportXLSX(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f := ParseFilter(r.URL.Query())
	l := tr{c: c.cfg.Locales, lang: c.lang(w, r), loc: c.cfg.Loc}
	now := c.now()
	var rows []Row
	if err := c.query(ctx, s, f).Select(rowColumns).Order("c.created_at DESC, c.id DESC").Limit(MaxExportRows).
		Scan(&rows).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("export complaints xlsx: %w", err))
		return
	}
	if err := Audit(ctx, c.cfg.DB, &s.User, c.clientIP(r), "pengaduan.ekspor_xlsx", "pengaduan", f.Values().Encode(), now); err != nil {
		c.internal(w, r, s, err)
		return
	}
	book := excelize.NewFile()
	defer func() { _ = book.Close() }()
	sheet := book.GetSheetName(0)
	cols := []string{"kode", "dibuat", "status", "kategori", "opd", "kecamatan", "desa", "alamat", "lintang", "bujur", "uraian",
		"batas_selesai", "terlambat", "rahasia"}
	put := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return book.SetCellValue(sheet, cell, v)
	}
	yes, no := l.T("konsol.ya"), l.T("konsol.tidak")
	yn := func(b bool) string {
		if b {
			return yes
		}
		return no
	}
	fail := func(err error) { c.internal(w, r, s, fmt.Errorf("export complaints xlsx: %w", err)) }
	for i, k := range cols {
		if err := put(i+1, 1, l.T("konsol.csv."+k)); err != nil {
			fail(err)
			return
		}
	}
	for n, row := range rows {
		kec := ""
		if row.KecamatanName != nil {
			kec = *row.KecamatanName
		}
		var lat, lng any = "", ""
		if row.Lat != nil {
			lat = *row.Lat
		}
		if row.Lng != nil {
			lng = *row.Lng
		}
		rec := []any{row.Code, row.CreatedAt.In(c.cfg.Loc).Format("2006-01-02 15:04"), l.T("konsol.status." + row.Status),
			row.CategoryName, row.AgencyCode, kec, textOf(row.DesaName), row.Address, lat, lng, row.Description,
			row.ResolveBy.In(c.cfg.Loc).Format("2006-01-02"),
			yn(overdue(row.Status, row.RespondBy, row.ResolveBy, row.FirstResponseAt, now)), yn(row.Confidential)}
		for i, v := range rec {
			if err := put(i+1, n+2, v); err != nil {
				fail(err)
				return
			}
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="pengaduan-`+now.In(c.cfg.Loc).Format("20060102-1504")+`.xlsx"`)
	h.Set("Cache-Control", "no-store")
	if _, err := book.WriteTo(w); err != nil {
		c.log.ErrorContext(ctx, "console export xlsx", slog.Any("error", err))
	}
}

// xlsxURL turns the CSV export address of a list page into the XLSX one, with the same filter.
func xlsxURL(csvURL string) string {
	return strings.Replace(csvURL, "/ekspor/pengaduan.csv", "/ekspor/pengaduan.xlsx", 1)
}

func init() { funcs["xlsxURL"] = xlsxURL }
