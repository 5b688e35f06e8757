package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

func TestOfficerInvite(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "officer.db")
	t.Setenv("TELEGRAM_BOT_USERNAME", "")

	out, err := runCmd(t, db, "officer", "invite", "--agency", "pupr", "--name", "Budi Santoso", "--kepala", "--ttl", "48h")
	require.NoError(t, err)
	m := regexp.MustCompile(`Kode: ([A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3})\n`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	code := m[1]
	require.Contains(t, out, "Undangan petugas untuk Budi Santoso (kepala OPD, Dinas Pekerjaan Umum dan Penataan Ruang) sudah dibuat.")
	require.Contains(t, out, "kirim /daftar "+code)
	require.NotContains(t, out, "t.me")

	t.Setenv("TELEGRAM_BOT_USERNAME", "@SuaraWargaOKIBot")
	out, err = runCmd(t, db, "officer", "invite", "--admin", "--name", "Admin Kominfo")
	require.NoError(t, err)
	require.Contains(t, out, "(admin)")
	require.Regexp(t, `https://t\.me/SuaraWargaOKIBot\?start=daftar_[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}\n`, out)

	// The printed code links a person as the OPD's head.
	t.Setenv("DATABASE_URL", db)
	cfg, err := app.ConfigFromEnv()
	require.NoError(t, err)
	h, err := openDB(context.Background(), cfg)
	require.NoError(t, err)
	defer h.Close()
	c := models.Citizen{Name: "Budi", Lang: "id"}
	require.NoError(t, h.DB.Create(&c).Error)
	o, err := (&complaint.Service{DB: h.DB}).Redeem(context.Background(), h.DB, code, c.ID)
	require.NoError(t, err)
	require.Equal(t, models.RoleKepala, o.Role)
	require.Equal(t, "Budi Santoso", o.Name)

	_, err = runCmd(t, db, "officer", "invite", "--agency", "NOPE", "--name", "X")
	require.ErrorContains(t, err, `no OPD with code "NOPE"`)
	for _, args := range [][]string{
		{"officer"}, {"officer", "list"}, {"officer", "invite", "--name", "X"}, {"officer", "invite", "--agency", "PUPR"},
		{"officer", "invite", "--admin", "--kepala", "--name", "X"}, {"officer", "invite", "--bogus"},
	} {
		_, err = runCmd(t, db, args...)
		require.ErrorIs(t, err, errUsage, "%v", args)
	}
}
