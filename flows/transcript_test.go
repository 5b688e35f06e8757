package flows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/locales"
)

// TestTranscripts plays every testdata/*.txt against the engine with the fake environment.
// Rewrite the files after a deliberate change with: go test ./flows -run TestTranscripts -update
func TestTranscripts(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	cat = cat.WithGlobals(locales.SampleGlobals)
	require.NoError(t, err)
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			env, err := flowtest.NewFakeEnv()
			require.NoError(t, err)
			d := flowtest.NewEngineDriver(&flows.Engine{Texts: cat}, env, cat, "id")
			flowtest.Run(t, path, d)
		})
	}
}
