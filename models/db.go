// Package models holds the persistence layer: gorm structs, migrations, the
// database opener and small queries. It knows nothing of HTTP or channels.
package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// ErrNotFound is returned by getters when no row matches.
var ErrNotFound = errors.New("not found")

// Dialect names returned by Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// sqliteParams are appended to every SQLite path. One writer connection plus WAL
// keeps concurrent writers from stalling each other; immediate transactions take
// the write lock up front, so two transactions never deadlock upgrading a read lock.
const sqliteParams = "_txlock=immediate" +
	"&_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_timezone=UTC"

// Open connects to url: "sqlite:PATH" (pure-Go SQLite, one connection) or
// "postgres://..." (pgx, a pool of ten). It does not migrate.
func Open(ctx context.Context, url string) (*gorm.DB, error) {
	var (
		dialector gorm.Dialector
		dialect   string
	)
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, errors.New("open database: sqlite url has no path")
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		dialector = sqlite.Open(path + sep + sqliteParams)
		dialect = DialectSQLite
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("open database: %s: %w", redact(url), err)
		}
		if cfg.ConnectTimeout == 0 {
			// A server that does not answer (not one that refuses) must not hang start-up or a request.
			cfg.ConnectTimeout = 10 * time.Second
		}
		dialector = postgres.New(postgres.Config{DSN: url, Conn: stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(textArrays))})
		dialect = DialectPostgres
	default:
		return nil, fmt.Errorf("open database: unsupported url scheme in %q (want sqlite:PATH or postgres://...)", redact(url))
	}

	db, err := gorm.Open(dialector, &gorm.Config{
		// Statements are logged without their parameters, which may hold citizens' text.
		Logger:                 sqlLogger{log: slog.Default(), slow: time.Second},
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == DialectSQLite {
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
		sqlDB.SetConnMaxIdleTime(0)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect %s database: %w", dialect, err)
	}
	return db, nil
}

// textArrays makes a new PostgreSQL connection send array parameters in the
// text format. River's database/sql driver passes every job field as a lib/pq
// array, a driver.Valuer that renders text; in the binary format pgx first fails
// to encode that text, then parses it and encodes the result again, which cost
// about a seventh of the bot's CPU per inbound message (BENCHMARKS.md). In the
// text format the rendered text goes out as it is.
func textArrays(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	for _, name := range []string{"_text", "_varchar", "_jsonb", "_json", "_timestamptz", "_timestamp", "_int2", "_int4", "_int8", "_bytea", "_bool", "_float8"} {
		t, ok := m.TypeForName(name)
		if !ok {
			continue
		}
		m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: textFirst{t.Codec}})
	}
	return nil
}

// textFirst is a codec that prefers the text format and otherwise behaves as the codec it wraps.
type textFirst struct{ pgtype.Codec }

func (textFirst) PreferredFormat() int16 { return pgtype.TextFormatCode }

// Dialect reports which database db talks to: "sqlite" or "postgres".
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return DialectPostgres
	}
	return DialectSQLite
}

// Close closes the connection pool under db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return sqlDB.Close()
}

// redact hides a password in a database url before it reaches an error message.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":xxxxx" + url[at:]
	}
	return url
}
