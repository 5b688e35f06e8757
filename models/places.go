package models

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/gorm"
)

// schema0012 adds the regions' boundaries (GeoJSON geometries, one row per region). Frozen.
const schema0012 = `
CREATE TABLE region_boundaries (
	region_id BIGINT PRIMARY KEY REFERENCES regions (id) ON DELETE CASCADE,
	geometry TEXT NOT NULL,
	updated_at {{ts}} NOT NULL
)
`

// sampleDesaRecode maps the twelve desa/kelurahan of Kayu Agung in the first
// sample regency file, whose codes were made up, to their real Kemendagri codes
// and names. Frozen with migration 0012.
var sampleDesaRecode = []struct{ oldCode, oldName, code, name string }{
	{"16.02.05.1001", "Cinta Raja", "16.02.05.1004", "Cintaraja"},
	{"16.02.05.1002", "Jua-Jua", "16.02.05.1001", "Jua-jua"},
	{"16.02.05.1003", "Kedaton", "16.02.05.1007", "Kedaton"},
	{"16.02.05.1004", "Kutaraya", "16.02.05.1010", "Kutaraja"},
	{"16.02.05.1005", "Mangun Jaya", "16.02.05.1005", "Mangun Jaya"},
	{"16.02.05.1006", "Paku", "16.02.05.1006", "Paku"},
	{"16.02.05.1007", "Perigi", "16.02.05.1009", "Perigi"},
	{"16.02.05.1008", "Sidakersa", "16.02.05.1003", "Sidakersa"},
	{"16.02.05.1009", "Sukadana", "16.02.05.1008", "Sukadana"},
	{"16.02.05.1010", "Tanjung Rancing", "16.02.05.1025", "Tanjung Rancing"},
	{"16.02.05.2001", "Tanjung Serang", "16.02.05.2022", "Tanjung Serang"},
	{"16.02.05.2002", "Teloko", "16.02.05.2021", "Teloko"},
}

// regionBoundaries creates region_boundaries and gives the old sample's desa their
// real codes. Complaints refer to regions by id, so each keeps its desa: only the
// code and the spelling of the name change. It acts only when all twelve rows are
// there exactly as the old sample wrote them (a regency of its own is left alone);
// the codes are swapped through temporary ones because they overlap.
func regionBoundaries(ctx context.Context, tx *gorm.DB, dialect string) error {
	if err := sqlSteps(schema0012)(ctx, tx, dialect); err != nil {
		return err
	}
	type row struct {
		ID   int64
		Code string
		Name string
	}
	var rows []row
	if err := tx.Raw(`SELECT id, code, name FROM regions WHERE kind = 'desa' AND code LIKE '16.02.05.%'`).Scan(&rows).Error; err != nil {
		return fmt.Errorf("load desa: %w", err)
	}
	byCode := map[string]row{}
	for _, r := range rows {
		byCode[r.Code] = r
	}
	ids := make([]int64, len(sampleDesaRecode))
	for i, m := range sampleDesaRecode {
		r, ok := byCode[m.oldCode]
		if !ok || r.Name != m.oldName {
			return nil // not the old sample
		}
		ids[i] = r.ID
	}
	for _, m := range sampleDesaRecode {
		if _, taken := byCode[m.code]; taken && !isOldSampleCode(m.code) {
			return nil // the real code is already used by another row: leave it to the admin
		}
	}
	for i := range sampleDesaRecode {
		if err := tx.Exec(`UPDATE regions SET code = ? WHERE id = ?`, fmt.Sprintf("tmp-0012-%d", i), ids[i]).Error; err != nil {
			return fmt.Errorf("recode desa: %w", err)
		}
	}
	for i, m := range sampleDesaRecode {
		if err := tx.Exec(`UPDATE regions SET code = ?, name = ? WHERE id = ?`, m.code, m.name, ids[i]).Error; err != nil {
			return fmt.Errorf("recode desa %s: %w", m.name, err)
		}
	}
	slog.InfoContext(ctx, "the sample's desa of Kayu Agung now carry their real Kemendagri codes", slog.Int("desa", len(ids)))
	return nil
}

func isOldSampleCode(code string) bool {
	for _, m := range sampleDesaRecode {
		if m.oldCode == code {
			return true
		}
	}
	return false
}
