package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/media/mediatest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/regency"
)

// runCmd runs the command line against a fresh SQLite database in a temp dir.
func runCmd(t *testing.T, dbURL string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("DATA_DIR", t.TempDir())
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestFlowsCheckImportExport(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")

	out, err := runCmd(t, db, "flows", "check", "testdata/broken.yaml")
	require.ErrorIs(t, err, exitCode(1))
	require.Contains(t, out, `testdata/broken.yaml:5: error: pengaduan › tanya_lokasi › next: node "lokasi2" does not exist`)
	require.Contains(t, out, "1 error(s)")

	out, err = runCmd(t, db, "flows", "import", "testdata/broken.yaml")
	require.ErrorIs(t, err, exitCode(1))
	require.Contains(t, out, "not published")

	good := filepath.Join(t.TempDir(), "pengaduan.yaml")
	src := strings.Replace(string(flows.Defaults()["pengaduan"]), "min_length: 15", "min_length: 20", 1)
	require.NoError(t, os.WriteFile(good, []byte(src), 0o600))
	out, err = runCmd(t, db, "flows", "check", good)
	require.NoError(t, err)
	require.Contains(t, out, "0 error(s)")

	out, err = runCmd(t, db, "flows", "import", good)
	require.NoError(t, err)
	require.Contains(t, out, "published flow pengaduan revision 2")

	out, err = runCmd(t, db, "flows", "export", "pengaduan")
	require.NoError(t, err)
	require.Equal(t, src, out)

	_, err = runCmd(t, db, "flows", "export", "tidak_ada")
	require.ErrorContains(t, err, `flow "tidak_ada" does not exist`)
}

func TestMigrateSeedAndUsage(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "seed.db")
	out, err := runCmd(t, db, "migrate")
	require.NoError(t, err)
	require.Contains(t, out, "migrations applied")

	path := filepath.Join("..", "..", "regency", "oki.yaml")
	out, err = runCmd(t, db, "seed", path)
	require.NoError(t, err)
	require.Contains(t, out, "loaded "+path+" (345 boundaries)")

	// A copy of the file without the boundary files it names is refused, saying which.
	alone := filepath.Join(t.TempDir(), "oki.yaml")
	require.NoError(t, os.WriteFile(alone, regency.Default, 0o600))
	_, err = runCmd(t, db, "seed", alone)
	require.ErrorContains(t, err, "boundaries.kecamatan: open data/oki-kecamatan.geojson")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("regency: {name: X}\ncategories: [{code: a, agency: NOPE}]\n"), 0o600))
	_, err = runCmd(t, db, "seed", bad)
	require.Error(t, err)

	out, err = runCmd(t, db, "frobnicate")
	require.ErrorIs(t, err, errUsage)
	require.Contains(t, out, `unknown command "frobnicate"`)

	out, err = runCmd(t, db, "help")
	require.NoError(t, err)
	require.Contains(t, out, "suarawarga flows check")

	t.Setenv("DATABASE_URL", "mysql://nope")
	require.ErrorContains(t, run(context.Background(), []string{"migrate"}, &bytes.Buffer{}, &bytes.Buffer{}), "DATABASE_URL must start with")
}

func TestPhotosClean(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "photos.db")
	data := filepath.Join(dir, "data")
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("DATA_DIR", data)
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, &out)
		return out.String(), err
	}
	_, err := cmd("migrate")
	require.NoError(t, err)
	// A photo stored byte for byte by an older version.
	fx := mediatest.Fixtures(t)[0]
	require.NoError(t, os.MkdirAll(filepath.Join(data, "attachments", "ab"), 0o750))
	old := filepath.Join(data, "attachments", "ab", "old.jpg")
	require.NoError(t, os.WriteFile(old, fx.Data, 0o600))
	h, err := app.OpenDB(context.Background(), dbURL, false)
	require.NoError(t, err)
	require.NoError(t, h.DB.Create(&models.Attachment{SHA256: "old", Path: "attachments/ab/old.jpg", MIME: "image/jpeg", Size: int64(len(fx.Data))}).Error)
	h.Close()

	out, err := cmd("photos", "clean", "--dry-run")
	require.NoError(t, err)
	require.Contains(t, out, "dry run: 1 photos to clean")
	require.FileExists(t, old)
	out, err = cmd("photos", "clean")
	require.NoError(t, err)
	require.Contains(t, out, "cleaned 1 of 1 photos")
	require.Contains(t, out, "1 of 1 photos cleaned, 0 could not be, 1 unused files removed")
	require.NoFileExists(t, old)
	out, err = cmd("photos", "clean")
	require.NoError(t, err)
	require.Contains(t, out, "0 of 0 photos cleaned")
	_, err = cmd("photos", "tidy")
	require.ErrorIs(t, err, errUsage)
}

// TestRetentionDryRun: the CLI counts what the retention rule would change and changes nothing.
func TestRetentionDryRun(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")
	out, err := runCmd(t, db, "migrate")
	require.NoError(t, err, out)
	out, err = runCmd(t, db, "retention", "--dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "dry run: would anonymize 0 complaints closed before")
	require.Contains(t, out, "(2 years)")
	out, err = runCmd(t, db, "retention", "--now")
	require.ErrorIs(t, err, errUsage, out)
}
