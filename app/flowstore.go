package app

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
)

// ErrFlowInvalid means a flow has errors that block publishing.
var ErrFlowInvalid = errors.New("flow has errors")

// Checker is the validator configured with this bot's actions, data sources,
// flows and locales.
func Checker(ctx context.Context, db *gorm.DB, loc *locales.Catalog, extraFlows ...string) (flows.Checker, error) {
	var ids []string
	if err := db.WithContext(ctx).Model(&models.FlowRevision{}).Distinct("flow_id").Pluck("flow_id", &ids).Error; err != nil {
		return flows.Checker{}, fmt.Errorf("list flows: %w", err)
	}
	for id := range flows.Defaults() {
		ids = append(ids, id)
	}
	ids = append(ids, extraFlows...)
	sort.Strings(ids)
	return flows.Checker{Actions: flows.DefaultActions(), Sources: flows.DefaultSources(), Flows: ids, Locales: loc}, nil
}

// ImportDefaultFlows publishes each embedded default flow that the database does
// not have yet, and returns how many it published.
func ImportDefaultFlows(ctx context.Context, db *gorm.DB, loc *locales.Catalog) (int, error) {
	ids := make([]string, 0)
	defs := flows.Defaults()
	for id := range defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	n := 0
	for _, id := range ids {
		var count int64
		if err := db.WithContext(ctx).Model(&models.FlowRevision{}).Where("flow_id = ?", id).Count(&count).Error; err != nil {
			return n, fmt.Errorf("count revisions of %s: %w", id, err)
		}
		if count > 0 {
			continue
		}
		if _, _, err := ImportFlow(ctx, db, loc, defs[id], "sistem"); err != nil {
			return n, fmt.Errorf("default flow %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// ImportFlow validates src and, when it has no errors, publishes it as the
// flow's newest revision. Conversations already running stay on their revision.
func ImportFlow(ctx context.Context, db *gorm.DB, loc *locales.Catalog, src []byte, by string) (*models.FlowRevision, []flows.Issue, error) {
	f, err := flows.Parse(src)
	var id string
	if err == nil {
		id = f.ID
	}
	chk, cerr := Checker(ctx, db, loc, id)
	if cerr != nil {
		return nil, nil, cerr
	}
	issues := chk.Check(src)
	for _, is := range issues {
		if is.Severity == flows.Error {
			return nil, issues, ErrFlowInvalid
		}
	}
	if err != nil {
		return nil, issues, fmt.Errorf("%w: %v", ErrFlowInvalid, err)
	}
	var rev models.FlowRevision
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var last models.FlowRevision
		next := int64(1)
		if err := tx.Where("flow_id = ?", f.ID).Order("revision DESC").First(&last).Error; err == nil {
			next = last.Revision + 1
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		rev = models.FlowRevision{FlowID: f.ID, Revision: next, Source: string(src), CreatedBy: by}
		return tx.Create(&rev).Error
	})
	if err != nil {
		return nil, issues, fmt.Errorf("publish flow %s: %w", f.ID, err)
	}
	return &rev, issues, nil
}

// ExportFlow returns the source of the flow's newest revision.
func ExportFlow(ctx context.Context, db *gorm.DB, id string) (*models.FlowRevision, error) {
	var rev models.FlowRevision
	err := db.WithContext(ctx).Where("flow_id = ?", id).Order("revision DESC").First(&rev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("flow %q: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load flow %q: %w", id, err)
	}
	return &rev, nil
}
