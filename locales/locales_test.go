package locales

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	t.Parallel()
	c, err := Load()
	require.NoError(t, err)
	require.Equal(t, []string{"id", "en"}, c.Languages())
	ref := c.Keys("id")
	require.NotEmpty(t, ref)
	for _, lang := range c.Languages() {
		for _, k := range ref {
			require.Truef(t, c.Has(lang, k), "key %s is missing in %s", k, lang)
		}
		for _, k := range c.Keys(lang) {
			require.Truef(t, c.Has("id", k), "key %s of %s is missing in id", k, lang)
		}
	}
}

func TestEveryTemplateRenders(t *testing.T) {
	t.Parallel()
	c, err := Load()
	require.NoError(t, err)
	for _, lang := range c.Languages() {
		for _, k := range c.Keys(lang) {
			out := c.T(lang, k, nil)
			require.NotEmptyf(t, out, "%s %s", lang, k)
			require.NotContainsf(t, out, "{{", "%s %s does not render: %s", lang, k, out)
		}
	}
}

func TestT(t *testing.T) {
	t.Parallel()
	c, err := New(map[string][]byte{
		"id": []byte("a:\n  salam: \"Halo {{.nama}}!\"\n  hanya_id: Cuma Indonesia\n  cabang: '{{if eq .x \"ya\"}}Y{{else}}T{{end}}'\n"),
		"en": []byte("a:\n  salam: \"Hello {{.nama}}!\"\n"),
	})
	require.NoError(t, err)
	require.Equal(t, "Halo Sari!", c.T("id", "a.salam", map[string]any{"nama": "Sari"}))
	require.Equal(t, "Hello Sari!", c.T("en-US", "a.salam", map[string]any{"nama": "Sari"}))
	require.Equal(t, "Halo !", c.T("id", "a.salam", nil), "missing data renders empty")
	require.Equal(t, "T", c.T("id", "a.cabang", map[string]any{}))
	require.Equal(t, "Y", c.T("id", "a.cabang", map[string]any{"x": "ya"}))
	require.Equal(t, "Cuma Indonesia", c.T("en", "a.hanya_id", nil), "falls back to id")
	require.Equal(t, "a.tidak_ada", c.T("en", "a.tidak_ada", nil), "missing everywhere shows the key")
	require.Equal(t, "Halo X!", c.T("fr", "a.salam", map[string]any{"nama": "X"}), "unknown language is id")
	require.False(t, c.Has("en", "a.hanya_id"))
	require.True(t, c.Has("id-ID", "a.hanya_id"))
	require.Equal(t, []string{"a.cabang", "a.hanya_id", "a.salam"}, c.Keys("id"))
}

func TestNamespaceBlocksMerge(t *testing.T) {
	t.Parallel()
	c, err := New(map[string][]byte{"id": []byte("a:\n  x: X\nb:\n  y: Y\na:\n  z: Z\n")})
	require.NoError(t, err)
	require.Equal(t, []string{"a.x", "a.z", "b.y"}, c.Keys("id"))

	_, err = New(map[string][]byte{"id": []byte("a:\n  x: X\na:\n  x: lagi\n")})
	require.ErrorContains(t, err, `key "a.x" is defined twice`)
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "id", "id": "id", "id-ID": "id", "in": "id", "en": "en", "en-US": "en", "EN_gb": "en", "fr": "id", " en ": "en",
	} {
		require.Equal(t, want, Normalize(in), in)
	}
}

func TestExecuteAndSource(t *testing.T) {
	t.Parallel()
	c, err := New(map[string][]byte{
		"id": []byte("a:\n  salam: \"Halo {{.nama}} dari {{.pemda}}!\"\n"),
		"en": []byte("a:\n  salam: \"Hello {{.nama}}!\"\n"),
	})
	require.NoError(t, err)
	g := c.WithGlobals(map[string]any{"pemda": "Kabupaten OKI", "nama": "Warga"})

	// A flow's own text gets the same data and globals as the catalog's texts.
	require.Equal(t, "Di RT berapa, Sari dari Kabupaten OKI?", g.Execute("id", "Di RT berapa, {{.nama}} dari {{.pemda}}?", map[string]any{"nama": "Sari"}))
	require.Equal(t, g.T("id", "a.salam", nil), g.Execute("id", "Halo {{.nama}} dari {{.pemda}}!", nil), "globals alone, like T")
	require.Equal(t, "Tanpa  data", c.Execute("id", "Tanpa {{.tidak_ada}} data", nil), "missing data renders empty")
	require.Equal(t, "Y", c.Execute("id", `{{if eq .x "ya"}}Y{{else}}T{{end}}`, map[string]any{"x": "ya"}))
	require.Equal(t, "Teks biasa", c.Execute("en", "Teks biasa", nil))
	// Broken templates never panic: they read as written.
	require.Equal(t, "Laporan {{.kode", c.Execute("id", "Laporan {{.kode", nil))
	require.Equal(t, "{{.a.b.c}}", c.Execute("id", "{{.a.b.c}}", map[string]any{"a": 3}))
	require.Equal(t, "{{template \"x\"}}", c.Execute("id", `{{template "x"}}`, nil))

	src, ok := c.Source("en", "a.salam")
	require.True(t, ok)
	require.Equal(t, "Hello {{.nama}}!", src)
	_, ok = c.Source("en", "a.tidak_ada")
	require.False(t, ok)
}
