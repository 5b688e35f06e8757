package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// PrivacyNoticeVersion is the version of the privacy notice (locale key
// PrivacyNoticeKey). Raise it whenever the notice's wording changes in meaning:
// everyone is shown the new version once, at their next message, on each channel.
// A test pins the text of each version, so a changed text without a new version fails.
const PrivacyNoticeVersion = 1

// PrivacyNoticeKey is the short privacy notice (UU 27/2022): what is collected, why,
// who sees it, how long it is kept and how to see or erase it, with the full text's address.
const PrivacyNoticeKey = "privasi.pemberitahuan"

// privacyWords are the messages that show the notice again, typed or as a command.
var privacyWords = map[string]bool{"/privasi": true, "/privacy": true, "privasi": true, "kebijakan privasi": true, "privacy": true}

// privacyCommand reports whether the input asks for the privacy notice.
func privacyCommand(in flows.Input) bool {
	if in.Kind != flows.InputText && in.Kind != flows.InputChoice {
		return false
	}
	text := in.Text
	if in.Kind == flows.InputChoice {
		text = in.ChoiceID
	}
	text = strings.ToLower(strings.Join(strings.Fields(text), " "))
	text, _, _ = strings.Cut(text, "@") // Telegram groups send "/privasi@SuaraWargaBot"
	return privacyWords[strings.TrimRight(text, ".!?")]
}

func (h *Handler) privacyVersion() int {
	if h.PrivacyVersion > 0 {
		return h.PrivacyVersion
	}
	return PrivacyNoticeVersion
}

// withPrivacyNotice makes the notice part of the first message the effects render to:
// it goes just above the first question (or the first buttons), or at the end when
// the reply asks nothing. The citizen reads it without an extra message or question.
func withPrivacyNotice(effects []flows.Effect) []flows.Effect {
	notice := flows.Say{Key: PrivacyNoticeKey}
	for i, e := range effects {
		switch e := e.(type) {
		case flows.Ask:
			return insertEffect(effects, i, notice)
		case flows.Say:
			if len(e.Choices) > 0 {
				return insertEffect(effects, i+1, flows.Say{Key: PrivacyNoticeKey, Choices: e.Choices, Texts: e.Texts})
			}
		}
	}
	return append(effects, notice)
}

// insertEffect puts e at i; a Say with choices at i replaces the choices of the Say
// before it, so the buttons stay under the whole message.
func insertEffect(effects []flows.Effect, i int, e flows.Effect) []flows.Effect {
	out := make([]flows.Effect, 0, len(effects)+1)
	out = append(out, effects[:i]...)
	if s, ok := e.(flows.Say); ok && len(s.Choices) > 0 {
		prev := out[i-1].(flows.Say)
		prev.Choices = nil
		out[i-1] = prev
	}
	out = append(out, e)
	return append(out, effects[i:]...)
}

// markPrivacyShown records that the address was shown the notice's version now.
func (h *Handler) markPrivacyShown(ctx context.Context, tx *gorm.DB, channel, address string, now time.Time) error {
	err := tx.WithContext(ctx).Model(&models.Identity{}).Where("channel = ? AND address = ?", channel, address).
		Updates(map[string]any{"notice_version": h.privacyVersion(), "notice_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("record privacy notice: %w", err)
	}
	return nil
}
