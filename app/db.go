package app

import (
	"context"
	"log/slog"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/regency"
)

// DBHandle is an open, migrated database for the command-line tasks.
type DBHandle struct{ DB *gorm.DB }

// OpenDB opens url and applies the migrations; with sample set it also loads the
// sample regency into an empty database and the default flows that are missing,
// as serve would.
func OpenDB(ctx context.Context, url string, sample bool) (*DBHandle, error) {
	db, err := models.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := models.Migrate(ctx, db); err != nil {
		return nil, err
	}
	if sample {
		if _, err := regency.LoadIfEmpty(ctx, db); err != nil {
			return nil, err
		}
		if err := upgradeSample(ctx, db, slog.Default()); err != nil {
			return nil, err
		}
		loc, err := locales.Load()
		if err != nil {
			return nil, err
		}
		if _, err := ImportDefaultFlows(ctx, db, loc); err != nil {
			return nil, err
		}
	}
	return &DBHandle{DB: db}, nil
}

// Close closes the database.
func (h *DBHandle) Close() error {
	s, err := h.DB.DB()
	if err != nil {
		return err
	}
	return s.Close()
}
