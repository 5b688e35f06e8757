package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

var rowCode = regexp.MustCompile(`<tr class="[^"]*" data-kode="([^"]+)"`)

// rowCodes are the tickets of the list's rows, in order.
func rowCodes(body string) []string {
	var out []string
	for _, m := range rowCode.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestInbox: an officer lands on "Tugas saya"; rows carry a "new" mark until the officer
// opens the complaint (and again once it changes); the list sorts by deadline and age;
// ticked complaints are accepted and assigned in one go (another OPD's stay untouched and
// are named); filters are saved per account.
func TestInbox(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		jalan, formula, sampah := f.codes["jalan"], f.codes["formula"], f.codes["sampah"]
		pupr := f.login("pupr@oki.go.id")
		r := pupr.get("/konsol/")
		require.Equal(t, "/konsol/pengaduan?tugas=saya", r.header.Get("Location"))
		r = pupr.get("/konsol/pengaduan?tugas=saya")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, "<h1>Tugas saya</h1>")
		require.Contains(t, r.body, "Tidak ada laporan terbuka yang ditugaskan kepada Anda.")
		require.Contains(t, r.body, "Pintasan papan ketik")

		// Everything is new to a first-time reader; opening a complaint clears its mark.
		all := pupr.get("/konsol/pengaduan")
		require.ElementsMatch(t, []string{jalan, formula}, rowCodes(all.body))
		require.Equal(t, 2, strings.Count(all.body, `class="new-mark"`))
		require.Equal(t, http.StatusOK, pupr.get("/konsol/pengaduan/"+jalan).status)
		all = pupr.get("/konsol/pengaduan")
		require.Equal(t, 1, strings.Count(all.body, `class="new-mark"`))
		require.Regexp(t, `<tr class=" unread" data-kode="`+formula+`"`, all.body)
		require.Equal(t, 2, strings.Count(f.login("admin@oki.go.id").get("/konsol/pengaduan?opd=PUPR").body, `class="new-mark"`), "marks are per account")

		// Sorting: newest first by default, the oldest first, the nearest deadline first.
		require.Equal(t, []string{formula, jalan}, rowCodes(all.body))
		require.Equal(t, []string{jalan, formula}, rowCodes(pupr.get("/konsol/pengaduan?urut=lama").body))
		require.Equal(t, []string{jalan, formula}, rowCodes(pupr.get("/konsol/pengaduan?urut=batas").body))
		require.Contains(t, all.body, `title="Jumat, 27 November 2026 09.00"`, "the exact time on hover")

		// Bulk: accept both and another OPD's complaint; only the two change.
		tok := csrfOf(t, all.body)
		f.advance(1)
		r = pupr.post("/konsol/pengaduan/massal", url.Values{"csrf": {tok}, "aksi": {"terima"}, "kode": {jalan, formula, sampah},
			"kembali": {"/konsol/pengaduan?urut=lama"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		loc := r.header.Get("Location")
		require.True(t, strings.HasPrefix(loc, "/konsol/pengaduan?urut=lama&"), loc)
		page := pupr.get(loc)
		require.Contains(t, page.body, "2 laporan diterima.")
		require.Contains(t, page.body, "Tidak dapat diubah (statusnya tidak memungkinkan): "+sampah)
		for code, want := range map[string]string{jalan: complaint.StatusDiproses, formula: complaint.StatusDiproses, sampah: complaint.StatusTerdisposisi} {
			var c models.Complaint
			require.NoError(t, db.Where("code = ?", code).Take(&c).Error)
			require.Equal(t, want, c.Status, code)
		}
		require.Equal(t, 2, strings.Count(page.body, `class="new-mark"`), "they changed since the officer read them")

		// Bulk assign to the officer: both are now "Tugas saya", nearest deadline first.
		me, err := models.UserByEmail(t.Context(), db, "pupr@oki.go.id")
		require.NoError(t, err)
		require.Contains(t, page.body, `<option value="u`+strconvFormat(me.ID)+`">Petugas PUPR</option>`)
		r = pupr.post("/konsol/pengaduan/massal", url.Values{"csrf": {tok}, "aksi": {"tugaskan"}, "petugas": {"u" + strconvFormat(me.ID)},
			"kode": {jalan, formula}, "kembali": {"https://contoh.invalid/konsol/pengaduan"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.True(t, strings.HasPrefix(r.header.Get("Location"), "/konsol/pengaduan?"), "never back to another site")
		mine := pupr.get("/konsol/pengaduan?tugas=saya")
		require.Equal(t, []string{jalan, formula}, rowCodes(mine.body))
		require.Contains(t, mine.body, ">Petugas PUPR</td>")
		require.Empty(t, rowCodes(pupr.get("/konsol/pengaduan?tugas=belum").body))
		r = pupr.post("/konsol/pengaduan/massal", url.Values{"csrf": {tok}, "aksi": {"tugaskan"}, "kode": {jalan}})
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Contains(t, r.body, "Mohon pilih petugas")
		r = pupr.post("/konsol/pengaduan/massal", url.Values{"csrf": {tok}, "aksi": {"terima"}})
		require.Equal(t, http.StatusBadRequest, r.status)
		leader := f.login("bupati@oki.go.id")
		r = leader.post("/konsol/pengaduan/massal", url.Values{"csrf": {leader.token("/konsol/pengaduan")}, "aksi": {"terima"}, "kode": {sampah}})
		require.Equal(t, http.StatusForbidden, r.status, "a leader changes nothing")
		var audited int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action IN ? AND detail LIKE ?", []string{"pengaduan.terima", "pengaduan.tugaskan"}, "massal%").Count(&audited).Error)
		require.EqualValues(t, 4, audited)

		// Saved filters belong to their account.
		r = pupr.post("/konsol/saringan", url.Values{"csrf": {tok}, "nama": {"Jalan terlambat"}, "saringan": {"kategori=jalan&terlambat=1&bogus=1"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		page = pupr.get(r.header.Get("Location"))
		require.Contains(t, page.body, "Saringan disimpan.")
		require.Contains(t, page.body, `<a href="/konsol/pengaduan?kategori=jalan&amp;terlambat=1" class="chip">Jalan terlambat</a>`)
		require.NotContains(t, f.login("dlh@oki.go.id").get("/konsol/pengaduan").body, "Jalan terlambat")
		var sf models.SavedFilter
		require.NoError(t, db.Take(&sf).Error)
		dlh := f.login("dlh@oki.go.id")
		require.Equal(t, http.StatusSeeOther, dlh.post("/konsol/saringan/"+strconvFormat(sf.ID)+"/hapus", url.Values{"csrf": {dlh.token("/konsol/pengaduan")}}).status)
		require.NoError(t, db.Take(&sf).Error, "another account cannot delete it")
		require.Equal(t, http.StatusSeeOther, pupr.post("/konsol/saringan/"+strconvFormat(sf.ID)+"/hapus", url.Values{"csrf": {tok}}).status)
		require.NotContains(t, pupr.get("/konsol/pengaduan").body, "Jalan terlambat")
		r = pupr.post("/konsol/saringan", url.Values{"csrf": {tok}, "nama": {""}, "saringan": {"q=x"}})
		require.Equal(t, http.StatusBadRequest, r.status)
	})
}
