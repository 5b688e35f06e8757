package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestDeliveryLocks: two processes' delivery locks (two sessions) on one
// PostgreSQL: one chat is held by one at a time, other chats are free, and a
// lock whose session dies is lost by its holder (told through the held
// context) and free for the other at once.
func TestDeliveryLocks(t *testing.T) {
	t.Parallel()
	db := modeltest.Open(t, models.DialectPostgres)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	a := &models.DeliveryLocks{DB: sqlDB, PingInterval: 50 * time.Millisecond}
	b := &models.DeliveryLocks{DB: sqlDB, PingInterval: 50 * time.Millisecond}
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	ctx := t.Context()
	chat := fmt.Sprintf("chat-%d", time.Now().UnixNano()) // unique on the shared server: the test kills its holder by key
	var objid uint32
	require.NoError(t, db.Raw(`SELECT CAST(hashtext(current_schema() || '/telegram/' || ?) AS bigint) & 4294967295`, chat).Scan(&objid).Error)

	heldA, unlockA, ok, err := a.TryLock(ctx, "telegram", chat)
	require.NoError(t, err)
	require.True(t, ok)
	_, _, ok, err = b.TryLock(ctx, "telegram", chat)
	require.NoError(t, err)
	require.False(t, ok, "the other process may not deliver to the chat")
	_, unlockOther, ok, err := b.TryLock(ctx, "telegram", "200")
	require.NoError(t, err)
	require.True(t, ok, "another chat is free")
	unlockOther()

	unlockA()
	require.Error(t, heldA.Err(), "the held context ends with the lock")
	_, unlockB, ok, err := b.TryLock(ctx, "telegram", chat)
	require.NoError(t, err)
	require.True(t, ok, "free once released")
	unlockB()

	// The holder's session dies (its connection killed): it is told, and the
	// other process takes the chat.
	heldA, unlockA, ok, err = a.TryLock(ctx, "telegram", chat)
	require.NoError(t, err)
	require.True(t, ok)
	defer unlockA()
	var pid int
	require.NoError(t, db.Raw(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 11002 AND objid = ? AND objsubid = 2 AND granted`, objid).Scan(&pid).Error)
	require.NotZero(t, pid)
	require.NoError(t, db.Exec(`SELECT pg_terminate_backend(?)`, pid).Error)
	select {
	case <-heldA.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the holder was not told it lost the lock")
	}
	_, unlockB, ok, err = b.TryLock(ctx, "telegram", chat)
	require.NoError(t, err)
	require.True(t, ok, "the other process takes over")
	unlockB()

	// The first one gets a new connection and locks again.
	_, unlockA2, ok, err := a.TryLock(context.Background(), "telegram", chat)
	require.NoError(t, err)
	require.True(t, ok)
	unlockA2()
}

// TestLockChatInbound: an inbound transaction of a chat waits for another
// process's transaction of the same chat to end; other chats do not wait.
func TestLockChatInbound(t *testing.T) {
	t.Parallel()
	db := modeltest.Open(t, models.DialectPostgres)
	chat := fmt.Sprintf("chat-%d", time.Now().UnixNano())
	first := db.Begin()
	require.NoError(t, first.Error)
	defer first.Rollback()
	require.NoError(t, models.LockChatInbound(first, "webchat", chat))

	other := db.Begin()
	require.NoError(t, models.LockChatInbound(other, "webchat", chat+"-other"), "another chat does not wait")
	require.NoError(t, other.Commit().Error)

	got := make(chan time.Time, 1)
	go func() {
		second := db.Begin()
		if err := models.LockChatInbound(second, "webchat", chat); err != nil {
			t.Error(err)
		}
		got <- time.Now()
		second.Rollback()
	}()
	select {
	case <-got:
		t.Fatal("a second transaction of the chat ran while the first one was open")
	case <-time.After(300 * time.Millisecond):
	}
	committed := time.Now()
	require.NoError(t, first.Commit().Error)
	select {
	case at := <-got:
		require.True(t, at.After(committed))
	case <-time.After(5 * time.Second):
		t.Fatal("the second transaction did not go on after the first ended")
	}
}
