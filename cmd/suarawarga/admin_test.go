package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

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
