package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrTooLarge is returned by SaveAttachment when the file exceeds the size limit.
var ErrTooLarge = errors.New("attachment too large")

// ErrNotImage is returned by SaveAttachment when the bytes are not a supported image.
var ErrNotImage = errors.New("attachment is not a supported image")

// imageExt maps the sniffed image types we accept to a file extension.
var imageExt = map[string]string{
	"image/jpeg": ".jpg",
	"image/png":  ".png",
	"image/gif":  ".gif",
	"image/webp": ".webp",
}

// SaveAttachment stores an image under dataDir/attachments/ab/<sha256>.<ext> and
// records it, or returns the existing row when the same bytes were saved before.
// The type is sniffed from the bytes; mime is only the sender's claim and is
// ignored when the bytes say otherwise.
func SaveAttachment(ctx context.Context, db *gorm.DB, dataDir string, data []byte, mime string, maxBytes int64) (*Attachment, error) {
	if maxBytes > 0 && int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("save attachment of %d bytes (limit %d): %w", len(data), maxBytes, ErrTooLarge)
	}
	sniffed := http.DetectContentType(data)
	ext, ok := imageExt[sniffed]
	if !ok || len(data) == 0 {
		return nil, fmt.Errorf("save attachment claimed %q, sniffed %q: %w", mime, sniffed, ErrNotImage)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	rel := "attachments/" + hash[:2] + "/" + hash + ext

	db = db.WithContext(ctx)
	var existing Attachment
	err := db.Where("sha256 = ?", hash).Take(&existing).Error
	switch {
	case err == nil:
		if err := writeFileOnce(dataDir, existing.Path, data); err != nil {
			return nil, err
		}
		return &existing, nil
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, fmt.Errorf("save attachment %s: %w", hash, err)
	}

	// Write the file before the row, so a committed row always has its file.
	if err := writeFileOnce(dataDir, rel, data); err != nil {
		return nil, err
	}
	att := Attachment{SHA256: hash, Path: rel, MIME: sniffed, Size: int64(len(data))}
	res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "sha256"}}, DoNothing: true}).Create(&att)
	if res.Error != nil {
		return nil, fmt.Errorf("save attachment %s: %w", hash, res.Error)
	}
	if res.RowsAffected == 0 {
		// Another writer stored the same bytes first.
		if err := db.Where("sha256 = ?", hash).Take(&existing).Error; err != nil {
			return nil, fmt.Errorf("save attachment %s: %w", hash, err)
		}
		return &existing, nil
	}
	return &att, nil
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
