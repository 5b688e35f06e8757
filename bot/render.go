package bot

import (
	"github.com/suarawarga/suarawarga/flows"
)

// Translator renders a locale key in a language; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// ChannelTexts prefers a channel's own wording of a key, KEY_CHANNEL (e.g.
// pengaduan.tanya_lokasi_whatsapp), where the catalog has one: WhatsApp shows
// choices as a numbered list and has no location button, so its texts must not
// mention buttons. A flow's own texts still come first (flows.Text).
type ChannelTexts struct {
	Translator
	Channel string
}

// T renders key, or the channel's variant of it.
func (c ChannelTexts) T(lang, key string, data map[string]any) string {
	if h, ok := c.Translator.(interface{ Has(lang, key string) bool }); ok && c.Channel != "" {
		if v := key + "_" + c.Channel; h.Has(lang, v) || h.Has(flows.DefaultLanguage, v) {
			key = v
		}
	}
	return c.Translator.T(lang, key, data)
}

// Execute renders a flow's own text through the wrapped catalog (flows.TemplateRenderer).
func (c ChannelTexts) Execute(lang, src string, data map[string]any) string {
	if x, ok := c.Translator.(flows.TemplateRenderer); ok {
		return x.Execute(lang, src, data)
	}
	return flows.ExecuteTemplate(src, data)
}

// Render turns the engine's Say and Ask effects into outbound messages in lang.
// Consecutive Says merge into one message together with the Ask that follows, so a
// cheap phone gets fewer messages; yes/no questions offer "ya"/"tidak" and a photo's
// skip is the choice "lewati". Channel and ChatID are left for the caller to fill.
func Render(tr Translator, lang string, effs []flows.Effect) []Outbound {
	msgs := flows.Render(tr, lang, effs)
	out := make([]Outbound, 0, len(msgs))
	for _, m := range msgs {
		o := Outbound{Text: m.Text, AskLocation: m.AskLocation, AskPhoto: m.AskPhoto, Lang: lang}
		for _, c := range m.Choices {
			o.Choices = append(o.Choices, Choice{ID: c.ID, Label: c.Label})
		}
		out = append(out, o)
	}
	return out
}
