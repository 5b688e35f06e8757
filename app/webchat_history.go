package app

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
)

// WebchatHistory serves a browser's conversation from the message log: what the
// citizen sent and what the bot has delivered.
type WebchatHistory struct{ DB *gorm.DB }

var _ webchat.History = (*WebchatHistory)(nil)

// Messages returns the chat's messages after the given id, oldest first.
func (w *WebchatHistory) Messages(ctx context.Context, chatID string, after int64, limit int) ([]webchat.Item, error) {
	var rows []models.Message
	err := w.DB.WithContext(ctx).
		Where("channel = ? AND chat_id = ? AND id > ? AND (direction = ? OR status = ?)", "webchat", chatID, after, models.DirectionIn, models.MessageSent).
		Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load web chat history: %w", err)
	}
	items := make([]webchat.Item, 0, len(rows))
	for _, m := range rows {
		it := webchat.Item{ID: m.ID, Direction: m.Direction, Text: m.Text, At: m.CreatedAt}
		if m.Direction == models.DirectionOut && m.Payload != "" {
			var o bot.Outbound
			if err := json.Unmarshal([]byte(m.Payload), &o); err == nil {
				it.Text, it.Choices, it.AskLocation = o.Text, o.Choices, o.AskLocation
				it.HasLocation, it.Lat, it.Lng = o.HasLocation, o.Lat, o.Lng
			}
		}
		items = append(items, it)
	}
	return items, nil
}
