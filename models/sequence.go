package models

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"gorm.io/gorm"
)

// VisibleNotifyChannel is the PostgreSQL NOTIFY channel on which SetVisible
// tells every process that a chat has a new visible message, so a page
// long-polling any replica wakes up. The payload is "schema/channel/ref", ref
// being ChatRef of the chat id (the web chat's id is the browser's credential:
// it is never sent as it is).
const VisibleNotifyChannel = "suarawarga_visible"

// ChatRef names a chat without its id: the first 64 bits of its SHA-256, hex.
func ChatRef(chatID string) string {
	sum := sha256.Sum256([]byte(chatID))
	return hex.EncodeToString(sum[:8])
}

// SetVisible numbers message id as the next message of its chat to become
// visible (Message.Seq), from the chat's counter in chat_sequences, and returns
// the number. Call it in the transaction that makes the message visible (the
// one that records an inbound message, or an outbound one as sent), as the
// last write of that transaction: the counter's row stays locked until the
// transaction ends, so another transaction numbering the same chat waits for
// this one to commit, and a chat's numbers are committed in their order. A
// reader that has seen number n therefore never finds a number below n
// committed later, which an id (taken when the row is inserted) cannot promise.
func SetVisible(tx *gorm.DB, id int64, channel, chatID string) (int64, error) {
	var seq int64
	if Dialect(tx) == DialectPostgres {
		// One round trip: take the next number, set it, and tell the other
		// processes (VisibleNotifyChannel; delivered when the transaction commits).
		err := tx.Raw(`WITH n AS (
	INSERT INTO chat_sequences (channel, chat_id, last_seq) VALUES (?, ?, 1)
	ON CONFLICT (channel, chat_id) DO UPDATE SET last_seq = chat_sequences.last_seq + 1
	RETURNING last_seq)
UPDATE messages SET seq = (SELECT last_seq FROM n)
FROM (SELECT pg_notify(?, current_schema() || '/' || ? || '/' || ?)) AS notified
WHERE messages.id = ? RETURNING messages.seq`, channel, chatID, VisibleNotifyChannel, channel, ChatRef(chatID), id).Scan(&seq).Error
		if err != nil {
			return 0, fmt.Errorf("number visible message %d: %w", id, err)
		}
		if seq == 0 {
			return 0, fmt.Errorf("number visible message %d: no such message", id)
		}
		return seq, nil
	}
	err := tx.Raw(`INSERT INTO chat_sequences (channel, chat_id, last_seq) VALUES (?, ?, 1)
ON CONFLICT (channel, chat_id) DO UPDATE SET last_seq = chat_sequences.last_seq + 1
RETURNING last_seq`, channel, chatID).Scan(&seq).Error
	if err != nil {
		return 0, fmt.Errorf("number visible message %d: %w", id, err)
	}
	res := tx.Exec("UPDATE messages SET seq = ? WHERE id = ?", seq, id)
	if res.Error != nil {
		return 0, fmt.Errorf("number visible message %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return 0, fmt.Errorf("number visible message %d: no such message", id)
	}
	return seq, nil
}

// Advisory lock namespaces (the first key of PostgreSQL's two-key advisory
// locks, a key space of its own): one chat's inbound handling, and one chat's
// delivery.
const (
	lockSpaceInbound  = 11_001
	lockSpaceDelivery = 11_002
)

// chatKeySQL is a chat's second advisory lock key, computed by the server: a
// 32-bit hash of the schema, the channel and the chat id (so databases of
// several tests on one server do not share locks). Two chats sharing a hash
// only wait for each other. Its two parameters are the channel and chat id.
const chatKeySQL = "hashtext(current_schema() || '/' || ? || '/' || ?)"

// LockChatInbound makes the transaction tx the only one handling an inbound
// message of the chat until it ends, across every process on the database, so
// one person's messages are handled one after another in the order they took
// the lock (a PostgreSQL transaction-level advisory lock). On SQLite, whose
// writers are serialized anyway, it does nothing.
func LockChatInbound(tx *gorm.DB, channel, chatID string) error {
	if Dialect(tx) != DialectPostgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?, "+chatKeySQL+")", lockSpaceInbound, channel, chatID).Error; err != nil {
		return fmt.Errorf("lock chat: %w", err)
	}
	return nil
}
