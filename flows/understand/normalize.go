package understand

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Text is a typed message as the reader sees it.
type Text struct {
	// Raw is the message as typed.
	Raw string
	// Words are its canonical words: lower case, accents, punctuation and emoji gone (emoji that
	// mean yes or no become "iya" / "tidak"), letters typed many times squeezed ("iyaaa"), informal
	// spellings replaced by their standard form ("gak" is "tidak", "udh" is "sudah").
	Words []string
	// breaks marks the words a comma, full stop or other clause mark follows: in "bukan, salah"
	// the "bukan" does not negate the "salah".
	breaks []bool
}

// Parse normalizes a typed message.
func Parse(s string) Text {
	ws, brk := canonical(tokens(s, true))
	alone(ws)
	return Text{Raw: s, Words: ws, breaks: brk}
}

// alone reads a word of [alone] as what it means when it is the only word besides fillers:
// "nah" alone is a no, "nah iyo" is a yes.
func alone(ws []string) {
	at := -1
	for i, w := range ws {
		if _, ok := lex.alone[w]; ok && at < 0 {
			at = i
			continue
		}
		if !lex.is("filler", w) {
			return
		}
	}
	if at >= 0 {
		ws[at] = lex.alone[ws[at]]
	}
}

// breakAfter reports a clause mark after word i.
func (t Text) breakAfter(i int) bool { return i < len(t.breaks) && t.breaks[i] }

// Plain lowers s and keeps its letters and digits, one space between words: no emoji meaning,
// no slang. Choice labels are compared with typed text in this form too.
func Plain(s string) string { return strings.Join(words(tokens(s, false)), " ") }

// Canon is the canonical form of a label or keyword: its words as Parse reads them, without
// the meaning of emoji (a label's "✅" is decoration, not a yes).
func Canon(s string) []string {
	return canonMemo.get(s, func(s string) []string {
		ws, _ := canonical(tokens(s, false))
		return clip(ws)
	})
}

// tok is one word as typed, and whether a clause mark follows it.
type tok struct {
	w   string
	brk bool
}

func words(ts []tok) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.w
	}
	return out
}

// isClauseMark reports the punctuation that ends a clause.
func isClauseMark(r rune) bool { return strings.ContainsRune(",.;:!?\n…", r) }

// String joins the canonical words.
func (t Text) String() string { return strings.Join(t.Words, " ") }

// Empty reports a message with no words (only punctuation or emoji without meaning).
func (t Text) Empty() bool { return len(t.Words) == 0 }

// emojiWords are emoji people send as an answer.
var emojiWords = map[rune]string{
	'👍': "iya", '👌': "oke", '✅': "iya", '✔': "iya", '☑': "iya", '🆗': "oke", '🙆': "iya", '💯': "iya", '🤝': "setuju",
	'👎': "tidak", '❌': "tidak", '✖': "tidak", '❎': "tidak", '🙅': "tidak", '🚫': "tidak", '⛔': "tidak",
	'🙏': "terimakasih", '👋': "halo", '🔟': "10",
}

func isStar(r rune) bool { return r == '⭐' || r == '🌟' || r == '★' }

// tokens splits s into lower-case words of letters and digits. With emoji set, emoji that carry
// a meaning become words and a run of stars becomes its count ("⭐⭐⭐⭐" is "4").
func tokens(s string, emoji bool) []tok {
	var out []tok
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			for _, w := range splitDigits(string(cur)) {
				out = append(out, tok{w: w})
			}
			cur = cur[:0]
		}
	}
	mark := func() {
		if len(out) > 0 {
			out[len(out)-1].brk = true
		}
	}
	rs := []rune(norm.NFKD.String(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Mn, r) || r == '\u200d' || r == '\ufe0f' || r == '\u20e3':
			// Accents, emoji joiners and variation selectors, keycap marks ("1️⃣" stays "1").
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, unicode.ToLower(r))
		case r == '\'' || r == '’' || r == '`' || r == 'ʼ':
			// "assalamu'alaikum", "don't": an apostrophe joins a word.
		case r == '/' && len(cur) > 0 && unicode.IsDigit(cur[len(cur)-1]) && i+1 < len(rs) && unicode.IsDigit(rs[i+1]):
			// "5/5": five out of five.
			flush()
			out = append(out, tok{w: "dari"})
		case emoji && isStar(r):
			flush()
			n := 1
			for i+1 < len(rs) && (isStar(rs[i+1]) || rs[i+1] == '\ufe0f') {
				if isStar(rs[i+1]) {
					n++
				}
				i++
			}
			out = append(out, tok{w: strconv.Itoa(n)})
		default:
			flush()
			if isClauseMark(r) {
				mark()
			}
			if w, ok := emojiWords[r]; ok && emoji {
				out = append(out, tok{w: w})
			}
		}
	}
	flush()
	return out
}

// numberPrefixes may be glued to a number: "no2", "ke2", "yg2".
var numberPrefixes = map[string]bool{"no": true, "nomor": true, "nomer": true, "nmr": true, "ke": true, "yg": true, "yang": true,
	"pilihan": true, "pilih": true, "opsi": true, "angka": true, "option": true, "number": true, "bintang": true, "nilai": true}

// splitDigits separates letters from digits ("no2" is "no 2") and reads a word ending in 2 as
// said twice ("apa2" is "apa apa", "hati2" is "hati hati"). Ordinals like "2nd" stay whole.
func splitDigits(w string) []string {
	var parts []string
	start := 0
	rs := []rune(w)
	for i := 1; i <= len(rs); i++ {
		if i == len(rs) || unicode.IsDigit(rs[i]) != unicode.IsDigit(rs[i-1]) {
			parts = append(parts, string(rs[start:i]))
			start = i
		}
	}
	if len(parts) == 2 && isDigits(parts[0]) {
		switch parts[1] {
		case "st", "nd", "rd", "th":
			return []string{w}
		}
	}
	if len(parts) == 2 && parts[1] == "2" && !numberPrefixes[parts[0]] && len([]rune(parts[0])) >= 3 {
		return []string{parts[0], parts[0]}
	}
	return parts
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// canonical squeezes repeated letters and replaces informal spellings and runs of words; it
// returns the words and the clause marks after them.
func canonical(ts []tok) ([]string, []bool) {
	if len(ts) == 0 {
		return nil, nil
	}
	sq := make([]tok, len(ts))
	for i, t := range ts {
		sq[i] = tok{w: squeeze(t.w), brk: t.brk}
	}
	sq = lex.mergeRuns(sq)
	out := make([]tok, 0, len(sq))
	for _, t := range sq {
		c, ok := lex.slang[t.w]
		if !ok {
			out = append(out, t)
			continue
		}
		for i, w := range c {
			out = append(out, tok{w: w, brk: t.brk && i == len(c)-1})
		}
	}
	out = lex.mergeRuns(out)
	intensifiersFirst(out)
	ws, brk := make([]string, len(out)), make([]bool, len(out))
	for i, t := range out {
		ws[i], brk[i] = t.w, t.brk
	}
	return ws, brk
}

// canonWords is canonical for words without clause marks (table entries).
func canonWords(ws []string) []string {
	ts := make([]tok, len(ws))
	for i, w := range ws {
		ts[i] = tok{w: w}
	}
	out, _ := canonical(ts)
	return out
}

// squeeze undoes letters typed many times: "iyaaa" is "iya", "siiip" is "sip", "okee" is
// "oke". It keeps a word the tables know and otherwise tries, in order, runs of three or more
// letters cut to two ("maaaaf" is "maaf") and to one, then every double letter cut to one;
// the first known form wins. An unknown word loses only its runs of three or more.
func squeeze(w string) string {
	if lex.known[w] || isDigits(w) {
		return w
	}
	two, one, all := squeezeRuns(w, 3, 2), squeezeRuns(w, 3, 1), squeezeRuns(w, 2, 1)
	for _, c := range []string{two, one, all} {
		if lex.known[c] {
			return c
		}
	}
	return one
}

// squeezeRuns cuts every run of at least min equal letters down to keep letters.
func squeezeRuns(w string, min, keep int) string {
	rs := []rune(w)
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		n := j - i
		if n >= min && unicode.IsLetter(rs[i]) {
			n = keep
		}
		for k := 0; k < n; k++ {
			b.WriteRune(rs[i])
		}
		i = j
	}
	return b.String()
}

// intensifiersFirst puts an intensifier written after its word before it, as "sangat": "puas
// nian", "puas banget" and "puas sekali" are all "sangat puas", the way labels and keywords are
// compared. "sekali" only at the end of a clause or before fillers ("sekali lagi" is once more).
func intensifiersFirst(ts []tok) {
	for i := 1; i < len(ts); i++ {
		w, prev := ts[i].w, ts[i-1]
		if w != "sangat" && w != "sekali" || prev.brk || prev.w == "sangat" || lex.is("function", prev.w) ||
			lex.is("filler", prev.w) || isDigits(prev.w) {
			continue
		}
		if w == "sekali" && !(ts[i].brk || i+1 == len(ts) || lex.is("filler", ts[i+1].w)) {
			continue
		}
		ts[i-1], ts[i] = tok{w: "sangat"}, tok{w: prev.w, brk: ts[i].brk}
	}
}
