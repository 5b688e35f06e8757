package locales_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/locales"
)

var keyLiteral = regexp.MustCompile(`"([a-z_]+(?:\.[a-z0-9_]+)+)"`)

// usesKey matches the lines that hand a key to the catalog: T(...), Key: ..., key := ...,
// labels; audit action names and the like look like keys but are not texts.
var usesKey = regexp.MustCompile(`\bT\(|Key\b|\bkey\b|[Ll]abel|say\(`)

// TestKeysUsedInCodeExist: every locale key written literally in the Go code
// (outside tests) exists in every language; a run-time prefix ("petugas.peran_"
// plus a role) has at least one key under it.
func TestKeysUsedInCodeExist(t *testing.T) {
	cat, err := locales.Load()
	require.NoError(t, err)
	namespaces := map[string]bool{}
	for _, k := range cat.Keys("id") {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	found := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(src), "\n") {
			if !usesKey.MatchString(line) {
				continue
			}
			for _, m := range keyLiteral.FindAllStringSubmatch(line, -1) {
				key := m[1]
				if !namespaces[strings.SplitN(key, ".", 2)[0]] || hasFileSuffix(key) {
					continue
				}
				found++
				if strings.HasSuffix(key, "_") {
					prefixed := false
					for _, k := range cat.Keys("id") {
						prefixed = prefixed || strings.HasPrefix(k, key)
					}
					require.Truef(t, prefixed, "%s uses locale keys %q…, none exists", path, key)
					continue
				}
				for _, lang := range cat.Languages() {
					require.Truef(t, cat.Has(lang, key), "%s uses locale key %q, missing in %s.yaml", path, key, lang)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, found, 30, "the scan found the keys the code uses")
}

// hasFileSuffix tells file names ("konsol.css") from keys.
func hasFileSuffix(s string) bool {
	for _, ext := range []string{".go", ".yaml", ".css", ".js", ".html", ".csv", ".png", ".jpg"} {
		if strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}
