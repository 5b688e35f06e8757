package bot

import (
	"github.com/suarawarga/suarawarga/flows"
)

// Translator renders a locale key in a language; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// Render turns the engine's Say and Ask effects into outbound messages in lang.
// Consecutive Says merge into one message together with the Ask that follows, so a
// cheap phone gets fewer messages; yes/no questions offer "ya"/"tidak" and a photo's
// skip is the choice "lewati". Channel and ChatID are left for the caller to fill.
func Render(tr Translator, lang string, effs []flows.Effect) []Outbound {
	msgs := flows.Render(tr, lang, effs)
	out := make([]Outbound, 0, len(msgs))
	for _, m := range msgs {
		o := Outbound{Text: m.Text, AskLocation: m.AskLocation, Lang: lang}
		for _, c := range m.Choices {
			o.Choices = append(o.Choices, Choice{ID: c.ID, Label: c.Label})
		}
		out = append(out, o)
	}
	return out
}
