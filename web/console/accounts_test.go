package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

var linkField = regexp.MustCompile(`id="tautan" class="wide" readonly value="([^"]+)"`)

// linkOf is the one-time link the accounts page shows, as a path with its query.
func linkOf(t *testing.T, body string) string {
	t.Helper()
	m := linkField.FindStringSubmatch(body)
	require.NotNil(t, m, "no one-time link on the page: %s", body)
	u, err := url.Parse(html.UnescapeString(m[1]))
	require.NoError(t, err)
	return u.Path + "?" + u.RawQuery
}

func auditOf(t *testing.T, db *gorm.DB, object string) []string {
	t.Helper()
	var out []string
	require.NoError(t, db.Model(&models.AuditEntry{}).Where("object = ?", object).Order("id").Pluck("action", &out).Error)
	return out
}

// TestAccounts: an admin creates an account and gets a one-time link (no password shown or
// sent); its holder sets a password with it once; the admin deactivates it (its session
// ends at once), reactivates it, and makes a new link; everyone changes their own password
// after giving the current one; petugas and pimpinan cannot manage accounts.
func TestAccounts(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		admin := f.login("admin@oki.go.id")
		tok := admin.token("/konsol/akun")

		// Bad input keeps what was typed and says why.
		r := admin.post("/konsol/akun", url.Values{"csrf": {tok}, "nama": {"Sari"}, "email": {"sari@oki.go.id"}, "peran": {"petugas"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Petugas memerlukan OPD")
		require.Contains(t, r.body, `value="sari@oki.go.id"`)
		r = admin.post("/konsol/akun", url.Values{"csrf": {tok}, "nama": {"Sari"}, "email": {"bukan-email"}, "peran": {"pimpinan"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Alamat email tidak valid")
		r = admin.post("/konsol/akun", url.Values{"csrf": {tok}, "nama": {"X"}, "email": {"PUPR@oki.go.id"}, "peran": {"pimpinan"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Sudah ada akun")

		r = admin.post("/konsol/akun", url.Values{"csrf": {tok}, "nama": {"Sari Wulandari"}, "email": {"Sari@OKI.go.id"}, "peran": {"petugas"}, "opd": {"PUPR"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, "hanya berlaku sekali")
		link := linkOf(t, r.body)
		require.True(t, strings.HasPrefix(link, "/konsol/sandi-baru?kode="), link)
		sari, err := models.UserByEmail(t.Context(), db, "sari@oki.go.id")
		require.NoError(t, err)
		require.True(t, sari.Active)
		var stored []models.PasswordReset
		require.NoError(t, db.Where("user_id = ?", sari.ID).Find(&stored).Error)
		require.Len(t, stored, 1)
		require.NotContains(t, link, stored[0].TokenHash, "only the token's hash is stored")

		// The holder opens the link and chooses a password; the link works once.
		holder := f.client()
		page := holder.get(link)
		require.Equal(t, http.StatusOK, page.status, page.body)
		require.Contains(t, page.body, "sari@oki.go.id")
		kode := strings.TrimPrefix(link, "/konsol/sandi-baru?kode=")
		kode, _ = url.QueryUnescape(kode)
		r = holder.post("/konsol/sandi-baru", url.Values{"kode": {kode}, "sandi_baru": {"pendek"}, "ulangi": {"pendek"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "minimal 12 karakter")
		r = holder.post("/konsol/sandi-baru", url.Values{"kode": {kode}, "sandi_baru": {"sandi-sari-baru-2026"}, "ulangi": {"sandi-sari-lain-2026"}})
		require.Contains(t, r.body, "tidak sama")
		r = holder.post("/konsol/sandi-baru", url.Values{"kode": {kode}, "sandi_baru": {"sandi-sari-baru-2026"}, "ulangi": {"sandi-sari-baru-2026"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, "/konsol/masuk?ok=sandi", r.header.Get("Location"))
		require.Contains(t, holder.get("/konsol/masuk?ok=sandi").body, "Kata sandi tersimpan")
		r = holder.get(link)
		require.Equal(t, http.StatusNotFound, r.status)
		require.Contains(t, r.body, "tidak berlaku")
		r = holder.post("/konsol/sandi-baru", url.Values{"kode": {kode}, "sandi_baru": {"sandi-penyusup-2026"}, "ulangi": {"sandi-penyusup-2026"}})
		require.Equal(t, http.StatusNotFound, r.status)
		require.Equal(t, http.StatusSeeOther, holder.tryLogin("sari@oki.go.id", "sandi-sari-baru-2026").status)
		require.Equal(t, http.StatusOK, holder.get("/konsol/pengaduan").status)

		// Others may not manage accounts.
		pupr := f.login("pupr@oki.go.id")
		require.Equal(t, http.StatusForbidden, pupr.get("/konsol/akun").status)
		ptok := pupr.token("/konsol/sandi")
		require.Equal(t, http.StatusForbidden, pupr.post("/konsol/akun/"+strconvFormat(sari.ID)+"/nonaktif", url.Values{"csrf": {ptok}}).status)
		require.Equal(t, http.StatusForbidden, f.login("bupati@oki.go.id").get("/konsol/akun").status)

		// An admin cannot deactivate themselves; deactivating Sari ends her session at once.
		me, err := models.UserByEmail(t.Context(), db, "admin@oki.go.id")
		require.NoError(t, err)
		r = admin.post("/konsol/akun/"+strconvFormat(me.ID)+"/nonaktif", url.Values{"csrf": {tok}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "akun Anda sendiri")
		r = admin.post("/konsol/akun/"+strconvFormat(sari.ID)+"/nonaktif", url.Values{"csrf": {tok}, "konfirmasi": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		r = holder.get("/konsol/pengaduan")
		require.Equal(t, http.StatusSeeOther, r.status)
		require.Equal(t, "/konsol/masuk", r.header.Get("Location"))
		var sessions int64
		require.NoError(t, db.Model(&models.UserSession{}).Where("user_id = ?", sari.ID).Count(&sessions).Error)
		require.Zero(t, sessions)
		require.Equal(t, http.StatusUnauthorized, holder.tryLogin("sari@oki.go.id", "sandi-sari-baru-2026").status)
		r = admin.post("/konsol/akun/"+strconvFormat(sari.ID)+"/reset", url.Values{"csrf": {tok}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)

		// Reactivated, she signs in again; a new link replaces an older unused one.
		require.Equal(t, http.StatusSeeOther, admin.post("/konsol/akun/"+strconvFormat(sari.ID)+"/aktif", url.Values{"csrf": {tok}}).status)
		require.Equal(t, http.StatusSeeOther, holder.tryLogin("sari@oki.go.id", "sandi-sari-baru-2026").status)
		r = admin.post("/konsol/akun/"+strconvFormat(sari.ID)+"/reset", url.Values{"csrf": {tok}})
		require.Equal(t, http.StatusOK, r.status)
		first := linkOf(t, r.body)
		second := linkOf(t, admin.post("/konsol/akun/"+strconvFormat(sari.ID)+"/reset", url.Values{"csrf": {tok}}).body)
		require.Equal(t, http.StatusNotFound, holder.get(first).status)
		require.Equal(t, http.StatusOK, holder.get(second).status)
		require.Equal(t, http.StatusNotFound, admin.post("/konsol/akun/999999/aktif", url.Values{"csrf": {tok}}).status)

		// Changing one's own password needs the current one and ends one's other sessions.
		other := f.login("pupr@oki.go.id")
		r = pupr.post("/konsol/sandi", url.Values{"csrf": {ptok}, "sandi_lama": {"salah-sekali-ini"}, "sandi_baru": {"sandi-pupr-baru-2026"}, "ulangi": {"sandi-pupr-baru-2026"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "Kata sandi saat ini salah")
		r = pupr.post("/konsol/sandi", url.Values{"csrf": {ptok}, "sandi_lama": {password}, "sandi_baru": {"sandi-pupr-baru-2026"}, "ulangi": {"sandi-pupr-baru-2026"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Contains(t, pupr.get("/konsol/sandi?ok=1").body, "sudah diganti")
		require.Equal(t, http.StatusSeeOther, other.get("/konsol/pengaduan").status, "the other browser is signed out")
		require.Equal(t, http.StatusUnauthorized, f.client().tryLogin("pupr@oki.go.id", password).status)
		require.Equal(t, http.StatusSeeOther, f.client().tryLogin("pupr@oki.go.id", "sandi-pupr-baru-2026").status)
		u, err := models.UserByEmail(t.Context(), db, "pupr@oki.go.id")
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(u.PasswordHash, "$argon2id$"))

		// Every change is in the audit log.
		require.Equal(t, []string{"akun.buat", "akun.tautan_sandi", "akun.sandi", "masuk", "akun.nonaktif", "akun.aktif", "masuk",
			"akun.tautan_sandi", "akun.tautan_sandi"}, auditOf(t, db, "user:sari@oki.go.id"))
		require.Contains(t, auditOf(t, db, "user:pupr@oki.go.id"), "akun.sandi")
	})
}
