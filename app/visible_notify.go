package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/driver/postgres"

	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
)

// listenVisible wakes this process's web chat polls when any process on the
// database makes a message visible (models.SetVisible notifies on
// models.VisibleNotifyChannel), so a page long-polling this replica sees a reply
// another replica sent at once. It keeps a connection of its own and runs until
// ctx ends; after its connection broke it wakes every poll, since a
// notification may have been missed. Only on PostgreSQL.
func (a *App) listenVisible(ctx context.Context) {
	pg, ok := a.DB.Dialector.(*postgres.Dialector)
	if !ok {
		return
	}
	var schema string
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := func() error {
			conn, err := pgx.Connect(ctx, pg.Config.DSN)
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
				return err
			}
			if _, err := conn.Exec(ctx, "LISTEN "+models.VisibleNotifyChannel); err != nil {
				return err
			}
			backoff = 200 * time.Millisecond
			a.Webchat.WakeAll() // anything made visible while this was not listening
			prefix := schema + "/" + webchat.Name + "/"
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					return err
				}
				if ref, ok := strings.CutPrefix(n.Payload, prefix); ok {
					a.Webchat.WakeRef(ref)
				}
			}
		}()
		if ctx.Err() != nil {
			return
		}
		a.Log.Warn("web chat notifications from other replicas stopped; reconnecting", slog.Any("error", err), slog.Duration("backoff", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}
