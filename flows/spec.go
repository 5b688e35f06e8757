// Package flows holds the conversation: flow files admins edit (YAML), their
// loader and validator, and a pure engine that turns one input into a new
// state and a list of effects. It knows no database, channel or clock.
package flows

import (
	"embed"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Ask kinds a question node may have.
const (
	AskChoice   = "choice"
	AskText     = "text"
	AskYesNo    = "yesno"
	AskLocation = "location"
	AskPhoto    = "photo"
)

// Node kinds, as Node.Kind reports them.
const (
	KindSay    = "say"
	KindAsk    = "ask"
	KindBranch = "branch"
	KindDo     = "do"
	KindGoto   = "goto"
	KindEnd    = "end"
)

// Flow is one parsed flow file.
type Flow struct {
	ID    string
	Start string
	// Timeout is the default wait for every question of the flow; nil means no timers.
	Timeout *Timeout
	Nodes   map[string]*Node
	// Order lists the node ids as they appear in the file.
	Order []string
	// Texts is the flow's own wording: it overrides the locale catalog for these keys while
	// this flow speaks, and may add keys the catalog does not have. It travels with the
	// revision, so a conversation pinned to a revision keeps that revision's wording.
	Texts Overrides
	// Revision is the published revision; the host sets it, the YAML never does.
	Revision int64
	// Line is where the flow id is written.
	Line int

	// textKeys lists the keys of the texts section in file order with their lines.
	textKeys []textEntry
}

// textEntry is where one key of a flow's texts section and each of its languages are written.
type textEntry struct {
	Key   string
	Line  int
	Langs []textLang
}

type textLang struct {
	Lang string
	Line int
}

// Timeout says when to remind a silent person and when to give up on them.
type Timeout struct {
	RemindAfter time.Duration
	Remind      string // locale key said as a reminder
	ExpireAfter time.Duration
	Expired     string // locale key said when the conversation expires
	Line        int
}

// ChoiceSpec is one static choice of a question.
type ChoiceSpec struct {
	ID    string
	Label string // locale key
	Next  string
	// Set stores these data values when the choice is taken.
	Set map[string]string
	// Means is what taking the choice says: MeansYes or MeansNo, so a typed yes or no picks it
	// ("iya, kirim" sends; "belum benar" goes to the choice that means no). "" for neither.
	Means string
	// Words are more words or phrases a typed reply may name the choice by, in any language
	// ("lupa", "tidak tahu" for Laporan saya; "sangat puas" for 5).
	Words []string
	Line  int
}

// BranchCase is one test of a branch node: the data key If is set (non-empty),
// or equals Equals when HasEquals; with MinLength, its value also has at least that many
// characters other than spaces (as a text question's min_length counts them).
type BranchCase struct {
	If        string
	Equals    string
	HasEquals bool
	MinLength int
	Next      string
	Line      int
}

// Node is one step of a flow. Exactly one of Say, Ask, Branch, Do, Goto is set, or the node only ends.
type Node struct {
	ID   string
	Line int

	// Say is a locale key to send; Data adds literal template data to it.
	Say  string
	Data map[string]string

	// Ask is the question kind (choice, text, yesno, location, photo); Text its locale key.
	Ask  string
	Text string
	Save string
	// MinLength and MaxLength bound a text answer; MinLength counts characters other than spaces.
	MinLength int
	MaxLength int
	Invalid   string // locale key said on an invalid answer
	Skip      string // locale key: label of the skip choice of a photo question
	// AcceptPhoto lets a text question take a photo as the answer: its reference goes to
	// Save+"_foto" (comma-separated, like a photo question's) and its caption to Save.
	AcceptPhoto bool
	Choices     []*ChoiceSpec
	From        string // data source of the choices
	Empty       string // node to go to when the data source gives no choices
	Yes, No     string // targets of a yesno question
	// Intents maps what a free message wants (IntentComplaint, IntentStatus, ... see
	// understand.IntentNames) to the node that serves it, at a choice question where people
	// may type anything (the menu). Taking one writes the data keys teks, and kode, kategori,
	// kategori_label when the message named them.
	Intents map[string]string

	Branch []*BranchCase
	Else   string

	// Do names an action; With holds its parameters (Go templates over the data); On maps outcomes to nodes.
	Do   string
	With map[string]string
	On   map[string]string

	// Goto switches the conversation to the start of another flow, passing With as its data.
	Goto string

	Next string
	End  bool
	// Set stores these data values when the node is visited.
	Set map[string]string
	// Timeout overrides the flow's timeout for this question.
	Timeout *Timeout

	// lines holds the line of each field, for messages.
	lines map[string]int
}

// Kind says what the node does: say, ask, branch, do, goto or end ("" when it has no kind).
func (n *Node) Kind() string {
	switch {
	case n.Ask != "":
		return KindAsk
	case n.Say != "":
		return KindSay
	case n.Branch != nil || n.Else != "":
		return KindBranch
	case n.Do != "":
		return KindDo
	case n.Goto != "":
		return KindGoto
	case n.End:
		return KindEnd
	}
	return ""
}

// FieldLine is the line of a field of the node, or the node's own line.
func (n *Node) FieldLine(field string) int {
	if l, ok := n.lines[field]; ok {
		return l
	}
	return n.Line
}

// TimeoutFor is the timeout that applies while the flow waits at node n.
func (f *Flow) TimeoutFor(n *Node) *Timeout {
	if n != nil && n.Timeout != nil {
		return n.Timeout
	}
	return f.Timeout
}

// Parse reads a flow file. It fails on YAML errors and on shapes it cannot read
// (unknown fields, wrong types, bad durations); Checker.Check reports the rest.
func Parse(src []byte) (*Flow, error) {
	f, issues := parse(src)
	var errs []string
	for _, is := range issues {
		if is.Severity == Error {
			errs = append(errs, fmt.Sprintf("line %d: %s", is.Line, is))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("parse flow: %s", strings.Join(errs, "; "))
	}
	return f, nil
}

// ParsePartial reads as much of a flow file as it can, for editors that must show a draft
// with mistakes: the flow (nil only when the YAML itself cannot be read) and the issues met.
func ParsePartial(src []byte) (*Flow, []Issue) {
	return parse(src)
}

//go:embed default/*.yaml
var defaultFiles embed.FS

// Defaults returns the embedded default flow files by flow id.
func Defaults() map[string][]byte {
	entries, err := defaultFiles.ReadDir("default")
	if err != nil {
		panic(fmt.Sprintf("flows: embedded defaults: %v", err))
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		b, err := defaultFiles.ReadFile(path.Join("default", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("flows: embedded defaults: %v", err))
		}
		out[strings.TrimSuffix(e.Name(), ".yaml")] = b
	}
	return out
}

// parser collects issues while turning YAML nodes into a Flow.
type parser struct {
	flow   string
	issues []Issue
}

func (p *parser) add(sev Severity, line int, path []string, format string, args ...any) {
	full := append([]string{}, path...)
	if p.flow != "" {
		full = append([]string{p.flow}, full...)
	}
	p.issues = append(p.issues, Issue{Severity: sev, Path: full, Line: line, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func parse(src []byte) (*Flow, []Issue) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, []Issue{{Severity: Error, Line: line, Msg: err.Error()}}
	}
	p := &parser{}
	if len(doc.Content) == 0 {
		return nil, []Issue{{Severity: Error, Line: 1, Msg: "the file is empty"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, []Issue{{Severity: Error, Line: root.Line, Msg: "a flow file is a map with flow, start and nodes"}}
	}
	f := &Flow{Nodes: map[string]*Node{}, Line: root.Line}
	if v := mapGet(root, "flow"); v != nil {
		f.ID = p.str(v, nil, "flow")
		f.Line = v.Line
	}
	p.flow = f.ID
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "flow":
		case "start":
			f.Start = p.str(v, nil, "start")
		case "timeout":
			f.Timeout = p.timeout(v, []string{"timeout"})
		case "texts":
			p.texts(f, v)
		case "nodes":
			if v.Kind != yaml.MappingNode {
				p.add(Error, v.Line, nil, "nodes: want a map of node id to node")
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				id, body := v.Content[j].Value, v.Content[j+1]
				if _, dup := f.Nodes[id]; dup {
					p.add(Error, v.Content[j].Line, []string{id}, "node is defined twice")
					continue
				}
				n := p.node(id, v.Content[j].Line, body)
				f.Nodes[id] = n
				f.Order = append(f.Order, id)
			}
		default:
			p.add(Error, k.Line, nil, "unknown field %q (flow, start, timeout, nodes, texts)", k.Value)
		}
	}
	return f, p.issues
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func (p *parser) str(v *yaml.Node, path []string, field string) string {
	if v.Kind != yaml.ScalarNode {
		p.add(Error, v.Line, path, "%s: want a single value", field)
		return ""
	}
	return v.Value
}

func (p *parser) integer(v *yaml.Node, path []string, field string) int {
	s := p.str(v, path, field)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		p.add(Error, v.Line, path, "%s: want a whole number, got %q", field, s)
		return 0
	}
	return n
}

func (p *parser) boolean(v *yaml.Node, path []string, field string) bool {
	switch s := p.str(v, path, field); s {
	case "true", "yes", "ya":
		return true
	case "false", "no", "tidak", "":
		return false
	default:
		p.add(Error, v.Line, path, "%s: want true or false, got %q", field, s)
		return false
	}
}

func (p *parser) strMap(v *yaml.Node, path []string, field string) map[string]string {
	if v.Kind != yaml.MappingNode {
		p.add(Error, v.Line, path, "%s: want a map", field)
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		out[v.Content[i].Value] = p.str(v.Content[i+1], path, field+"."+v.Content[i].Value)
	}
	return out
}

// strList reads a list of words, or one word.
func (p *parser) strList(v *yaml.Node, path []string, field string) []string {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Value == "" {
			return nil
		}
		return []string{v.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if s := strings.TrimSpace(p.str(item, path, field)); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	p.add(Error, v.Line, path, "%s: want a list like [lupa, \"tidak tahu\"]", field)
	return nil
}

func (p *parser) duration(v *yaml.Node, path []string, field string) time.Duration {
	s := p.str(v, path, field)
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.add(Error, v.Line, path, "%s: bad duration %q (write e.g. 30m, 2h, 24h)", field, s)
		return 0
	}
	return d
}

func (p *parser) timeout(v *yaml.Node, path []string) *Timeout {
	if v.Kind != yaml.MappingNode {
		p.add(Error, v.Line, path, "want a map with remind_after, remind, expire_after, expired")
		return nil
	}
	t := &Timeout{Line: v.Line}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "remind_after":
			t.RemindAfter = p.duration(val, path, "remind_after")
		case "remind":
			t.Remind = p.str(val, path, "remind")
		case "expire_after":
			t.ExpireAfter = p.duration(val, path, "expire_after")
		case "expired":
			t.Expired = p.str(val, path, "expired")
		default:
			p.add(Error, k.Line, path, "unknown field %q (remind_after, remind, expire_after, expired)", k.Value)
		}
	}
	return t
}

func (p *parser) node(id string, line int, v *yaml.Node) *Node {
	n := &Node{ID: id, Line: line, lines: map[string]int{}}
	path := []string{id}
	if v.Kind != yaml.MappingNode {
		p.add(Error, v.Line, path, "a node is a map, e.g. {say: umum.halo, next: lanjut}")
		return n
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		n.lines[k.Value] = k.Line
		switch k.Value {
		case "say":
			n.Say = p.str(val, path, "say")
		case "data":
			n.Data = p.strMap(val, path, "data")
		case "ask":
			n.Ask = p.str(val, path, "ask")
		case "text":
			n.Text = p.str(val, path, "text")
		case "save":
			n.Save = p.str(val, path, "save")
		case "min_length":
			n.MinLength = p.integer(val, path, "min_length")
		case "max_length":
			n.MaxLength = p.integer(val, path, "max_length")
		case "invalid":
			n.Invalid = p.str(val, path, "invalid")
		case "skip":
			n.Skip = p.str(val, path, "skip")
		case "accept_photo":
			n.AcceptPhoto = p.boolean(val, path, "accept_photo")
		case "choices":
			p.choices(n, val, path)
		case "intents":
			n.Intents = p.strMap(val, path, "intents")
		case "means":
			delete(n.lines, k.Value)
			p.add(Error, k.Line, path, "means belongs on a choice of a question, e.g. {id: kirim, label: pengaduan.kirim, means: yes}")
		case "yes":
			n.Yes = p.str(val, path, "yes")
		case "no":
			n.No = p.str(val, path, "no")
		case "branch":
			p.branch(n, val, path)
		case "else":
			n.Else = p.str(val, path, "else")
		case "do":
			n.Do = p.str(val, path, "do")
		case "with":
			n.With = p.strMap(val, path, "with")
		case "on":
			n.On = p.strMap(val, path, "on")
		case "goto":
			n.Goto = p.str(val, path, "goto")
		case "next":
			n.Next = p.str(val, path, "next")
		case "end":
			n.End = p.boolean(val, path, "end")
		case "set":
			n.Set = p.strMap(val, path, "set")
		case "timeout":
			n.Timeout = p.timeout(val, append(path, "timeout"))
		default:
			delete(n.lines, k.Value)
			p.add(Error, k.Line, path, "unknown field %q", k.Value)
		}
	}
	return n
}

// texts reads the texts section: locale key → language → text.
func (p *parser) texts(f *Flow, v *yaml.Node) {
	path := []string{"texts"}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return // "texts:" with nothing under it yet
	}
	if v.Kind != yaml.MappingNode {
		p.add(Error, v.Line, path, "want a map of locale key to texts by language, e.g. {pengaduan.tanya_uraian: {id: \"...\", en: \"...\"}}")
		return
	}
	if f.Texts == nil {
		f.Texts = Overrides{}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		kpath := []string{"texts", k.Value}
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			p.add(Error, k.Line, path, "a locale key must be a single word like pengaduan.tanya_uraian")
			continue
		}
		if _, dup := f.Texts[k.Value]; dup {
			p.add(Error, k.Line, kpath, "key is defined twice")
			continue
		}
		if val.Kind != yaml.MappingNode {
			p.add(Error, val.Line, kpath, "want a map of language to text, e.g. {id: \"...\", en: \"...\"}")
			continue
		}
		e := textEntry{Key: k.Value, Line: k.Line}
		byLang := map[string]string{}
		for j := 0; j+1 < len(val.Content); j += 2 {
			lk, lv := val.Content[j], val.Content[j+1]
			if _, dup := byLang[lk.Value]; dup {
				p.add(Error, lk.Line, kpath, "%s: language is given twice", lk.Value)
				continue
			}
			byLang[lk.Value] = p.str(lv, kpath, lk.Value)
			e.Langs = append(e.Langs, textLang{Lang: lk.Value, Line: lk.Line})
		}
		f.Texts[k.Value] = byLang
		f.textKeys = append(f.textKeys, e)
	}
}

func (p *parser) choices(n *Node, v *yaml.Node, path []string) {
	switch v.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			switch k.Value {
			case "from":
				n.From = p.str(val, path, "choices.from")
			case "empty":
				n.Empty = p.str(val, path, "choices.empty")
			default:
				p.add(Error, k.Line, path, "choices: unknown field %q (from, empty)", k.Value)
			}
		}
	case yaml.SequenceNode:
		n.Choices = []*ChoiceSpec{}
		for i, item := range v.Content {
			c := &ChoiceSpec{Line: item.Line}
			cpath := append(append([]string{}, path...), fmt.Sprintf("choice %d", i+1))
			if item.Kind != yaml.MappingNode {
				p.add(Error, item.Line, cpath, "a choice is a map like {id: kirim, label: pengaduan.kirim, next: simpan}")
				continue
			}
			for j := 0; j+1 < len(item.Content); j += 2 {
				k, val := item.Content[j], item.Content[j+1]
				switch k.Value {
				case "id":
					c.ID = p.str(val, cpath, "id")
				case "label":
					c.Label = p.str(val, cpath, "label")
				case "next":
					c.Next = p.str(val, cpath, "next")
				case "set":
					c.Set = p.strMap(val, cpath, "set")
				case "means":
					c.Means = p.str(val, cpath, "means")
				case "words":
					c.Words = p.strList(val, cpath, "words")
				default:
					p.add(Error, k.Line, cpath, "unknown field %q (id, label, next, set, means, words)", k.Value)
				}
			}
			n.Choices = append(n.Choices, c)
		}
	default:
		p.add(Error, v.Line, path, "choices: want a list of choices or {from: SOURCE}")
	}
}

func (p *parser) branch(n *Node, v *yaml.Node, path []string) {
	if v.Kind != yaml.SequenceNode {
		p.add(Error, v.Line, path, "branch: want a list like [{if: kode, next: cari}]")
		return
	}
	n.Branch = []*BranchCase{}
	for i, item := range v.Content {
		c := &BranchCase{Line: item.Line}
		bpath := append(append([]string{}, path...), fmt.Sprintf("branch %d", i+1))
		if item.Kind != yaml.MappingNode {
			p.add(Error, item.Line, bpath, "a branch case is a map like {if: kode, next: cari}")
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, val := item.Content[j], item.Content[j+1]
			switch k.Value {
			case "if":
				c.If = p.str(val, bpath, "if")
			case "equals":
				c.Equals = p.str(val, bpath, "equals")
				c.HasEquals = true
			case "min_length":
				c.MinLength = p.integer(val, bpath, "min_length")
			case "next":
				c.Next = p.str(val, bpath, "next")
			default:
				p.add(Error, k.Line, bpath, "unknown field %q (if, equals, min_length, next)", k.Value)
			}
		}
		n.Branch = append(n.Branch, c)
	}
}
