package flows

import (
	"slices"
	"strings"
)

// Overrides is a flow's own wording: locale key → language → text (a Go template over the
// same data and globals as the catalog's texts). While the flow speaks, a key it overrides
// reads from here instead of the catalog; a key may also exist only here.
type Overrides map[string]map[string]string

// DefaultLanguage is the language every override must have; it stands in for the others.
const DefaultLanguage = "id"

// Lookup returns the override of key for lang. The rule: when the flow overrides a key, its
// text in lang wins; when it has none in lang, its Indonesian text does — the admin's new
// wording beats the catalog's older text in that language. ok is false when the flow does
// not override the key (or gives it no text in lang nor in Indonesian).
func (o Overrides) Lookup(lang, key string) (string, bool) {
	byLang, ok := o[key]
	if !ok {
		return "", false
	}
	if s, ok := byLang[normLang(lang)]; ok {
		return s, true
	}
	s, ok := byLang[DefaultLanguage]
	return s, ok
}

// normLang reduces a language hint ("en-US", "id_ID", "") to its base code; "" is Indonesian.
func normLang(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if l == "" || l == "in" {
		return DefaultLanguage
	}
	return l
}

// OwnKeys lists the keys of the flow's texts section in file order.
func (f *Flow) OwnKeys() []string {
	out := make([]string, len(f.textKeys))
	for i, e := range f.textKeys {
		out[i] = e.Key
	}
	return out
}

// TextKey is one locale key a flow names, and where.
type TextKey struct {
	Key string
	// Question is set when the key is the text of a question.
	Question bool
	// Nodes are the ids of the nodes that use it, in file order ("timeout" for the flow's timeout).
	Nodes []string
}

// TextKeys lists the locale keys the flow's nodes and timeouts name, each once: the texts of
// questions first in node order, then the others (says, invalid-answer texts, skip and choice
// labels, reminders) in node order. The engine's own texts (umum.*) are not listed.
func (f *Flow) TextKeys() []TextKey {
	var out []TextKey
	index := map[string]int{}
	add := func(key, node string, question bool) {
		if key == "" {
			return
		}
		if i, ok := index[key]; ok {
			if !slices.Contains(out[i].Nodes, node) {
				out[i].Nodes = append(out[i].Nodes, node)
			}
			return
		}
		index[key] = len(out)
		out = append(out, TextKey{Key: key, Question: question, Nodes: []string{node}})
	}
	for _, id := range f.Order {
		if n := f.Nodes[id]; n != nil && n.Ask != "" {
			add(n.Text, id, true)
		}
	}
	for _, id := range f.Order {
		n := f.Nodes[id]
		if n == nil {
			continue
		}
		add(n.Say, id, false)
		add(n.Invalid, id, false)
		add(n.Skip, id, false)
		for _, c := range n.Choices {
			add(c.Label, id, false)
		}
		if n.Timeout != nil {
			add(n.Timeout.Remind, id, false)
			add(n.Timeout.Expired, id, false)
		}
	}
	if f.Timeout != nil {
		add(f.Timeout.Remind, "timeout", false)
		add(f.Timeout.Expired, "timeout", false)
	}
	return out
}

// engineKeys are the texts the engine itself may say while the flow speaks: cancelling,
// too long, and the default answers to invalid input at the kinds of question it has.
func (f *Flow) engineKeys() map[string]bool {
	out := map[string]bool{"umum.dibatalkan": true, "umum.terlalu_panjang": true}
	for _, n := range f.Nodes {
		if n == nil || n.Ask == "" {
			continue
		}
		out["umum.tidak_didukung"] = true
		out[wrongKind(n)] = true
		// Typed replies at any question: cancel or menu (asking first), help, unclear answers.
		for _, k := range []string{"umum.yakin_berhenti", "umum.ya_berhenti", "umum.tidak_lanjutkan", "umum.dilanjutkan",
			"umum.bantuan_jawab", "umum.kurang_jelas", "umum.maksud_anda", "umum.pilihan_tidak_ada"} {
			out[k] = true
		}
		if n.Ask == AskPhoto {
			out["umum.silakan_kirim_foto"] = true
		}
		switch n.Ask {
		case AskChoice:
			out["umum.petunjuk"] = true
		case AskYesNo:
			out["umum.petunjuk"], out["umum.ya"], out["umum.tidak"] = true, true, true
		case AskText:
			out["umum.terlalu_pendek"] = true
		}
	}
	return out
}
