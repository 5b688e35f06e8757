package flows

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalize lowers text and keeps only letters and digits, one space between words:
// accents, emoji and punctuation are ignored, so "📝 Buat  Pengaduan!" is "buat pengaduan".
func normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// A combining accent: drop it, keep the base letter.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
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
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// tolerance is how many typos a typed word of n runes may carry.
func tolerance(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 8:
		return 1
	case n < 14:
		return 2
	default:
		return 3
	}
}

var numberWords = map[string]int{
	"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8,
	"sembilan": 9, "sepuluh": 10, "sebelas": 11, "dua belas": 12,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

// number reads "2", "2.", "no 2", "nomor dua" or "dua" as 2; 0 when the text is not a number.
func number(norm string) int {
	for _, p := range []string{"nomor ", "no ", "number "} {
		norm = strings.TrimPrefix(norm, p)
	}
	if n, err := strconv.Atoi(norm); err == nil && n > 0 {
		return n
	}
	return numberWords[norm]
}

var (
	yesWords = []string{"ya", "iya", "iyaa", "y", "ok", "oke", "okay", "betul", "benar", "sip", "yes", "yup", "boleh", "setuju", "sudah"}
	noWords  = []string{"tidak", "tdk", "gak", "ga", "nggak", "ngga", "engga", "enggak", "g", "bukan", "no", "nope", "belum", "jangan", "tak"}
)

// yesNo reads a typed yes or no answer: "ya", "iya", "ok", "tdk", "gak", "nggak"... Typos are tolerated on longer words.
func yesNo(text string) (answer string, ok bool) {
	n := normalize(text)
	if n == "" {
		return "", false
	}
	first := strings.Fields(n)[0]
	for _, cand := range []string{n, first} {
		for _, w := range yesWords {
			if cand == w {
				return "ya", true
			}
		}
		for _, w := range noWords {
			if cand == w {
				return "tidak", true
			}
		}
	}
	for _, w := range yesWords {
		if len(w) >= 4 && editDistance(n, w) <= tolerance(len(w))/2 {
			return "ya", true
		}
	}
	for _, w := range noWords {
		if len(w) >= 4 && editDistance(n, w) <= tolerance(len(w))/2 {
			return "tidak", true
		}
	}
	return "", false
}

// labeled is a choice with the text a person sees.
type labeled struct {
	Choice
	text string
}

// matchChoice finds the choice a typed text means: its id, its number (when numbers is set),
// its label exactly, a unique label containing the words, or a unique label within a few typos.
// It returns -1 when nothing or more than one choice fits.
func matchChoice(text string, choices []labeled, numbers bool) int {
	n := normalize(text)
	if n == "" || len(choices) == 0 {
		return -1
	}
	for i, c := range choices {
		if strings.EqualFold(strings.TrimSpace(text), c.ID) || normalize(c.ID) == n {
			return i
		}
	}
	if numbers {
		if k := number(n); k > 0 {
			if k <= len(choices) {
				return k - 1
			}
			return -1
		}
	}
	for i, c := range choices {
		if normalize(c.text) == n {
			return i
		}
	}
	if len([]rune(n)) >= 3 {
		found := -1
		for i, c := range choices {
			if containsWords(normalize(c.text), n) {
				if found >= 0 {
					found = -2
					break
				}
				found = i
			}
		}
		if found >= 0 {
			return found
		}
	}
	best, bestD, ties := -1, 1<<30, 0
	for i, c := range choices {
		d := windowDistance(n, normalize(c.text))
		if d > tolerance(len([]rune(n))) {
			continue
		}
		switch {
		case d < bestD:
			best, bestD, ties = i, d, 0
		case d == bestD:
			ties++
		}
	}
	if ties > 0 {
		return -1
	}
	return best
}

// containsWords reports whether the words of part appear in order as whole words of s.
func containsWords(s, part string) bool {
	return strings.Contains(" "+s+" ", " "+part+" ")
}

// windowDistance is the smallest edit distance between typed and the whole label
// or any run of as many label words as typed has ("jembatn" fits "jalan jembatan").
func windowDistance(typed, label string) int {
	best := editDistance(typed, label)
	tw, lw := strings.Fields(typed), strings.Fields(label)
	for i := 0; i+len(tw) <= len(lw); i++ {
		best = min(best, editDistance(typed, strings.Join(lw[i:i+len(tw)], " ")))
	}
	return best
}
