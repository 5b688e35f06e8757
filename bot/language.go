package bot

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// LanguageCommand is what a channel sends when the person picks a language outside the
// conversation (the web chat's language link): "/bahasa en". Typed, it works the same.
const LanguageCommand = "/bahasa"

// languageSwitch reads "/bahasa en" (or "/language id"): the language chosen, ok when the
// text is such a command with a language the bot speaks.
func languageSwitch(in flows.Input) (string, bool) {
	if in.Kind != flows.InputText {
		return "", false
	}
	fields := strings.Fields(strings.ToLower(in.Text))
	if len(fields) != 2 || (fields[0] != LanguageCommand && fields[0] != "/language") {
		return "", false
	}
	switch fields[1] {
	case "id", "in", "indonesia":
		return "id", true
	case "en", "english", "inggris":
		return "en", true
	}
	return "", false
}

// switchLanguage stores the person's language and carries the running conversation on in
// it: the question waiting is asked again in the new language (or the menu shown).
func (h *Handler) switchLanguage(ctx context.Context, tx *gorm.DB, cit *models.Citizen, who *sender, channel, chatID, lang string) error {
	if err := tx.Model(&models.Citizen{}).Where("id = ?", cit.ID).Update("lang", lang).Error; err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	cit.Lang = lang
	if who.officer {
		return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, "bahasa.diganti", nil), Lang: lang}})
	}
	st, err := conversationState(who.conv)
	if err != nil {
		return err
	}
	// The question waiting is asked again in the new language, under the notice.
	return h.stepConv(ctx, tx, cit, nil, channel, chatID, flows.Input{Kind: flows.InputRepeat, Notice: "bahasa.diganti"}, "", nil, who.conv, st)
}
