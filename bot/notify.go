package bot

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

var _ complaint.Notifier = (*Handler)(nil)

// Notify tells every recipient of n, in their own language and on the channel
// they last wrote from, inside the transaction of the change. Officers get one
// message per notice with the complaint's action buttons (see noticeLayout); a
// citizen may be put into a follow-up flow.
func (h *Handler) Notify(ctx context.Context, tx *gorm.DB, n complaint.Notification) error {
	people, err := complaint.Recipients(ctx, tx, n)
	if err != nil {
		return err
	}
	var c *models.Complaint
	if n.ComplaintID != 0 && !n.Audience.Citizens() && len(people) > 0 {
		var cc models.Complaint
		if err := tx.Where("id = ?", n.ComplaintID).Take(&cc).Error; err != nil {
			return fmt.Errorf("load complaint %d: %w", n.ComplaintID, err)
		}
		c = &cc
	}
	for i := range people {
		p := &people[i]
		channel, chatID, ok, err := h.address(tx, p.ID)
		if err != nil {
			return err
		}
		if !ok {
			h.logger().Warn("notification has no address", slog.String("key", n.Key), slog.Int64("citizen_id", p.ID))
			continue
		}
		var photos []int64
		if n.AttachmentID != nil {
			photos = append(photos, *n.AttachmentID)
		}
		if c != nil {
			if ids, ok := n.Data["foto_ids"].([]int64); ok {
				photos = append(photos, ids...)
			}
		}
		data := n.TemplateData(p.Lang)
		notice := &Notice{Key: n.Key, Data: noticeData(data)}
		var outs []Outbound
		if c != nil {
			// An officer gets one message per notice: the text on its photo, the buttons under it.
			files, err := h.photoFiles(ctx, tx, photos)
			if err != nil {
				return err
			}
			lang := p.Lang
			render := func(d map[string]any) string { return h.Locales.T(lang, n.Key, d) }
			outs = h.noticeLayout(lang, c.Code, render, data, files,
				floatPtr(n.Data["lat"]), floatPtr(n.Data["lng"]), h.officerButtons(lang, c.Code, c.Status), true)
			// A template sent in its place opens the complaint with one tap.
			notice.Choices = []Choice{{ID: viewPrefix + c.Code, Label: h.Locales.T(lang, "tindakan.tombol_lihat", nil)}}
			outs[0].Notice = notice
		} else {
			// A citizen: the text first, then its photos and map point, which are
			// worth sending later when the text went as a template.
			outs = []Outbound{{Text: h.Locales.T(p.Lang, n.Key, data), Notice: notice}}
			media, err := h.media(ctx, tx, photos, floatPtr(n.Data["lat"]), floatPtr(n.Data["lng"]))
			if err != nil {
				return err
			}
			for i := range media {
				media[i].Notice = &Notice{Key: n.Key}
			}
			outs = WithLang(append(outs, media...), p.Lang)
		}
		var about *int64
		if n.Audience.Citizens() && n.ComplaintID != 0 {
			id := n.ComplaintID
			about = &id
		}
		if n.Flow != "" && n.Audience.Citizens() {
			if about != nil {
				// The follow-up gets a conversation of its own, so the console can show it in the
				// complaint's thread (whatever flow the citizen was in would be replaced anyway).
				if err := h.endConversation(tx, p.ID); err != nil {
					return err
				}
			}
			in := flows.Input{Kind: flows.InputStart, Data: n.FlowData}
			if err := h.step(ctx, tx, p, nil, channel, chatID, in, n.Flow, outs); err != nil {
				return fmt.Errorf("start flow %s: %w", n.Flow, err)
			}
			if about != nil {
				err := tx.Exec(`UPDATE conversations SET complaint_id = ? WHERE id = (SELECT MAX(id) FROM conversations WHERE citizen_id = ?)`,
					*about, p.ID).Error
				if err != nil {
					return fmt.Errorf("link conversation to complaint %d: %w", *about, err)
				}
			}
			continue
		}
		if err := queueOutbound(ctx, tx, h.Jobs, p.ID, nil, about, channel, chatID, outs, h.now()); err != nil {
			return err
		}
	}
	return nil
}

// address is where a person is reached: the chat they last wrote from.
func (h *Handler) address(tx *gorm.DB, citizenID int64) (channel, chatID string, ok bool, err error) {
	var m models.Message
	err = tx.Where("citizen_id = ? AND direction = ?", citizenID, models.DirectionIn).Order("id DESC").Limit(1).Find(&m).Error
	if err != nil {
		return "", "", false, fmt.Errorf("last message of citizen %d: %w", citizenID, err)
	}
	if m.ID != 0 {
		return m.Channel, m.ChatID, true, nil
	}
	var ident models.Identity
	err = tx.Where("citizen_id = ?", citizenID).Order("id DESC").Limit(1).Find(&ident).Error
	if err != nil {
		return "", "", false, fmt.Errorf("identity of citizen %d: %w", citizenID, err)
	}
	return ident.Channel, ident.Address, ident.ID != 0, nil
}

// noticeData is a notification's template data as text, for a template's
// parameters; values that are not text or numbers (photo ids) are left out.
func noticeData(data map[string]any) map[string]string {
	out := make(map[string]string, len(data))
	for k, v := range data {
		switch v := v.(type) {
		case string:
			out[k] = v
		case int, int64, float64, bool:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func floatPtr(v any) *float64 {
	if f, ok := v.(float64); ok {
		return &f
	}
	return nil
}
