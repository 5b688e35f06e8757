package app

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// The supporter of a confidential report hears its updates and never a byte of what the
// reporter wrote or who they are (the whole exchange is testdata/parties/dukung.txt).
func TestSupporterSeesNothingOfTheReporter(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newPartyRunner(t, db)
		r.play(t, "testdata/parties/dukung.txt")
		var ms []models.Message
		require.NoError(t, db.Where("chat_id = ? AND direction = ?", r.chats["warga2"], models.DirectionOut).Find(&ms).Error)
		require.NotEmpty(t, ms)
		reporter := regexp.MustCompile(`chat-warga(\W|$)`)
		for _, m := range ms {
			for _, s := range []string{m.Text, m.Payload} {
				require.NotContains(t, s, "Pasar Kayuagung berlubang", "the reporter's description")
				require.NotContains(t, s, "2 motor jatuh")
				require.False(t, reporter.MatchString(s), "the reporter's name: %s", s)
				require.NotContains(t, s, "104.8291", "the reporter's exact point")
			}
		}
	})
}
