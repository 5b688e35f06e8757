package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
)

// WebchatHistory serves a browser's conversation from the message log: what the
// citizen sent and what the bot has delivered.
type WebchatHistory struct{ DB *gorm.DB }

var _ webchat.History = (*WebchatHistory)(nil)

// mediaPath is where the page loads a message's photo; the handler checks the chat.
const mediaPath = "/api/chat/media/"

type inboundPayload struct {
	Lat          *float64 `json:"lat"`
	Lng          *float64 `json:"lng"`
	AttachmentID int64    `json:"attachment_id"`
}

// Messages returns the chat's messages numbered after the given one, in the
// order they became visible (models.SetVisible): a message is numbered when it
// is recorded (inbound) or recorded as sent (outbound).
func (w *WebchatHistory) Messages(ctx context.Context, chatID string, after int64, limit int) ([]webchat.Item, error) {
	var rows []models.Message
	err := w.DB.WithContext(ctx).
		Where("channel = ? AND chat_id = ? AND seq > ?", webchat.Name, chatID, after).
		Order("seq").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load web chat history: %w", err)
	}
	items := make([]webchat.Item, 0, len(rows))
	for _, m := range rows {
		it := webchat.Item{ID: m.ID, Seq: *m.Seq, Direction: m.Direction, Text: m.Text, At: m.CreatedAt}
		switch m.Direction {
		case models.DirectionOut:
			var o bot.Outbound
			if err := json.Unmarshal([]byte(m.Payload), &o); err == nil {
				it.Text, it.Choices, it.AskLocation, it.AskPhoto = o.Text, o.Choices, o.AskLocation, o.AskPhoto
				it.HasLocation, it.Lat, it.Lng = o.HasLocation, o.Lat, o.Lng
				it.DownloadURL, it.DownloadLabel = o.Download, o.DownloadLabel
				if o.PhotoPath != "" {
					it.PhotoURL = mediaPath + strconv.FormatInt(m.ID, 10)
				}
			}
		case models.DirectionIn:
			var p inboundPayload
			if m.Payload != "" && json.Unmarshal([]byte(m.Payload), &p) == nil {
				if p.Lat != nil && p.Lng != nil {
					it.HasLocation, it.Lat, it.Lng = true, *p.Lat, *p.Lng
				}
				if p.AttachmentID != 0 {
					it.PhotoURL = mediaPath + strconv.FormatInt(m.ID, 10)
				}
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// mediaHandler serves the photo of one web chat message, only to that chat's
// browser: the cleaned preview (a photo stored before cleaning existed is
// cleaned first), never the bytes as they were sent.
func mediaHandler(db *gorm.DB, wc *webchat.Channel, dataDir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		chat := wc.ChatID(w, r)
		var m models.Message
		err = db.WithContext(ctx).Where("id = ? AND channel = ? AND chat_id = ?", id, webchat.Name, chat).Take(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		attID, err := messageAttachment(ctx, db, m)
		if err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		att, err := models.Servable(ctx, db, dataDir, attID)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		// The page shows the preview (at most 1280 px); ?full=1, behind a tap, is the cleaned photo.
		file, mime := att.Preview(), "image/jpeg"
		if r.URL.Query().Get("full") == "1" || file == att.Path {
			file, mime = att.Path, att.MIME
		}
		f, err := os.Open(filepath.Join(dataDir, filepath.FromSlash(file)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		confidential, err := models.AttachmentConfidential(ctx, db, att.ID)
		if err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", mime)
		w.Header().Set("Cache-Control", models.PhotoCacheControl(confidential))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, f)
	})
}

// messageAttachment is the attachment a message shows: the one a citizen sent,
// or the one whose file an outbound message carries; 0 for none.
func messageAttachment(ctx context.Context, db *gorm.DB, m models.Message) (int64, error) {
	if m.Direction == models.DirectionIn {
		var p inboundPayload
		_ = json.Unmarshal([]byte(m.Payload), &p)
		return p.AttachmentID, nil
	}
	var o bot.Outbound
	_ = json.Unmarshal([]byte(m.Payload), &o)
	if o.PhotoPath == "" {
		return 0, nil
	}
	var ids []int64
	err := db.WithContext(ctx).Model(&models.Attachment{}).Where("path = ? OR preview_path = ?", o.PhotoPath, o.PhotoPath).
		Order("id").Limit(1).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

// placeName names the desa and kecamatan holding a map point, for the web chat map's pin.
func (a *App) placeName(ctx context.Context, lat, lng float64) (string, bool, error) {
	atlas, err := a.Complaints.Places.Atlas(ctx, nil)
	if err != nil {
		return "", false, err
	}
	pl := atlas.Locate(lat, lng)
	switch {
	case pl.Desa != nil && pl.Kecamatan != nil:
		return "Desa " + pl.Desa.Name + ", Kec. " + pl.Kecamatan.Name, true, nil
	case pl.Kecamatan != nil:
		return "Kec. " + pl.Kecamatan.Name, true, nil
	}
	return "", pl.Inside || !pl.Known, nil
}
