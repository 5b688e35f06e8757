package understand

import (
	"slices"
	"sort"
	"strings"
)

// What a choice means, for the yes/no reading.
const (
	MeansYes = "yes"
	MeansNo  = "no"
)

// Option is one answer a question offers.
type Option struct {
	ID string
	// Label is the option's text as the person reads it.
	Label string
	// Words are more words or phrases that name it (a category's vocabulary, a choice's words).
	Words []string
	// Means is MeansYes, MeansNo or "".
	Means string
}

// Question is what the reader needs to know of the question a reply answers.
type Question struct {
	Options []Option
	// Free marks a question answered in the person's own words (text, location, photo). Its
	// options are shortcuts, taken only when the reply is one of them exactly, its number, or a
	// short yes or no when a shortcut means it; anything else is the person's answer.
	Free bool
	// Exact stops after the sure readings (a number, an option's label or words, a cancel, menu
	// or help phrase), so a caller can try its own readings before the looser ones.
	Exact bool
}

// Kind is what a reply was read as.
type Kind string

// Kinds of reading.
const (
	None       Kind = ""             // nothing understood: ask again (or, at a free question, the answer itself)
	Pick       Kind = "pick"         // Options[Reading.Option]
	Cancel     Kind = "cancel"       // stop what is being done
	Menu       Kind = "menu"         // back to the main menu
	Help       Kind = "help"         // the person does not know what to answer
	Unclear    Kind = "unclear"      // yes and no at once, or two options fit equally well: ask again
	OutOfRange Kind = "out_of_range" // a number no option has
)

// Via says what in the reply decided the reading.
type Via string

// Ways a reply is read.
const (
	ViaNumber Via = "number" // "2", "yang kedua"
	ViaLabel  Via = "label"  // the option's label or id, exactly
	ViaYes    Via = "yes"    // a yes, to the option that means yes
	ViaNo     Via = "no"     // a no, to the option that means no
	ViaWords  Via = "words"  // words of the label or the option's vocabulary
	ViaTypo   Via = "typo"   // the same, with typos
	ViaPhrase Via = "phrase" // a cancel, menu or help phrase
)

// Polarity is the yes/no sense of a reply.
type Polarity int

// Polarities. Mixed is yes and no at once ("ya tapi salah"), a double negative ("tidak salah")
// or an unsure answer ("mungkin"): never a yes.
const (
	Neutral Polarity = iota
	Yes
	No
	Mixed
)

// String names the polarity.
func (p Polarity) String() string {
	return [...]string{"neutral", "yes", "no", "mixed"}[p]
}

// Reading is how a reply was understood.
type Reading struct {
	Kind Kind
	// Option is the index of the option picked (Kind Pick).
	Option int
	Via    Via
	// Polarity is the reply's yes/no sense, whatever else it says.
	Polarity Polarity
	// Candidates are the options that fit about equally (Kind Unclear).
	Candidates []int
}

// Read understands a reply to q.
func Read(raw string, q Question) Reading { return q.Read(Parse(raw)) }

// Read understands the parsed reply t.
func (q Question) Read(t Text) Reading {
	plain := Plain(t.Raw)
	if plain == "" && t.Empty() {
		return Reading{}
	}
	opts := q.Options
	// 1. A number: "2", "no. 2", "yang kedua".
	if n, last, ok := Number(t); ok && len(opts) > 0 && (!q.Free || isDigits(plain)) {
		if last {
			n = len(opts)
		}
		if n >= 1 && n <= len(opts) {
			return Reading{Kind: Pick, Option: n - 1, Via: ViaNumber}
		}
		if !q.Free {
			return Reading{Kind: OutOfRange}
		}
	}
	// 2. An option exactly: its label, id or one of its words; first as written, then without
	// particles and politeness ("kirim aja ya kak").
	ix := indexOf(opts)
	for pass := 0; pass < 2; pass++ {
		mine := t.Words
		if pass == 1 {
			mine = strictCore(t.Words)
		}
		if len(mine) == 0 {
			continue
		}
		for i, f := range ix.forms {
			if pass == 0 && (plain == f.plainLabel || plain == f.plainID) || equalWords(mine, f.label[pass]) {
				return Reading{Kind: Pick, Option: i, Via: ViaLabel}
			}
			for _, w := range f.words[pass] {
				if equalWords(mine, w) {
					return Reading{Kind: Pick, Option: i, Via: ViaWords}
				}
			}
		}
	}
	core := coreWords(t.Words)
	// 3. Cancel, menu, help: a short reply that is only that phrase. When an option is named by
	// it (a "❌ Batal" choice), it is that option.
	if g := Global(t); g != None {
		if i := optionNamed(opts, g, core); i >= 0 {
			return Reading{Kind: Pick, Option: i, Via: ViaPhrase}
		}
		return Reading{Kind: g, Via: ViaPhrase}
	}
	if q.Exact {
		return Reading{}
	}
	labelWords := ix.vocab
	pr := polarityOf(t, func(w string) bool { return labelWords.has(w) })
	yesOpt, noOpt := meaning(opts, MeansYes), meaning(opts, MeansNo)
	// 4. At a free question, a short yes or no takes the shortcut that means it.
	if q.Free {
		switch {
		case pr.pol == No && noOpt >= 0 && onlyAbout(t.Words, opts[noOpt]):
			return Reading{Kind: Pick, Option: noOpt, Via: ViaNo, Polarity: No}
		case pr.pol == Yes && yesOpt >= 0 && onlyAbout(t.Words, opts[yesOpt]):
			return Reading{Kind: Pick, Option: yesOpt, Via: ViaYes, Polarity: Yes}
		}
		// A short reply made only of a shortcut's words: "saya lupa nomornya".
		found := -1
		for i, o := range opts {
			if len(o.Words) > 0 && len(content(t.Words)) > 0 && len(t.Words) <= 6 && onlyAbout(t.Words, o) && mentions(t.Words, o) {
				if found >= 0 {
					return Reading{Polarity: pr.pol}
				}
				found = i
			}
		}
		if found >= 0 && !(pr.pol != Yes && pr.pol != Neutral && found == yesOpt) {
			return Reading{Kind: Pick, Option: found, Via: ViaWords, Polarity: pr.pol}
		}
		return Reading{Polarity: pr.pol}
	}
	if pr.pol == Mixed && (yesOpt >= 0 || pr.asked) {
		return Reading{Kind: Unclear, Polarity: Mixed}
	}
	if pr.pol == Mixed && noOpt >= 0 {
		// No answer means yes here ("Bagian mana yang mau diubah?"): "gak ada, sudah benar" is its no.
		pr.pol = No
	}
	if (pr.pol == No || pr.pol == Mixed) && noOpt >= 0 && negatesOption(t.Words, pr.negated, opts[noOpt]) {
		// "tidak usah dirahasiakan", "jangan diubah": a no to the answer that means no. Ask.
		return Reading{Kind: Unclear, Polarity: Mixed}
	}
	if askedBack(t) {
		return Reading{Polarity: pr.pol}
	}
	sc := score(t.Words, pr.negated, opts)
	best, tied := settle(sc.pick(0.7, 1.5))(opts)
	if top := sc.top(); best < 0 && len(tied) == 0 && len(top) > 1 {
		// Each name alone is too weak, being shared: "kec mesuji" is still Mesuji.
		best = shortestName(opts, top)
	}
	notYes := pr.pol == No || pr.pol == Mixed
	// 5. Yes or no, when an option means it. Words naming another option win ("ya, ubah").
	switch {
	case pr.pol == Yes && yesOpt >= 0:
		if best >= 0 && best != yesOpt {
			return Reading{Kind: Pick, Option: best, Via: ViaWords, Polarity: Yes}
		}
		return Reading{Kind: Pick, Option: yesOpt, Via: ViaYes, Polarity: Yes}
	case pr.pol == No && (noOpt >= 0 || yesOpt >= 0):
		if best == yesOpt && best >= 0 {
			// "salah, kirim aja": a no and the yes option's word. Ask.
			return Reading{Kind: Unclear, Polarity: No}
		}
		if best >= 0 && best != noOpt {
			return Reading{Kind: Pick, Option: best, Via: ViaWords, Polarity: No}
		}
		if noOpt >= 0 {
			return Reading{Kind: Pick, Option: noOpt, Via: ViaNo, Polarity: No}
		}
	}
	// 6. Words of the labels and vocabularies, typos tolerated. A no is never read as the yes option.
	if len(tied) > 1 {
		return Reading{Kind: Unclear, Candidates: tied, Polarity: pr.pol}
	}
	if best >= 0 && !(notYes && best == yesOpt) {
		via := ViaWords
		if sc.typo[best] {
			via = ViaTypo
		}
		return Reading{Kind: Pick, Option: best, Via: via, Polarity: pr.pol}
	}
	return Reading{Polarity: pr.pol}
}

// meaning is the index of the option that means m, or -1.
func meaning(opts []Option, m string) int {
	for i, o := range opts {
		if o.Means == m {
			return i
		}
	}
	return -1
}

// coreWords drops fillers (particles, names like "kak", "min", "aja") and, when other words
// remain, polite yes-words: "kirim aja ya kak" is "kirim", "ok batal" is "batal".
func coreWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !lex.is("filler", w) {
			out = append(out, w)
		}
	}
	var rest []string
	negated := false // a yes-word after a negator ("tidak lanjut") is part of what is said
	for _, w := range out {
		if !lex.is("yes", w) || negated {
			rest = append(rest, w)
		}
		switch {
		case isNegator(w):
			negated = true
		case !lex.is("negfill", w):
			negated = false
		}
	}
	if len(rest) > 0 {
		return rest
	}
	if len(out) > 0 {
		return out
	}
	return ws
}

// strictCore is coreWords that keeps the yes-words when a no-word remains: "iya belum" is not
// "belum", but "kirim aja ya" is "kirim".
func strictCore(ws []string) []string {
	c := coreWords(ws)
	for _, w := range c {
		if polar(w) == -1 || isNegator(w) {
			var out []string
			for _, w := range ws {
				if !lex.is("filler", w) {
					out = append(out, w)
				}
			}
			return out
		}
	}
	return c
}

// negatesOption reports a negated word that is the option's own ("tidak usah dirahasiakan"
// negates the option "Rahasiakan identitas saya").
func negatesOption(ws []string, negated []bool, o Option) bool {
	own := indexOf([]Option{o}).vocab
	for i, w := range ws {
		if negated[i] && own.has(w) {
			return true
		}
	}
	return false
}

// mentions reports whether some word of the reply names the option.
func mentions(ws []string, o Option) bool {
	own := indexOf([]Option{o}).vocab
	for _, w := range ws {
		if own.has(w) {
			return true
		}
		// One of its own words, even an unsure one ("saya lupa" names "lupa").
		for _, x := range o.Words {
			if c := Canon(x); len(c) == 1 && c[0] == w {
				return true
			}
		}
	}
	return false
}

// askedBack reports a question to the bot rather than an answer: "siapa nama kamu?".
func askedBack(t Text) bool {
	q, you := false, false
	for _, w := range t.Words {
		switch w {
		case "siapa", "apakah", "kenapa", "mengapa", "berapa", "dimana", "apa", "bagaimana", "who", "why", "what", "how":
			q = true
		case "anda", "ini", "itu":
			you = true
		}
	}
	return q && you
}

// polarityResult is the yes/no sense of a reply and which of its words a negator turned.
type polarityResult struct {
	pol     Polarity
	negated []bool
	asked   bool // the reply asks back: never an answer
}

// polar says whether w is a yes-word (+1), a no-word (-1), unsure (2) or neither (0), with
// typos on words of four letters or more ("tidka", "stuju").
func polar(w string) int {
	switch {
	case lex.is("yes", w):
		return 1
	case lex.is("no", w):
		return -1
	case lex.is("unsure", w):
		return 2
	case lex.known[w]:
		return 0
	}
	return polarMemo.get(w, polarByTypo)
}

// polarByTypo is the sense of a word the tables do not know: a yes- or no-word with typos.
func polarByTypo(w string) int {
	yes, no := false, false
	for _, sec := range []string{"yes", "no"} {
		for cand := range lex.words[sec] {
			if _, ok := typoOf(w, cand); ok {
				if sec == "yes" {
					yes = true
				} else {
					no = true
				}
			}
		}
	}
	switch {
	case yes && no:
		return 2
	case yes:
		return 1
	case no:
		return -1
	}
	return 0
}

// isNegator reports a word that turns the next one into its opposite.
func isNegator(w string) bool {
	if lex.is("negator", w) {
		return true
	}
	if lex.known[w] {
		return false
	}
	return negMemo.get(w, negatorByTypo)
}

// negatorByTypo reports a negator with typos ("tidka").
func negatorByTypo(w string) bool {
	for cand := range lex.words["negator"] {
		if _, ok := typoOf(w, cand); ok {
			return true
		}
	}
	return false
}

// polarityOf reads the yes/no sense of words. A negator before a yes-word or a word of an option
// (labelWord) makes a no and marks that word negated: "belum benar", "jangan dikirim",
// "tidak usah dirahasiakan". "tidak salah" is a double negative: Mixed, asked again rather
// than guessed. Two no-words ("belum, masih rusak", "gak gak") are a plain no.
func polarityOf(t Text, labelWord func(string) bool) polarityResult {
	ws := t.Words
	r := polarityResult{negated: make([]bool, len(ws))}
	yes, no, unsure := false, false, false
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if isNegator(w) {
			j := i + 1
			if !t.breakAfter(i) {
				for j < len(ws) && (lex.is("negfill", ws[j]) || lex.is("filler", ws[j])) && !t.breakAfter(j) {
					j++
				}
			} else {
				// "bukan, salah", "belum, mau ubah uraian": the comma ends the negation, and
				// negates nothing after it.
				no = true
				continue
			}
			if j < len(ws) {
				next := ws[j]
				switch p := polar(next); {
				case p == 1 || (p == 0 && labelWord(next)):
					no = true
					r.negated[j] = true
					i = j
					continue
				case next == "salah":
					// "tidak salah": not wrong is not the same as right. Ask.
					unsure = true
					r.negated[j] = true
					i = j
					continue
				}
			}
			// The words skipped belong to the negation: "tidak boleh", "gak mau".
			for k := i + 1; k < j && k < len(ws); k++ {
				r.negated[k] = true
			}
			no = true
			if j <= len(ws) && j > i+1 {
				i = j - 1
			}
			continue
		}
		switch polar(w) {
		case 1:
			yes = true
		case -1:
			no = true
		case 2:
			unsure = true
		}
	}
	if no && questionTag(t) {
		// "besok hujan ga ya", "sudah diperbaiki belum?": a question back, not an answer.
		unsure = true
		r.asked = true
	}
	switch {
	case unsure || yes && no:
		r.pol = Mixed
	case yes:
		r.pol = Yes
	case no:
		r.pol = No
	}
	return r
}

// questionTag reports a message that asks rather than answers: it ends with a question mark
// after a no-word, or ends with a no-word ("…ga ya", "…belum sih") after two words that are not
// yes or no ("besok hujan ga ya").
func questionTag(t Text) bool {
	raw := strings.TrimSpace(t.Raw)
	if strings.HasSuffix(raw, "?") && len(t.Words) > 1 {
		return true
	}
	ws := t.Words
	end := len(ws)
	for end > 0 && (lex.is("filler", ws[end-1]) || ws[end-1] == "ya") {
		end--
	}
	if end < 3 || !isNegator(ws[end-1]) || t.breakAfter(end-2) {
		return false
	}
	content := 0
	for _, w := range ws[:end-1] {
		if polar(w) == 0 && !isNegator(w) && !lex.is("filler", w) && !lex.is("negfill", w) {
			content++
		}
	}
	return content >= 2
}

// onlyAbout reports whether a reply says nothing besides yes or no and the option's own
// words: "tidak ada saran" skips a comment whose skip option has the word "saran", but
// "tidak ramah petugasnya" is a comment.
func onlyAbout(ws []string, o Option) bool {
	own := indexOf([]Option{o}).vocab
	for _, w := range ws {
		if polar(w) != 0 || isNegator(w) || lex.is("negfill", w) || lex.is("filler", w) || lex.is("function", w) || own.has(w) {
			continue
		}
		return false
	}
	return true
}

// OnlyPolarity reports whether t is a reply of polarity p and nothing else: its other words are
// fillers or the topic ("tidak ada foto" with topic "foto"; "gak tau alamatnya" with "alamat").
func OnlyPolarity(t Text, p Polarity, topic ...string) bool {
	if polarityOf(t, func(string) bool { return false }).pol != p {
		return false
	}
	return onlyAbout(t.Words, Option{Words: topic})
}

// optionNamed finds the one option a cancel, menu or help phrase names by its label: "batal"
// typed at a question with a "❌ Batal" choice is that choice.
func optionNamed(opts []Option, k Kind, core []string) int {
	word := map[Kind]string{Cancel: "batal", Menu: "menu", Help: "bantuan"}[k]
	if !slices.Contains(core, word) && k != Cancel {
		return -1
	}
	found := -1
	for i, o := range opts {
		for _, w := range Canon(o.Label) {
			if w == word {
				if found >= 0 && found != i {
					return -1
				}
				found = i
			}
		}
	}
	return found
}

// vocabulary is a set of words, matched with stems and typos.
type vocabulary struct {
	words map[string]bool
	// stemOf holds every stem of every word; byFirst lists the words by first letter, for typos.
	stemOf  map[string]bool
	byFirst map[rune][]string
	// stemWords lists, for each stem, the words that have it.
	stemWords map[string][]string
}

func newVocabulary() *vocabulary {
	return &vocabulary{words: map[string]bool{}, stemOf: map[string]bool{}, byFirst: map[rune][]string{}, stemWords: map[string][]string{}}
}

func (v *vocabulary) add(w string) {
	if v.words[w] || w == "" {
		return
	}
	v.words[w] = true
	for s := range stemSet(w) {
		v.stemOf[s] = true
		v.stemWords[s] = append(v.stemWords[s], w)
	}
	r := []rune(w)[0]
	v.byFirst[r] = append(v.byFirst[r], w)
}

// has reports whether w is a word of v, shares a stem with one, or is one with typos (what
// wordMatch accepts).
func (v *vocabulary) has(w string) bool {
	if v.words[w] {
		return true
	}
	if lex.is("filler", w) || lex.is("function", w) || isDigits(w) || w == "" {
		return false
	}
	if len(w) >= 3 {
		if v.stemOf[w] {
			return true
		}
		for s := range stemSet(w) {
			if len(s) >= 3 && v.words[s] {
				return true
			}
		}
	}
	for _, k := range v.byFirst[[]rune(w)[0]] {
		if _, ok := typoOf(w, k); ok {
			return true
		}
	}
	return false
}

// matches is wordMatch of the typed word t against every word of v, for the words it fits.
func (v *vocabulary) matches(t string) map[string]float64 {
	out := map[string]float64{}
	if v.words[t] {
		out[t] = qualityExact
	}
	if isDigits(t) {
		return out
	}
	if len(t) >= 3 {
		for s := range stemSet(t) {
			if s != t && len(s) >= 3 && v.words[s] && !isDigits(s) {
				out[s] = qualityStem
			}
		}
		for _, w := range v.stemWords[t] {
			if w != t && len(w) >= 3 && !isDigits(w) {
				out[w] = qualityStem
			}
		}
	}
	if rs := []rune(t); len(rs) >= 4 && !lex.known[t] {
		for _, k := range v.byFirst[rs[0]] {
			if _, done := out[k]; done || isDigits(k) {
				continue
			}
			if d, ok := typoOf(t, k); ok {
				out[k] = qualityTypo
				if d >= 2 {
					out[k] = qualityTypo2
				}
			}
		}
	}
	return out
}

// labelVocabulary is every content word of the options' labels, ids and words.
func labelVocabulary(opts []Option) *vocabulary {
	v := newVocabulary()
	for _, o := range opts {
		for _, s := range append([]string{o.Label, strings.ReplaceAll(o.ID, "_", " ")}, o.Words...) {
			ws := Canon(s)
			if len(ws) > 1 && slices.ContainsFunc(ws, isNegator) {
				// "jangan tampilkan" names the option by a negation: its "tampilkan" is not the option's.
				continue
			}
			for _, w := range ws {
				if polar(w) == 0 && !lex.is("filler", w) && !lex.is("function", w) && !isDigits(w) && len(w) >= 3 {
					v.add(w)
				}
			}
		}
	}
	return v
}

// troubled reports a problem word ("putus", "rusak", "mati") in the n words of a phrase or in
// the five words written after it.
func troubled(rest []pos, n int) bool {
	for k := 0; k < len(rest) && rest[k].i-rest[0].i < n+5; k++ {
		if lex.is("problem", rest[k].w) {
			return true
		}
	}
	return false
}

// pos is a word of the reply and its place among all its words.
type pos struct {
	w string
	i int
	// exact: a common word (filler, function, yes/no) counted only because a phrase has it; it
	// matches that phrase's word exactly, never by stem or typo ("izin" is not "perizinan").
	exact bool
}

// scores are the options' scores for a reply.
type scores struct {
	s    []float64
	typo []bool
}

func (s scores) at(i int) float64 { return s.s[i] }

// pick returns the best option when it reaches threshold and beats the next by margin times;
// tied lists the options that come close to the best (two or more: ask).
func (s scores) pick(threshold, margin float64) (best int, tied []int) {
	best = -1
	order := make([]int, 0, len(s.s))
	for i, v := range s.s {
		if v > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return s.s[order[a]] > s.s[order[b]] })
	if len(order) == 0 || s.s[order[0]] < threshold {
		return -1, nil
	}
	top := s.s[order[0]]
	for _, i := range order {
		if s.s[i]*margin >= top {
			tied = append(tied, i)
		}
	}
	if len(tied) > 1 {
		return -1, tied
	}
	return order[0], nil
}

// top lists the options that share the highest score above zero.
func (s scores) top() []int {
	var out []int
	hi := 0.0
	for i, v := range s.s {
		switch {
		case v <= 0:
		case v > hi+1e-9:
			hi, out = v, []int{i}
		case v > hi-1e-9:
			out = append(out, i)
		}
	}
	return out
}

// phrase is one way an option is named, with its weight.
type phrase struct {
	option int
	words  []string
	weight float64
}

// phrasesOf lists the ways options are named: the whole label, each label word (weight 1 when
// only this option's label has it, 0.5 when several do or it is a common word), the id and
// every word or phrase of its vocabulary (weight: its length in words).
func phrasesOf(opts []Option) []phrase {
	var out []phrase
	labelCount := map[string]int{}
	labels := make([][]string, len(opts))
	for i, o := range opts {
		labels[i] = content(Canon(o.Label))
		seen := map[string]bool{}
		for _, w := range labels[i] {
			if !seen[w] {
				labelCount[w]++
				seen[w] = true
			}
		}
	}
	for i, o := range opts {
		if l := labels[i]; len(l) > 1 {
			out = append(out, phrase{i, l, float64(len(l))})
			// "kayuagung" for "Kayu Agung", "pedamarantimur" typed as one word.
			out = append(out, phrase{i, []string{strings.Join(l, "")}, float64(len(l))})
		}
		for _, w := range labels[i] {
			weight := 1.0
			if labelCount[w] > 1 || lex.is("function", w) {
				weight = 0.5
			}
			out = append(out, phrase{i, []string{w}, weight})
		}
		if id := content(Canon(strings.ReplaceAll(o.ID, "_", " "))); len(id) > 0 && len(o.ID) >= 3 {
			out = append(out, phrase{i, id, float64(len(id))})
		}
		for _, s := range o.Words {
			if ws := Canon(s); len(ws) > 0 {
				out = append(out, phrase{i, ws, float64(len(ws))})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return len(out[a].words) > len(out[b].words) })
	return out
}

// content drops fillers, yes/no words and digits from a label's words.
func content(ws []string) []string {
	var out []string
	for _, w := range ws {
		if lex.is("filler", w) || polar(w) != 0 || isNegator(w) || isDigits(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// score matches the reply's words against every option's phrases, longest phrases first: the
// words a longer phrase took ("lampu jalan") are not counted again for a shorter one ("jalan").
// Negated words count for nothing.
func score(ws []string, negated []bool, opts []Option) scores {
	return scoreWith(ws, negated, opts, 1, false)
}

// scoreWith is score with matches by typo weighted by typoWeight: a long description has many
// words, and a word that is only close to a keyword ("Pedamaran", "pelajaran") must not decide.
//
// With place set, words that say where ("di jembatan timbang", "dekat sekolah") do not count:
// the three words after a word of [locative], up to a problem word.
func scoreWith(ws []string, negated []bool, opts []Option, typoWeight float64, place bool) scores {
	// A description (typos weighed down) also weighs where a word stands: what a complaint is
	// about comes first ("jembatan … hampir putus, anak sekolah takut lewat") and is followed by
	// what is wrong with it.
	describe := typoWeight < 1
	ix := indexOf(opts)
	ps := ix.phrases
	inPhrase := ix.words.words
	// The reply's words that can name something: not fillers, not yes/no words, not negated,
	// and not common words unless some phrase has them.
	// A phrase that holds its own negator ("tidak puas") is read whole: its words are not negated.
	neg := make([]bool, len(ws))
	if negated != nil {
		copy(neg, negated)
	}
	for _, p := range ix.negPhrases {
		for at := 0; at+len(p.words) <= len(ws); at++ {
			if equalWords(ws[at:at+len(p.words)], p.words) {
				for k := range p.words {
					neg[at+k] = false
				}
			}
		}
	}
	placed := make([]bool, len(ws))
	if place {
		for i, w := range ws {
			if !lex.is("locative", w) {
				continue
			}
			for k := i + 1; k < len(ws) && k <= i+3 && !lex.is("problem", ws[k]) && !lex.is("locative", ws[k]); k++ {
				placed[k] = true
			}
		}
	}
	var seq []pos
	for i, w := range ws {
		if neg[i] {
			continue
		}
		common := lex.is("filler", w) || lex.is("function", w) || polar(w) != 0 || isNegator(w)
		if common && !inPhrase[w] {
			continue
		}
		seq = append(seq, pos{w, i, common})
	}
	res := scores{s: make([]float64, len(opts)), typo: make([]bool, len(opts))}
	taken := make([]bool, len(seq))
	// How each typed word (and each two typed words written as one) fits the phrases' words.
	fit, joined := make([]map[string]float64, len(seq)), make([]map[string]float64, len(seq))
	for at := range seq {
		fit[at] = ix.words.matches(seq[at].w)
		if at+1 < len(seq) && !seq[at].exact && !seq[at+1].exact {
			joined[at] = ix.words.matches(seq[at].w + seq[at+1].w)
		}
	}
	for start := 0; start < len(ps); {
		n := len(ps[start].words)
		end := start
		for end < len(ps) && len(ps[end].words) == n {
			end++
		}
		// best[option][position] for this length; positions used are taken afterwards.
		best := map[[2]int]float64{}
		typo := map[[2]int]bool{}
		for _, p := range ps[start:end] {
			if n == 1 && len(seq) > 1 {
				// Two typed words that are one word of a label: "kayu agung" for "Kayuagung".
				for at := 0; at+1 < len(seq); at++ {
					if taken[at] || taken[at+1] || seq[at].exact || seq[at+1].exact {
						continue
					}
					if q := joined[at][p.words[0]]; q > 0 && len(p.words[0]) >= 6 {
						if q < qualityStem {
							q *= typoWeight
						}
						key := [2]int{p.option, at}
						if v := p.weight * q; v > best[key] {
							best[key], typo[key] = v, q < qualityStem*typoWeight
						}
					}
				}
			}
			for at := 0; at+n <= len(seq); at++ {
				q := 1.0
				for k := 0; k < n && q > 0; k++ {
					if taken[at+k] {
						q = 0
						break
					}
					if seq[at+k].exact && seq[at+k].w != p.words[k] {
						q = 0
						break
					}
					q = min(q, fit[at+k][p.words[k]])
				}
				if q <= 0 {
					continue
				}
				if q < qualityStem {
					q *= typoWeight
				}
				key := [2]int{p.option, at}
				v := p.weight * q
				if placed[seq[at].i] {
					continue
				}
				if describe {
					v *= 1 + 0.3*(1-float64(seq[at].i)/float64(len(ws)))
					if troubled(seq[at:], n) {
						v *= 1.3
					}
				}
				if v > best[key] {
					best[key] = v
					typo[key] = q < qualityStem*typoWeight
				}
			}
		}
		for key, v := range best {
			res.s[key[0]] += v
			if typo[key] {
				res.typo[key[0]] = true
			}
			for k := 0; k < n; k++ {
				taken[key[1]+k] = true
			}
		}
		start = end
	}
	return res
}

// settle decides some ties between options: a name and longer names that hold it ("Mesuji"
// against "Mesuji Raya" and "Mesuji Makmur", when "kec mesuji" is typed) is the short one; the
// catch-all option ("Lainnya") against one other is the other.
func settle(best int, tied []int) func(opts []Option) (int, []int) {
	return func(opts []Option) (int, []int) {
		if len(tied) < 2 {
			return best, tied
		}
		var specific []int
		for _, i := range tied {
			if !isCatchAll(opts[i]) {
				specific = append(specific, i)
			}
		}
		if len(specific) == 1 {
			return specific[0], nil
		}
		if i := shortestName(opts, tied); i >= 0 {
			return i, nil
		}
		return best, tied
	}
}

// shortestName is the option among tied whose label's words every other label of tied holds
// with more words ("Mesuji" among "Mesuji Raya" and "Mesuji Makmur"), or -1.
func shortestName(opts []Option, tied []int) int {
	for _, i := range tied {
		short := content(Canon(opts[i].Label))
		if len(short) == 0 {
			continue
		}
		inAll := true
		for _, j := range tied {
			if j != i && !containsAll(content(Canon(opts[j].Label)), short) {
				inAll = false
				break
			}
		}
		if inAll {
			return i
		}
	}
	return -1
}

// isCatchAll reports the option for everything else: its label is a word of [other].
func isCatchAll(o Option) bool {
	l := content(Canon(o.Label))
	return len(l) == 1 && lex.is("other", l[0])
}

// containsAll reports whether every word of sub is in ws, and ws has more.
func containsAll(ws, sub []string) bool {
	if len(ws) <= len(sub) {
		return false
	}
	for _, w := range sub {
		if !slices.Contains(ws, w) {
			return false
		}
	}
	return true
}
