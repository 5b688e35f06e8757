package flows

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/flows/understand"
)

// How a typed reply was read (Understood.As).
const (
	ReadNumber     = "nomor"           // "2", "yang kedua"
	ReadLabel      = "pilihan"         // a choice's label or id
	ReadYes        = "ya"              // a yes, to the choice that means yes
	ReadNo         = "tidak"           // a no, to the choice that means no
	ReadWords      = "kata"            // words of a label or of a choice's vocabulary
	ReadTypo       = "salah_ketik"     // the same, with typos
	ReadCancel     = "batal"           // a cancel phrase
	ReadMenu       = "menu"            // a menu phrase
	ReadHelp       = "bantuan"         // a help phrase
	ReadUnclear    = "kurang_jelas"    // yes and no at once, or two choices: asked again
	ReadOutOfRange = "di_luar_pilihan" // a number no choice has
	ReadIntent     = "niat"            // what a free message wants (Understood.Intent)
	ReadAnswer     = "jawaban"         // the answer to a free question, kept as typed
	ReadNone       = "tidak_dipahami"  // not understood: asked again
)

// Understood says how the engine read a typed reply, for people checking a flow (the console's
// simulator shows "dibaca sebagai: ya → ✅ Kirim"). Hosts may ignore it.
type Understood struct {
	Text   string
	As     string // one of the Read* names
	Choice string // the id of the choice taken, if any
	Label  string // its label as the person saw it
	Intent string // the intent taken (As ReadIntent)
	Code   string // the ticket code the message named (intent status)
}

func (Understood) isEffect() {}

// LastReading is how the last typed reply of a step was read: the last Understood among its
// effects (a step may read a message twice, first at the menu, then at the question it led to).
// ok is false when the step read no typed text (a button, a start, a timer).
func LastReading(effs []Effect) (u Understood, ok bool) {
	for _, e := range effs {
		if x, is := e.(Understood); is {
			u, ok = x, true
		}
	}
	return u, ok
}

// Describe writes the reading for people checking a flow, with the locale texts under
// "dibaca." ("dibaca sebagai: ya → ✅ Kirim"); t is a catalog's T for one language.
func (u Understood) Describe(t func(key string, data map[string]any) string) string {
	how, what := t("dibaca."+u.As, nil), u.Label
	switch {
	case u.As == ReadIntent:
		how = t("dibaca.niat_"+u.Intent, nil)
		switch {
		case u.Code != "":
			what = u.Code
		case u.Intent == understand.IntentComplaint && u.Label == "":
			what = t("dibaca.kategori_belum_jelas", nil)
		case u.Intent != understand.IntentComplaint:
			what = ""
		}
	case u.Choice == "":
		what = ""
	}
	return t("dibaca.sebagai", map[string]any{"cara": how, "pilihan": what})
}

// Data keys the engine writes.
const (
	// confirmKey holds what a person asked for (cancel or menu) while the engine asks whether
	// to drop the answers given so far.
	confirmKey = "_yakin"
	// Choice ids of that question; the leading "_" keeps them apart from a flow's own ids.
	confirmYes = "_ya"
	confirmNo  = "_tidak"
)

// stopWords and goOnWords answer "drop your answers?" in words: "lanjutkan" goes on.
var (
	stopWords = []string{"berhenti", "batalkan", "hapus", "stop", "keluar"}
	goOnWords = []string{"lanjut", "lanjutkan", "teruskan", "terus", "lanjut isi", "tidak jadi batal", "jangan batal", "continue", "go on"}
)

// locationWords name a place: "gak tau alamatnya" is no address.
var locationWords = []string{"alamat", "lokasi", "tempat", "posisi", "titik", "address", "location", "place"}

// photoWords name what a photo question's skip choice skips: "tidak ada foto" skips it.
var photoWords = []string{"foto", "gambar", "photo", "picture", "pic"}

// labeled is a choice with the text a person sees.
type labeled struct {
	Choice
	text string
}

// pendingText is the message a conversation starts with and the effects said before its first
// question (the welcome), dropped when the message is understood.
type pendingText struct {
	text string
	mark int
}

// startWithText begins the menu with a message already typed: at the menu's question the
// message is read as an answer first, so a complaint typed as the first message starts a
// complaint and "cek status" checks the status, without the welcome in between.
func (r *run) startWithText(text string) error {
	r.pending = &pendingText{text: text, mark: len(r.effs)}
	return r.switchTo(FlowMenu, nil)
}

// answerPending reads the first message at the first question of the conversation. A greeting,
// a cancel or a message not understood shows the question as usual (with the welcome); done is
// false then.
func (r *run) answerPending(n *Node, p *pendingText) (bool, error) {
	if n.Ask != AskChoice {
		return false, nil
	}
	opts, err := r.options(n)
	if err != nil {
		return false, err
	}
	lab := r.labeled(opts)
	t := understand.Parse(p.text)
	q := understand.Question{Options: toOptions(lab), Exact: true}
	rd := q.Read(t)
	dropWelcome := func() {
		kept := r.effs[:p.mark]
		for _, e := range r.effs[p.mark:] {
			if _, say := e.(Say); !say {
				kept = append(kept, e)
			}
		}
		r.effs = kept
	}
	switch rd.Kind {
	case understand.Pick:
		dropWelcome()
		r.understood(p.text, rd, lab)
		return true, r.take(n, opts[rd.Option])
	case understand.None:
	default:
		return false, nil // cancel, menu or help with nothing begun: the menu itself
	}
	if len(n.Intents) > 0 {
		in, err := r.intent(p.text)
		if err != nil {
			return false, err
		}
		if target, ok := n.Intents[in.Name]; ok && in.Name != understand.IntentGreeting {
			dropWelcome()
			return true, r.takeIntent(n, p.text, in, target)
		}
		if in.Name != "" {
			// A greeting: the welcome and the menu are the answer.
			r.emit(Understood{Text: p.text, As: ReadIntent, Intent: in.Name})
			return false, nil
		}
	}
	q.Exact = false
	if rd = q.Read(t); rd.Kind == understand.Pick {
		dropWelcome()
		r.understood(p.text, rd, lab)
		return true, r.take(n, opts[rd.Option])
	}
	return false, nil
}

// toOptions gives the reader the choices as the person sees them.
func toOptions(lab []labeled) []understand.Option {
	out := make([]understand.Option, len(lab))
	for i, l := range lab {
		out[i] = understand.Option{ID: l.ID, Label: l.text, Words: l.Words, Means: l.Means}
	}
	return out
}

// categories are the complaint categories with their vocabulary, for reading free messages.
func (r *run) categories() ([]Choice, error) {
	return r.env.Choices(r.ctx, SourceKategori, &r.st)
}

// intent reads what a free message wants.
func (r *run) intent(text string) (understand.Intent, error) {
	cats, err := r.categories()
	if err != nil {
		return understand.Intent{}, err
	}
	opts := make([]understand.Option, len(cats))
	for i, c := range cats {
		opts[i] = understand.Option{ID: c.ID, Label: c.Label, Words: c.Words}
	}
	in := understand.DetectIntent(text, opts)
	if in.Category >= 0 {
		r.st.Data["kategori"], r.st.Data["kategori_label"] = cats[in.Category].ID, cats[in.Category].Label
	}
	return in, nil
}

// takeIntent follows an intent of a question: it keeps the text (teks) and what it named.
func (r *run) takeIntent(n *Node, text string, in understand.Intent, target string) error {
	r.st.Data["teks"] = text
	if in.Code != "" {
		r.st.Data["kode"] = in.Code
	}
	if in.Category < 0 {
		delete(r.st.Data, "kategori")
		delete(r.st.Data, "kategori_label")
	}
	u := Understood{Text: text, As: ReadIntent, Intent: in.Name, Code: in.Code}
	if in.Name == understand.IntentComplaint {
		u.Choice, u.Label = r.st.Data["kategori"], r.st.Data["kategori_label"]
	}
	r.emit(u)
	return r.next(target)
}

// understood records how a typed reply was read.
func (r *run) understood(text string, rd understand.Reading, lab []labeled) {
	u := Understood{Text: text}
	switch rd.Kind {
	case understand.Pick:
		u.Choice, u.Label = lab[rd.Option].ID, lab[rd.Option].text
		u.As = map[understand.Via]string{understand.ViaNumber: ReadNumber, understand.ViaLabel: ReadLabel,
			understand.ViaYes: ReadYes, understand.ViaNo: ReadNo, understand.ViaWords: ReadWords, understand.ViaTypo: ReadTypo,
			understand.ViaPhrase: ReadLabel}[rd.Via]
	case understand.Cancel:
		u.As = ReadCancel
	case understand.Menu:
		u.As = ReadMenu
	case understand.Help:
		u.As = ReadHelp
	case understand.Unclear:
		u.As = ReadUnclear
	case understand.OutOfRange:
		u.As = ReadOutOfRange
	default:
		u.As = ReadNone
	}
	r.emit(u)
}

// text answers the question at n with typed text.
func (r *run) text(n *Node, opts []option, text string) error {
	if text == "" {
		return r.ask(n, false)
	}
	lab := r.labeled(opts)
	t := understand.Parse(text)
	q := understand.Question{Options: toOptions(lab), Free: n.Ask != AskChoice && n.Ask != AskYesNo}
	var rd understand.Reading
	if len(n.Intents) > 0 {
		// The menu: a choice or a cancel/menu/help phrase first, then what the message wants,
		// then the choices' words.
		q.Exact = true
		if rd = q.Read(t); rd.Kind == understand.None {
			in, err := r.intent(text)
			if err != nil {
				return err
			}
			if target, ok := n.Intents[in.Name]; ok {
				return r.takeIntent(n, text, in, target)
			}
			q.Exact = false
			rd = q.Read(t)
		}
	} else {
		rd = q.Read(t)
	}
	switch rd.Kind {
	case understand.Pick:
		r.understood(text, rd, lab)
		return r.take(n, opts[rd.Option])
	case understand.Cancel, understand.Menu:
		r.understood(text, rd, lab)
		return r.leave(n, rd.Kind)
	case understand.Help:
		r.understood(text, rd, lab)
		r.say("umum.bantuan_jawab", nil)
		return r.ask(n, false)
	case understand.OutOfRange:
		r.understood(text, rd, lab)
		return r.invalid(n, "umum.pilihan_tidak_ada", nil)
	case understand.Unclear:
		r.understood(text, rd, lab)
		if len(rd.Candidates) > 1 {
			names := make([]string, len(rd.Candidates))
			for i, c := range rd.Candidates {
				names[i] = lab[c].text
			}
			return r.invalid(n, "umum.maksud_anda", map[string]string{"pilihan": strings.Join(names, " / ")})
		}
		return r.invalid(n, "umum.kurang_jelas", nil)
	}
	runes := utf8.RuneCountInString(text)
	switch n.Ask {
	case AskChoice:
		r.understood(text, rd, lab)
		return r.invalid(n, n.invalidOr("umum.pilihan_tidak_ada"), nil)
	case AskYesNo:
		r.understood(text, rd, lab)
		return r.invalid(n, n.invalidOr("umum.mohon_ya_tidak"), nil)
	case AskPhoto:
		r.understood(text, rd, lab)
		switch {
		case understand.OnlyPolarity(t, understand.No, photoWords...):
			// "tidak ada foto" with no skip choice: go on without one.
			return r.next(n.Next)
		case understand.OnlyPolarity(t, understand.Yes, photoWords...):
			// "ada", "iya": the photo itself is what we wait for.
			return r.invalid(n, "umum.silakan_kirim_foto", nil)
		}
		return r.invalid(n, n.invalidOr("umum.mohon_foto"), nil)
	case AskLocation:
		if runes < 10 || understand.OnlyPolarity(t, understand.No, locationWords...) || understand.OnlyPolarity(t, understand.Mixed, locationWords...) {
			// Too short for an address, or only "tidak ada" / "gak tau": never kept as one.
			r.understood(text, understand.Reading{}, lab)
			return r.invalid(n, n.invalidOr("umum.mohon_lokasi"), nil)
		}
		r.emit(Understood{Text: text, As: ReadAnswer})
		r.st.Data[n.Save+"_alamat"] = text
		delete(r.st.Data, n.Save+"_lat")
		delete(r.st.Data, n.Save+"_lng")
		return r.next(n.Next)
	default:
		if letters(text) < n.MinLength {
			r.emit(Understood{Text: text, As: ReadNone})
			return r.invalid(n, n.invalidOr("umum.terlalu_pendek"), map[string]string{"min": strconv.Itoa(n.MinLength)})
		}
		if n.MaxLength > 0 && runes > n.MaxLength {
			r.emit(Understood{Text: text, As: ReadNone})
			return r.invalid(n, "umum.terlalu_panjang", map[string]string{"max": strconv.Itoa(n.MaxLength)})
		}
		r.emit(Understood{Text: text, As: ReadAnswer})
		r.st.Data[n.Save] = text
		return r.next(n.Next)
	}
}

// leave stops the flow for a cancel or menu phrase. When answers given so far would be lost,
// it asks first.
func (r *run) leave(n *Node, kind understand.Kind) error {
	if r.lossy(n) {
		r.st.Data[confirmKey] = string(kind)
		r.emit(Ask{Key: "umum.yakin_berhenti", Data: r.data(nil), Kind: AskChoice, Texts: r.texts(), Choices: []Choice{
			{ID: confirmYes, Label: "umum.ya_berhenti"}, {ID: confirmNo, Label: "umum.tidak_lanjutkan"}}})
		r.wait(n, false)
		return nil
	}
	return r.stop(kind)
}

// stop cancels (to the menu, saying so) or goes to the menu.
func (r *run) stop(kind understand.Kind) error {
	if kind == understand.Menu {
		return r.switchTo(FlowMenu, nil)
	}
	r.say("umum.dibatalkan", nil)
	return r.switchTo(FlowMenu, map[string]string{"kembali": "ya"})
}

// lossy reports whether the flow holds answers the person gave at other questions than n.
func (r *run) lossy(n *Node) bool {
	for _, id := range r.f.Order {
		q := r.f.Nodes[id]
		if q == nil || q.Ask == "" || q.Save == "" || q.Save == n.Save {
			continue
		}
		for _, k := range []string{q.Save, q.Save + "_lat", q.Save + "_alamat"} {
			if r.st.Data[k] != "" {
				return true
			}
		}
	}
	return false
}

// confirming answers "drop your answers?": yes stops, no asks the question again, and anything
// else is an answer to the question itself.
func (r *run) confirming(n *Node, in Input) error {
	kind := understand.Kind(r.st.Data[confirmKey])
	delete(r.st.Data, confirmKey)
	yes := func() error { return r.stop(kind) }
	no := func() error {
		r.say("umum.dilanjutkan", nil)
		return r.ask(n, false)
	}
	switch in.Kind {
	case InputChoice:
		switch in.ChoiceID {
		case confirmYes:
			return yes()
		case confirmNo:
			return no()
		}
	case InputText:
		lab := []labeled{
			{Choice: Choice{ID: confirmYes, Means: understand.MeansYes, Words: stopWords}, text: Text(r.e.Texts, r.texts(), r.st.Lang, "umum.ya_berhenti", nil)},
			{Choice: Choice{ID: confirmNo, Means: understand.MeansNo, Words: goOnWords}, text: Text(r.e.Texts, r.texts(), r.st.Lang, "umum.tidak_lanjutkan", nil)},
		}
		rd := understand.Question{Options: toOptions(lab)}.Read(understand.Parse(in.Text))
		switch {
		case rd.Kind == understand.Cancel || rd.Kind == understand.Menu || rd.Kind == understand.Pick && rd.Option == 0:
			r.understood(in.Text, rd, lab)
			return yes()
		case rd.Kind == understand.Pick:
			r.understood(in.Text, rd, lab)
			return no()
		case rd.Kind == understand.Unclear:
			r.understood(in.Text, rd, lab)
			r.st.Data[confirmKey] = string(kind)
			return r.leave(n, kind)
		}
	}
	return r.answer(n, in)
}
