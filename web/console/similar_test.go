package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// An officer marks a complaint a duplicate of another from its page; both pages link each
// other and the original shows its supporters.
func TestMarkDuplicateFromConsole(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		jalan, formula := f.codes["jalan"], f.codes["formula"]
		pupr := f.login("pupr@oki.go.id")
		page := pupr.get("/konsol/pengaduan/" + formula)
		require.Equal(t, http.StatusOK, page.status)
		require.Contains(t, page.body, `id="form-duplikat"`)
		tok := csrfOf(t, page.body)

		r := pupr.post("/konsol/pengaduan/"+formula+"/duplikat", url.Values{"csrf": {tok}, "asli": {"OKI-0000-9999"}})
		require.Equal(t, http.StatusBadRequest, r.status, "an unknown original is refused")

		// Its reporter is the original's too: nobody new supports it, the link is made anyway.
		other := models.Citizen{Name: "Siti", Lang: "id"}
		require.NoError(t, db.Create(&other).Error)
		_, err := f.svc.Support(t.Context(), nil, jalan, other.ID)
		require.NoError(t, err)
		r = pupr.post("/konsol/pengaduan/"+formula+"/duplikat", url.Values{"csrf": {tok}, "asli": {jalan}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		page = pupr.get(r.header.Get("Location"))
		require.Contains(t, page.body, "Laporan digabungkan ke laporan yang sama")
		require.Contains(t, page.body, `<a href="/konsol/pengaduan/`+jalan+`">`)
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", formula).Take(&c).Error)
		require.Equal(t, complaint.StatusDitutup, c.Status)

		page = pupr.get("/konsol/pengaduan/" + jalan)
		require.Contains(t, page.body, `<dd id="pendukung">1 warga</dd>`)
		require.Contains(t, page.body, `<a href="/konsol/pengaduan/`+formula+`">`)
		require.NotContains(t, page.body, "Siti", "a supporter's name is nobody's business")
		var audits int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action = ?", "pengaduan.duplikat").Count(&audits).Error)
		require.EqualValues(t, 1, audits)
	})
}

// A hotspot's open complaints are marked and listed first in the OPD's work list.
func TestHotspotFirstInWorkList(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		other := models.Citizen{Name: "Siti", Lang: "id"}
		require.NoError(t, db.Create(&other).Error)
		var last *models.Complaint
		for range 2 {
			c, err := f.svc.Submit(t.Context(), nil, complaint.SubmitInput{CitizenID: other.ID, Channel: "webchat", CategoryCode: "jalan",
				Description: "Jalan berlubang di dekat pasar", RegionCode: "16.02.05.1001"})
			require.NoError(t, err)
			last = c
		}
		// A newer complaint elsewhere, which would otherwise come first.
		_, err := f.svc.Submit(t.Context(), nil, complaint.SubmitInput{CitizenID: other.ID, Channel: "webchat", CategoryCode: "jalan",
			Description: "Jembatan kayu patah di ujung desa", RegionCode: "16.02.02"})
		require.NoError(t, err)
		h, err := f.svc.CheckHotspot(t.Context(), last.ID)
		require.NoError(t, err)
		require.NotNil(t, h, "three road reports in Jua-jua")

		pupr := f.login("pupr@oki.go.id")
		page := pupr.get("/konsol/pengaduan?terbuka=1")
		require.Equal(t, http.StatusOK, page.status)
		first := strings.Index(page.body, "<tbody>")
		require.Positive(t, first)
		rows := strings.Split(page.body[first:], "<tr")
		require.Contains(t, rows[1], "🔥", "the first row is a hotspot's")
		require.Equal(t, 3, strings.Count(page.body, `class="mark hot"`))
	})
}
