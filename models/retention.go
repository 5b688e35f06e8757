package models

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gorm.io/gorm"
)

// RetentionReport counts what the retention rule changed (or, in a dry run, would change).
type RetentionReport struct {
	Complaints int // closed complaints whose personal data was removed
	Originals  int // photo originals removed (their small preview stays)
	Citizens   int // citizens erased: every report of theirs anonymized, silent since the cutoff
	Leftovers  int // messages left by an erasure (the request and its answer), removed a day later
}

// ApplyRetention anonymizes the complaints closed before cutoff (UU 27/2022: kept no longer
// than needed): their description, address, map point, rating comment, timeline texts,
// internal notes and the messages of their conversations go; category, OPD, desa, dates,
// status and rating stay for the statistics. Photo originals are removed and their
// previews kept. A citizen all of whose reports are anonymized and who wrote nothing
// since the cutoff is erased (EraseCitizen). Each complaint is its own transaction.
func ApplyRetention(ctx context.Context, db *gorm.DB, dataDir string, cutoff, now time.Time, dryRun bool) (RetentionReport, error) {
	db = db.WithContext(ctx)
	var rep RetentionReport
	var ids []int64
	err := db.Model(&Complaint{}).Where("closed_at IS NOT NULL AND closed_at < ? AND anonymized_at IS NULL", cutoff.UTC()).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return rep, fmt.Errorf("retention: closed complaints: %w", err)
	}
	for _, id := range ids {
		originals, err := complaintOriginals(db, id)
		if err != nil {
			return rep, err
		}
		rep.Complaints++
		rep.Originals += len(originals)
		if dryRun {
			continue
		}
		var files []string
		err = db.Transaction(func(tx *gorm.DB) error {
			var err error
			files, err = anonymizeComplaint(tx, id, originals, now)
			return err
		})
		if err != nil {
			return rep, err
		}
		for _, f := range files {
			if err := os.Remove(filepath.Join(dataDir, filepath.FromSlash(f))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return rep, fmt.Errorf("retention: remove %s: %w", f, err)
			}
		}
	}

	// Citizens with reports, all anonymized, silent since the cutoff, not officers, not erased yet.
	var cits []int64
	err = db.Model(&Citizen{}).
		Where("erased_at IS NULL AND id IN (SELECT citizen_id FROM complaints)").
		// (a dry run counts the complaints it would anonymize as anonymized)
		Where("id NOT IN (SELECT citizen_id FROM complaints WHERE anonymized_at IS NULL AND (closed_at IS NULL OR closed_at >= ?))", cutoff.UTC()).
		Where("id NOT IN (SELECT citizen_id FROM officers)").
		Where("id NOT IN (SELECT citizen_id FROM messages WHERE direction = ? AND created_at >= ?)", DirectionIn, cutoff.UTC()).
		Order("id").Pluck("id", &cits).Error
	if err != nil {
		return rep, fmt.Errorf("retention: citizens: %w", err)
	}
	rep.Citizens = len(cits)
	if !dryRun {
		for _, id := range cits {
			if err := db.Transaction(func(tx *gorm.DB) error {
				_, err := EraseCitizen(ctx, tx, id, now, false)
				return err
			}); err != nil {
				return rep, err
			}
		}
	}

	// What an erasure left so its answer could go out, a day after it went.
	left := db.Model(&Message{}).
		Where("citizen_id IN (SELECT id FROM citizens WHERE erased_at IS NOT NULL AND erased_at < ?)", now.Add(-24*time.Hour).UTC()).
		Where("status NOT IN ?", []string{MessageQueued, MessageWaiting, MessageSending})
	var n int64
	if err := left.Session(&gorm.Session{}).Count(&n).Error; err != nil {
		return rep, fmt.Errorf("retention: leftovers: %w", err)
	}
	rep.Leftovers = int(n)
	if !dryRun && n > 0 {
		if err := left.Delete(&Message{}).Error; err != nil {
			return rep, fmt.Errorf("retention: leftovers: %w", err)
		}
	}
	return rep, nil
}

// complaintOriginals are the complaint's photos whose original is a file of its own
// (not the preview), used by no complaint that keeps its data.
func complaintOriginals(db *gorm.DB, complaintID int64) ([]Attachment, error) {
	var atts []Attachment
	err := db.Where("id IN (SELECT attachment_id FROM complaint_attachments WHERE complaint_id = ?)", complaintID).
		Where("preview_path <> '' AND preview_path <> path").
		Where(`id NOT IN (SELECT ca.attachment_id FROM complaint_attachments ca JOIN complaints c ON c.id = ca.complaint_id
			WHERE c.id <> ? AND c.anonymized_at IS NULL)`, complaintID).
		Order("id").Find(&atts).Error
	if err != nil {
		return nil, fmt.Errorf("retention: photos of complaint %d: %w", complaintID, err)
	}
	return atts, nil
}

// anonymizeComplaint removes one complaint's personal data in tx and returns the
// original files to delete once it commits.
func anonymizeComplaint(tx *gorm.DB, id int64, originals []Attachment, now time.Time) ([]string, error) {
	var c Complaint
	if err := tx.Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, fmt.Errorf("retention: load complaint %d: %w", id, err)
	}
	err := tx.Model(&Complaint{}).Where("id = ?", id).Updates(map[string]any{"description": "", "address": "", "lat": nil, "lng": nil,
		"rating_comment": "", "confidential": true, "anonymized_at": now.UTC(), "updated_at": now.UTC()}).Error
	if err != nil {
		return nil, fmt.Errorf("retention: complaint %d: %w", id, err)
	}
	if err := tx.Model(&ComplaintEvent{}).Where("complaint_id = ?", id).Update("text", "").Error; err != nil {
		return nil, fmt.Errorf("retention: timeline of complaint %d: %w", id, err)
	}
	if err := tx.Exec("UPDATE complaint_notes SET text = '', author_name = '' WHERE complaint_id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("retention: notes of complaint %d: %w", id, err)
	}
	msgs := tx.Model(&Message{}).Where("complaint_id = ?", id)
	if c.ConversationID != nil {
		msgs = tx.Model(&Message{}).Where("complaint_id = ? OR conversation_id = ? OR conversation_id IN (SELECT id FROM conversations WHERE complaint_id = ?)",
			id, *c.ConversationID, id)
	}
	if err := msgs.Where("status NOT IN ?", []string{MessageQueued, MessageWaiting, MessageSending}).
		Updates(map[string]any{"text": "", "payload": ""}).Error; err != nil {
		return nil, fmt.Errorf("retention: messages of complaint %d: %w", id, err)
	}
	var files []string
	for _, a := range originals {
		// The row now names its preview as the original; its hash no longer matches an upload.
		err := tx.Model(&Attachment{}).Where("id = ?", a.ID).
			Updates(map[string]any{"path": a.PreviewPath, "sha256": "retained-" + a.SHA256}).Error
		if err != nil {
			return nil, fmt.Errorf("retention: photo %d: %w", a.ID, err)
		}
		files = append(files, a.Path)
	}
	return files, nil
}
