package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/media"
)

// ErrTooLarge is returned by SaveAttachment when the file exceeds the size limit.
var ErrTooLarge = errors.New("attachment too large")

// ErrNotImage is returned by SaveAttachment when the bytes are not a supported image.
var ErrNotImage = errors.New("attachment is not a supported image")

// ErrTooManyPixels is returned by SaveAttachment for an image too large to decode
// (more than media.MaxPixels), however small its file.
var ErrTooManyPixels = errors.New("attachment has too many pixels")

// SaveAttachment cleans an image (JPEG, PNG, GIF, WebP) of every piece of
// metadata, upright, with media.Clean, stores it under
// dataDir/attachments/ab/<sha256>.<ext> with its preview beside it
// (<sha256>.preview.jpg) and records it, or returns the existing row when the
// same image was saved before. The sender's bytes are never written: a phone's
// EXIF, XMP or comment (owner, device, GPS) would reach every officer who opens
// the photo. mime is only the sender's claim and is ignored.
func SaveAttachment(ctx context.Context, db *gorm.DB, dataDir string, data []byte, mime string, maxBytes int64) (*Attachment, error) {
	if maxBytes > 0 && int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("save attachment of %d bytes (limit %d): %w", len(data), maxBytes, ErrTooLarge)
	}
	img, err := cleanImage(data)
	if err != nil {
		return nil, fmt.Errorf("save attachment claimed %q: %w", mime, err)
	}
	att, files := cleanedRow(img)
	db = db.WithContext(ctx)
	var existing Attachment
	err = db.Where("sha256 = ?", att.SHA256).Take(&existing).Error
	switch {
	case err == nil:
		if err := writeFiles(dataDir, existing.Path, existing.PreviewPath, files); err != nil {
			return nil, err
		}
		return &existing, nil
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, fmt.Errorf("save attachment %s: %w", att.SHA256, err)
	}

	// Write the files before the row, so a committed row always has its files.
	if err := writeFiles(dataDir, att.Path, att.PreviewPath, files); err != nil {
		return nil, err
	}
	res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "sha256"}}, DoNothing: true}).Create(att)
	if res.Error != nil {
		return nil, fmt.Errorf("save attachment %s: %w", att.SHA256, res.Error)
	}
	if res.RowsAffected == 0 {
		// Another writer stored the same image first.
		if err := db.Where("sha256 = ?", att.SHA256).Take(&existing).Error; err != nil {
			return nil, fmt.Errorf("save attachment %s: %w", att.SHA256, err)
		}
		return &existing, nil
	}
	return att, nil
}

// cleanImage is media.Clean with its errors mapped to this package's.
func cleanImage(data []byte) (*media.Image, error) {
	img, err := media.Clean(data)
	switch {
	case errors.Is(err, media.ErrTooManyPixels):
		return nil, fmt.Errorf("%w: %v", ErrTooManyPixels, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	return img, nil
}

// cleanedFiles are the bytes of a cleaned attachment's two files.
type cleanedFiles struct{ original, preview []byte }

// cleanedRow is the attachment row of a cleaned image, named by the hash of its
// cleaned bytes, and the bytes of its files.
func cleanedRow(img *media.Image) (*Attachment, cleanedFiles) {
	sum := sha256.Sum256(img.Data)
	hash := hex.EncodeToString(sum[:])
	base := "attachments/" + hash[:2] + "/" + hash
	now := time.Now().UTC()
	att := &Attachment{SHA256: hash, Path: base + img.Ext, PreviewPath: base + img.Ext, MIME: img.MIME,
		Size: int64(len(img.Data)), Width: img.Width, Height: img.Height, CleanedAt: &now}
	files := cleanedFiles{original: img.Data}
	if img.Preview != nil {
		att.PreviewPath, files.preview = base+".preview.jpg", img.Preview
	}
	return att, files
}

// writeFiles writes an attachment's original and (when it has its own) preview.
func writeFiles(dataDir, path, previewPath string, f cleanedFiles) error {
	if err := writeFileOnce(dataDir, path, f.original); err != nil {
		return err
	}
	if f.preview != nil && previewPath != path {
		return writeFileOnce(dataDir, previewPath, f.preview)
	}
	return nil
}

// Preview is the path (relative to the data directory) of the attachment's
// preview: the light JPEG to send to a chat or show in a console. A row from
// before previews existed has none yet and answers its original.
func (a *Attachment) Preview() string {
	if a.PreviewPath != "" {
		return a.PreviewPath
	}
	return a.Path
}

// Cleaned reports whether the attachment's files were cleaned of metadata.
func (a *Attachment) Cleaned() bool { return a.CleanedAt != nil }

// CleanAttachment cleans a photo stored before cleaning existed (CleanedAt nil):
// it re-encodes its file with media.Clean, writes the cleaned original and its
// preview, points the row at them (in db, which may be the caller's
// transaction) and rewrites queued and logged messages that named the old file.
// It returns the old file's path, which it does not remove: the caller's
// transaction may still roll back. RemoveUnreferenced removes it later. A
// cleaned attachment is left alone (old is "").
func CleanAttachment(ctx context.Context, db *gorm.DB, dataDir string, a *Attachment) (old string, err error) {
	if a.Cleaned() {
		return "", nil
	}
	data, err := os.ReadFile(AttachmentFile(dataDir, a))
	if err != nil {
		return "", fmt.Errorf("clean attachment %d: %w", a.ID, err)
	}
	img, err := cleanImage(data)
	if err != nil {
		return "", fmt.Errorf("clean attachment %d: %w", a.ID, err)
	}
	row, files := cleanedRow(img)
	if err := writeFiles(dataDir, row.Path, row.PreviewPath, files); err != nil {
		return "", err
	}
	db = db.WithContext(ctx)
	upd := map[string]any{"path": row.Path, "preview_path": row.PreviewPath, "mime": row.MIME, "size": row.Size,
		"width": row.Width, "height": row.Height, "cleaned_at": *row.CleanedAt}
	// The row keeps its id (complaints and messages point at it); it takes the
	// cleaned hash unless another row already holds those bytes.
	var taken int64
	if err := db.Model(&Attachment{}).Where("sha256 = ? AND id <> ?", row.SHA256, a.ID).Count(&taken).Error; err != nil {
		return "", fmt.Errorf("clean attachment %d: %w", a.ID, err)
	}
	if taken == 0 {
		upd["sha256"] = row.SHA256
	}
	if err := db.Model(&Attachment{}).Where("id = ?", a.ID).Updates(upd).Error; err != nil {
		return "", fmt.Errorf("clean attachment %d: %w", a.ID, err)
	}
	// Outbound messages carry the file as photo_path (a queued one is sent from it).
	from, to := `"photo_path":"`+a.Path+`"`, `"photo_path":"`+row.PreviewPath+`"`
	if err := db.Model(&Message{}).Where("payload LIKE ?", "%"+from+"%").
		Update("payload", gorm.Expr("REPLACE(payload, ?, ?)", from, to)).Error; err != nil {
		return "", fmt.Errorf("clean attachment %d: rewrite messages: %w", a.ID, err)
	}
	old = a.Path
	if taken == 0 {
		a.SHA256 = row.SHA256
	}
	a.Path, a.PreviewPath, a.MIME, a.Size, a.Width, a.Height, a.CleanedAt =
		row.Path, row.PreviewPath, row.MIME, row.Size, row.Width, row.Height, row.CleanedAt
	if old == a.Path || old == a.PreviewPath {
		return "", nil
	}
	return old, nil
}

// Servable returns the attachment with id, cleaned first if it was stored
// before cleaning existed (see CleanAttachment), for a route or a channel that
// hands its bytes to someone. ErrNotFound when there is no such row.
func Servable(ctx context.Context, db *gorm.DB, dataDir string, id int64) (*Attachment, error) {
	var a Attachment
	err := db.WithContext(ctx).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load attachment %d: %w", id, err)
	}
	if _, err := CleanAttachment(ctx, db, dataDir, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// AttachmentFile returns the absolute path of an attachment's file under dataDir.
func AttachmentFile(dataDir string, a *Attachment) string {
	return filepath.Join(dataDir, filepath.FromSlash(a.Path))
}

// writeFileOnce writes data to dataDir/rel unless the file already exists, through
// a temporary file and a rename so a reader never sees half a file.
func writeFileOnce(dataDir, rel string, data []byte) error {
	if strings.Contains(rel, "..") {
		return fmt.Errorf("write attachment: bad path %q", rel)
	}
	full := filepath.Join(dataDir, filepath.FromSlash(rel))
	if st, err := os.Stat(full); err == nil && st.Size() == int64(len(data)) {
		return nil
	}
	dir := filepath.Dir(full)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("write attachment: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write attachment: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write attachment: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write attachment: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write attachment: %w", err)
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		return fmt.Errorf("write attachment: %w", err)
	}
	return nil
}

// CleanReport counts what CleanAll did (or, in a dry run, would do).
type CleanReport struct {
	Uncleaned int      // photos stored before cleaning existed, found at the start
	Cleaned   int      // of them, cleaned now
	Failed    []string // "id: reason" of photos that could not be cleaned (missing or unreadable file)
	Removed   int      // files no row points at any more (old originals, leftovers), removed
}

// orphanAge is how old a file no row points at must be before CleanAll removes
// it: SaveAttachment writes the file just before the row commits.
const orphanAge = time.Hour

// CleanAll cleans every photo stored before cleaning existed, each in its own
// transaction, then removes the files under dataDir/attachments that no row
// points at (the old, uncleaned originals; files of rolled-back uploads) once
// they are an hour old. It is what "suarawarga photos clean" runs; it may run
// again at any time. progress, when set, is called after each photo.
func CleanAll(ctx context.Context, db *gorm.DB, dataDir string, dryRun bool, progress func(done, total int)) (CleanReport, error) {
	var rep CleanReport
	db = db.WithContext(ctx)
	var total int64
	if err := db.Model(&Attachment{}).Where("cleaned_at IS NULL").Count(&total).Error; err != nil {
		return rep, fmt.Errorf("count uncleaned photos: %w", err)
	}
	rep.Uncleaned = int(total)
	var last int64
	for done := 0; !dryRun; {
		var batch []Attachment
		if err := db.Where("cleaned_at IS NULL AND id > ?", last).Order("id").Limit(50).Find(&batch).Error; err != nil {
			return rep, fmt.Errorf("load uncleaned photos: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		for i := range batch {
			a := &batch[i]
			last = a.ID
			var old string
			err := db.Transaction(func(tx *gorm.DB) error {
				var err error
				old, err = CleanAttachment(ctx, tx, dataDir, a)
				return err
			})
			switch {
			case err != nil && ctx.Err() != nil:
				return rep, ctx.Err()
			case err != nil:
				rep.Failed = append(rep.Failed, fmt.Sprintf("%d: %v", a.ID, err))
			default:
				rep.Cleaned++
				// Committed: the old file is no row's any more, unless another row shares it.
				var users int64
				if old != "" && db.Model(&Attachment{}).Where("path = ? OR preview_path = ?", old, old).Count(&users).Error == nil && users == 0 {
					if err := os.Remove(filepath.Join(dataDir, filepath.FromSlash(old))); err == nil {
						rep.Removed++
					}
				}
			}
			done++
			if progress != nil {
				progress(done, rep.Uncleaned)
			}
		}
	}
	removed, err := RemoveUnreferenced(ctx, db, dataDir, time.Now().Add(-orphanAge), dryRun)
	rep.Removed += removed
	return rep, err
}

// RemoveUnreferenced removes the files under dataDir/attachments, last changed
// before cutoff, that no attachment row points at; in a dry run it only counts them.
func RemoveUnreferenced(ctx context.Context, db *gorm.DB, dataDir string, cutoff time.Time, dryRun bool) (int, error) {
	var rows []Attachment
	if err := db.WithContext(ctx).Select("path", "preview_path").Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("load attachment paths: %w", err)
	}
	used := make(map[string]bool, 2*len(rows))
	for _, r := range rows {
		used[filepath.Clean(AttachmentFile(dataDir, &r))] = true
		if r.PreviewPath != "" {
			used[filepath.Clean(filepath.Join(dataDir, filepath.FromSlash(r.PreviewPath)))] = true
		}
	}
	root := filepath.Join(dataDir, "attachments")
	removed := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || used[filepath.Clean(path)] {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil
		}
		if !dryRun {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("remove unreferenced photos: %w", err)
	}
	return removed, nil
}

// PhotoCacheControl is the Cache-Control of a served photo: a confidential
// complaint's photos must not stay in a shared computer's browser cache after
// sign-out; the others may be kept but are checked again on every view.
func PhotoCacheControl(confidential bool) string {
	if confidential {
		return "no-store"
	}
	return "private, no-cache"
}

// AttachmentConfidential reports whether the attachment belongs to a
// confidential complaint (rahasia), whose photos are served with no-store.
func AttachmentConfidential(ctx context.Context, db *gorm.DB, id int64) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Table("complaint_attachments").
		Joins("JOIN complaints ON complaints.id = complaint_attachments.complaint_id").
		Where("complaint_attachments.attachment_id = ? AND complaints.confidential", id).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("attachment %d confidential: %w", id, err)
	}
	return n > 0, nil
}
