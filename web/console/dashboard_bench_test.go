package console_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
	"github.com/suarawarga/suarawarga/web"
	"github.com/suarawarga/suarawarga/web/console"
)

// benchComplaints is how many complaints BenchmarkConsolePages seeds.
const benchComplaints = 100000

// dashBenchDB opens a fresh migrated PostgreSQL schema for a benchmark; it skips without TEST_DATABASE_URL.
func dashBenchDB(b *testing.B) *gorm.DB {
	b.Helper()
	ctx := context.Background()
	base := os.Getenv(modeltest.EnvURL)
	if base == "" {
		b.Skip(modeltest.EnvURL + " is not set")
	}
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	schema := "b_" + hex.EncodeToString(buf[:])
	admin, err := models.Open(ctx, base)
	benchMust(b, err)
	benchMust(b, admin.Exec(`CREATE SCHEMA `+schema).Error)
	b.Cleanup(func() {
		if err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`).Error; err != nil {
			b.Errorf("drop schema %s: %v", schema, err)
		}
		_ = models.Close(admin)
	})
	u, err := url.Parse(base)
	benchMust(b, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := models.Open(ctx, u.String())
	benchMust(b, err)
	b.Cleanup(func() { _ = models.Close(db) })
	benchMust(b, models.Migrate(ctx, db))
	return db
}

func benchMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// dashSeedComplaints bulk-inserts n complaints in one INSERT … SELECT over generate_series, spread
// over the categories (and so the OPDs), the regions, the statuses and the n*2 minutes before now.
func dashSeedComplaints(b *testing.B, db *gorm.DB, citizenID int64, n int, now time.Time) {
	b.Helper()
	statuses := "ARRAY['" + strings.Join(complaint.Statuses(), "','") + "']"
	sql := fmt.Sprintf(`
WITH cats AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(agency_id ORDER BY id) AS ags FROM categories),
     regs AS (SELECT array_agg(id ORDER BY id) AS ids FROM regions),
     s AS (SELECT g, (?::timestamptz - g * interval '2 minutes') AS at, %s AS st FROM generate_series(1, ?) g)
INSERT INTO complaints (code, citizen_id, category_id, agency_id, region_id, description, status, channel,
	route_by, respond_by, resolve_by, first_response_at, resolved_at, rating, created_at, updated_at)
SELECT 'OKI-B' || lpad(s.g::text, 7, '0'), ?, cats.ids[1 + s.g %% cardinality(cats.ids)],
	cats.ags[1 + s.g %% cardinality(cats.ids)], regs.ids[1 + s.g %% cardinality(regs.ids)],
	'Pengaduan uji nomor ' || s.g, s.st[1 + s.g %% cardinality(s.st)], 'webchat',
	s.at + interval '1 day', s.at + interval '3 days', s.at + interval '14 days',
	CASE WHEN s.g %% 3 > 0 THEN s.at + (s.g %% 96) * interval '1 hour' END,
	CASE WHEN s.g %% 4 = 0 THEN s.at + (s.g %% 20) * interval '1 day' END,
	CASE WHEN s.g %% 8 = 0 THEN 1 + s.g %% 5 END,
	s.at, s.at
FROM s, cats, regs`, statuses)
	benchMust(b, db.Exec(sql, now, n, citizenID).Error)
	benchMust(b, db.Exec(`ANALYZE complaints`).Error)
}

// BenchmarkConsolePages renders the dashboard and a filtered complaint list page over 100,000
// complaints in PostgreSQL, signed in as an admin (all OPDs).
func BenchmarkConsolePages(b *testing.B) {
	db := dashBenchDB(b)
	ctx := context.Background()
	now := time.Now().UTC()
	_, err := regency.LoadIfEmpty(ctx, db)
	benchMust(b, err)
	cat, err := locales.Load()
	benchMust(b, err)
	_, err = console.CreateUser(ctx, db, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin,
		Password: password}, cheap, nil, now)
	benchMust(b, err)
	citizen := models.Citizen{Name: "Budi", Lang: "id", CreatedAt: now, UpdatedAt: now}
	benchMust(b, db.Create(&citizen).Error)
	start := time.Now()
	dashSeedComplaints(b, db, citizen.ID, benchComplaints, now)
	b.Logf("seeded %d complaints in %s", benchComplaints, time.Since(start).Round(time.Millisecond))

	log := slog.New(slog.DiscardHandler)
	svc := &complaint.Service{DB: db, Prefix: "OKI", Loc: wib, Log: log}
	c, err := console.New(console.Config{DB: db, Complaints: svc, Locales: cat, DataDir: b.TempDir(), Loc: wib,
		Argon2: cheap, Log: log})
	benchMust(b, err)
	srv := web.New(web.Config{Locales: cat, Logger: log})
	c.Register(srv)
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)

	jar, err := cookiejar.New(nil)
	benchMust(b, err)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		resp, err := hc.Get(ts.URL + path)
		benchMust(b, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		benchMust(b, err)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	m := csrfField.FindStringSubmatch(get("/konsol/masuk"))
	if m == nil {
		b.Fatal("no csrf token on the sign-in page")
	}
	resp, err := hc.PostForm(ts.URL+"/konsol/masuk", url.Values{"csrf": {m[1]}, "email": {"admin@oki.go.id"}, "password": {password}})
	benchMust(b, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in: %d", resp.StatusCode)
	}

	for _, page := range []struct{ name, path, want string }{
		{"dasbor", "/konsol/dasbor", fmt.Sprintf("%d pengaduan", benchComplaints)},
		{"daftar", "/konsol/pengaduan", "OKI-B"},
		{"daftar_batas", "/konsol/pengaduan?urut=batas", "OKI-B"},
		{"daftar_filter", "/konsol/pengaduan?status=diproses&opd=PUPR&dari=" + now.AddDate(0, -1, 0).In(wib).Format(time.DateOnly), "OKI-B"},
		// A text search reads every description: the worst case of the list page.
		{"daftar_cari", "/konsol/pengaduan?q=" + url.QueryEscape("nomor 4242"), "OKI-B"},
	} {
		b.Run(page.name, func(b *testing.B) {
			if body := get(page.path); !strings.Contains(body, page.want) {
				b.Fatalf("%s does not show %q", page.path, page.want)
			}
			for b.Loop() {
				get(page.path)
			}
		})
	}
}
