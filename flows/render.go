package flows

import (
	"bytes"
	"strings"
	"text/template"
)

// Message is one rendered message: text in the person's language and choices with their labels
// already translated. bot.Render turns it into an Outbound; transcripts print it.
type Message struct {
	Text        string
	Choices     []Choice // Label is the text to show (Literal is always true)
	AskLocation bool
	// AskPhoto: the message asks for a photo; a channel with a picker may offer a button for it.
	AskPhoto bool
}

// TemplateRenderer renders a text given as Go template source with the same data and globals
// ({{.pemda}}) as the catalog's own texts; *locales.Catalog implements it. A Translator that
// does not implement it renders a flow's own texts with their data only.
type TemplateRenderer interface {
	Execute(lang, src string, data map[string]any) string
}

// Text renders key in lang: the flow's own wording ov when it overrides the key (see
// Overrides.Lookup), else the translator's text.
func Text(tr Translator, ov Overrides, lang, key string, data map[string]any) string {
	if src, ok := ov.Lookup(lang, key); ok {
		if x, ok := tr.(TemplateRenderer); ok {
			return x.Execute(lang, src, data)
		}
		return ExecuteTemplate(src, data)
	}
	if tr == nil {
		return key
	}
	return tr.T(lang, key, data)
}

// ExecuteTemplate renders src over data alone (no catalog globals); a broken template
// shows its source rather than nothing.
func ExecuteTemplate(src string, data map[string]any) string {
	if !strings.Contains(src, "{{") {
		return src
	}
	t, err := template.New("").Parse(src)
	if err != nil {
		return src
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return src
	}
	return strings.ReplaceAll(b.String(), "<no value>", "")
}

// Render turns Say and Ask effects into messages in lang. Consecutive Says merge into one
// message together with the Ask that follows, so a cheap phone gets fewer messages.
// A yes/no question always offers "ya"/"tidak" (umum.ya, umum.tidak). Each effect's
// flow wording (its Texts) comes before the catalog, for its text and its choices' labels.
func Render(tr Translator, lang string, effs []Effect) []Message {
	var out []Message
	var parts []string
	for _, e := range effs {
		switch e := e.(type) {
		case Say:
			if e.Key != "" {
				parts = append(parts, Text(tr, e.Texts, lang, e.Key, anyMap(e.Data)))
			}
			if len(e.Choices) > 0 {
				// Its buttons belong to this text: it ends the message.
				out = append(out, Message{Text: strings.Join(parts, "\n"), Choices: labels(tr, e.Texts, lang, e.Choices)})
				parts = nil
			}
		case Ask:
			if e.Key != "" {
				parts = append(parts, Text(tr, e.Texts, lang, e.Key, anyMap(e.Data)))
			}
			msg := Message{Text: strings.Join(parts, "\n"), AskLocation: e.AskLocation || e.Kind == AskLocation, AskPhoto: e.Kind == AskPhoto}
			parts = nil
			choices := e.Choices
			if e.Kind == AskYesNo && len(choices) == 0 {
				choices = []Choice{{ID: "ya", Label: "umum.ya"}, {ID: "tidak", Label: "umum.tidak"}}
			}
			msg.Choices = labels(tr, e.Texts, lang, choices)
			out = append(out, msg)
		}
	}
	if len(parts) > 0 {
		out = append(out, Message{Text: strings.Join(parts, "\n")})
	}
	return out
}

// labels translates the labels of choices that are locale keys.
func labels(tr Translator, ov Overrides, lang string, choices []Choice) []Choice {
	var out []Choice
	for _, c := range choices {
		if !c.Literal {
			c.Label, c.Literal = Text(tr, ov, lang, c.Label, nil), true
		}
		out = append(out, c)
	}
	return out
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
