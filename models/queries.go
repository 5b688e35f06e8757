package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// notFound maps gorm's missing-row error to ErrNotFound and wraps err with what.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// RegencyProfile returns the regency row (the first one; there is only one).
func RegencyProfile(ctx context.Context, db *gorm.DB) (*Regency, error) {
	var r Regency
	if err := db.WithContext(ctx).Order("id").Take(&r).Error; err != nil {
		return nil, notFound(err, "load regency")
	}
	return &r, nil
}

// Holidays returns every holiday, ordered by date.
func Holidays(ctx context.Context, db *gorm.DB) ([]Holiday, error) {
	var hs []Holiday
	if err := db.WithContext(ctx).Order("date").Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("load holidays: %w", err)
	}
	return hs, nil
}

// Categories returns every complaint category in display order.
func Categories(ctx context.Context, db *gorm.DB) ([]Category, error) {
	var cs []Category
	if err := db.WithContext(ctx).Order("sort, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("load categories: %w", err)
	}
	return cs, nil
}

// CategoryByCode returns the category with code.
func CategoryByCode(ctx context.Context, db *gorm.DB, code string) (*Category, error) {
	var c Category
	if err := db.WithContext(ctx).Where("code = ?", code).Take(&c).Error; err != nil {
		return nil, notFound(err, "load category "+code)
	}
	return &c, nil
}

// Agencies returns every OPD ordered by code.
func Agencies(ctx context.Context, db *gorm.DB) ([]Agency, error) {
	var as []Agency
	if err := db.WithContext(ctx).Order("code").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("load agencies: %w", err)
	}
	return as, nil
}

// AgencyByCode returns the OPD with code.
func AgencyByCode(ctx context.Context, db *gorm.DB, code string) (*Agency, error) {
	var a Agency
	if err := db.WithContext(ctx).Where("code = ?", code).Take(&a).Error; err != nil {
		return nil, notFound(err, "load agency "+code)
	}
	return &a, nil
}

// AgencyByID returns the OPD with id.
func AgencyByID(ctx context.Context, db *gorm.DB, id int64) (*Agency, error) {
	var a Agency
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load agency %d", id))
	}
	return &a, nil
}

// Regions returns the regions of kind (RegionKecamatan or RegionDesa; "" for all) ordered by name.
func Regions(ctx context.Context, db *gorm.DB, kind string) ([]Region, error) {
	q := db.WithContext(ctx).Order("name")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var rs []Region
	if err := q.Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	return rs, nil
}

// RegionByCode returns the region with code.
func RegionByCode(ctx context.Context, db *gorm.DB, code string) (*Region, error) {
	var r Region
	if err := db.WithContext(ctx).Where("code = ?", code).Take(&r).Error; err != nil {
		return nil, notFound(err, "load region "+code)
	}
	return &r, nil
}

// ComplaintByCode returns the complaint with code, compared case-insensitively.
func ComplaintByCode(ctx context.Context, db *gorm.DB, code string) (*Complaint, error) {
	var c Complaint
	code = strings.ToUpper(strings.TrimSpace(code))
	if err := db.WithContext(ctx).Where("code = ?", code).Take(&c).Error; err != nil {
		return nil, notFound(err, "load complaint "+code)
	}
	return &c, nil
}

// CitizenByIdentity returns the citizen who owns address on channel.
func CitizenByIdentity(ctx context.Context, db *gorm.DB, channel, address string) (*Citizen, error) {
	var c Citizen
	err := db.WithContext(ctx).
		Where("id = (SELECT citizen_id FROM identities WHERE channel = ? AND address = ?)", channel, address).
		Take(&c).Error
	if err != nil {
		return nil, notFound(err, "load citizen by "+channel+" identity")
	}
	return &c, nil
}

// EnsureCitizen returns the citizen who owns address on channel, creating the
// citizen and the identity when they do not exist yet; created says which.
// Safe when two callers race for the same identity.
func EnsureCitizen(ctx context.Context, db *gorm.DB, channel, address, name, lang string) (c *Citizen, created bool, err error) {
	c, err = CitizenByIdentity(ctx, db, channel, address)
	if err == nil {
		return c, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		nc := Citizen{Name: name, Lang: lang}
		if err := tx.Create(&nc).Error; err != nil {
			return fmt.Errorf("create citizen: %w", err)
		}
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "channel"}, {Name: "address"}}, DoNothing: true}).
			Create(&Identity{CitizenID: nc.ID, Channel: channel, Address: address})
		if res.Error != nil {
			return fmt.Errorf("create identity: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			// Someone else created this identity meanwhile; drop ours and use theirs.
			if err := tx.Delete(&Citizen{}, nc.ID).Error; err != nil {
				return fmt.Errorf("drop duplicate citizen: %w", err)
			}
			existing, err := CitizenByIdentity(ctx, tx, channel, address)
			if err != nil {
				return err
			}
			c = existing
			return nil
		}
		c, created = &nc, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("ensure citizen: %w", err)
	}
	return c, created, nil
}

// ActiveConversation returns the citizen's active conversation.
func ActiveConversation(ctx context.Context, db *gorm.DB, citizenID int64) (*Conversation, error) {
	var cv Conversation
	err := db.WithContext(ctx).Where("citizen_id = ? AND status = ?", citizenID, ConversationActive).Take(&cv).Error
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("load active conversation of citizen %d", citizenID))
	}
	return &cv, nil
}

// SaveFlowRevision stores source as the next revision of flowID, which makes it current.
func SaveFlowRevision(ctx context.Context, db *gorm.DB, flowID, source, createdBy, note string) (*FlowRevision, error) {
	var fr *FlowRevision
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var last int64
		if err := tx.Model(&FlowRevision{}).Where("flow_id = ?", flowID).
			Select("COALESCE(MAX(revision), 0)").Scan(&last).Error; err != nil {
			return err
		}
		fr = &FlowRevision{FlowID: flowID, Revision: last + 1, Source: source, CreatedBy: createdBy, Note: note}
		return tx.Create(fr).Error
	})
	if err != nil {
		return nil, fmt.Errorf("save flow %s revision: %w", flowID, err)
	}
	return fr, nil
}

// LatestFlowRevision returns the current (newest) revision of flowID.
func LatestFlowRevision(ctx context.Context, db *gorm.DB, flowID string) (*FlowRevision, error) {
	var fr FlowRevision
	if err := db.WithContext(ctx).Where("flow_id = ?", flowID).Order("revision DESC").Take(&fr).Error; err != nil {
		return nil, notFound(err, "load flow "+flowID)
	}
	return &fr, nil
}

// FlowRevisionByNumber returns revision rev of flowID.
func FlowRevisionByNumber(ctx context.Context, db *gorm.DB, flowID string, rev int64) (*FlowRevision, error) {
	var fr FlowRevision
	if err := db.WithContext(ctx).Where("flow_id = ? AND revision = ?", flowID, rev).Take(&fr).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load flow %s revision %d", flowID, rev))
	}
	return &fr, nil
}

// FlowRevisions returns the revisions of flowID, newest first, without their sources.
func FlowRevisions(ctx context.Context, db *gorm.DB, flowID string) ([]FlowRevision, error) {
	var frs []FlowRevision
	err := db.WithContext(ctx).Select("id, flow_id, revision, created_by, note, created_at").
		Where("flow_id = ?", flowID).Order("revision DESC").Find(&frs).Error
	if err != nil {
		return nil, fmt.Errorf("list flow %s revisions: %w", flowID, err)
	}
	return frs, nil
}
