package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestErasureOnWrittenRequest: an admin finds the citizen by a ticket code, sees what
// will go, confirms, and the citizen's identity is gone from the complaint page; the
// request's reference is in the audit log. Other roles may not open the page.
func TestErasureOnWrittenRequest(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		code := f.codes["jalan"]
		cit := firstCitizen(t, db)
		require.NoError(t, db.Create(&models.Identity{CitizenID: cit, Channel: "whatsapp", Address: "628129876501@s.whatsapp.net"}).Error)

		for _, who := range []string{"bupati@oki.go.id", "pupr@oki.go.id"} {
			require.Equal(t, http.StatusForbidden, f.login(who).get("/konsol/hapus-data").status, who)
		}
		admin := f.login("admin@oki.go.id")
		before := admin.get("/konsol/pengaduan/" + code)
		require.Contains(t, before.body, "Budi Santoso")
		require.Contains(t, admin.get("/konsol/audit").body, `href="/konsol/hapus-data"`)

		csrf := admin.token("/konsol/hapus-data")
		r := admin.post("/konsol/hapus-data", url.Values{"csrf": {csrf}, "kode": {code}})
		require.Equal(t, http.StatusBadRequest, r.status, "the written request's reference is required")
		r = admin.post("/konsol/hapus-data", url.Values{"csrf": {csrf}, "nomor": {"0812-0000-0000"}, "dasar": {"Surat 1/2026"}})
		require.Equal(t, http.StatusNotFound, r.status)

		// By number (08… is the same as 628…): shown first, nothing erased yet.
		r = admin.post("/konsol/hapus-data", url.Values{"csrf": {csrf}, "nomor": {"0812 9876 501"}, "dasar": {"Surat 12/PPID/2026, 1 Desember 2026"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, `id="pratinjau"`)
		require.Contains(t, r.body, "3 laporan")
		require.Contains(t, admin.get("/konsol/pengaduan/"+code).body, "Budi Santoso")

		r = admin.post("/konsol/hapus-data", url.Values{"csrf": {csrf}, "nomor": {"0812 9876 501"}, "dasar": {"Surat 12/PPID/2026, 1 Desember 2026"},
			"konfirmasi": {"1"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, `id="hasil"`)
		after := admin.get("/konsol/pengaduan/" + code)
		require.NotContains(t, after.body, "Budi Santoso")
		require.NotContains(t, after.body, "8129876501")
		csv := admin.get("/konsol/ekspor/pengaduan.csv")
		require.NotContains(t, csv.body, "Budi Santoso")

		var e models.AuditEntry
		require.NoError(t, db.Where("action = ?", "warga.hapus_data").Take(&e).Error)
		require.Equal(t, "admin@oki.go.id", e.Actor)
		require.Contains(t, e.Detail, "Surat 12/PPID/2026")
		require.NotContains(t, e.Detail, "8129876501", "the audit log names no number")
		var c models.Citizen
		require.NoError(t, db.Take(&c, cit).Error)
		require.Empty(t, c.Name)
		require.NotNil(t, c.ErasedAt)
	})
}

// TestMasterDataShowsRetention: the master-data page states the retention rule in one line.
func TestMasterDataShowsRetention(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		r := f.login("admin@oki.go.id").get("/konsol/data")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, `id="retensi"`)
		require.Contains(t, r.body, "disimpan 2 tahun setelah laporan ditutup")
	})
}

// TestAuditLogFilterAndExport: opening a complaint is audited; the audit page filters by
// account and action; the CSV export carries the filtered entries and is audited itself.
func TestAuditLogFilterAndExport(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		pupr := f.login("pupr@oki.go.id")
		require.Equal(t, http.StatusOK, pupr.get("/konsol/pengaduan/"+f.codes["jalan"]).status)
		require.Equal(t, http.StatusForbidden, pupr.get("/konsol/pengaduan/"+f.codes["sampah"]).status, "another OPD's")
		require.Equal(t, http.StatusForbidden, pupr.get("/konsol/audit.csv").status)

		admin := f.login("admin@oki.go.id")
		page := admin.get("/konsol/audit?oleh=pupr&aksi=buka")
		require.Equal(t, http.StatusOK, page.status)
		require.Contains(t, page.body, "pengaduan:"+f.codes["jalan"])
		require.Contains(t, page.body, "pengaduan:"+f.codes["sampah"], "a refused opening is in the log too")
		require.NotContains(t, page.body, "akun.buat", "filtered by action")
		require.Contains(t, page.body, `href="/konsol/audit.csv?aksi=buka&amp;oleh=pupr"`)

		csv := admin.get("/konsol/audit.csv?aksi=buka&oleh=pupr")
		require.Equal(t, http.StatusOK, csv.status)
		require.Equal(t, "no-store", csv.header.Get("Cache-Control"))
		require.Contains(t, csv.body, "waktu,oleh,tindakan,objek,rincian,alamat_ip")
		require.Contains(t, csv.body, "pupr@oki.go.id,pengaduan.buka,pengaduan:"+f.codes["jalan"])
		require.NotContains(t, csv.body, "akun.buat")
		var n int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action = ? AND actor = ?", "audit.ekspor", "admin@oki.go.id").Count(&n).Error)
		require.EqualValues(t, 1, n)
	})
}
