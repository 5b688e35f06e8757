package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/flows/understand"
)

// State is one conversation's place in a flow; the host stores it between inputs.
type State struct {
	Flow     string            `json:"flow"`
	Revision int64             `json:"revision"`
	Node     string            `json:"node"`
	Data     map[string]string `json:"data"`
	Lang     string            `json:"lang"`
	Invalid  int               `json:"invalid"` // invalid answers in a row at Node
	Ended    bool              `json:"ended"`
}

// InputKind says what arrived from the person or the host's timers.
type InputKind string

// Input kinds.
const (
	InputStart       InputKind = "start"  // begin the given flow (the menu when none is given)
	InputText        InputKind = "text"   // typed text, commands included
	InputChoice      InputKind = "choice" // a button press: ChoiceID
	InputLocation    InputKind = "location"
	InputPhoto       InputKind = "photo"  // PhotoRef names the stored photo
	InputRemind      InputKind = "remind" // the Wait's RemindAfter passed
	InputExpire      InputKind = "expire" // the Wait's ExpireAfter passed
	InputUnsupported InputKind = "unsupported"
	// InputRepeat asks the current question again (the person switched language); with no
	// question waiting it shows the menu.
	InputRepeat InputKind = "repeat"
)

// Input is one thing that happened in the conversation.
type Input struct {
	Kind        InputKind
	Text        string
	ChoiceID    string
	Lat, Lng    float64
	PhotoRef    string
	Unsupported string // the platform kind that cannot be handled: voice, sticker, video, document...
	// Data is what an InputStart flow begins with (e.g. the ticket code of a follow-up survey).
	Data map[string]string
	// Notice is a locale key InputRepeat says before the question ("bahasa.diganti").
	Notice string
}

// Choice is one option of a question. Label is a locale key unless Literal.
type Choice struct {
	ID      string
	Label   string
	Literal bool
	// Words are more words a typed reply may name the choice by (a category's vocabulary);
	// Means is understand.MeansYes or MeansNo when taking it says yes or no.
	Words []string `json:",omitempty"`
	Means string   `json:",omitempty"`
}

// Effect is something the host must do after a step.
type Effect interface{ isEffect() }

// Say sends the locale text Key rendered with Data.
type Say struct {
	Key  string
	Data map[string]string
	// Choices are buttons under the text whose ids are commands (see CommandChoice): they
	// work whenever they are pressed, also after the conversation ended.
	Choices []Choice
	// Texts is the wording of the flow that spoke (nil when it has none); Render reads a key
	// from it before the catalog.
	Texts Overrides
}

// Ask sends a question: the locale text Key with Data, and what the person may answer.
type Ask struct {
	Key         string
	Data        map[string]string
	Kind        string // choice, text, yesno, location, photo
	Choices     []Choice
	AskLocation bool
	// Texts is the wording of the flow that asks (nil when it has none), for the question and
	// the labels of its static choices.
	Texts Overrides
}

// Wait says the engine now waits for input. The host replaces any earlier timers of the
// conversation: after RemindAfter it sends InputRemind, after ExpireAfter InputExpire (zero: none).
type Wait struct {
	RemindAfter, ExpireAfter time.Duration
	RemindKey, ExpiredKey    string
}

// Switched says the conversation moved to another flow (pin it to this revision).
type Switched struct {
	Flow     string
	Revision int64
}

// Ended says the conversation finished; the next input starts the menu.
type Ended struct{}

func (Say) isEffect()      {}
func (Ask) isEffect()      {}
func (Wait) isEffect()     {}
func (Switched) isEffect() {}
func (Ended) isEffect()    {}

// Env is what the engine needs from the host.
type Env interface {
	// Flow is the current published flow with that id, its Revision set.
	Flow(ctx context.Context, id string) (*Flow, error)
	// Choices lists a data source's choices for this conversation.
	Choices(ctx context.Context, source string, st *State) ([]Choice, error)
	// Call runs a named action; it may write st.Data and st.Lang (see the action contract).
	Call(ctx context.Context, action string, params map[string]string, st *State) (outcome string, err error)
}

// Translator renders a locale key; the engine uses it to match typed labels of choices.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// ErrStepLimit is returned when a step visits more nodes than Engine.MaxSteps without waiting for input.
var ErrStepLimit = errors.New("flows: step limit exceeded")

// MaxTextRunes is the longest text the engine accepts in one message.
const MaxTextRunes = 4000

// Flow ids the engine itself starts.
const (
	FlowMenu      = "menu"
	FlowBantuan   = "bantuan"
	FlowStatus    = "status"
	FlowPengaduan = "pengaduan"
)

// CommandChoice reports whether a choice id is a command ("/status OKI-2611-0042", "/menu"):
// the buttons of a say node carry such ids, and pressing one runs the command wherever the
// conversation is, so an old button still does what it says.
func CommandChoice(id string) bool { return strings.HasPrefix(id, "/") }

// Engine runs flows. The zero value works; it is safe for concurrent use.
type Engine struct {
	// MaxSteps limits node visits per input (default 50).
	MaxSteps int
	// Commands maps extra command words (e.g. "/lapor") to the flow they start; they override the built-ins.
	Commands map[string]string
	// Texts, when set, lets people type a choice's label instead of pressing it.
	Texts Translator
}

// builtinCommands are slash commands; one may carry an argument. Typed words ("menu",
// "batal", "gak jadi", "bantuan") are read by the understanding layer at every question.
var builtinCommands = map[string]string{
	"/start": FlowMenu, "/menu": FlowMenu,
	"/bantuan": FlowBantuan, "/help": FlowBantuan,
	"/status": FlowStatus,
	"/lapor":  FlowPengaduan,
	// UU 27/2022: erasing one's data, confirmed first (the hapusdata flow).
	"/hapusdata": FlowHapusData, "/deletedata": FlowHapusData,
}

// FlowHapusData is the flow of a citizen's request to erase their data.
const FlowHapusData = "hapusdata"

// commandPhrases are whole messages typed without the slash that mean a command.
var commandPhrases = map[string]string{
	"hapus data": "/hapusdata", "hapus data saya": "/hapusdata", "hapus semua data saya": "/hapusdata",
	"hapuskan data saya": "/hapusdata", "delete my data": "/hapusdata",
}

var cancelCommands = []string{"/batal", "/cancel"}

// albumKey remembers the photo question just answered, so the rest of an album still lands there.
const albumKey = "_album"

// Step feeds one input to the conversation st, which is at a node of f (nil when there is none),
// and returns the flow it is now in, the new state and the effects for the host.
// On error f and st are returned unchanged and the host should roll back.
func (e *Engine) Step(ctx context.Context, f *Flow, st State, in Input, env Env) (*Flow, State, []Effect, error) {
	st.Data = maps.Clone(st.Data)
	if st.Data == nil {
		st.Data = map[string]string{}
	}
	r := &run{e: e, ctx: ctx, env: env, f: f, st: st, max: e.MaxSteps}
	if r.max <= 0 {
		r.max = 50
	}
	if err := r.input(in); err != nil {
		return f, st, nil, err
	}
	return r.f, r.st, r.effs, nil
}

type run struct {
	e     *Engine
	ctx   context.Context
	env   Env
	f     *Flow
	st    State
	effs  []Effect
	steps int
	max   int
	// pending is a message the conversation starts with, read at the first question.
	pending *pendingText
}

func (r *run) emit(e Effect) { r.effs = append(r.effs, e) }

// texts is the wording of the flow speaking now: a goto or a command may have switched it.
func (r *run) texts() Overrides {
	if r.f == nil {
		return nil
	}
	return r.f.Texts
}

// say sends the text key with the conversation's data plus extra, in the current flow's wording.
func (r *run) say(key string, extra map[string]string) {
	r.emit(Say{Key: key, Data: r.data(extra), Texts: r.texts()})
}

func (r *run) active() bool {
	return r.f != nil && r.st.Flow != "" && !r.st.Ended && r.f.Nodes[r.st.Node] != nil && r.f.Nodes[r.st.Node].Kind() == KindAsk
}

func (r *run) input(in Input) error {
	if in.Kind != InputPhoto && in.Kind != InputRemind && in.Kind != InputExpire {
		delete(r.st.Data, albumKey)
	}
	switch in.Kind {
	case InputRemind, InputExpire:
		if !r.active() {
			return nil
		}
		n := r.f.Nodes[r.st.Node]
		t := r.f.TimeoutFor(n)
		if in.Kind == InputExpire {
			if t != nil && t.Expired != "" {
				// The way back is a button, not a word to type.
				r.emit(Say{Key: t.Expired, Data: r.data(nil), Texts: r.texts(), Choices: []Choice{{ID: "/menu", Label: "tombol.menu"}}})
			}
			r.end()
			return nil
		}
		if t != nil && t.Remind != "" {
			r.say(t.Remind, nil)
		}
		return r.ask(n, true)
	case InputStart:
		if r.f != nil {
			return r.begin(r.f, in.Data)
		}
		return r.switchTo(FlowMenu, nil)
	case InputRepeat:
		if in.Notice != "" {
			r.say(in.Notice, nil)
		}
		if r.active() {
			return r.ask(r.f.Nodes[r.st.Node], false)
		}
		return r.switchTo(FlowMenu, map[string]string{"kembali": "ya"})
	case InputChoice:
		if CommandChoice(in.ChoiceID) && !r.offers(in.ChoiceID) {
			if done, err := r.command(in.ChoiceID); done || err != nil {
				return err
			}
		}
		if !r.active() {
			// A button of a question that is over (an old message, another tab): say so
			// rather than acting on it or showing the menu without a word.
			r.say("tombol.lama", nil)
			return r.switchTo(FlowMenu, map[string]string{"kembali": "ya"})
		}
	case InputText:
		text := strings.TrimSpace(in.Text)
		if utf8.RuneCountInString(text) > MaxTextRunes {
			r.say("umum.terlalu_panjang", map[string]string{"max": strconv.Itoa(MaxTextRunes)})
			if r.active() {
				return r.ask(r.f.Nodes[r.st.Node], false)
			}
			return r.switchTo(FlowMenu, nil)
		}
		if done, err := r.command(text); done || err != nil {
			return err
		}
		in.Text = text
	}
	if !r.active() {
		if in.Kind == InputText && in.Text != "" {
			// The first message, or one after a conversation ended: read it at the menu.
			return r.startWithText(in.Text)
		}
		return r.switchTo(FlowMenu, nil)
	}
	n := r.f.Nodes[r.st.Node]
	if r.st.Data[confirmKey] != "" {
		return r.confirming(n, in)
	}
	return r.answer(n, in)
}

// offers reports whether the question waiting now has a choice with this id.
func (r *run) offers(id string) bool {
	if !r.active() {
		return false
	}
	opts, err := r.options(r.f.Nodes[r.st.Node])
	if err != nil {
		return false
	}
	for _, o := range opts {
		if o.ID == id {
			return true
		}
	}
	return false
}

// command handles /start, menu, batal, /bantuan, /status KODE and Engine.Commands.
func (r *run) command(text string) (bool, error) {
	lower := strings.ToLower(text)
	word, arg, _ := strings.Cut(lower, " ")
	if cmd, ok := commandPhrases[strings.TrimRight(strings.Join(strings.Fields(lower), " "), ".!?")]; ok {
		word, arg = cmd, ""
	}
	if strings.HasPrefix(word, "/") {
		// Telegram groups send "/start@SuaraWargaBot".
		word, _, _ = strings.Cut(word, "@")
	} else if arg != "" {
		return false, nil
	}
	if slices.Contains(cancelCommands, word) {
		r.say("umum.dibatalkan", nil)
		return true, r.switchTo(FlowMenu, map[string]string{"kembali": "ya"})
	}
	flow, ok := r.e.Commands[word]
	if !ok {
		flow, ok = builtinCommands[word]
	}
	if !ok {
		return false, nil
	}
	var data map[string]string
	if _, rawArg, _ := strings.Cut(text, " "); flow == FlowStatus && strings.TrimSpace(rawArg) != "" {
		code := understand.TicketCode(rawArg)
		if code == "" {
			code = strings.ToUpper(strings.TrimSpace(rawArg))
		}
		data = map[string]string{"kode": code}
	}
	return true, r.switchTo(flow, data)
}

func (r *run) switchTo(id string, data map[string]string) error {
	f, err := r.env.Flow(r.ctx, id)
	if err != nil {
		return fmt.Errorf("load flow %s: %w", id, err)
	}
	return r.begin(f, data)
}

func (r *run) begin(f *Flow, data map[string]string) error {
	r.f = f
	r.st.Flow, r.st.Revision, r.st.Node = f.ID, f.Revision, ""
	r.st.Data = maps.Clone(data)
	if r.st.Data == nil {
		r.st.Data = map[string]string{}
	}
	r.st.Invalid, r.st.Ended = 0, false
	r.emit(Switched{Flow: f.ID, Revision: f.Revision})
	return r.enter(f.Start)
}

func (r *run) end() {
	r.st.Ended = true
	r.st.Invalid = 0
	r.emit(Ended{})
}

// data is the template data of a text: the conversation's data plus the node's own.
func (r *run) data(extra map[string]string) map[string]string {
	out := maps.Clone(r.st.Data)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, extra)
	return out
}

// enter runs nodes from id until the flow waits for input, ends or switches.
func (r *run) enter(id string) error {
	for {
		r.steps++
		if r.steps > r.max {
			return fmt.Errorf("%w: more than %d nodes without input, at %s › %s", ErrStepLimit, r.max, r.f.ID, id)
		}
		n := r.f.Nodes[id]
		if n == nil {
			return fmt.Errorf("flow %s: node %q does not exist", r.f.ID, id)
		}
		r.st.Node = id
		maps.Copy(r.st.Data, n.Set)
		switch n.Kind() {
		case KindAsk:
			return r.ask(n, false)
		case KindSay:
			if err := r.sayNode(n); err != nil {
				return err
			}
			if n.End || n.Next == "" {
				r.end()
				return nil
			}
			id = n.Next
		case KindBranch:
			id = branch(n, r.st.Data)
			if id == "" {
				return fmt.Errorf("flow %s › %s: no branch case fits and there is no else", r.f.ID, n.ID)
			}
		case KindDo:
			next, err := r.do(n)
			if err != nil {
				return err
			}
			id = next
		case KindGoto:
			data, err := render(n.With, r.st.Data)
			if err != nil {
				return fmt.Errorf("flow %s › %s: %w", r.f.ID, n.ID, err)
			}
			f, err := r.env.Flow(r.ctx, n.Goto)
			if err != nil {
				return fmt.Errorf("load flow %s: %w", n.Goto, err)
			}
			r.f = f
			r.st.Flow, r.st.Revision, r.st.Data, r.st.Invalid = f.ID, f.Revision, data, 0
			r.emit(Switched{Flow: f.ID, Revision: f.Revision})
			id = f.Start
		default:
			r.end()
			return nil
		}
	}
}

// sayNode sends a say node's text with its command buttons, their ids rendered over the data.
func (r *run) sayNode(n *Node) error {
	if len(n.Choices) == 0 {
		r.say(n.Say, n.Data)
		return nil
	}
	choices := make([]Choice, 0, len(n.Choices))
	for _, c := range n.Choices {
		id, err := render(map[string]string{"id": c.ID}, r.st.Data)
		if err != nil {
			return fmt.Errorf("flow %s › %s: choice %s: %w", r.f.ID, n.ID, c.ID, err)
		}
		choices = append(choices, Choice{ID: strings.TrimSpace(id["id"]), Label: c.Label})
	}
	r.emit(Say{Key: n.Say, Data: r.data(n.Data), Choices: choices, Texts: r.texts()})
	return nil
}

func branch(n *Node, data map[string]string) string {
	for _, c := range n.Branch {
		v := data[c.If]
		if c.HasEquals && strings.EqualFold(v, c.Equals) || !c.HasEquals && v != "" && letters(v) >= c.MinLength {
			return c.Next
		}
	}
	if n.Else != "" {
		return n.Else
	}
	return n.Next
}

func (r *run) do(n *Node) (string, error) {
	params, err := render(n.With, r.st.Data)
	if err != nil {
		return "", fmt.Errorf("flow %s › %s: %w", r.f.ID, n.ID, err)
	}
	outcome, callErr := r.env.Call(r.ctx, n.Do, params, &r.st)
	if r.st.Data == nil {
		r.st.Data = map[string]string{}
	}
	if callErr != nil {
		outcome = OutcomeError
	}
	if to, ok := n.On[outcome]; ok {
		return to, nil
	}
	if callErr != nil {
		return "", fmt.Errorf("flow %s › %s: action %s: %w", r.f.ID, n.ID, n.Do, callErr)
	}
	if n.Next == "" {
		return "", fmt.Errorf("flow %s › %s: action %s gave outcome %q and there is no next", r.f.ID, n.ID, n.Do, outcome)
	}
	return n.Next, nil
}

// render executes each value as a Go template over data ("{{.kode}}"); plain values pass through.
func render(with map[string]string, data map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(with))
	for k, v := range with {
		if !strings.Contains(v, "{{") {
			out[k] = v
			continue
		}
		t, err := template.New(k).Option("missingkey=zero").Parse(v)
		if err != nil {
			return nil, fmt.Errorf("with.%s: %w", k, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("with.%s: %w", k, err)
		}
		out[k] = b.String()
	}
	return out, nil
}

// options is a question's choices as the person sees them, with the spec behind static ones.
type option struct {
	Choice
	spec *ChoiceSpec
}

func (r *run) options(n *Node) ([]option, error) {
	var out []option
	for _, c := range n.Choices {
		out = append(out, option{Choice: Choice{ID: c.ID, Label: c.Label, Words: c.Words, Means: c.Means}, spec: c})
	}
	switch n.Ask {
	case AskYesNo:
		out = append(out, option{Choice: Choice{ID: "ya", Label: "umum.ya", Means: understand.MeansYes}},
			option{Choice: Choice{ID: "tidak", Label: "umum.tidak", Means: understand.MeansNo}})
	case AskPhoto:
		if n.Skip != "" {
			out = append(out, option{Choice: Choice{ID: "lewati", Label: n.Skip, Means: understand.MeansNo, Words: photoWords}})
		}
	}
	if n.From != "" {
		cs, err := r.env.Choices(r.ctx, n.From, &r.st)
		if err != nil {
			return nil, fmt.Errorf("flow %s › %s: choices from %s: %w", r.f.ID, n.ID, n.From, err)
		}
		for _, c := range cs {
			c.Literal = true
			out = append(out, option{Choice: c})
		}
	}
	return out, nil
}

// ask sends the question at n and waits. After a reminder only the expiry is left to wait for.
// A message the conversation started with is read here first (see startWithText).
func (r *run) ask(n *Node, reminded bool) error {
	if r.pending != nil {
		p := r.pending
		r.pending = nil
		if done, err := r.answerPending(n, p); done || err != nil {
			return err
		}
	}
	opts, err := r.options(n)
	if err != nil {
		return err
	}
	if n.Ask == AskChoice && len(opts) == 0 {
		if n.Empty != "" {
			return r.enter(n.Empty)
		}
		return fmt.Errorf("flow %s › %s: data source %s gave no choices and there is no choices.empty", r.f.ID, n.ID, n.From)
	}
	choices := make([]Choice, len(opts))
	for i, o := range opts {
		choices[i] = o.Choice
	}
	r.emit(Ask{Key: n.Text, Data: r.data(n.Data), Kind: n.Ask, Choices: choices, AskLocation: n.Ask == AskLocation, Texts: r.texts()})
	r.wait(n, reminded)
	return nil
}

func (r *run) wait(n *Node, reminded bool) {
	w := Wait{}
	if t := r.f.TimeoutFor(n); t != nil {
		w = Wait{RemindAfter: t.RemindAfter, ExpireAfter: t.ExpireAfter, RemindKey: t.Remind, ExpiredKey: t.Expired}
		if reminded {
			w.RemindAfter, w.RemindKey = 0, ""
			if w.ExpireAfter > 0 {
				w.ExpireAfter = max(t.ExpireAfter-t.RemindAfter, time.Minute)
			}
		}
	}
	r.emit(w)
}

// invalid says why the answer was not taken and asks again; never a dead end.
func (r *run) invalid(n *Node, key string, data map[string]string) error {
	r.st.Invalid++
	r.say(key, data)
	if r.st.Invalid%3 == 0 && (n.Ask == AskChoice || n.Ask == AskYesNo) {
		r.say("umum.petunjuk", nil)
	}
	return r.ask(n, false)
}

// wrongKind is the default message for an answer of the wrong kind at a question.
func wrongKind(n *Node) string {
	switch n.Ask {
	case AskChoice:
		return "umum.pilihan_tidak_ada"
	case AskYesNo:
		return "umum.mohon_ya_tidak"
	case AskLocation:
		return "umum.mohon_lokasi"
	case AskPhoto:
		return "umum.mohon_foto"
	default:
		return "umum.mohon_teks"
	}
}

func (n *Node) invalidOr(def string) string {
	if n.Invalid != "" {
		return n.Invalid
	}
	return def
}

func (r *run) answer(n *Node, in Input) error {
	opts, err := r.options(n)
	if err != nil {
		return err
	}
	switch in.Kind {
	case InputUnsupported:
		return r.invalid(n, "umum.tidak_didukung", map[string]string{"jenis": in.Unsupported})
	case InputChoice:
		for _, o := range opts {
			if o.ID == in.ChoiceID {
				return r.take(n, o)
			}
		}
		return r.invalid(n, wrongKind(n), nil)
	case InputLocation:
		if n.Ask != AskLocation {
			return r.invalid(n, wrongKind(n), nil)
		}
		r.st.Data[n.Save+"_lat"] = strconv.FormatFloat(in.Lat, 'f', -1, 64)
		r.st.Data[n.Save+"_lng"] = strconv.FormatFloat(in.Lng, 'f', -1, 64)
		delete(r.st.Data, n.Save+"_alamat")
		return r.next(n.Next)
	case InputPhoto:
		if n.Ask == AskPhoto {
			flow := r.st.Flow
			r.addPhoto(n.Save, in.PhotoRef)
			if err := r.next(n.Next); err != nil {
				return err
			}
			if r.st.Flow == flow && !r.st.Ended {
				// The rest of an album may still arrive at the next question.
				r.st.Data[albumKey] = n.Save
			}
			return nil
		}
		if n.Ask == AskText && n.AcceptPhoto {
			// A photo answers the question; its caption, if any, is the text.
			r.st.Data[n.Save] = strings.TrimSpace(in.Text)
			r.addPhoto(n.Save+"_foto", in.PhotoRef)
			return r.next(n.Next)
		}
		if key := r.st.Data[albumKey]; key != "" {
			// More photos of the album just sent to the previous question.
			r.addPhoto(key, in.PhotoRef)
			r.wait(n, false)
			return nil
		}
		return r.invalid(n, wrongKind(n), nil)
	case InputText:
		return r.text(n, opts, in.Text)
	default:
		return r.invalid(n, wrongKind(n), nil)
	}
}

func (r *run) addPhoto(key, ref string) {
	refs := r.st.Data[key]
	if refs != "" {
		refs += ","
	}
	r.st.Data[key] = refs + ref
	r.st.Data[key+"_jumlah"] = strconv.Itoa(strings.Count(refs+ref, ",") + 1)
}

func (r *run) labeled(opts []option) []labeled {
	out := make([]labeled, len(opts))
	for i, o := range opts {
		text := o.Label
		if !o.Literal {
			// The label as the person reads it: the flow's own wording first, then the catalog
			// (Text gives the key back when there is neither).
			text = Text(r.e.Texts, r.texts(), r.st.Lang, o.Label, nil)
		}
		out[i] = labeled{Choice: o.Choice, text: text}
	}
	return out
}

// take follows a chosen option: save it, apply its set, go to its next.
func (r *run) take(n *Node, o option) error {
	if n.Save != "" && !(n.Ask == AskPhoto && o.ID == "lewati") && (n.Ask == AskChoice || n.Ask == AskYesNo) {
		r.st.Data[n.Save] = o.ID
		r.st.Data[n.Save+"_label"] = o.Label
	}
	next := n.Next
	if n.Ask == AskYesNo {
		if o.ID == "ya" && n.Yes != "" {
			next = n.Yes
		}
		if o.ID == "tidak" && n.No != "" {
			next = n.No
		}
	}
	if o.spec != nil {
		maps.Copy(r.st.Data, o.spec.Set)
		if o.spec.Next != "" {
			next = o.spec.Next
		}
	}
	return r.next(next)
}

// next leaves the question the person just answered.
func (r *run) next(id string) error {
	r.st.Invalid = 0
	if id == "" {
		r.end()
		return nil
	}
	return r.enter(id)
}

// letters counts the characters of text that are not spaces: "minimal 15 huruf" means 15 of these.
func letters(text string) int {
	n := 0
	for _, r := range text {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
