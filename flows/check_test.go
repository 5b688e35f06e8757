package flows

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/locales"
)

func catalog(t *testing.T) *locales.Catalog {
	t.Helper()
	c, err := locales.Load()
	c = c.WithGlobals(locales.SampleGlobals)
	require.NoError(t, err)
	return c
}

func TestDefaultFlowsAreClean(t *testing.T) {
	t.Parallel()
	ch := Checker{Locales: catalog(t)}
	defs := Defaults()
	ids := make([]string, 0, len(defs))
	for id := range defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	require.Equal(t, []string{"bantuan", "hapusdata", "jawab_info", "menu", "pengaduan", "petugas_balas", "petugas_info",
		"petugas_selesai", "petugas_teruskan", "petugas_tolak", "status", "survei"}, ids)
	for id, src := range defs {
		require.Empty(t, strs(ch.Check(src)), id)
		f, err := Parse(src)
		require.NoError(t, err)
		require.Equal(t, id, f.ID)
	}
}

// strs renders issues as "severity line: text" for exact comparison.
func strs(issues []Issue) []string {
	out := make([]string, len(issues))
	for i, is := range issues {
		out[i] = fmt.Sprintf("%s %02d: %s", is.Severity, is.Line, is)
	}
	return out
}

func check(t *testing.T, src string) []string {
	t.Helper()
	stub, err := locales.New(map[string][]byte{
		"id": []byte("t:\n  a: A\n  b: B\n  hanya_id: I\n"),
		"en": []byte("t:\n  a: A\n  b: B\n"),
	})
	require.NoError(t, err)
	return strs(Checker{Locales: stub}.Check([]byte(strings.TrimLeft(src, "\n"))))
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      []string
	}{
		{"yaml syntax", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true
`, []string{"error 03: yaml: line 3: did not find expected ',' or '}'"}},
		{"missing start", `
flow: x
nodes:
  a: {say: t.a, end: true}
`, []string{"error 01: x › start: missing start node"}},
		{"start does not exist", `
flow: x
start: b
nodes:
  a: {say: t.a, end: true}
`, []string{"error 01: x › start: node \"b\" does not exist"}},
		{"unknown target", `
flow: pengaduan
start: tanya_lokasi
nodes:
  tanya_lokasi: {ask: location, text: t.a, save: lokasi, next: lokasi2}
`, []string{"error 04: pengaduan › tanya_lokasi › next: node \"lokasi2\" does not exist"}},
		{"unknown choice target", `
flow: x
start: a
nodes:
  a:
    ask: choice
    text: t.a
    choices:
      - {id: satu, label: t.b, next: nowhere}
`, []string{"error 08: x › a › choice satu › next: node \"nowhere\" does not exist"}},
		{"unreachable", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
  b: {say: t.b, end: true}
`, []string{"warning 05: x › b › node cannot be reached from start \"a\""}},
		{"no way out", `
flow: x
start: a
nodes:
  a: {say: t.a}
`, []string{"error 04: x › a › node has no way out: add next, end: true or goto"}},
		{"two choices mean yes", `
flow: x
start: a
nodes:
  a:
    ask: choice
    text: t.a
    choices:
      - {id: kirim, label: t.a, means: yes, next: z}
      - {id: lanjut, label: t.b, means: yes, next: z}
      - {id: ubah, label: t.b, means: maybe, next: z}
  z: {end: true}
`, []string{"error 09: x › a › choice lanjut › means: \"kirim\" already means yes at this question; a typed yes must have one answer",
			"error 10: x › a › choice ubah › means: \"maybe\" is not yes or no"}},
		{"a yesno question already has its yes", `
flow: x
start: a
nodes:
  a:
    ask: yesno
    text: t.a
    choices:
      - {id: ok, label: t.a, means: yes, next: z}
    next: z
  z: {end: true}
`, []string{"error 08: x › a › choice ok › means: \"ya\" already means yes at this question; a typed yes must have one answer"}},
		{"means on a node", `
flow: x
start: a
nodes:
  a: {ask: text, text: t.a, save: s, means: yes, next: z}
  z: {end: true}
`, []string{"error 04: x › a › means belongs on a choice of a question, e.g. {id: kirim, label: pengaduan.kirim, means: yes}"}},
		{"intents", `
flow: x
start: a
nodes:
  a:
    ask: choice
    text: t.a
    choices:
      - {id: satu, label: t.a, next: z, words: [lupa, "!!"]}
      - {id: _dua, label: t.b, next: z}
    intents: {keluhan: z, salaam: z, status: nowhere}
  b: {ask: text, text: t.a, save: s, next: z, intents: {status: z}}
  z: {end: true}
`, []string{"error 08: x › a › choice satu › words: \"!!\" has no letters or digits to match",
			"error 09: x › a › choice _dua › id: \"_dua\" starts with _, which the engine keeps for its own choices",
			"error 10: x › a › intents.status: node \"nowhere\" does not exist",
			"error 10: x › a › intents: unknown intent \"salaam\" (did you mean \"salam\"?)",
			"error 11: x › b › intents work only on a choice question (the menu), not on a text question",
			"warning 11: x › b › node cannot be reached from start \"a\""}},
		{"loop without input", `
flow: x
start: a
nodes:
  a: {say: t.a, next: b}
  b: {branch: [{if: kode, next: a}], else: c}
  c: {ask: text, text: t.b, save: s, next: a}
`, []string{"error 04: x › a › loop without a question: a → b → a"}},
		{"unknown action", `
flow: x
start: a
nodes:
  a: {do: complaint.sumbit, next: b}
  b: {say: t.a, end: true}
`, []string{"error 04: x › a › do: unknown action \"complaint.sumbit\" (did you mean \"complaint.submit\"?)"}},
		{"unknown source", `
flow: x
start: a
nodes:
  a: {ask: choice, text: t.a, choices: {from: desa}, save: d, next: b}
  b: {say: t.a, end: true}
`, []string{"error 04: x › a › choices.from: unknown data source \"desa\""}},
		{"unknown flow", `
flow: x
start: a
nodes:
  a: {goto: pengaduann}
`, []string{"error 04: x › a › goto: unknown flow \"pengaduann\" (did you mean \"pengaduan\"?)"}},
		{"locale key missing", `
flow: x
start: a
nodes:
  a: {say: t.hanya_id, next: b}
  b: {say: t.tidak_ada, end: true}
`, []string{
			"error 04: x › a › say: locale key \"t.hanya_id\" is missing in en",
			"error 05: x › b › say: locale key \"t.tidak_ada\" is missing in id, en",
		}},
		{"bad duration", `
flow: x
start: a
timeout: {remind_after: 30 menit, remind: t.a, expire_after: 24h, expired: t.b}
nodes:
  a: {say: t.a, end: true}
`, []string{"error 03: x › timeout › remind_after: bad duration \"30 menit\" (write e.g. 30m, 2h, 24h)"}},
		{"remind after expiry", `
flow: x
start: a
nodes:
  a:
    ask: text
    text: t.a
    save: s
    next: b
    timeout: {remind_after: 2h, remind: t.a, expire_after: 1h, expired: t.b}
  b: {say: t.a, end: true}
`, []string{"error 09: x › a › timeout › remind_after (2h0m0s) must be shorter than expire_after (1h0m0s)"}},
		{"unknown field", `
flow: x
start: a
nodes:
  a: {say: t.a, nxt: b, end: true}
`, []string{"error 04: x › a › unknown field \"nxt\""}},
		{"unknown ask kind", `
flow: x
start: a
nodes:
  a: {ask: suara, text: t.a, save: s, next: b}
  b: {say: t.a, end: true}
`, []string{"error 04: x › a › ask: unknown kind \"suara\" (choice, text, yesno, location, photo)"}},
		{"several kinds", `
flow: x
start: a
nodes:
  a: {say: t.a, goto: menu}
`, []string{"error 04: x › a › node has several kinds (say and goto); keep one"}},
		{"text question without save", `
flow: x
start: a
nodes:
  a: {ask: text, text: t.a, next: b}
  b: {say: t.a, end: true}
`, []string{"error 04: x › a › save: a text question needs save"}},
		{"accept_photo on a choice", `
flow: x
start: a
nodes:
  a: {ask: yesno, text: t.a, accept_photo: true, save: s, yes: b, no: b}
  b: {say: t.a, end: true}
`, []string{"error 04: x › a › accept_photo works only on a text question (a photo question takes photos anyway)"}},
		{"missing flow id", `
start: a
nodes:
  a: {say: t.a, end: true}
`, []string{"error 01: flow: missing flow id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, check(t, tc.src))
		})
	}
}

func TestParseFailsWithLine(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("flow: x\nstart: a\nnodes:\n  a: {say: t.a, end: maybe}\n"))
	require.EqualError(t, err, `parse flow: line 4: x › a › end: want true or false, got "maybe"`)
}

func TestCheckTexts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      []string
	}{
		{"texts define a key the catalog lacks or has in one language", `
flow: x
start: a
nodes:
  a: {say: t.baru, next: b}
  b: {say: t.hanya_id, end: true}
texts:
  t.baru: {id: "Baru, {{.pemda}}", en: "New, {{.pemda}}"}
  t.hanya_id:
    id: I
    en: E
`, []string{}},
		{"no Indonesian text", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a:
    en: Only English
`, []string{"error 06: x › texts › t.a › id: missing; every text needs its Indonesian wording"}},
		{"only Indonesian", `
flow: x
start: a
nodes:
  a: {say: t.baru, end: true}
texts:
  t.baru: {id: "Di RT berapa?"}
`, []string{"warning 06: x › texts › t.baru › en: missing; people reading en get the id text"}},
		{"unknown language", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a:
    id: A baru
    en: New A
    jv: A anyar
`, []string{"error 09: x › texts › t.a › jv: unknown language (id, en)"}},
		{"template does not parse", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a:
    id: "Laporan {{.kode}"
    en: "Report {{.kode}}"
`, []string{`error 07: x › texts › t.a › id: bad template: template: :1: bad character U+007D '}'`}},
		{"empty text", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a: {id: "  ", en: A}
`, []string{"error 06: x › texts › t.a › id: the text is empty"}},
		{"key never used", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.b: {id: B baru, en: New B}
`, []string{"warning 06: x › texts › t.b › the flow never uses this key"}},
		{"the engine's own texts count as used", `
flow: x
start: a
nodes:
  a: {ask: text, text: t.a, save: s, min_length: 5, next: b}
  b: {say: t.b, end: true}
texts:
  umum.terlalu_pendek: {id: Terlalu pendek, en: Too short}
  umum.dibatalkan: {id: Batal, en: Cancelled}
`, []string{}},
		{"a key missing everywhere is still an error without texts", `
flow: x
start: a
nodes:
  a: {say: t.baru, end: true}
texts:
  t.a: {id: A, en: A}
`, []string{
			"error 04: x › a › say: locale key \"t.baru\" is missing in id, en",
			"warning 06: x › texts › t.a › the flow never uses this key",
		}},
		{"an empty texts section is fine", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
`, []string{}},
		{"texts not a map", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts: [t.a]
`, []string{`error 05: x › texts › want a map of locale key to texts by language, e.g. {pengaduan.tanya_uraian: {id: "...", en: "..."}}`}},
		{"entry not a map", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a: Teks baru
`, []string{`error 06: x › texts › t.a › want a map of language to text, e.g. {id: "...", en: "..."}`}},
		{"key twice", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a: {id: A, en: A}
  t.a: {id: B, en: B}
`, []string{"error 07: x › texts › t.a › key is defined twice"}},
		{"language twice", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
texts:
  t.a:
    id: A
    en: A
    id: B
`, []string{"error 09: x › texts › t.a › id: language is given twice"}},
		{"unknown root field lists texts", `
flow: x
start: a
nodes:
  a: {say: t.a, end: true}
teks:
  t.a: {id: A}
`, []string{`error 05: x › unknown field "teks" (flow, start, timeout, nodes, texts)`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, check(t, tc.src))
		})
	}
}
