package console_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

func auditActions(t *testing.T, db *gorm.DB, prefix string) []string {
	t.Helper()
	var out []string
	require.NoError(t, db.Model(&models.AuditEntry{}).Where("action LIKE ?", prefix+"%").Order("id").Pluck("action", &out).Error)
	return out
}

// botCategories lists the category choices the way the bot does on every conversation.
func botCategories(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var cats []models.Category
	require.NoError(t, db.Order("sort, id").Find(&cats).Error)
	out := make([]string, 0, len(cats))
	for _, c := range cats {
		out = append(out, c.Code)
	}
	return out
}

func TestMasterDataAgenciesAndCategories(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		admin := f.login("admin@oki.go.id")
		page := admin.get("/konsol/data")
		require.Equal(t, http.StatusOK, page.status)
		require.Contains(t, page.body, "Data induk")
		require.Contains(t, page.body, `href="/konsol/data"`)
		tok := csrfOf(t, page.body)

		// A new OPD; its code is upper-cased and must be unique.
		r := admin.post("/konsol/data/opd", url.Values{"csrf": {tok}, "kode": {"dispora"}, "nama": {"Dinas Pemuda dan Olahraga"},
			"singkatan": {"Dispora"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, "/konsol/data?ok=opd", r.header.Get("Location"))
		require.Contains(t, admin.get("/konsol/data?ok=opd").body, "Data OPD sudah disimpan.")
		var a models.Agency
		require.NoError(t, db.Where("code = ?", "DISPORA").First(&a).Error)
		require.Equal(t, "Dispora", a.ShortName)
		require.False(t, a.Triage)
		r = admin.post("/konsol/data/opd", url.Values{"csrf": {tok}, "kode": {"DISPORA"}, "nama": {"Lagi"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Kode tersebut sudah dipakai")
		r = admin.post("/konsol/data/opd", url.Values{"csrf": {tok}, "kode": {"x y"}, "nama": {"Salah"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Kode OPD wajib diisi")
		r = admin.post("/konsol/data/opd", url.Values{"csrf": {tok}, "kode": {"BARU"}, "nama": {"  "}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Nama wajib diisi")

		// Rename and mark as triage.
		r = admin.post("/konsol/data/opd/"+itoa(a.ID), url.Values{"csrf": {tok}, "nama": {"Dinas Pemuda <b>OKI</b>"},
			"singkatan": {"Pora"}, "triase": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.NoError(t, db.First(&a, a.ID).Error)
		require.Equal(t, "Dinas Pemuda <b>OKI</b>", a.Name)
		require.True(t, a.Triage)
		require.Equal(t, "DISPORA", a.Code, "the code does not change")
		page = admin.get("/konsol/data")
		require.Contains(t, page.body, "Dinas Pemuda &lt;b&gt;OKI&lt;/b&gt;")
		require.Equal(t, http.StatusNotFound, admin.post("/konsol/data/opd/999999", url.Values{"csrf": {tok}, "nama": {"X"}}).status)

		// A new category routed to the new OPD shows in the bot's choices at once, and routes complaints there.
		require.NotContains(t, botCategories(t, db), "internet")
		r = admin.post("/konsol/data/kategori", url.Values{"csrf": {tok}, "kode": {"Internet"}, "nama": {"Jaringan internet desa"},
			"nama_en": {"Village internet"}, "opd": {"dispora"}, "target": {"5"}, "urutan": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		cats := botCategories(t, db)
		require.Equal(t, "internet", cats[0], cats)
		c, err := f.svc.Submit(t.Context(), nil, complaint.SubmitInput{CitizenID: firstCitizen(t, db), Channel: "webchat",
			CategoryCode: "internet", Description: "Sinyal internet di desa hilang sejak kemarin"})
		require.NoError(t, err)
		require.Equal(t, a.ID, c.AgencyID)
		for _, bad := range []struct {
			form url.Values
			msg  string
		}{
			{url.Values{"kode": {"internet"}, "nama": {"X"}, "opd": {"DLH"}, "target": {"5"}, "urutan": {"1"}}, "Kode tersebut sudah dipakai"},
			{url.Values{"kode": {"9a"}, "nama": {"X"}, "opd": {"DLH"}, "target": {"5"}, "urutan": {"1"}}, "Kode kategori wajib diisi"},
			{url.Values{"kode": {"baru"}, "nama": {"X"}, "opd": {"TIDAKADA"}, "target": {"5"}, "urutan": {"1"}}, "Mohon pilih OPD yang terdaftar"},
			{url.Values{"kode": {"baru"}, "nama": {"X"}, "opd": {"DLH"}, "target": {"0"}, "urutan": {"1"}}, "Target selesai harus berupa angka"},
			{url.Values{"kode": {"baru"}, "nama": {"X"}, "opd": {"DLH"}, "target": {"5"}, "urutan": {"satu"}}, "Urutan harus berupa angka"},
		} {
			bad.form.Set("csrf", tok)
			r = admin.post("/konsol/data/kategori", bad.form)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, bad.msg)
			require.Contains(t, r.body, bad.msg)
		}

		// Edit: names, routing, target and order.
		var k models.Category
		require.NoError(t, db.Where("code = ?", "internet").First(&k).Error)
		r = admin.post("/konsol/data/kategori/"+itoa(k.ID), url.Values{"csrf": {tok}, "nama": {"Internet desa"}, "nama_en": {""},
			"opd": {"DLH"}, "target": {"3"}, "urutan": {"500"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.NoError(t, db.First(&k, k.ID).Error)
		var dlh models.Agency
		require.NoError(t, db.Where("code = ?", "DLH").First(&dlh).Error)
		require.Equal(t, dlh.ID, k.AgencyID)
		require.Equal(t, 3, k.TargetDays)
		require.Equal(t, "Internet desa", k.NameEN, "an empty English name takes the Indonesian one")
		require.NotEqual(t, "internet", botCategories(t, db)[0])

		// Its vocabulary: written one per line or with commas, stored once each, kept by a form without the field.
		r = admin.post("/konsol/data/kategori/"+itoa(k.ID), url.Values{"csrf": {tok}, "nama": {"Internet desa"}, "nama_en": {"Village internet"},
			"opd": {"DLH"}, "target": {"3"}, "urutan": {"500"}, "kata": {"wifi mati, sinyal hilang\nmodem\n\nwifi mati"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.NoError(t, db.First(&k, k.ID).Error)
		require.Equal(t, "wifi mati, sinyal hilang, modem", k.Words)
		page = admin.get("/konsol/data")
		require.Contains(t, page.body, `<td class="words" title="wifi mati, sinyal hilang, modem">`)
		r = admin.post("/konsol/data/kategori/"+itoa(k.ID), url.Values{"csrf": {tok}, "nama": {"Internet desa"}, "opd": {"DLH"}, "target": {"3"}, "urutan": {"500"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.NoError(t, db.First(&k, k.ID).Error)
		require.Equal(t, "wifi mati, sinyal hilang, modem", k.Words)
		r = admin.post("/konsol/data/kategori/"+itoa(k.ID), url.Values{"csrf": {tok}, "nama": {"Internet desa"}, "opd": {"DLH"}, "target": {"3"},
			"urutan": {"500"}, "kata": {strings.Repeat("kata, ", 700)}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Kosakata terlalu panjang")

		require.Equal(t, []string{"opd.tambah", "opd.ubah"}, auditActions(t, db, "opd."))
		require.Equal(t, []string{"kategori.tambah", "kategori.ubah", "kategori.ubah", "kategori.ubah"}, auditActions(t, db, "kategori."))
	})
}

func TestMasterDataHolidays(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		admin := f.login("admin@oki.go.id")
		tok := admin.token("/konsol/data")
		submit := func() string {
			c, err := f.svc.Submit(t.Context(), nil, complaint.SubmitInput{CitizenID: firstCitizen(t, db), Channel: "webchat",
				CategoryCode: "jalan", Description: "Jalan desa rusak parah dekat sekolah"})
			require.NoError(t, err)
			return c.ResolveBy.In(wib).Format("2006-01-02")
		}
		before := submit()

		// The deadline's day becomes a holiday: new deadlines move past it without a restart.
		r := admin.post("/konsol/data/libur", url.Values{"csrf": {tok}, "tanggal": {before}, "nama": {"Hari libur daerah"}, "jenis": {"libur"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Contains(t, admin.get("/konsol/data?ok=libur").body, "Hari libur sudah ditambahkan")
		after := submit()
		require.Greater(t, after, before)
		for _, bad := range []struct {
			form url.Values
			msg  string
		}{
			{url.Values{"tanggal": {before}, "nama": {"Lagi"}, "jenis": {"libur"}}, "Tanggal tersebut sudah ada"},
			{url.Values{"tanggal": {"2026-02-30"}, "nama": {"X"}, "jenis": {"libur"}}, "Mohon isi tanggal yang benar"},
			{url.Values{"tanggal": {"2027-03-03"}, "nama": {"X"}, "jenis": {"minggu"}}, "Jenis hari libur harus"},
			{url.Values{"tanggal": {"2027-03-03"}, "nama": {""}, "jenis": {"cuti_bersama"}}, "Nama wajib diisi"},
		} {
			bad.form.Set("csrf", tok)
			r = admin.post("/konsol/data/libur", bad.form)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, bad.msg)
			require.Contains(t, r.body, bad.msg)
		}

		// Its row's form renames it and changes its kind.
		var h models.Holiday
		require.NoError(t, db.Where("date = ?", before).First(&h).Error)
		require.Equal(t, models.HolidayLibur, h.Kind)
		r = admin.post("/konsol/data/libur/"+itoa(h.ID), url.Values{"csrf": {tok}, "nama": {"Cuti bersama daerah"}, "jenis": {"cuti_bersama"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Contains(t, admin.get("/konsol/data?ok=libur_ubah").body, "Hari libur sudah diubah.")
		require.NoError(t, db.First(&h, h.ID).Error)
		require.Equal(t, "Cuti bersama daerah", h.Name)
		require.Equal(t, models.HolidayCutiBersama, h.Kind)
		require.Equal(t, after, submit(), "still a day off")
		r = admin.post("/konsol/data/libur/"+itoa(h.ID), url.Values{"csrf": {tok}, "nama": {"X"}, "jenis": {"minggu"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)

		// Removing it restores the old deadline.
		r = admin.post("/konsol/data/libur/"+itoa(h.ID)+"/hapus", url.Values{"csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, before, submit())
		require.Equal(t, []string{"libur.tambah", "libur.ubah", "libur.hapus"}, auditActions(t, db, "libur."))
	})
}

func TestMasterDataAuthorization(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		var pupr models.Agency
		require.NoError(t, db.Where("code = ?", "PUPR").First(&pupr).Error)
		posts := map[string]url.Values{
			"/konsol/data/opd":                  {"kode": {"BARU"}, "nama": {"OPD baru"}},
			"/konsol/data/opd/" + itoa(pupr.ID): {"nama": {"Diganti"}},
			"/konsol/data/kategori":             {"kode": {"baru"}, "nama": {"X"}, "opd": {"DLH"}, "target": {"5"}, "urutan": {"1"}},
			"/konsol/data/libur":                {"tanggal": {"2027-03-03"}, "nama": {"X"}, "jenis": {"libur"}},
			"/konsol/data/libur/1/hapus":        {},
		}
		// Leaders read the page without any form; officers do not see it.
		boss := f.login("bupati@oki.go.id")
		page := boss.get("/konsol/data")
		require.Equal(t, http.StatusOK, page.status)
		require.Contains(t, page.body, "Dinas Pekerjaan Umum")
		require.NotContains(t, page.body, `action="/konsol/data/`)
		bossTok := csrfOf(t, page.body) // the sign-out form
		officer := f.login("pupr@oki.go.id")
		require.Equal(t, http.StatusForbidden, officer.get("/konsol/data").status)
		require.NotContains(t, officer.get("/konsol/pengaduan").body, `href="/konsol/data"`)
		offTok := officer.token("/konsol/pengaduan")
		admin := f.login("admin@oki.go.id")
		for path, form := range posts {
			for who, c := range map[string]struct {
				cl  *client
				tok string
			}{"pimpinan": {boss, bossTok}, "petugas": {officer, offTok}} {
				v := url.Values{"csrf": {c.tok}}
				for k, x := range form {
					v[k] = x
				}
				require.Equal(t, http.StatusForbidden, c.cl.post(path, v).status, who+" "+path)
			}
			// An admin without the CSRF token is refused too.
			require.Equal(t, http.StatusForbidden, admin.post(path, form).status, path)
		}
		var n int64
		require.NoError(t, db.Model(&models.Agency{}).Where("code = ? OR name = ?", "BARU", "Diganti").Count(&n).Error)
		require.Zero(t, n)
		require.NoError(t, db.Model(&models.Holiday{}).Where("date = ?", "2027-03-03").Count(&n).Error)
		require.Zero(t, n)
		require.Empty(t, auditActions(t, db, "opd."))
		require.Equal(t, http.StatusSeeOther, f.client().get("/konsol/data").status)
	})
}

func TestExportXLSX(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		admin := f.login("admin@oki.go.id")
		list := admin.get("/konsol/pengaduan?kategori=jalan")
		require.Contains(t, list.body, `href="/konsol/ekspor/pengaduan.xlsx?kategori=jalan"`)
		r := admin.get("/konsol/ekspor/pengaduan.xlsx?kategori=jalan")
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", r.header.Get("Content-Type"))
		require.Contains(t, r.header.Get("Content-Disposition"), ".xlsx")
		_, err := zip.NewReader(bytes.NewReader([]byte(r.body)), int64(len(r.body)))
		require.NoError(t, err, "an XLSX is a zip")
		book, err := excelize.OpenReader(strings.NewReader(r.body))
		require.NoError(t, err)
		defer func() { _ = book.Close() }()
		sheet := book.GetSheetName(0)
		rows, err := book.GetRows(sheet)
		require.NoError(t, err)
		require.Len(t, rows, 3)
		require.Equal(t, []string{"nomor", "masuk", "status", "kategori", "opd", "kecamatan", "desa", "alamat", "lintang", "bujur", "uraian",
			"batas_selesai", "terlambat", "rahasia"}, rows[0])
		require.Equal(t, f.codes["formula"], rows[1][0])
		require.Equal(t, f.codes["jalan"], rows[2][0])
		require.Equal(t, "Kayu Agung", rows[2][5])
		require.Equal(t, "Jua-jua", rows[2][6])
		require.True(t, strings.HasPrefix(rows[1][10], "=HYPERLINK"), rows[1][10])
		formula, err := book.GetCellFormula(sheet, "K2")
		require.NoError(t, err)
		require.Empty(t, formula, "free text is never a formula")
		lat, err := book.GetCellValue(sheet, "I3", excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(lat, "-3.40291"), lat)
		require.Equal(t, []string{"pengaduan.ekspor_xlsx"}, auditActions(t, db, "pengaduan.ekspor_xlsx"))

		// Same roles as the CSV: officers are refused.
		officer := f.login("pupr@oki.go.id")
		require.Equal(t, http.StatusForbidden, officer.get("/konsol/ekspor/pengaduan.xlsx").status)
		require.Equal(t, http.StatusOK, f.login("bupati@oki.go.id").get("/konsol/ekspor/pengaduan.xlsx").status)
	})
}

func TestMasterDataRegions(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		admin := f.login("admin@oki.go.id")
		tok := admin.token("/konsol/data")
		r := admin.post("/konsol/data/wilayah", url.Values{"csrf": {tok}, "kode": {"16.02.99"}, "nama": {"Kecamatan Baru"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		r = admin.post("/konsol/data/wilayah", url.Values{"csrf": {tok}, "kode": {"16.02.99.2001"}, "nama": {"Desa Baru"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		var kec, desa models.Region
		require.NoError(t, db.Where("code = ?", "16.02.99").First(&kec).Error)
		require.Equal(t, models.RegionKecamatan, kec.Kind)
		require.NoError(t, db.Where("code = ?", "16.02.99.2001").First(&desa).Error)
		require.Equal(t, models.RegionDesa, desa.Kind)
		require.NotNil(t, desa.ParentID)
		require.Equal(t, kec.ID, *desa.ParentID)
		for _, bad := range []struct{ kode, nama, msg string }{
			{"16.02.99", "Lagi", "Kode tersebut sudah dipakai"},
			{"16-02", "X", "Kode wilayah tidak sah"},
			{"16.02.98.1001", "X", "Kecamatan untuk kode desa tersebut belum terdaftar"},
			{"16.02.97", "", "Nama wajib diisi"},
		} {
			r = admin.post("/konsol/data/wilayah", url.Values{"csrf": {tok}, "kode": {bad.kode}, "nama": {bad.nama}})
			require.Equal(t, http.StatusUnprocessableEntity, r.status, bad.msg)
			require.Contains(t, r.body, bad.msg)
		}
		r = admin.post("/konsol/data/wilayah/"+itoa(desa.ID), url.Values{"csrf": {tok}, "nama": {"Desa Makmur"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.NoError(t, db.First(&desa, desa.ID).Error)
		require.Equal(t, "Desa Makmur", desa.Name)
		require.Equal(t, "16.02.99.2001", desa.Code)
		require.Contains(t, admin.get("/konsol/data").body, "Desa Makmur")
		require.Equal(t, []string{"wilayah.tambah", "wilayah.tambah", "wilayah.ubah"}, auditActions(t, db, "wilayah."))
		boss := f.login("bupati@oki.go.id")
		bt := boss.token("/konsol/data")
		require.Equal(t, http.StatusForbidden, boss.post("/konsol/data/wilayah/"+itoa(desa.ID), url.Values{"csrf": {bt}, "nama": {"X"}}).status)
	})
}

func TestMasterDataOfficers(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		admin := f.login("admin@oki.go.id")
		page := admin.get("/konsol/data/petugas")
		require.Equal(t, http.StatusOK, page.status)
		require.Contains(t, page.body, "Belum ada petugas.")
		tok := csrfOf(t, page.body)

		// The invitation shows the one-time code once, like the command line.
		r := admin.post("/konsol/data/petugas/undang", url.Values{"csrf": {tok}, "nama": {"Sari Wulandari"}, "peran": {"kepala"}, "opd": {"pupr"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		m := regexp.MustCompile(`Kode: ([A-Z0-9-]+)`).FindStringSubmatch(r.body)
		require.NotNil(t, m, r.body)
		require.Contains(t, r.body, "kepala OPD, Dinas Pekerjaan Umum dan Penataan Ruang")
		require.NotContains(t, admin.get("/konsol/data/petugas").body, m[1], "the code is shown only once")
		var inv models.OfficerInvite
		require.NoError(t, db.First(&inv).Error)
		require.NotContains(t, inv.CodeHash, m[1])
		for _, bad := range []struct {
			form url.Values
			msg  string
		}{
			{url.Values{"nama": {""}, "peran": {"petugas"}, "opd": {"PUPR"}}, "Nama wajib diisi"},
			{url.Values{"nama": {"X"}, "peran": {"bupati"}, "opd": {"PUPR"}}, "Mohon pilih peran"},
			{url.Values{"nama": {"X"}, "peran": {"petugas"}, "opd": {""}}, "wajib memilih OPD"},
			{url.Values{"nama": {"X"}, "peran": {"admin"}, "opd": {"PUPR"}}, "admin tidak memilih OPD"},
			{url.Values{"nama": {"X"}, "peran": {"petugas"}, "opd": {"TIDAKADA"}}, "Mohon pilih OPD yang terdaftar"},
		} {
			bad.form.Set("csrf", tok)
			r = admin.post("/konsol/data/petugas/undang", bad.form)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, bad.msg)
			require.Contains(t, r.body, bad.msg)
		}

		// The officer redeems it in the bot, is listed under the OPD, and is deactivated.
		o, err := f.svc.Redeem(t.Context(), nil, m[1], firstCitizen(t, db))
		require.NoError(t, err)
		page = admin.get("/konsol/data/petugas")
		require.Contains(t, page.body, "Sari Wulandari")
		require.Contains(t, page.body, "/konsol/data/petugas/"+itoa(o.ID)+"/nonaktif")
		boss := f.login("bupati@oki.go.id")
		bossPage := boss.get("/konsol/data/petugas")
		require.Contains(t, bossPage.body, "Sari Wulandari")
		require.NotContains(t, bossPage.body, "/nonaktif")
		require.Equal(t, http.StatusForbidden, boss.post("/konsol/data/petugas/"+itoa(o.ID)+"/nonaktif", url.Values{"csrf": {csrfOf(t, bossPage.body)}}).status)
		require.Equal(t, http.StatusForbidden, boss.post("/konsol/data/petugas/undang",
			url.Values{"csrf": {csrfOf(t, bossPage.body)}, "nama": {"X"}, "peran": {"admin"}}).status)
		require.Equal(t, http.StatusForbidden, f.login("pupr@oki.go.id").get("/konsol/data/petugas").status)
		require.Equal(t, http.StatusForbidden, admin.post("/konsol/data/petugas/"+itoa(o.ID)+"/nonaktif", url.Values{}).status)
		r = admin.post("/konsol/data/petugas/"+itoa(o.ID)+"/nonaktif", url.Values{"csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.NoError(t, db.First(o, o.ID).Error)
		require.False(t, o.Active)
		require.Contains(t, admin.get("/konsol/data/petugas?ok=nonaktif").body, "Petugas sudah dinonaktifkan.")
		require.Equal(t, []string{"petugas.undang", "petugas.nonaktif"}, auditActions(t, db, "petugas."))
	})
}
