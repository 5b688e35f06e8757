package console

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
)

func stubCatalog(t *testing.T) *locales.Catalog {
	t.Helper()
	c, err := locales.New(map[string][]byte{
		"id": []byte("t:\n  a: A lama\n  b: B lama\n  hanya_id: I\n"),
		"en": []byte("t:\n  a: Old A\n  b: Old B\n"),
	})
	require.NoError(t, err)
	return c
}

const textsHead = "flow: x\nstart: a\nnodes:\n  a: {say: t.a, next: b}   # first\n\n  b: {say: t.b, end: true}\n"

func TestWriteTexts(t *testing.T) {
	t.Parallel()
	cat := stubCatalog(t)
	cases := []struct {
		name    string
		src     string
		changes []textChange
		want    string
	}{
		{"a new section keeps every byte above it", textsHead,
			[]textChange{{Key: "t.a", Lang: "id", Text: "A baru 🙏 \"kutip\" \\ {{.pemda}}"}},
			textsHead + "\ntexts:\n  t.a:\n    id: \"A baru 🙏 \\\"kutip\\\" \\\\ {{.pemda}}\"\n    en: \"Old A\"\n"},
		{"a key only in the flow", textsHead,
			[]textChange{{Key: "t.baru", Lang: "id", Text: "Di RT berapa?"}},
			textsHead + "\ntexts:\n  t.baru:\n    id: \"Di RT berapa?\"\n"},
		{"a key the catalog has only in Indonesian", textsHead,
			[]textChange{{Key: "t.hanya_id", Lang: "en", Text: "Only"}},
			textsHead + "\ntexts:\n  t.hanya_id:\n    id: \"I\"\n    en: \"Only\"\n"},
		{"several lines read as a literal block", textsHead,
			[]textChange{{Key: "t.a", Lang: "id", Text: "Baris satu\n\n  Baris dua\n"}, {Key: "t.a", Lang: "en", Text: "One\nTwo"}},
			textsHead + "\ntexts:\n  t.a:\n    id: |\n      Baris satu\n\n        Baris dua\n    en: |-\n      One\n      Two\n"},
		{"trailing spaces need quotes", textsHead,
			[]textChange{{Key: "t.a", Lang: "id", Text: "Satu  \nDua"}},
			textsHead + "\ntexts:\n  t.a:\n    id: \"Satu  \\nDua\"\n    en: \"Old A\"\n"},
		{"the same text as the catalog writes nothing", textsHead,
			[]textChange{{Key: "t.a", Lang: "id", Text: "A lama"}},
			textsHead},
		{"a section before the nodes: only the changed entry is rewritten",
			"flow: x\ntexts:\n  # about a\n  t.a: {id: Satu, en: One}  # short\n\n  t.b:\n    id: 'Dua'\n\n# the nodes\nnodes:\n  a: {say: t.a, end: true}\n",
			[]textChange{{Key: "t.b", Lang: "en", Text: "Two"}},
			"flow: x\ntexts:\n  # about a\n  t.a: {id: Satu, en: One}  # short\n\n  t.b:\n    id: \"Dua\"\n    en: \"Two\"\n\n# the nodes\nnodes:\n  a: {say: t.a, end: true}\n"},
		{"a flow-style entry becomes a block",
			"flow: x\ntexts:\n  t.a: {id: Satu, en: One}  # short\n  t.b: {id: Dua}\n",
			[]textChange{{Key: "t.a", Lang: "en", Text: "First"}},
			"flow: x\ntexts:\n  t.a: # short\n    id: \"Satu\"\n    en: \"First\"\n  t.b: {id: Dua}\n"},
		{"emptying a language drops it",
			"flow: x\ntexts:\n  t.a:\n    id: Satu\n    en: One\n",
			[]textChange{{Key: "t.a", Lang: "en", Text: ""}},
			"flow: x\ntexts:\n  t.a:\n    id: \"Satu\"\n"},
		{"an entry back to the catalog goes with its comment; other entries stay",
			"flow: x\ntexts:\n  # about a\n  t.a:\n    id: Satu\n    en: Old A\n  t.b: {id: Dua}\n# tail\n",
			[]textChange{{Key: "t.a", Lang: "id", Text: "A lama"}},
			"flow: x\ntexts:\n  t.b: {id: Dua}\n# tail\n"},
		{"the last entry back to the catalog takes the section",
			"flow: x\n# texts below\ntexts:\n  t.a:\n    id: Satu\n    en: Old A\n  # inner\n\n# tail\nnodes: {}\n",
			[]textChange{{Key: "t.a", Lang: "id", Text: "A lama"}},
			"flow: x\n# texts below\n\n# tail\nnodes: {}\n"},
		{"a flow-style section is rewritten as a block",
			"flow: x\ntexts: {t.a: {id: Satu}, t.b: {id: Dua}}\nnodes: {}\n",
			[]textChange{{Key: "t.b", Lang: "en", Text: "Two"}},
			"flow: x\ntexts:\n  t.a:\n    id: \"Satu\"\n  t.b:\n    id: \"Dua\"\n    en: \"Two\"\nnodes: {}\n"},
		{"an empty section gets its first entry",
			"flow: x\ntexts:   # to do\nnodes: {}\n",
			[]textChange{{Key: "t.a", Lang: "id", Text: "Satu"}},
			"flow: x\ntexts: # to do\n  t.a:\n    id: \"Satu\"\n    en: \"Old A\"\nnodes: {}\n"},
		{"new entries go after the last one",
			"flow: x\ntexts:\n    t.a:\n      id: Satu\n\nnodes: {}\n",
			[]textChange{{Key: "t.b", Lang: "id", Text: "Dua"}},
			"flow: x\ntexts:\n    t.a:\n      id: Satu\n    t.b:\n      id: \"Dua\"\n      en: \"Old B\"\n\nnodes: {}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := writeTexts(cat, tc.src, tc.changes)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			// What is written reads back as the flow parser sees it.
			f, _ := flows.ParsePartial([]byte(got))
			require.NotNil(t, f)
			for _, ch := range tc.changes {
				if ch.Text != "" && ch.Text != catalogText(cat, ch.Lang, ch.Key) {
					require.Equal(t, ch.Text, f.Texts[ch.Key][ch.Lang])
				}
			}
		})
	}

	for _, src := range []string{
		"flow: x\ntexts: [t.a]\n",
		"flow: x\ntexts:\n  t.a: Satu\n",
		"{flow: x, texts: {}}\n",
		"flow: x\ntexts: {t.a: {id: Satu}, t.b: Dua}\n",
	} {
		_, err := writeTexts(cat, src, []textChange{{Key: "t.a", Lang: "id", Text: "Baru"}})
		require.ErrorIs(t, err, errTextsShape, src)
	}
}
