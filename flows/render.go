package flows

import "strings"

// Message is one rendered message: text in the person's language and choices with their labels
// already translated. bot.Render turns it into an Outbound; transcripts print it.
type Message struct {
	Text        string
	Choices     []Choice // Label is the text to show (Literal is always true)
	AskLocation bool
}

// Render turns Say and Ask effects into messages in lang. Consecutive Says merge into one
// message together with the Ask that follows, so a cheap phone gets fewer messages.
// A yes/no question always offers "ya"/"tidak" (umum.ya, umum.tidak).
func Render(tr Translator, lang string, effs []Effect) []Message {
	var out []Message
	var parts []string
	for _, e := range effs {
		switch e := e.(type) {
		case Say:
			if e.Key != "" {
				parts = append(parts, tr.T(lang, e.Key, anyMap(e.Data)))
			}
		case Ask:
			if e.Key != "" {
				parts = append(parts, tr.T(lang, e.Key, anyMap(e.Data)))
			}
			msg := Message{Text: strings.Join(parts, "\n"), AskLocation: e.AskLocation || e.Kind == AskLocation}
			parts = nil
			choices := e.Choices
			if e.Kind == AskYesNo && len(choices) == 0 {
				choices = []Choice{{ID: "ya", Label: "umum.ya"}, {ID: "tidak", Label: "umum.tidak"}}
			}
			for _, c := range choices {
				if !c.Literal {
					c.Label, c.Literal = tr.T(lang, c.Label, nil), true
				}
				msg.Choices = append(msg.Choices, c)
			}
			out = append(out, msg)
		}
	}
	if len(parts) > 0 {
		out = append(out, Message{Text: strings.Join(parts, "\n")})
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
