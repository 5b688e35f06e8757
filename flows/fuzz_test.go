package flows

import (
	"sort"
	"testing"

	"github.com/suarawarga/suarawarga/locales"
)

// FuzzCheck feeds the flow parser and validator arbitrary files (the console's
// flow editor publishes what an admin typed): they must never panic, every
// issue must carry a line, Parse must agree with the checker about errors, and
// a file the checker finds clean must parse.
func FuzzCheck(f *testing.F) {
	defs := Defaults()
	ids := make([]string, 0, len(defs))
	for id := range defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f.Add(defs[id])
	}
	for _, s := range []string{
		"",
		"flow: x\n",
		"flow: x\nstart: a\nnodes:\n  a:\n    say: t.a\n    next: a\n",
		"flow: x\nstart: a\nnodes:\n  a:\n    ask: t.a\n    save: nama\n    input: text\n    next: b\n  b:\n    end: true\n",
		"flow: x\nstart: a\ntimeout:\n  remind_after: 10m\n  expire_after: 5m\nnodes:\n  a:\n    end: true\n",
		"flow: x\nstart: a\nnodes:\n  a:\n    choices:\n      - id: ya\n        label: t.a\n        next: a\n",
		"a: &a [*a, *a]\n",
		"flow: [1, 2]\nnodes: 3\n",
		"texts:\n  id:\n    a: b\n  en: 1\n",
		"\t- ]\n",
	} {
		f.Add([]byte(s))
	}
	stub, err := locales.New(map[string][]byte{
		"id": []byte("t:\n  a: A\n  b: B\n"),
		"en": []byte("t:\n  a: A\n  b: B\n"),
	})
	if err != nil {
		f.Fatal(err)
	}
	checkers := []Checker{{}, {Locales: stub}}
	f.Fuzz(func(t *testing.T, src []byte) {
		flow, partial := ParsePartial(src)
		parsed, perr := Parse(src)
		if (perr == nil) != (len(Errors(partial)) == 0) {
			t.Fatalf("Parse error %v, but ParsePartial errors %v", perr, Errors(partial))
		}
		if perr == nil && (parsed == nil || flow == nil) {
			t.Fatal("Parse succeeded without a flow")
		}
		for _, ch := range checkers {
			issues := ch.Check(src)
			for _, is := range issues {
				if is.Line < 0 {
					t.Fatalf("issue with a negative line: %v", is)
				}
				_ = is.String()
			}
			if len(Errors(issues)) == 0 && perr != nil {
				t.Fatalf("checker finds no error but Parse fails: %v", perr)
			}
		}
	})
}
