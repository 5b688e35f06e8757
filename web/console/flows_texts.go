package console

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/suarawarga/suarawarga/flows"
)

// The Teks panel of the flows editor lets an admin change the wording a flow speaks without
// writing YAML. Each text is a textarea teks.<key>.<lang> beside a hidden teks_asal.<key>.<lang>
// holding the wording the page showed, and teks_kunci lists the keys in order. On every post
// of the editor's form the changed wordings are written into the draft's texts: section:
//
//   - A field counts as changed when its posted value differs from the wording the page showed.
//   - A change is applied only when the draft YAML still has the wording the page showed for
//     that key and language. When the admin also changed that text in the YAML itself, the
//     YAML wins and the page says so.
//   - A key the texts section lacks gets an entry with the changed languages and, for the
//     other languages the catalog has, the catalog's text, so they keep their wording (a flow's
//     Indonesian text otherwise stands in for every language).
//   - Emptying a field drops that language from the entry; an entry whose every language
//     equals the catalog's text is removed, and so is a texts section left empty.
//
// Only the entries that change are rewritten; the rest of the file, comments included, stays
// as it was byte for byte.

// Form fields of the Teks panel.
const (
	textField     = "teks."
	textOrigField = "teks_asal."
	textKeysField = "teks_kunci"
)

// textCatalog is what the Teks panel needs of the locale catalog; *locales.Catalog implements it.
type textCatalog interface {
	Source(lang, key string) (string, bool)
	Languages() []string
}

// textRow is one locale key of the Teks panel.
type textRow struct {
	Key      string
	Question bool
	// Nodes names the nodes that use the key ("" for a texts entry the flow does not use).
	Nodes string
	// New is set for a key the catalog does not have; Own for a key the draft's texts section defines.
	New, Own bool
	Cells    []textCell
}

// textCell is the wording of one key in one language.
type textCell struct {
	Lang  string
	Name  string // form field of the wording
	Orig  string // form field of the wording the page showed
	Value string
	// Shown is the wording the hidden Orig field carries: Value, unless the panel waits for a
	// draft that can be read and keeps what the page first showed.
	Shown string
}

// textsPanel is the Teks panel: its rows and what the last post did with them.
type textsPanel struct {
	Rows []textRow
	// Applied counts the texts written into the YAML by this post.
	Applied int
	// YAMLWon lists the keys whose panel change gave way to a change in the YAML.
	YAMLWon []string
	// Unreadable is set when the draft cannot be read, so the panel's changes wait.
	Unreadable bool
	// Failed is set when the changes could not be written into this YAML's shape.
	Failed bool
}

// textCatalog is the console's catalog as the Teks panel needs it (nil when it cannot serve).
func (c *Console) textCatalog() textCatalog {
	if t, ok := c.cfg.Locales.(textCatalog); ok {
		return t
	}
	return nil
}

// catalogText is what a person reads for key in lang without a flow's wording: the catalog's
// text in lang, else its Indonesian text; "" when the catalog does not have the key.
func catalogText(cat textCatalog, lang, key string) string {
	if s, ok := cat.Source(lang, key); ok {
		return s
	}
	s, _ := cat.Source(flows.DefaultLanguage, key)
	return s
}

// wording is what a person reading lang gets for key while a flow with texts ov speaks.
func wording(cat textCatalog, ov flows.Overrides, lang, key string) string {
	if s, ok := ov.Lookup(lang, key); ok {
		return s
	}
	return catalogText(cat, lang, key)
}

func textName(prefix, key, lang string) string { return prefix + key + "." + lang }

// formText is a posted text with the browser's CRLF line ends made LF.
func formText(form url.Values, name string) (string, bool) {
	v, ok := form[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.ReplaceAll(v[0], "\r\n", "\n"), true
}

// textRows lists the keys of the draft for the panel: the keys its nodes name (questions
// first), then the keys only its texts section has.
func textRows(cat textCatalog, f *flows.Flow) []textRow {
	var rows []textRow
	add := func(key string, question bool, nodes []string) {
		_, own := f.Texts[key]
		_, known := cat.Source(flows.DefaultLanguage, key)
		row := textRow{Key: key, Question: question, Nodes: strings.Join(nodes, ", "), Own: own, New: !known}
		for _, lang := range cat.Languages() {
			row.Cells = append(row.Cells, textCell{Lang: lang, Name: textName(textField, key, lang),
				Orig: textName(textOrigField, key, lang)})
			c := &row.Cells[len(row.Cells)-1]
			c.Value = wording(cat, f.Texts, lang, key)
			c.Shown = c.Value
		}
		rows = append(rows, row)
	}
	seen := map[string]bool{}
	for _, k := range f.TextKeys() {
		seen[k.Key] = true
		add(k.Key, k.Question, k.Nodes)
	}
	for _, k := range f.OwnKeys() {
		if !seen[k] {
			seen[k] = true
			add(k, false, nil)
		}
	}
	return rows
}

// textRowsFromForm rebuilds the panel from a post, to keep the admin's wording while it
// cannot be written into the draft (the draft cannot be read, or its texts have another shape).
func textRowsFromForm(cat textCatalog, form url.Values) []textRow {
	var rows []textRow
	seen := map[string]bool{}
	for _, key := range form[textKeysField] {
		if seen[key] {
			continue
		}
		seen[key] = true
		row := textRow{Key: key}
		for _, lang := range cat.Languages() {
			v, _ := formText(form, textName(textField, key, lang))
			shown, _ := formText(form, textName(textOrigField, key, lang))
			row.Cells = append(row.Cells, textCell{Lang: lang, Name: textName(textField, key, lang),
				Orig: textName(textOrigField, key, lang), Value: v, Shown: shown})
		}
		rows = append(rows, row)
	}
	return rows
}

// textChange is one wording to write: Text "" drops the language from the entry.
type textChange struct {
	Key, Lang, Text string
}

// applyTexts writes the Teks panel's changes posted in form into draft (see the rules above)
// and returns the new draft and the panel's report; the rows are filled by the caller.
func applyTexts(cat textCatalog, draft string, form url.Values) (string, *textsPanel) {
	panel := &textsPanel{}
	var edited []textChange
	seen := map[string]bool{}
	for _, key := range form[textKeysField] {
		if seen[key] {
			continue
		}
		seen[key] = true
		for _, lang := range cat.Languages() {
			posted, ok1 := formText(form, textName(textField, key, lang))
			shown, ok2 := formText(form, textName(textOrigField, key, lang))
			if ok1 && ok2 && posted != shown {
				edited = append(edited, textChange{Key: key, Lang: lang, Text: posted})
			}
		}
	}
	if len(edited) == 0 {
		return draft, panel
	}
	f, _ := flows.ParsePartial([]byte(draft))
	if f == nil {
		panel.Unreadable = true
		return draft, panel
	}
	var changes []textChange
	for _, ch := range edited {
		shown, _ := formText(form, textName(textOrigField, ch.Key, ch.Lang))
		if wording(cat, f.Texts, ch.Lang, ch.Key) != shown {
			if !slices.Contains(panel.YAMLWon, ch.Key) {
				panel.YAMLWon = append(panel.YAMLWon, ch.Key)
			}
			continue
		}
		changes = append(changes, ch)
	}
	if len(changes) == 0 {
		return draft, panel
	}
	out, err := writeTexts(cat, draft, changes)
	if err != nil {
		panel.Failed = true
		return draft, panel
	}
	panel.Applied = len(changes)
	return out, panel
}

// errTextsShape: the YAML's texts section (or the file) is not a block map the panel can edit.
var errTextsShape = errors.New("the texts section is not a map of key to {language: text}")

// textEntry is one entry of the texts section as the writer sees it.
type textEntry struct {
	key   string
	knode *yaml.Node // nil for a new entry
	vnode *yaml.Node
	langs []textLang
	// start and end are the entry's lines (1-based, inclusive) in the source; 0 for a new entry.
	start, end int
	dirty      bool
}

type textLang struct {
	lang, text string
	knode      *yaml.Node // nil for a new language
	vnode      *yaml.Node
}

// writeTexts applies changes to the texts section of src, rewriting only the entries that change.
func writeTexts(cat textCatalog, src string, changes []textChange) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return "", err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode || doc.Content[0].Style&yaml.FlowStyle != 0 {
		return "", errTextsShape
	}
	root := doc.Content[0]
	lines := strings.Split(src, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var tkey, tval *yaml.Node
	next := len(lines) + 1 // the line of the root key after texts
	for i := 0; i+1 < len(root.Content); i += 2 {
		if tkey != nil {
			next = root.Content[i].Line
			break
		}
		if root.Content[i].Value == "texts" {
			tkey, tval = root.Content[i], root.Content[i+1]
		}
	}
	empty := tval != nil && tval.Kind == yaml.ScalarNode && tval.Tag == "!!null" // "texts:" alone
	if tval != nil && tval.Kind != yaml.MappingNode && !empty {
		return "", errTextsShape
	}

	// The entries as they are.
	var entries []*textEntry
	if tval != nil && !empty {
		for i := 0; i+1 < len(tval.Content); i += 2 {
			k, v := tval.Content[i], tval.Content[i+1]
			e := &textEntry{key: k.Value, knode: k, vnode: v}
			if slices.ContainsFunc(entries, func(o *textEntry) bool { return o.key == e.key }) {
				continue // defined twice: the first one counts, as for the flow parser
			}
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					e.langs = append(e.langs, textLang{lang: v.Content[j].Value, text: v.Content[j+1].Value,
						knode: v.Content[j], vnode: v.Content[j+1]})
				}
			}
			if tval.Style&yaml.FlowStyle == 0 {
				end := next - 1
				if i+2 < len(tval.Content) {
					end = tval.Content[i+2].Line - 1
				}
				e.start, e.end = k.Line, trimTail(lines, k.Line, end, k.Column-1)
			}
			entries = append(entries, e)
		}
	}

	// The changes, entry by entry.
	for _, ch := range changes {
		i := slices.IndexFunc(entries, func(e *textEntry) bool { return e.key == ch.Key })
		if i < 0 {
			e := &textEntry{key: ch.Key, dirty: true}
			for _, lang := range cat.Languages() {
				if s, ok := cat.Source(lang, ch.Key); ok && lang != ch.Lang {
					e.langs = append(e.langs, textLang{lang: lang, text: s})
				} else if lang == ch.Lang && ch.Text != "" {
					e.langs = append(e.langs, textLang{lang: lang, text: ch.Text})
				}
			}
			entries = append(entries, e)
			continue
		}
		e := entries[i]
		if e.vnode != nil && e.vnode.Kind != yaml.MappingNode {
			return "", errTextsShape
		}
		e.dirty = true
		j := slices.IndexFunc(e.langs, func(l textLang) bool { return l.lang == ch.Lang })
		switch {
		case ch.Text == "" && j >= 0:
			e.langs = slices.Delete(e.langs, j, j+1)
		case ch.Text == "":
		case j >= 0:
			e.langs[j].text = ch.Text
		default:
			e.langs = append(e.langs, textLang{lang: ch.Lang, text: ch.Text})
		}
	}
	for _, e := range entries {
		if e.dirty && sameAsCatalog(cat, e) {
			e.langs = nil
		}
	}
	keep := slices.ContainsFunc(entries, func(e *textEntry) bool { return !e.dirty || len(e.langs) > 0 })

	switch {
	case tval == nil:
		if !keep {
			return src, nil
		}
		var b strings.Builder
		b.WriteString("texts:\n")
		for _, e := range entries {
			if len(e.langs) > 0 {
				emitEntry(&b, "  ", e)
			}
		}
		out := strings.Join(lines, "\n")
		if len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) != "" {
			out += "\n"
		}
		if out != "" {
			out += "\n"
		}
		return out + b.String(), nil
	case !keep || empty || tval.Style&yaml.FlowStyle != 0:
		// The whole section is rewritten: dropped when nothing is left, in block style otherwise.
		end := trimTail(lines, tkey.Line, next-1, tkey.Column-1)
		var repl []string
		if keep {
			if slices.ContainsFunc(entries, func(e *textEntry) bool { return e.vnode != nil && e.vnode.Kind != yaml.MappingNode }) {
				return "", errTextsShape
			}
			var b strings.Builder
			b.WriteString(strings.Repeat(" ", tkey.Column-1) + "texts:" + comment(tkey.LineComment) + "\n")
			for _, e := range entries {
				if !e.dirty || len(e.langs) > 0 {
					emitEntry(&b, strings.Repeat(" ", tkey.Column-1)+"  ", e)
				}
			}
			repl = strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		}
		return joinLines(slices.Concat(lines[:tkey.Line-1], repl, lines[end:])), nil
	}

	// Entry by entry, from the bottom up so the line numbers above stay right.
	indent := "  "
	last := tkey.Line // new entries go after the last existing one
	for _, e := range entries {
		if e.knode != nil {
			indent = strings.Repeat(" ", e.knode.Column-1)
			last = max(last, e.end)
		}
	}
	var added strings.Builder
	for _, e := range entries {
		if e.knode == nil && len(e.langs) > 0 {
			emitEntry(&added, indent, e)
		}
	}
	if added.Len() > 0 {
		lines = slices.Insert(lines, last, strings.Split(strings.TrimSuffix(added.String(), "\n"), "\n")...)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.knode == nil || !e.dirty {
			continue
		}
		var repl []string
		start := e.start
		if len(e.langs) > 0 {
			var b strings.Builder
			emitEntry(&b, strings.Repeat(" ", e.knode.Column-1), e)
			repl = strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		} else {
			// Dropped: its own comment lines just above go with it.
			for start > 1 && isComment(lines[start-2], e.knode.Column-1) && indentOf(lines[start-2]) == e.knode.Column-1 {
				start--
			}
		}
		lines = slices.Concat(lines[:start-1], repl, lines[e.end:])
	}
	return joinLines(lines), nil
}

// sameAsCatalog reports whether every language of the entry has the catalog's own text.
func sameAsCatalog(cat textCatalog, e *textEntry) bool {
	for _, l := range e.langs {
		if s, ok := cat.Source(l.lang, e.key); !ok || s != l.text {
			return false
		}
	}
	return true
}

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// trimTail moves end (1-based, inclusive) up over blank lines and comments indented at most
// indent: they belong to what follows, not to the block that starts at start.
func trimTail(lines []string, start, end, indent int) int {
	end = min(end, len(lines))
	for end > start && (strings.TrimSpace(lines[end-1]) == "" || isComment(lines[end-1], indent)) {
		end--
	}
	return end
}

func indentOf(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// isComment reports a comment line indented at most indent.
func isComment(line string, indent int) bool {
	return strings.HasPrefix(strings.TrimSpace(line), "#") && indentOf(line) <= indent
}

// comment is a line comment to append after a value ("" when there is none).
func comment(c string) string {
	if c == "" {
		return ""
	}
	return " " + c
}

// commentLines writes a head or foot comment at indent, keeping its blank lines.
func commentLines(b *strings.Builder, indent, c string) {
	if c == "" {
		return
	}
	for _, l := range strings.Split(c, "\n") {
		if strings.TrimSpace(l) == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + strings.TrimSpace(l) + "\n")
	}
}

// emitEntry writes one entry of the texts section in block style at indent, with the
// comments its nodes had.
func emitEntry(b *strings.Builder, indent string, e *textEntry) {
	lc := ""
	if e.knode != nil {
		lc = e.knode.LineComment
		if lc == "" && e.vnode != nil {
			lc = e.vnode.LineComment
		}
	}
	b.WriteString(indent + yamlKey(e.key) + ":" + comment(lc) + "\n")
	inner := indent + "  "
	for _, l := range e.langs {
		if l.knode != nil {
			commentLines(b, inner, l.knode.HeadComment)
		}
		lc := ""
		if l.vnode != nil {
			lc = l.vnode.LineComment
		}
		if lc == "" && l.knode != nil {
			lc = l.knode.LineComment
		}
		b.WriteString(inner + yamlKey(l.lang) + ": " + yamlText(l.text, inner+"  ") + comment(lc) + "\n")
		if l.knode != nil {
			commentLines(b, inner, l.knode.FootComment)
		}
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`)

// yamlKey writes a map key: plain when it is a simple word, quoted otherwise.
func yamlKey(k string) string {
	if plainKey.MatchString(k) && !slices.Contains([]string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"}, strings.ToLower(k)) {
		return k
	}
	return yamlQuote(k)
}

// yamlText writes a text value: a literal block for a plain multi-line text, else a double-quoted string.
func yamlText(s, indent string) string {
	if strings.Contains(s, "\n") && literalOK(s) {
		chomp := "|-"
		body := s
		if strings.HasSuffix(s, "\n") {
			chomp, body = "|", strings.TrimSuffix(s, "\n")
		}
		var b strings.Builder
		b.WriteString(chomp)
		for _, l := range strings.Split(body, "\n") {
			b.WriteString("\n")
			if l != "" {
				b.WriteString(indent + l)
			}
		}
		return b.String()
	}
	return yamlQuote(s)
}

// literalOK reports whether s reads back the same from a literal block: no leading space on
// its first line, no trailing spaces, no more than one final line break, nothing unprintable.
func literalOK(s string) bool {
	if strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") || strings.HasSuffix(s, "\n\n") {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l != strings.TrimRight(l, " \t") {
			return false
		}
	}
	for _, r := range s {
		if r != '\n' && (!unicode.IsPrint(r) && r != '\t' || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\ufeff') {
			return false
		}
	}
	return true
}

// yamlQuote writes s as a double-quoted YAML string that keeps every printable character as
// it is (emoji included), escaping only what YAML needs.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\u0085':
			b.WriteString(`\N`)
		case '\u2028':
			b.WriteString(`\L`)
		case '\u2029':
			b.WriteString(`\P`)
		case '\ufeff':
			b.WriteString(`\ufeff`)
		default:
			if !unicode.IsPrint(r) && r != ' ' {
				if r <= 0xffff {
					fmt.Fprintf(&b, `\u%04x`, r)
				} else {
					fmt.Fprintf(&b, `\U%08x`, r)
				}
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
