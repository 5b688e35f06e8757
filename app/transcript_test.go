package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestTranscripts plays every default flow's transcript through the whole bot:
// dispatcher, handler, database, River delivery and timers, web chat channel.
// Regenerate with: go test ./app -run TestTranscripts -update
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				h := newHarness(t, db, Options{})
				h.knownCitizens()
				flowtest.Run(t, f, &chatDriver{h: h, chat: "transcript-" + name})
			})
		})
	}
}
