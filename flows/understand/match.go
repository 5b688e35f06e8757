package understand

import "strings"

// Distance is the Damerau-Levenshtein distance of a and b in runes (optimal string alignment:
// a swap of two neighbouring letters, "tidka", counts as one typo).
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return len(rb)
	}
	if len(rb) == 0 {
		return len(ra)
	}
	// Three rows: the one before the previous is needed for swaps.
	pp := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(rb)]
}

// Tolerance is how many typos a word of n letters may carry and still be recognized: none up
// to three letters ("ga" and "ya" are one typo apart), one for four to six, two from seven.
func Tolerance(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 6:
		return 1
	default:
		return 2
	}
}

// typoOf reports whether typed is a misspelling of word: within the tolerance of the shorter of
// the two, starting with the same letter, and not itself a word the tables know (a real word,
// "sampai", is never a typo of another, "sampah").
func typoOf(typed, word string) (int, bool) {
	if typed == word {
		return 0, true
	}
	rt, rw := []rune(typed), []rune(word)
	if len(rt) < 4 || len(rw) < 4 || rt[0] != rw[0] || lex.known[typed] {
		return 0, false
	}
	tol := Tolerance(min(len(rt), len(rw)))
	if d := len(rt) - len(rw); d > tol || -d > tol {
		return 0, false
	}
	d := Distance(typed, word)
	return d, d <= tol
}

// Quality of a word match.
const (
	qualityExact = 1.0
	qualityStem  = 0.9
	qualityTypo  = 0.75 // one typo
	qualityTypo2 = 0.55 // two typos, in a long word
)

// wordMatch is how well a typed word fits a word of a label or keyword: exactly, by a shared
// stem ("dikirim" and "kirim", "rahasiakan" and "rahasia"), or with typos. 0 when it does not.
func wordMatch(typed, word string) float64 {
	if typed == word {
		return qualityExact
	}
	if isDigits(typed) || isDigits(word) {
		return 0
	}
	if sharesStem(typed, word) {
		return qualityStem
	}
	if d, ok := typoOf(typed, word); ok {
		if d >= 2 {
			return qualityTypo2
		}
		return qualityTypo
	}
	return 0
}

// sharesStem reports whether one word is the other with Indonesian affixes.
func sharesStem(a, b string) bool {
	if len(a) < 3 || len(b) < 3 {
		return false
	}
	return stemSet(a)[b] || stemSet(b)[a]
}

var (
	particleSuffixes = []string{"nya", "lah", "kah", "pun", "ku", "mu"}
	deriveSuffixes   = []string{"kan", "an", "in", "i"}
	// prefixes in the order they are tried; nasal ones restore the letter they swallowed.
	prefixes = []struct {
		p       string
		restore []string // letters the prefix may have replaced before a vowel ("menulis" is "tulis")
	}{
		{"memper", nil}, {"diper", nil}, {"meng", []string{"k", ""}}, {"meny", []string{"s"}}, {"mem", []string{"p", ""}}, {"men", []string{"t", ""}},
		{"me", nil}, {"peng", []string{"k", ""}}, {"peny", []string{"s"}}, {"pem", []string{"p", ""}}, {"pen", []string{"t", ""}},
		{"per", nil}, {"pe", nil}, {"ber", nil}, {"be", nil}, {"ter", nil}, {"di", nil}, {"ke", nil}, {"se", nil},
		{"ng", []string{"k", ""}}, {"ny", []string{"s"}},
	}
)

// stems lists forms of w without its affixes, w itself first. It is a light, rule-based
// stripper (no dictionary): a candidate keeps at least four letters, or three behind a prefix of
// three or more ("berbau" is "bau"), so "becek" never becomes "cek".
func stems(w string) []string {
	out := []string{w}
	add := func(s string, min int) {
		if len([]rune(s)) < min {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	var bases []string
	bases = append(bases, w)
	for _, p := range particleSuffixes {
		if s, ok := strings.CutSuffix(w, p); ok && len(s) >= 3 {
			bases = append(bases, s)
		}
	}
	for _, b := range append([]string{}, bases...) {
		for _, d := range deriveSuffixes {
			if s, ok := strings.CutSuffix(b, d); ok && len(s) >= 3 {
				bases = append(bases, s)
			}
		}
	}
	for _, b := range bases {
		add(b, 4)
		for _, p := range prefixes {
			rest, ok := strings.CutPrefix(b, p.p)
			if !ok || len(rest) < 3 {
				continue
			}
			// A three-letter root only behind a long prefix: "berbau" is "bau", "becek" is not "cek".
			min := 4
			if len(p.p) >= 3 {
				min = 3
			}
			if p.restore == nil {
				add(rest, min)
				continue
			}
			for _, r := range p.restore {
				if r == "" || strings.ContainsRune("aiueo", rune(rest[0])) {
					add(r+rest, min)
				}
			}
		}
	}
	return out
}
