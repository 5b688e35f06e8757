package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/web/console"
)

func TestAdminCreate(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "admin.db")

	// Without a terminal the password is generated and printed once.
	out, err := runCmd(t, db, "admin", "create", "--email", "Kominfo@OKI.go.id", "--name", "Admin Kominfo")
	require.NoError(t, err, out)
	require.Contains(t, out, "Akun konsol dibuat: kominfo@oki.go.id (admin)")
	require.Contains(t, out, "http://localhost:8080/konsol/")
	m := regexp.MustCompile(`Kata sandi awal: (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)

	out, err = runCmd(t, db, "admin", "create", "--email", "pupr@oki.go.id", "--role", "petugas", "--agency", "pupr")
	require.NoError(t, err, out)
	require.Contains(t, out, "(petugas, Dinas Pekerjaan Umum dan Penataan Ruang)")

	_, err = runCmd(t, db, "admin", "create", "--email", "kominfo@oki.go.id")
	require.ErrorContains(t, err, "Sudah ada akun dengan email kominfo@oki.go.id")
	_, err = runCmd(t, db, "admin", "create", "--email", "x@oki.go.id", "--role", "petugas")
	require.ErrorIs(t, err, errUsage)
	_, err = runCmd(t, db, "admin", "create", "--email", "x@oki.go.id", "--role", "raja")
	require.ErrorIs(t, err, errUsage)
	_, err = runCmd(t, db, "admin", "create", "--email", "x@oki.go.id", "--role", "petugas", "--agency", "TIDAKADA")
	require.ErrorIs(t, err, console.ErrInvalidUser)
	_, err = runCmd(t, db, "admin")
	require.ErrorIs(t, err, errUsage)

	h, err := app.OpenDB(context.Background(), db, false)
	require.NoError(t, err)
	defer h.Close()
	u, err := models.UserByEmail(context.Background(), h.DB, "KOMINFO@oki.go.id")
	require.NoError(t, err)
	require.Equal(t, "Admin Kominfo", u.Name)
	require.True(t, u.Active)
	ok, err := console.CheckPassword(u.PasswordHash, m[1])
	require.NoError(t, err)
	require.True(t, ok)
	require.Contains(t, u.PasswordHash, "$argon2id$v=19$m=65536,t=3,p=4$")
	var audit []models.AuditEntry
	require.NoError(t, h.DB.Order("id").Find(&audit).Error)
	require.Len(t, audit, 2)
	require.Equal(t, "cli", audit[0].Actor)
	require.Equal(t, "akun.buat", audit[0].Action)
	require.Equal(t, "user:pupr@oki.go.id", audit[1].Object)
	require.Equal(t, "peran=petugas opd=PUPR", audit[1].Detail)
}

// TestAuditAccess: for a breach notice, an officer's account lists the complaints of its
// OPD only (with the confidential reporter marked hidden) and what it did, from the audit log.
func TestAuditAccess(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "audit.db")
	out, err := runCmd(t, db, "admin", "create", "--email", "pupr@oki.go.id", "--role", "petugas", "--agency", "pupr")
	require.NoError(t, err, out)

	ctx := context.Background()
	h, err := app.OpenDB(ctx, db, false)
	require.NoError(t, err)
	u, err := models.UserByEmail(ctx, h.DB, "pupr@oki.go.id")
	require.NoError(t, err)
	cit := models.Citizen{Name: "Siti", Lang: "id"}
	require.NoError(t, h.DB.Create(&cit).Error)
	var pupr, dlh models.Agency
	require.NoError(t, h.DB.Where("code = ?", "PUPR").Take(&pupr).Error)
	require.NoError(t, h.DB.Where("code = ?", "DLH").Take(&dlh).Error)
	var cat models.Category
	require.NoError(t, h.DB.Take(&cat).Error)
	now := time.Now()
	for i, c := range []struct {
		code         string
		agency       int64
		confidential bool
	}{{"OKI-2611-0001", pupr.ID, false}, {"OKI-2611-0002", pupr.ID, true}, {"OKI-2611-0003", dlh.ID, false}} {
		require.NoError(t, h.DB.Create(&models.Complaint{Code: c.code, CitizenID: cit.ID, CategoryID: cat.ID, AgencyID: c.agency,
			Description: "uraian", Confidential: c.confidential, Status: "diproses", RouteBy: now, RespondBy: now, ResolveBy: now,
			CreatedAt: now.Add(time.Duration(i) * time.Minute)}).Error)
	}
	require.NoError(t, console.Audit(ctx, h.DB, u, "10.0.0.7", "pengaduan.buka", "pengaduan:OKI-2611-0001", "", now))
	require.NoError(t, h.Close())

	out, err = runCmd(t, db, "audit", "access", "--officer", "PUPR@oki.go.id")
	require.NoError(t, err, out)
	require.Contains(t, out, "could see 2 complaints of OPD PUPR, from 1 citizens; the identity of 1 of them")
	require.Contains(t, out, "OKI-2611-0002  PUPR  diproses  citizen 1 (identity hidden: confidential)")
	require.NotContains(t, out, "OKI-2611-0003")
	require.Contains(t, out, "pengaduan.buka  pengaduan:OKI-2611-0001")
	_, err = runCmd(t, db, "audit", "access", "--officer", "tidak@ada.id")
	require.Error(t, err)
	_, err = runCmd(t, db, "audit", "access")
	require.ErrorIs(t, err, errUsage)
}
