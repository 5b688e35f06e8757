// Package modeltest gives tests fresh, migrated databases: always SQLite, and
// PostgreSQL too when TEST_DATABASE_URL is set.
package modeltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// EnvURL names the environment variable holding the PostgreSQL test database url.
const EnvURL = "TEST_DATABASE_URL"

// Kinds lists the database kinds available to this test run: "sqlite" always,
// "postgres" when TEST_DATABASE_URL is set.
func Kinds() []string {
	kinds := []string{models.DialectSQLite}
	if os.Getenv(EnvURL) != "" {
		kinds = append(kinds, models.DialectPostgres)
	}
	return kinds
}

// Each runs fn once per database kind, each on a fresh migrated database, as subtests named by kind.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh migrated database of kind "sqlite" (a file in t.TempDir())
// or "postgres" (a new schema, dropped at cleanup; skips when TEST_DATABASE_URL is unset).
func Open(t testing.TB, kind string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch kind {
	case models.DialectSQLite:
		dsn = "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case models.DialectPostgres:
		base := os.Getenv(EnvURL)
		if base == "" {
			t.Skip(EnvURL + " is not set")
		}
		dsn = freshSchema(t, base)
	default:
		t.Fatalf("modeltest: unknown database kind %q", kind)
	}
	db, err := models.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = models.Close(db) })
	require.NoError(t, models.Migrate(ctx, db))
	return db
}

// freshSchema creates schema t_<random> and returns base with its search_path set to it.
// River's tables follow the search_path, so they land in the schema too.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	var buf [6]byte
	_, err := rand.Read(buf[:])
	require.NoError(t, err)
	schema := "t_" + hex.EncodeToString(buf[:])

	admin, err := models.Open(ctx, base)
	require.NoError(t, err)
	require.NoError(t, admin.Exec(fmt.Sprintf(`CREATE SCHEMA %s`, schema)).Error)
	require.NoError(t, models.Close(admin))
	// Registered before the test's own cleanups run, so it runs after them (LIFO): the schema is
	// dropped once the test's connections are closed.
	t.Cleanup(func() {
		admin, err := models.Open(ctx, base)
		if err != nil {
			t.Errorf("modeltest: drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = models.Close(admin) }()
		if err := admin.Exec(fmt.Sprintf(`DROP SCHEMA %s CASCADE`, schema)).Error; err != nil {
			t.Errorf("modeltest: drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
