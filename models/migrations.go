package models

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

// migration is one schema step. Steps are applied in list order, each in its own
// transaction, and recorded in schema_migrations. The list is append-only: never
// edit or reorder an applied step, add a new one. A step never uses the live
// structs of this package; it carries its own SQL (or frozen struct copies).
type migration struct {
	ID string
	Up func(ctx context.Context, tx *gorm.DB, dialect string) error
}

// migrations is the ordered, append-only list of schema steps.
var migrations = []migration{
	{ID: "0001_initial", Up: sqlSteps(schema0001)},
	{ID: "0002_officers_deadlines", Up: sqlSteps(schema0002)},
	{ID: "0003_console", Up: sqlSteps(schema0003)},
	{ID: "0004_message_chat_indexes", Up: sqlSteps(schema0004)},
	{ID: "0005_message_failed_index", Up: sqlSteps(schema0005)},
	{ID: "0006_complaint_text_search", Up: complaintTextSearch},
	{ID: "0007_console_inbox", Up: sqlSteps(schema0007)},
	{ID: "0008_message_delivery_receipts", Up: sqlSteps(schema0008)},
	{ID: "0009_attachment_previews", Up: sqlSteps(schema0009)},
	{ID: "0010_category_words", Up: sqlSteps(schema0010)},
	{ID: "0011_delivery_in_flight", Up: sqlSteps(schema0011)},
	{ID: "0012_region_boundaries", Up: regionBoundaries},
	{ID: "0045_password_resets", Up: sqlSteps(schema0045)},
	{ID: "0025_chat_visible_sequence", Up: sqlSteps(schema0025)},
	{ID: "0040_regency_logo_center", Up: sqlSteps(schema0040)},
	{ID: "0046_inbox_reads_filters", Up: sqlSteps(schema0046)},
	{ID: "0020_privacy_notice", Up: sqlSteps(schema0020)},
	{ID: "0021_erasure_retention", Up: sqlSteps(schema0021)},
	{ID: "0038_surges", Up: sqlSteps(schema0038)},
	{ID: "0035_similar_reports", Up: similarReports},
	{ID: "0036_hotspots", Up: sqlSteps(schema0036)},
}

// schema0021 marks a citizen whose identity and contact were erased on their
// request (/hapusdata, or an admin on a written request) and a complaint whose
// personal data the retention job removed.
const schema0021 = `
ALTER TABLE citizens ADD COLUMN erased_at {{ts}};
ALTER TABLE complaints ADD COLUMN anonymized_at {{ts}}
`

// schema0020 records, per channel address, which version of the privacy notice
// the person was shown and when (UU 27/2022: notice at the first contact).
const schema0020 = `
ALTER TABLE identities ADD COLUMN notice_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN notice_at {{ts}}
`

// schema0040 gives the regency its logo (a data: URL) and the point a map opens at.
const schema0040 = `
ALTER TABLE regencies ADD COLUMN logo TEXT NOT NULL DEFAULT '';
ALTER TABLE regencies ADD COLUMN center_lat DOUBLE PRECISION;
ALTER TABLE regencies ADD COLUMN center_lng DOUBLE PRECISION
`

// schema0008 records the delivery receipts a platform reports (delivered, read)
// and indexes the messages that wait for the person to write again.
const schema0008 = `
ALTER TABLE messages ADD COLUMN delivered_at {{ts}};
ALTER TABLE messages ADD COLUMN read_at {{ts}};
CREATE INDEX idx_messages_chat_waiting ON messages (channel, chat_id) WHERE status = 'waiting'
`

// schema0009 gives attachments their cleaned preview and size, and marks which
// files were cleaned of metadata; rows stored before have cleaned_at NULL until
// "suarawarga photos clean" (or the first time one is served) cleans them.
const schema0009 = `
ALTER TABLE attachments ADD COLUMN preview_path TEXT NOT NULL DEFAULT '';
ALTER TABLE attachments ADD COLUMN width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN height INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN cleaned_at {{ts}};
CREATE INDEX idx_attachments_uncleaned ON attachments (id) WHERE cleaned_at IS NULL;
CREATE INDEX idx_attachments_path ON attachments (path);
CREATE INDEX idx_attachments_preview_path ON attachments (preview_path)
`

// schema0010 gives each category its vocabulary: the everyday words and synonyms citizens
// use for it, comma separated (see Category.Words).
const schema0010 = `ALTER TABLE categories ADD COLUMN words TEXT NOT NULL DEFAULT ''`

// schema0004 indexes the message log by chat: the delivery worker reads one chat's
// queued messages in order (a partial index holds only the queue), and the web
// chat reads one chat's history after an id. Without them each delivery scanned
// every queued message of every chat.
const schema0004 = `
CREATE INDEX idx_messages_chat ON messages (channel, chat_id, id);
CREATE INDEX idx_messages_chat_queued ON messages (channel, chat_id, id) WHERE status = 'queued'
`

// schema0005 replaces the index of every message by status, which each message
// insert and each delivery updated, with one of the failed messages only: the
// metrics count those by channel; the queue has its own partial index (0004).
const schema0005 = `
DROP INDEX idx_messages_status;
CREATE INDEX idx_messages_failed ON messages (channel) WHERE status = 'failed'
`

// schema0011 records an outbound message in flight: "sending" from just before
// the platform request until its result is recorded, with the parts of a message
// sent in several requests already accepted (parts_sent), when it went out
// (sending_at), and how often it was sent again after a crash left its outcome
// unknown (resends). The delivery queue's index covers the messages in flight.
const schema0011 = `
ALTER TABLE messages ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN sending_at {{ts}};
DROP INDEX idx_messages_chat_queued;
CREATE INDEX idx_messages_chat_pending ON messages (channel, chat_id, id) WHERE status IN ('queued', 'sending');
CREATE INDEX idx_messages_resent ON messages (channel) WHERE resends > 0
`

// schema0025 numbers the messages of a chat in the order they became visible
// to its page (seq: an inbound message when it is recorded, an outbound one
// when it is recorded as sent), from a counter per chat (chat_sequences) that
// the same transaction takes, so the numbers of one chat are committed in
// order and a cursor over them never skips a message committed late. Only the
// channels that show a history (the web chat) use it; the web chat's existing
// visible messages keep their id as their number.
const schema0025 = `
ALTER TABLE messages ADD COLUMN seq BIGINT;
CREATE TABLE chat_sequences (
	channel TEXT NOT NULL,
	chat_id TEXT NOT NULL,
	last_seq BIGINT NOT NULL,
	PRIMARY KEY (channel, chat_id)
);
UPDATE messages SET seq = id WHERE channel = 'webchat' AND (direction = 'in' OR status = 'sent');
INSERT INTO chat_sequences (channel, chat_id, last_seq)
	SELECT channel, chat_id, MAX(seq) FROM messages WHERE seq IS NOT NULL GROUP BY channel, chat_id;
CREATE INDEX idx_messages_chat_seq ON messages (channel, chat_id, seq) WHERE seq IS NOT NULL
`

// complaintTextSearch gives the console's text search (LOWER(description|address) LIKE
// '%…%') trigram indexes on PostgreSQL, so it no longer reads every complaint. The
// pg_trgm extension goes into the public schema, where every schema of the database
// (each test has its own) finds it. Where the database user may not create it, the
// search keeps working without the indexes: a warning says how to add them later.
// SQLite has no trigram index; its search stays a scan.
func complaintTextSearch(ctx context.Context, tx *gorm.DB, dialect string) error {
	if dialect != DialectPostgres {
		return nil
	}
	err := tx.Transaction(func(sp *gorm.DB) error {
		return sp.Exec(`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`).Error
	})
	if err != nil {
		slog.WarnContext(ctx, "pg_trgm is not available: the console's text search reads every complaint; "+
			"as a superuser run CREATE EXTENSION pg_trgm SCHEMA public and then the two CREATE INDEX statements of migration 0006",
			slog.Any("error", err))
		return nil
	}
	return sqlSteps(schema0006)(ctx, tx, dialect)
}

// schema0006 is the PostgreSQL half of complaintTextSearch.
const schema0006 = `
CREATE INDEX idx_complaints_description_trgm ON complaints USING gin (LOWER(description) public.gin_trgm_ops);
CREATE INDEX idx_complaints_address_trgm ON complaints USING gin (LOWER(address) public.gin_trgm_ops)
`

// MigrationIDs lists the ids of all known migrations, in order.
func MigrationIDs() []string {
	ids := make([]string, len(migrations))
	for i, m := range migrations {
		ids[i] = m.ID
	}
	return ids
}

// Migrate applies the pending migrations of this package and then River's own.
// It is safe to run from several processes at once: on PostgreSQL an advisory
// lock serializes migrators, on SQLite the write lock does.
func Migrate(ctx context.Context, db *gorm.DB) error {
	dialect := Dialect(db)
	db = db.WithContext(ctx)
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if dialect == DialectPostgres {
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		key := lockKey("suarawarga.migrate")
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) }()
	}
	if err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		id TEXT PRIMARY KEY,
		applied_at ` + timeType(dialect) + ` NOT NULL
	)`).Error; err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := db.Transaction(func(tx *gorm.DB) error {
			var applied int64
			if err := tx.Raw(`SELECT COUNT(*) FROM schema_migrations WHERE id = ?`, m.ID).Scan(&applied).Error; err != nil {
				return fmt.Errorf("check: %w", err)
			}
			if applied > 0 {
				return nil
			}
			if err := m.Up(ctx, tx, dialect); err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)`, m.ID, time.Now().UTC()).Error; err != nil {
				return fmt.Errorf("record: %w", err)
			}
			slog.InfoContext(ctx, "migration applied", slog.String("migration", m.ID))
			return nil
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.ID, err)
		}
	}
	// River targets no explicit schema, so on PostgreSQL its tables land in the
	// connection's search_path, next to ours.
	var migrateErr error
	if dialect == DialectPostgres {
		migrateErr = runRiverMigrations(ctx, riverdatabasesql.New(sqlDB))
	} else {
		migrateErr = runRiverMigrations(ctx, riversqlite.New(sqlDB))
	}
	if migrateErr != nil {
		return fmt.Errorf("migrate river: %w", migrateErr)
	}
	return nil
}

// runRiverMigrations applies River's pending up migrations through driver.
func runRiverMigrations[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// lockKey turns a name into a PostgreSQL advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return int64(h.Sum64())
}

// timeType is the column type for a timestamp on dialect.
func timeType(dialect string) string {
	if dialect == DialectPostgres {
		return "TIMESTAMPTZ"
	}
	return "DATETIME"
}

// sqlSteps returns a migration body running each ";"-separated statement of src
// after replacing {{id}} (an autoincrement primary key) and {{ts}} (a timestamp type).
// Statements must not contain ";" inside literals.
func sqlSteps(src string) func(ctx context.Context, tx *gorm.DB, dialect string) error {
	return func(ctx context.Context, tx *gorm.DB, dialect string) error {
		id := "INTEGER PRIMARY KEY AUTOINCREMENT"
		if dialect == DialectPostgres {
			id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
		}
		r := strings.NewReplacer("{{id}}", id, "{{ts}}", timeType(dialect))
		for stmt := range strings.SplitSeq(src, ";") {
			stmt = strings.TrimSpace(stmt)
			if stmt == "" {
				continue
			}
			if err := tx.Exec(r.Replace(stmt)).Error; err != nil {
				return fmt.Errorf("%s: %w", firstLine(stmt), err)
			}
		}
		return nil
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// schema0001 is the initial schema. Frozen: change the schema with a new migration.
const schema0001 = `
CREATE TABLE citizens (
	id {{id}},
	name TEXT NOT NULL DEFAULT '',
	lang TEXT NOT NULL DEFAULT 'id',
	unreachable BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE TABLE identities (
	id {{id}},
	citizen_id BIGINT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
	channel TEXT NOT NULL,
	address TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_identities_channel_address ON identities (channel, address);
CREATE INDEX idx_identities_citizen_id ON identities (citizen_id);

CREATE TABLE conversations (
	id {{id}},
	citizen_id BIGINT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
	flow_id TEXT NOT NULL,
	revision BIGINT NOT NULL DEFAULT 0,
	node TEXT NOT NULL DEFAULT '',
	data TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	wait_seq BIGINT NOT NULL DEFAULT 0,
	expires_at {{ts}},
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX idx_conversations_citizen_status ON conversations (citizen_id, status);
CREATE UNIQUE INDEX uq_conversations_one_active ON conversations (citizen_id) WHERE status = 'active';
CREATE INDEX idx_conversations_status_expires ON conversations (status, expires_at);

CREATE TABLE messages (
	id {{id}},
	citizen_id BIGINT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
	conversation_id BIGINT REFERENCES conversations (id) ON DELETE SET NULL,
	direction TEXT NOT NULL,
	channel TEXT NOT NULL,
	chat_id TEXT NOT NULL,
	platform_id TEXT,
	kind TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL DEFAULT '',
	payload TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	error TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	sent_at {{ts}}
);
CREATE UNIQUE INDEX uq_messages_channel_direction_platform ON messages (channel, direction, platform_id);
CREATE INDEX idx_messages_citizen_created ON messages (citizen_id, created_at);
CREATE INDEX idx_messages_conversation ON messages (conversation_id);
CREATE INDEX idx_messages_status ON messages (status);

CREATE TABLE agencies (
	id {{id}},
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	short_name TEXT NOT NULL DEFAULT '',
	triage BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_agencies_code ON agencies (code);

CREATE TABLE categories (
	id {{id}},
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	agency_id BIGINT NOT NULL REFERENCES agencies (id),
	target_days INTEGER NOT NULL,
	sort INTEGER NOT NULL DEFAULT 0,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_categories_code ON categories (code);
CREATE INDEX idx_categories_agency ON categories (agency_id);

CREATE TABLE regions (
	id {{id}},
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	parent_id BIGINT REFERENCES regions (id),
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_regions_code ON regions (code);
CREATE INDEX idx_regions_parent ON regions (parent_id);

CREATE TABLE attachments (
	id {{id}},
	sha256 TEXT NOT NULL,
	path TEXT NOT NULL,
	mime TEXT NOT NULL,
	size BIGINT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_attachments_sha256 ON attachments (sha256);

CREATE TABLE complaints (
	id {{id}},
	code TEXT NOT NULL,
	citizen_id BIGINT NOT NULL REFERENCES citizens (id),
	category_id BIGINT NOT NULL REFERENCES categories (id),
	agency_id BIGINT NOT NULL REFERENCES agencies (id),
	region_id BIGINT REFERENCES regions (id),
	description TEXT NOT NULL,
	lat DOUBLE PRECISION,
	lng DOUBLE PRECISION,
	address TEXT NOT NULL DEFAULT '',
	confidential BOOLEAN NOT NULL DEFAULT FALSE,
	status TEXT NOT NULL,
	channel TEXT NOT NULL DEFAULT '',
	route_by {{ts}} NOT NULL,
	respond_by {{ts}} NOT NULL,
	resolve_by {{ts}} NOT NULL,
	close_by {{ts}},
	first_response_at {{ts}},
	resolved_at {{ts}},
	closed_at {{ts}},
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_complaints_code ON complaints (code);
CREATE INDEX idx_complaints_citizen ON complaints (citizen_id);
CREATE INDEX idx_complaints_status ON complaints (status);
CREATE INDEX idx_complaints_agency ON complaints (agency_id);
CREATE INDEX idx_complaints_category ON complaints (category_id);
CREATE INDEX idx_complaints_region ON complaints (region_id);
CREATE INDEX idx_complaints_created ON complaints (created_at);

CREATE TABLE complaint_events (
	id {{id}},
	complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	from_status TEXT NOT NULL DEFAULT '',
	to_status TEXT NOT NULL DEFAULT '',
	actor_kind TEXT NOT NULL,
	actor_id BIGINT,
	text TEXT NOT NULL DEFAULT '',
	attachment_id BIGINT REFERENCES attachments (id),
	created_at {{ts}} NOT NULL
);
CREATE INDEX idx_complaint_events_complaint ON complaint_events (complaint_id, created_at);

CREATE TABLE complaint_attachments (
	complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
	attachment_id BIGINT NOT NULL REFERENCES attachments (id),
	kind TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	PRIMARY KEY (complaint_id, attachment_id)
);
CREATE INDEX idx_complaint_attachments_attachment ON complaint_attachments (attachment_id);

CREATE TABLE flow_revisions (
	id {{id}},
	flow_id TEXT NOT NULL,
	revision BIGINT NOT NULL,
	source TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_flow_revisions_flow_revision ON flow_revisions (flow_id, revision);

CREATE TABLE regencies (
	id {{id}},
	name TEXT NOT NULL,
	short_name TEXT NOT NULL DEFAULT '',
	ticket_prefix TEXT NOT NULL,
	timezone TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);

CREATE TABLE holidays (
	id {{id}},
	date TEXT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX uq_holidays_date ON holidays (date);

CREATE TABLE ticket_sequences (
	prefix TEXT NOT NULL,
	period TEXT NOT NULL,
	last BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (prefix, period)
)
`
