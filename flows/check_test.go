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
	require.Equal(t, []string{"bantuan", "jawab_info", "menu", "pengaduan", "petugas_balas", "petugas_info",
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
