package app

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestWhatsAppLeaderElection: with several replicas on one PostgreSQL, one holds
// the WhatsApp connection, the others stand by and take over when it goes.
func TestWhatsAppLeaderElection(t *testing.T) {
	t.Parallel()
	db := modeltest.Open(t, models.DialectPostgres) // skips without TEST_DATABASE_URL
	sqlDB, err := db.DB()
	require.NoError(t, err)
	name := "suarawarga-whatsapp-test-" + t.Name() + time.Now().String()
	first := PGLeader(sqlDB, name, 50*time.Millisecond)
	second := PGLeader(sqlDB, name, 50*time.Millisecond)

	_, releaseFirst, err := first(t.Context())
	require.NoError(t, err)

	type result struct {
		release func()
		err     error
	}
	got := make(chan result, 1)
	go func() {
		_, release, err := second(t.Context())
		got <- result{release, err}
	}()
	select {
	case <-got:
		t.Fatal("a second replica took the connection while the first holds it")
	case <-time.After(300 * time.Millisecond):
	}

	releaseFirst()
	select {
	case r := <-got:
		require.NoError(t, r.err)
		r.release()
	case <-time.After(5 * time.Second):
		t.Fatal("the standby did not take over after the holder went")
	}

	// A standby that is told to stop gives up cleanly.
	_, releaseAgain, err := first(t.Context())
	require.NoError(t, err)
	defer releaseAgain()
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	_, _, err = second(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
