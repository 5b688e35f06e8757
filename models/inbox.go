package models

import "time"

// ComplaintNote is an internal note on a complaint: read only by the OPD that held the
// complaint when it was written (AgencyID) and by admins, never sent to any channel.
type ComplaintNote struct {
	ID          int64 `gorm:"primaryKey"`
	ComplaintID int64
	AgencyID    int64  // the complaint's OPD when the note was written
	AuthorKind  string // ActorKonsol (AuthorID a User) or ActorPetugas/ActorAdmin (an Officer)
	AuthorID    int64
	AuthorName  string
	Text        string
	CreatedAt   time.Time
}

// SavedReply is a reply an OPD's officers reuse; AgencyID nil means every OPD may use it.
// Body may name the fields {nama} (the reporter, "Bapak/Ibu" when confidential), {kode}
// (the ticket) and {opd}.
type SavedReply struct {
	ID        int64 `gorm:"primaryKey"`
	AgencyID  *int64
	Title     string
	Body      string
	CreatedBy *int64 // the console account that wrote it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// schema0007 makes the console an inbox: a complaint knows the conversation it was filed
// in and who it is assigned to (a console account, a chat officer, or both when one person
// has both and the account is linked to the officer); conversations and messages know the
// complaint they are about; internal notes and saved replies.
const schema0007 = `
ALTER TABLE complaints ADD COLUMN conversation_id BIGINT REFERENCES conversations (id) ON DELETE SET NULL;
ALTER TABLE complaints ADD COLUMN assignee_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE complaints ADD COLUMN assignee_officer_id BIGINT REFERENCES officers (id) ON DELETE SET NULL;
ALTER TABLE complaints ADD COLUMN assigned_at {{ts}};
CREATE INDEX idx_complaints_assignee_user ON complaints (assignee_user_id) WHERE assignee_user_id IS NOT NULL;
CREATE INDEX idx_complaints_assignee_officer ON complaints (assignee_officer_id) WHERE assignee_officer_id IS NOT NULL;
ALTER TABLE conversations ADD COLUMN complaint_id BIGINT REFERENCES complaints (id) ON DELETE SET NULL;
CREATE INDEX idx_conversations_complaint ON conversations (complaint_id) WHERE complaint_id IS NOT NULL;
ALTER TABLE messages ADD COLUMN complaint_id BIGINT REFERENCES complaints (id) ON DELETE SET NULL;
CREATE INDEX idx_messages_complaint ON messages (complaint_id) WHERE complaint_id IS NOT NULL;
ALTER TABLE users ADD COLUMN officer_id BIGINT REFERENCES officers (id) ON DELETE SET NULL;

CREATE TABLE complaint_notes (
	id {{id}},
	complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
	agency_id BIGINT NOT NULL REFERENCES agencies (id),
	author_kind TEXT NOT NULL,
	author_id BIGINT NOT NULL,
	author_name TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX idx_complaint_notes_complaint ON complaint_notes (complaint_id, created_at);

CREATE TABLE saved_replies (
	id {{id}},
	agency_id BIGINT REFERENCES agencies (id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX idx_saved_replies_agency ON saved_replies (agency_id)
`
