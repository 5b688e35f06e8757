package understand

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
)

// The reader is pure: the same words always read the same way. What it derives from a label,
// a keyword or a word (canonical words, stems, yes/no sense) and from a question's options
// (phrases and vocabulary) is kept in bounded caches keyed by that content itself, so a
// category whose words change in the master data is a new key and is read with its new words
// at once; nothing has to be told to invalidate anything.

// memo is a concurrency-safe cache of a pure function of a string. It holds at most max
// entries; when full it starts again empty (typed text is unbounded, labels are not).
type memo[V any] struct {
	mu  sync.RWMutex
	m   map[string]V
	max int
}

func newMemo[V any](max int) *memo[V] { return &memo[V]{m: map[string]V{}, max: max} }

func (c *memo[V]) get(k string, f func(string) V) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = f(k)
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[string]V, c.max/4)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// len is the number of entries (for tests).
func (c *memo[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

var (
	canonMemo = newMemo[[]string](20000)
	stemMemo  = newMemo[map[string]bool](50000)
	polarMemo = newMemo[int](50000)
	negMemo   = newMemo[bool](50000)
	indexMemo = newMemo[*optionIndex](256)
)

// stemSet is the set of stems of w (w itself included).
func stemSet(w string) map[string]bool {
	return stemMemo.get(w, func(w string) map[string]bool {
		set := map[string]bool{}
		for _, s := range stems(w) {
			set[s] = true
		}
		return set
	})
}

// optionIndex is what reading needs of a question's options, derived once per content.
type optionIndex struct {
	vocab   *vocabulary // every content word of the labels, ids and words
	phrases []phrase
	words   *vocabulary // every word of the phrases, for matching typed words against them
	forms   []optionForms
	// negPhrases are the phrases of two words or more that hold a negator ("tidak puas").
	negPhrases []phrase
}

// optionForms are an option's label, id and words as a reply is compared with them exactly:
// [0] the canonical words, [1] without particles and politeness (strictCore).
type optionForms struct {
	plainLabel, plainID string
	label               [2][]string
	words               [2][][]string
}

// indexOf returns the index of opts, built once for each distinct content of the options.
func indexOf(opts []Option) *optionIndex {
	return indexMemo.get(optionsKey(opts), func(string) *optionIndex {
		ix := &optionIndex{vocab: labelVocabulary(opts), phrases: phrasesOf(opts), words: newVocabulary()}
		for _, p := range ix.phrases {
			for _, w := range p.words {
				ix.words.add(w)
			}
			if len(p.words) >= 2 && slices.ContainsFunc(p.words, isNegator) {
				ix.negPhrases = append(ix.negPhrases, p)
			}
		}
		for _, o := range opts {
			f := optionForms{plainLabel: Plain(o.Label), plainID: Plain(o.ID)}
			f.label[0] = Canon(o.Label)
			f.label[1] = strictCore(f.label[0])
			for _, w := range o.Words {
				c := Canon(w)
				f.words[0] = append(f.words[0], c)
				f.words[1] = append(f.words[1], strictCore(c))
			}
			ix.forms = append(ix.forms, f)
		}
		return ix
	})
}

// optionsKey is a 64-bit hash of everything reading uses of the options, in order.
func optionsKey(opts []Option) string {
	h := fnv.New64a()
	put := func(s string) {
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, o := range opts {
		put(o.ID)
		put(o.Label)
		put(o.Means)
		put(strings.Join(o.Words, "\x00"))
		put("\x01")
	}
	var sum [8]byte
	binary.LittleEndian.PutUint64(sum[:], h.Sum64())
	return string(sum[:]) + string(rune(len(opts)))
}

// clip returns s with no room to grow, so no caller of a cached slice writes into another's.
func clip(s []string) []string { return slices.Clip(s) }
