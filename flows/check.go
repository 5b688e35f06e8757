package flows

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/template"

	"github.com/suarawarga/suarawarga/flows/understand"
)

// Severity says whether an issue blocks publishing a flow.
type Severity int

// Severities: an Error blocks publishing, a Warning does not.
const (
	Error Severity = iota
	Warning
)

// String is "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Issue is one problem found in a flow file.
type Issue struct {
	Severity Severity
	// Path is flow id, node id and finer parts (a choice, a branch case); empty for file-level problems.
	Path []string
	Line int
	Msg  string
}

// String reads like: pengaduan › tanya_lokasi › next: node "lokasi2" does not exist
func (i Issue) String() string {
	if len(i.Path) == 0 {
		return i.Msg
	}
	return strings.Join(i.Path, " › ") + " › " + i.Msg
}

// Texts is what the validator needs of the locale catalog.
type Texts interface {
	Has(lang, key string) bool
	Languages() []string
}

// Checker validates flow files against the names the host knows.
type Checker struct {
	// Actions, Sources and Flows are the known names; a nil list means the defaults
	// (DefaultActions, DefaultSources, the ids of Defaults()).
	Actions []string
	Sources []string
	Flows   []string
	// Locales, when set, must hold every locale key the flow uses, in every language.
	Locales Texts
}

// Check returns every issue of the flow file, ordered by line. YAML syntax errors become one Error issue.
func (c Checker) Check(src []byte) []Issue {
	f, issues := parse(src)
	if f == nil {
		return issues
	}
	v := &validator{c: c, f: f, issues: issues}
	v.run()
	sort.SliceStable(v.issues, func(a, b int) bool {
		if v.issues[a].Line != v.issues[b].Line {
			return v.issues[a].Line < v.issues[b].Line
		}
		return v.issues[a].String() < v.issues[b].String()
	})
	return v.issues
}

// Errors keeps the issues that block publishing.
func Errors(issues []Issue) []Issue {
	var out []Issue
	for _, is := range issues {
		if is.Severity == Error {
			out = append(out, is)
		}
	}
	return out
}

type validator struct {
	c      Checker
	f      *Flow
	issues []Issue
}

func (v *validator) add(sev Severity, line int, path []string, format string, args ...any) {
	full := append([]string{v.f.ID}, path...)
	if v.f.ID == "" {
		full = path
	}
	v.issues = append(v.issues, Issue{Severity: sev, Path: full, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) run() {
	f := v.f
	if f.ID == "" {
		v.add(Error, f.Line, nil, "flow: missing flow id")
	}
	v.texts()
	if len(f.Nodes) == 0 {
		v.add(Error, f.Line, nil, "nodes: the flow has no nodes")
		return
	}
	switch {
	case f.Start == "":
		v.add(Error, f.Line, nil, "start: missing start node")
	case f.Nodes[f.Start] == nil:
		v.add(Error, f.Line, nil, "start: node %q does not exist", f.Start)
	}
	if f.Timeout != nil {
		v.timeout(f.Timeout, []string{"timeout"})
	}
	for _, id := range f.Order {
		v.node(f.Nodes[id])
	}
	v.reachability()
	v.loops()
}

func (v *validator) timeout(t *Timeout, path []string) {
	if t.RemindAfter > 0 && t.ExpireAfter > 0 && t.RemindAfter >= t.ExpireAfter {
		v.add(Error, t.Line, path, "remind_after (%s) must be shorter than expire_after (%s)", t.RemindAfter, t.ExpireAfter)
	}
	if t.RemindAfter > 0 && t.Remind == "" {
		v.add(Error, t.Line, path, "remind: remind_after needs a remind text")
	}
	if t.ExpireAfter > 0 && t.Expired == "" {
		v.add(Error, t.Line, path, "expired: expire_after needs an expired text")
	}
	v.key(t.Line, path, "remind", t.Remind)
	v.key(t.Line, path, "expired", t.Expired)
}

// key reports a locale key missing in any language. A key the flow's texts section defines
// is the texts check's business: it falls back to its Indonesian text.
func (v *validator) key(line int, path []string, field, key string) {
	if key == "" || v.c.Locales == nil {
		return
	}
	if _, ok := v.f.Texts[key]; ok {
		return
	}
	var missing []string
	for _, lang := range v.c.Locales.Languages() {
		if !v.c.Locales.Has(lang, key) {
			missing = append(missing, lang)
		}
	}
	if len(missing) > 0 {
		v.add(Error, line, path, "%s: locale key %q is missing in %s", field, key, strings.Join(missing, ", "))
	}
}

// languages are the languages texts may have: the catalog's, or id and en without one.
func (v *validator) languages() []string {
	if v.c.Locales != nil {
		return v.c.Locales.Languages()
	}
	return []string{DefaultLanguage, "en"}
}

// texts checks the flow's own wording: every key has an Indonesian text, only known
// languages, templates that parse, and keys the flow actually says.
func (v *validator) texts() {
	if len(v.f.textKeys) == 0 {
		return
	}
	langs := v.languages()
	used := v.f.engineKeys()
	for _, k := range v.f.TextKeys() {
		used[k.Key] = true
	}
	for _, e := range v.f.textKeys {
		path := []string{"texts", e.Key}
		byLang := v.f.Texts[e.Key]
		for _, l := range e.Langs {
			src := byLang[l.Lang]
			switch {
			case !slices.Contains(langs, l.Lang):
				v.add(Error, l.Line, path, "%s: unknown language (%s)", l.Lang, strings.Join(langs, ", "))
			case strings.TrimSpace(src) == "":
				v.add(Error, l.Line, path, "%s: the text is empty", l.Lang)
			default:
				if _, err := template.New("").Parse(src); err != nil {
					v.add(Error, l.Line, path, "%s: bad template: %v", l.Lang, err)
				}
			}
		}
		if _, ok := byLang[DefaultLanguage]; !ok {
			v.add(Error, e.Line, path, "%s: missing; every text needs its Indonesian wording", DefaultLanguage)
		} else {
			for _, lang := range langs {
				if _, ok := byLang[lang]; !ok {
					v.add(Warning, e.Line, path, "%s: missing; people reading %s get the %s text", lang, lang, DefaultLanguage)
				}
			}
		}
		if !used[e.Key] {
			v.add(Warning, e.Line, path, "the flow never uses this key")
		}
	}
}

// target reports a jump to a node that does not exist.
func (v *validator) target(line int, path []string, field, to string) {
	if to != "" && v.f.Nodes[to] == nil {
		v.add(Error, line, path, "%s: node %q does not exist", field, to)
	}
}

func (v *validator) known(line int, path []string, field, what, name string, list []string) {
	if slices.Contains(list, name) {
		return
	}
	hint := ""
	best, bestD := "", 4
	for _, k := range list {
		if d := understand.Distance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	v.add(Error, line, path, "%s: unknown %s %q%s", field, what, name, hint)
}

func (v *validator) actions() []string {
	if v.c.Actions != nil {
		return v.c.Actions
	}
	return DefaultActions()
}

func (v *validator) sources() []string {
	if v.c.Sources != nil {
		return v.c.Sources
	}
	return DefaultSources()
}

func (v *validator) flows() []string {
	if v.c.Flows != nil {
		return append([]string{v.f.ID}, v.c.Flows...)
	}
	out := []string{v.f.ID}
	for id := range Defaults() {
		out = append(out, id)
	}
	return out
}

var kindFields = map[string][]string{
	KindSay:    {"say", "data", "choices", "next", "end", "set"},
	KindAsk:    {"ask", "text", "data", "save", "min_length", "max_length", "invalid", "skip", "accept_photo", "choices", "yes", "no", "intents", "next", "set", "timeout"},
	KindBranch: {"branch", "else", "next", "set"},
	KindDo:     {"do", "with", "on", "next", "set"},
	KindGoto:   {"goto", "with", "set"},
	KindEnd:    {"end", "set"},
}

func (v *validator) node(n *Node) {
	path := []string{n.ID}
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"say", n.Say != ""}, {"ask", n.Ask != ""}, {"branch", n.Branch != nil || n.Else != ""}, {"do", n.Do != ""}, {"goto", n.Goto != ""}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	if len(kinds) > 1 {
		v.add(Error, n.Line, path, "node has several kinds (%s); keep one", strings.Join(kinds, " and "))
		return
	}
	kind := n.Kind()
	if kind == "" {
		v.add(Error, n.Line, path, "node has no kind: give it say, ask, branch, do, goto or end: true")
		return
	}
	for field, line := range n.lines {
		if !slices.Contains(kindFields[kind], field) {
			v.add(Warning, line, path, "%s has no effect on a %s node", field, kind)
		}
	}
	v.target(n.FieldLine("next"), path, "next", n.Next)
	if n.Timeout != nil {
		v.timeout(n.Timeout, append(path, "timeout"))
	}
	wayOut := n.Next != "" || n.End
	switch kind {
	case KindSay:
		v.key(n.FieldLine("say"), path, "say", n.Say)
		v.sayChoices(n, path)
	case KindEnd:
		wayOut = true
	case KindGoto:
		wayOut = true
		v.known(n.FieldLine("goto"), path, "goto", "flow", n.Goto, v.flows())
	case KindDo:
		v.known(n.FieldLine("do"), path, "do", "action", n.Do, v.actions())
		for k, tpl := range n.With {
			if _, err := template.New("").Parse(tpl); err != nil {
				v.add(Error, n.FieldLine("with"), path, "with.%s: bad template %q: %v", k, tpl, err)
			}
		}
		for _, o := range sortedKeys(n.On) {
			v.target(n.FieldLine("on"), path, "on."+o, n.On[o])
		}
		wayOut = n.Next != "" || len(n.On) > 0
	case KindBranch:
		for i, c := range n.Branch {
			cpath := append(append([]string{}, path...), fmt.Sprintf("branch %d", i+1))
			if c.If == "" {
				v.add(Error, c.Line, cpath, "if: missing the data key to test")
			}
			if c.Next == "" {
				v.add(Error, c.Line, cpath, "next: missing target node")
			}
			if c.MinLength > 0 && c.HasEquals {
				v.add(Warning, c.Line, cpath, "min_length has no effect beside equals")
			}
			v.target(c.Line, cpath, "next", c.Next)
		}
		v.target(n.FieldLine("else"), path, "else", n.Else)
		wayOut = n.Else != "" || n.Next != ""
	case KindAsk:
		wayOut = v.ask(n, path)
	}
	if !wayOut {
		v.add(Error, n.Line, path, "node has no way out: add next, end: true or goto")
	}
}

// sayChoices checks the buttons of a say node: commands, each with a label.
func (v *validator) sayChoices(n *Node, path []string) {
	if n.From != "" {
		v.add(Error, n.FieldLine("choices"), path, "choices.from works only on a choice question")
	}
	for i, c := range n.Choices {
		cpath := append(append([]string{}, path...), fmt.Sprintf("choice %d", i+1))
		if !CommandChoice(c.ID) {
			v.add(Error, c.Line, cpath, "id: a button of a say node is a command, like \"/status {{.kode}}\" or /menu (got %q)", c.ID)
		} else if _, err := template.New("").Parse(c.ID); err != nil {
			v.add(Error, c.Line, cpath, "id: bad template %q: %v", c.ID, err)
		}
		if c.Label == "" {
			v.add(Error, c.Line, cpath, "label: missing locale key")
		}
		v.key(c.Line, cpath, "label", c.Label)
		if c.Next != "" || len(c.Set) > 0 {
			v.add(Warning, c.Line, cpath, "next and set have no effect on a button of a say node: its command decides")
		}
	}
}

// ask checks a question node and reports whether every answer leads somewhere.
func (v *validator) ask(n *Node, path []string) bool {
	v.key(n.FieldLine("text"), path, "text", n.Text)
	v.key(n.FieldLine("invalid"), path, "invalid", n.Invalid)
	v.key(n.FieldLine("skip"), path, "skip", n.Skip)
	if n.Text == "" {
		v.add(Error, n.Line, path, "text: a question needs a text")
	}
	if n.AcceptPhoto && n.Ask != AskText {
		v.add(Error, n.FieldLine("accept_photo"), path, "accept_photo works only on a text question (a photo question takes photos anyway)")
	}
	if n.AcceptPhoto && n.Save == "" {
		v.add(Error, n.FieldLine("accept_photo"), path, "accept_photo needs save: the photo is kept under SAVE_foto")
	}
	if n.MaxLength > 0 && n.MinLength > n.MaxLength {
		v.add(Error, n.FieldLine("min_length"), path, "min_length (%d) is larger than max_length (%d)", n.MinLength, n.MaxLength)
	}
	if n.From != "" {
		v.known(n.FieldLine("choices"), path, "choices.from", "data source", n.From, v.sources())
		v.target(n.FieldLine("choices"), path, "choices.empty", n.Empty)
		if n.Ask != AskChoice {
			v.add(Error, n.FieldLine("choices"), path, "choices.from works only on a choice question")
		}
	}
	staticOut := len(n.Choices) > 0
	seen := map[string]bool{}
	meant := map[string]string{}
	if n.Ask == AskYesNo {
		meant[understand.MeansYes], meant[understand.MeansNo] = "ya", "tidak"
	}
	for i, c := range n.Choices {
		name := c.ID
		if name == "" {
			name = fmt.Sprint(i + 1)
		}
		cpath := append(append([]string{}, path...), "choice "+name)
		if c.ID == "" {
			v.add(Error, c.Line, cpath, "id: missing choice id")
		} else if strings.HasPrefix(c.ID, "_") {
			v.add(Error, c.Line, cpath, "id: %q starts with _, which the engine keeps for its own choices", c.ID)
		} else if seen[c.ID] {
			v.add(Error, c.Line, cpath, "id: choice %q appears twice", c.ID)
		}
		seen[c.ID] = true
		if c.Label == "" {
			v.add(Error, c.Line, cpath, "label: missing locale key")
		}
		v.key(c.Line, cpath, "label", c.Label)
		v.target(c.Line, cpath, "next", c.Next)
		switch c.Means {
		case "":
		case understand.MeansYes, understand.MeansNo:
			if other, dup := meant[c.Means]; dup {
				v.add(Error, c.Line, cpath, "means: %q already means %s at this question; a typed %s must have one answer", other, c.Means, c.Means)
			}
			meant[c.Means] = c.ID
		default:
			v.add(Error, c.Line, cpath, "means: %q is not yes or no", c.Means)
		}
		for _, w := range c.Words {
			if len(understand.Canon(w)) == 0 {
				v.add(Error, c.Line, cpath, "words: %q has no letters or digits to match", w)
			}
		}
		if c.Next == "" && n.Next == "" {
			staticOut = false
		}
	}
	v.intents(n, path)
	switch n.Ask {
	case AskChoice:
		if len(n.Choices) == 0 && n.From == "" {
			v.add(Error, n.Line, path, "choices: a choice question needs choices or choices.from")
		}
		if n.From != "" {
			return n.Next != ""
		}
		return staticOut
	case AskYesNo:
		v.target(n.FieldLine("yes"), path, "yes", n.Yes)
		v.target(n.FieldLine("no"), path, "no", n.No)
		return n.Next != "" || (n.Yes != "" && n.No != "")
	case AskText, AskLocation, AskPhoto:
		if n.Save == "" {
			v.add(Error, n.Line, path, "save: a %s question needs save", n.Ask)
		}
		return n.Next != ""
	default:
		v.add(Error, n.FieldLine("ask"), path, "ask: unknown kind %q (choice, text, yesno, location, photo)", n.Ask)
		return true
	}
}

// intents checks a question's intents: known names, existing targets, a choice question only.
func (v *validator) intents(n *Node, path []string) {
	if len(n.Intents) == 0 {
		return
	}
	line := n.FieldLine("intents")
	if n.Ask != AskChoice {
		v.add(Error, line, path, "intents work only on a choice question (the menu), not on a %s question", n.Ask)
	}
	for _, name := range sortedKeys(n.Intents) {
		v.known(line, path, "intents", "intent", name, understand.IntentNames())
		if n.Intents[name] == "" {
			v.add(Error, line, path, "intents.%s: missing target node", name)
		}
		v.target(line, path, "intents."+name, n.Intents[name])
	}
}

// edges lists the nodes a node can lead to inside the flow.
func edges(n *Node) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	add(n.Next)
	add(n.Else)
	add(n.Yes)
	add(n.No)
	add(n.Empty)
	for _, c := range n.Choices {
		add(c.Next)
	}
	for _, c := range n.Branch {
		add(c.Next)
	}
	for _, k := range sortedKeys(n.On) {
		add(n.On[k])
	}
	for _, k := range sortedKeys(n.Intents) {
		add(n.Intents[k])
	}
	return out
}

func (v *validator) reachability() {
	f := v.f
	if f.Nodes[f.Start] == nil {
		return
	}
	seen := map[string]bool{f.Start: true}
	queue := []string{f.Start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, to := range edges(f.Nodes[id]) {
			if f.Nodes[to] != nil && !seen[to] {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, id := range f.Order {
		if !seen[id] {
			v.add(Warning, f.Nodes[id].Line, []string{id}, "node cannot be reached from start %q", f.Start)
		}
	}
}

// loops reports cycles that pass no question: the engine would spin on them.
func (v *validator) loops() {
	f := v.f
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	reported := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		color[id] = grey
		stack = append(stack, id)
		n := f.Nodes[id]
		if n.Kind() != KindAsk {
			for _, to := range edges(n) {
				t := f.Nodes[to]
				if t == nil || t.Kind() == KindAsk {
					continue
				}
				switch color[to] {
				case white:
					visit(to)
				case grey:
					i := slices.Index(stack, to)
					cycle := append(append([]string{}, stack[i:]...), to)
					if !reported[to] {
						reported[to] = true
						v.add(Error, f.Nodes[to].Line, []string{to}, "loop without a question: %s", strings.Join(cycle, " → "))
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
	}
	for _, id := range f.Order {
		if color[id] == white {
			visit(id)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
