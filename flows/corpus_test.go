package flows_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/locales"
)

func corpus(t *testing.T) []flowtest.CorpusRow {
	t.Helper()
	src, err := os.ReadFile("testdata/understand/corpus.txt")
	require.NoError(t, err)
	rows, err := flowtest.ParseCorpus(src)
	require.NoError(t, err)
	return rows
}

func corpusEngine(t *testing.T) *flows.Engine {
	t.Helper()
	cat, err := locales.Load()
	require.NoError(t, err)
	return &flows.Engine{Texts: cat.WithGlobals(locales.SampleGlobals)}
}

// TestCorpus reads every reply of the corpus at every question it applies to, through the
// engine with the default flows, and wants each read as written; figures: go run
// ./cmd/suarawarga understand flows/testdata/understand/corpus.txt.
func TestCorpus(t *testing.T) {
	t.Parallel()
	rows := corpus(t)
	require.GreaterOrEqual(t, len(rows), 500, "the corpus has at least 500 replies")
	rep, err := flowtest.RunCorpus(context.Background(), corpusEngine(t), rows)
	require.NoError(t, err)
	var out strings.Builder
	rep.Print(&out, 0)
	t.Log("\n" + out.String())
	_, all := rep.Tallies()
	require.Zero(t, all.YesTaken, "a no-like reply was read as yes")
	for _, f := range rep.Failures() {
		t.Errorf("line %d (%s) at %s: %q want %s, got %s", f.Row.Line, f.Row.Kind, f.Question, f.Row.Reply, f.Row.Want, f.Got)
	}
}

// TestNoIsNeverYes walks every question of every default flow that has an answer meaning yes
// and types every no-like, unsure and cancelling reply of the corpus there: none may be taken
// as the yes.
func TestNoIsNeverYes(t *testing.T) {
	t.Parallel()
	var noLike []flowtest.CorpusRow
	for _, r := range corpus(t) {
		// The general no-like replies (not those of one question, like "lanjutkan" at "stop?").
		if r.Where == "yesno" && (r.Want == "tidak" || r.Want == "ulang") || r.Kind == "batal" {
			noLike = append(noLike, r)
		}
	}
	require.NotEmpty(t, noLike)
	eng := corpusEngine(t)
	env, err := flowtest.NewFakeEnv()
	require.NoError(t, err)
	walked := 0
	for _, id := range env.FlowIDs() {
		f := env.Flows[id]
		for _, nid := range f.Order {
			yes := flowtest.YesAnswer(f.Nodes[nid])
			if yes == "" {
				continue
			}
			walked++
			for _, r := range noLike {
				for _, lang := range []string{"id", "en"} {
					st := flows.State{Flow: f.ID, Revision: f.Revision, Node: nid, Data: map[string]string{"kode": "OKI-2611-0001"}, Lang: lang}
					_, _, effs, err := eng.Step(context.Background(), f, st, flows.Input{Kind: flows.InputText, Text: r.Reply}, env)
					require.NoError(t, err)
					for _, e := range effs {
						if u, ok := e.(flows.Understood); ok && u.Choice == yes {
							t.Errorf("%s.%s (%s): %q (line %d) was read as %s", id, nid, lang, r.Reply, r.Line, yes)
						}
					}
				}
			}
		}
	}
	require.GreaterOrEqual(t, walked, 4, "the default flows have yes/no questions to walk")
}

// TestHeldOut reads the held-out sets (written apart from the corpus, see their headers) and
// wants at least 98 % understood and no no-like reply read as yes. They are a measure, not a
// table to tune: a failure here is fixed by a general rule, or stays.
func TestHeldOut(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"heldout.txt", "heldout2.txt"} {
		src, err := os.ReadFile("testdata/understand/" + name)
		require.NoError(t, err)
		rows, err := flowtest.ParseCorpus(src)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(rows), 300, name)
		rep, err := flowtest.RunCorpus(context.Background(), corpusEngine(t), rows)
		require.NoError(t, err)
		var out strings.Builder
		rep.Print(&out, 20)
		t.Log(name + "\n" + out.String())
		_, all := rep.Tallies()
		require.Zero(t, all.YesTaken, "%s: a no-like reply was read as yes", name)
		require.GreaterOrEqual(t, all.Percent(), 98.0, "%s: understood", name)
	}
}

// TestVocabularyUsedAtOnce: a category's words changed in the master data are read at the next
// message (the reader caches by content, so nothing has to be invalidated).
func TestVocabularyUsedAtOnce(t *testing.T) {
	t.Parallel()
	eng := corpusEngine(t)
	env, err := flowtest.NewFakeEnv()
	require.NoError(t, err)
	first := func() string {
		_, _, effs, err := eng.Step(context.Background(), nil, flows.State{Lang: "id", Data: map[string]string{}},
			flows.Input{Kind: flows.InputText, Text: "siring kami penuh sudah seminggu"}, env)
		require.NoError(t, err)
		for _, e := range effs {
			if u, ok := e.(flows.Understood); ok && u.As == flows.ReadIntent {
				return u.Intent + ":" + u.Choice
			}
		}
		return ""
	}
	require.NotEqual(t, "keluhan:jalan", first())
	for i, c := range env.Categories {
		if c.ID == "jalan" {
			env.Categories[i].Words = append(append([]string{}, c.Words...), "siring")
		}
	}
	require.Equal(t, "keluhan:jalan", first())
}

// TestLastReading: the step's reading of a typed reply, written for the simulator.
func TestLastReading(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	require.NoError(t, err)
	eng := corpusEngine(t)
	env, err := flowtest.NewFakeEnv()
	require.NoError(t, err)
	f := env.Flows["pengaduan"]
	read := func(node, text, lang string) string {
		st := flows.State{Flow: f.ID, Revision: f.Revision, Node: node, Lang: "id", Data: map[string]string{"kategori": "jalan",
			"kategori_label": "Jalan & jembatan", "uraian": "Jalan di depan pasar berlubang besar"}}
		var ff *flows.Flow
		if node != "" {
			ff = f
		} else {
			st = flows.State{Lang: "id", Data: map[string]string{}}
		}
		_, _, effs, err := eng.Step(context.Background(), ff, st, flows.Input{Kind: flows.InputText, Text: text}, env)
		require.NoError(t, err)
		u, ok := flows.LastReading(effs)
		require.True(t, ok)
		return u.Describe(func(key string, data map[string]any) string { return cat.T(lang, key, data) })
	}
	require.Equal(t, "dibaca sebagai: ya → ✅ Kirim", read("konfirmasi", "iya", "id"))
	require.Equal(t, "dibaca sebagai: nama pilihan → ✅ Kirim", read("konfirmasi", "iya, kirim", "id"))
	require.Equal(t, "read as: no → ✏️ Ubah", read("konfirmasi", "gak, salah", "en"))
	require.Equal(t, "dibaca sebagai: kurang jelas, ditanya lagi", read("konfirmasi", "ya tapi salah", "id"))
	require.Equal(t, "dibaca sebagai: nomor → Sampah & kebersihan", read("tanya_kategori", "no 2", "id"))
	require.Equal(t, "dibaca sebagai: keluhan → Lampu jalan (PJU)", read("", "lampu jalan depan rumah mati", "id"))
	require.Equal(t, "dibaca sebagai: tanya status → OKI-2611-0042", read("", "laporan OKI-2611-0042 gimana", "id"))
	_, ok := flows.LastReading([]flows.Effect{flows.Say{Key: "menu.sambutan"}})
	require.False(t, ok)
}
