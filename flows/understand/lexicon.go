package understand

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed lexicon.txt
var lexiconSrc string

// lexicon is the parsed word tables of lexicon.txt.
type lexicon struct {
	slang map[string][]string // one typed word → its canonical words
	alone map[string]string   // a word that means another only when it is the whole reply
	// merges maps a run of words to one word; byFirst indexes the runs by their first word,
	// longest first.
	merges  map[string][][]string
	mergeTo map[string]string // the run joined by spaces → the word it becomes
	// classes holds the other sections: a set of one-word entries and a list of phrases.
	words   map[string]map[string]bool
	phrases map[string][][]string
	// known is every word the tables name: squeezing repeated letters and typo tolerance
	// stop at a known word.
	known map[string]bool
}

var lex = mustLexicon(lexiconSrc)

func mustLexicon(src string) *lexicon {
	l, err := parseLexicon(src)
	if err != nil {
		panic(fmt.Sprintf("understand: lexicon.txt: %v", err))
	}
	return l
}

func parseLexicon(src string) (*lexicon, error) {
	l := &lexicon{
		slang: map[string][]string{}, alone: map[string]string{}, merges: map[string][][]string{}, mergeTo: map[string]string{},
		words: map[string]map[string]bool{}, phrases: map[string][][]string{}, known: map[string]bool{},
	}
	section := ""
	type merge struct {
		to   string
		from []string
	}
	var merges []merge
	for i, line := range strings.Split(src, "\n") {
		if j := strings.Index(line, "#"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		switch section {
		case "":
			return nil, fmt.Errorf("line %d: an entry before the first [section]", i+1)
		case "alone":
			parts := strings.Split(line, "|")
			if len(parts) < 2 || len(strings.Fields(parts[0])) != 1 {
				return nil, fmt.Errorf("line %d: want word | variant | ...", i+1)
			}
			for _, p := range parts[1:] {
				v := strings.TrimSpace(p)
				if v == "" || strings.Contains(v, " ") {
					return nil, fmt.Errorf("line %d: a variant of [alone] is one word", i+1)
				}
				l.alone[v] = strings.TrimSpace(parts[0])
				l.known[v] = true
			}
		case "slang", "merge":
			parts := strings.Split(line, "|")
			canon := strings.Fields(parts[0])
			if len(canon) == 0 || len(parts) < 2 {
				return nil, fmt.Errorf("line %d: want canonical | variant | ...", i+1)
			}
			for _, w := range canon {
				l.known[w] = true
			}
			for _, p := range parts[1:] {
				v := strings.Fields(strings.ReplaceAll(p, "'", ""))
				switch {
				case len(v) == 0:
					return nil, fmt.Errorf("line %d: an empty variant", i+1)
				case section == "slang" && len(v) == 1:
					if prev, dup := l.slang[v[0]]; dup && strings.Join(prev, " ") != strings.Join(canon, " ") {
						return nil, fmt.Errorf("line %d: %q is already a spelling of %q", i+1, v[0], strings.Join(prev, " "))
					}
					l.slang[v[0]] = canon
					l.known[v[0]] = true
				default:
					if len(canon) != 1 {
						return nil, fmt.Errorf("line %d: a run of words becomes one word, not %q", i+1, parts[0])
					}
					merges = append(merges, merge{to: canon[0], from: v})
					for _, w := range v {
						l.known[w] = true
					}
				}
			}
		default:
			ws := strings.Fields(line)
			if l.words[section] == nil {
				l.words[section] = map[string]bool{}
			}
			if len(ws) == 1 {
				l.words[section][ws[0]] = true
			}
			l.phrases[section] = append(l.phrases[section], ws)
			for _, w := range ws {
				l.known[w] = true
			}
		}
	}
	for _, m := range merges {
		key := strings.Join(m.from, " ")
		if _, dup := l.mergeTo[key]; dup {
			continue
		}
		l.mergeTo[key] = m.to
		l.merges[m.from[0]] = append(l.merges[m.from[0]], m.from)
	}
	for first, runs := range l.merges {
		// Longest run first, so "tidak apa apa" wins over "tidak apa".
		for a := 1; a < len(runs); a++ {
			for b := a; b > 0 && len(runs[b]) > len(runs[b-1]); b-- {
				runs[b], runs[b-1] = runs[b-1], runs[b]
			}
		}
		l.merges[first] = runs
	}
	for _, need := range []string{"yes", "no", "negator", "negfill", "unsure", "filler", "cancel", "menu", "help",
		"greeting", "thanks", "reportnoun", "reportverb", "want", "statuscue", "response", "pastref", "problem", "function"} {
		if len(l.phrases[need]) == 0 {
			return nil, fmt.Errorf("section [%s] is missing or empty", need)
		}
	}
	return l, nil
}

// is reports whether w is a one-word entry of a section.
func (l *lexicon) is(section, w string) bool { return l.words[section][w] }

// mergeRuns replaces runs of words listed in [merge] by the word they mean. A run never spans
// a clause mark ("tidak, jadi" stays two words).
func (l *lexicon) mergeRuns(ts []tok) []tok {
	out := make([]tok, 0, len(ts))
	for i := 0; i < len(ts); {
		matched := false
		for _, run := range l.merges[ts[i].w] {
			if i+len(run) <= len(ts) && runAt(ts, i, run) {
				out = append(out, tok{w: l.mergeTo[strings.Join(run, " ")], brk: ts[i+len(run)-1].brk})
				i += len(run)
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, ts[i])
			i++
		}
	}
	return out
}

// runAt reports whether run is written at ts[i:], with no clause mark inside it.
func runAt(ts []tok, i int, run []string) bool {
	for k, w := range run {
		if ts[i+k].w != w || (k < len(run)-1 && ts[i+k].brk) {
			return false
		}
	}
	return true
}

func equalWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
