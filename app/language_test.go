package app

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestLanguageSwitchCarriesOn: a citizen who switches language halfway gets the question
// they are at again in the new language, and the conversation goes on from there.
func TestLanguageSwitchCarriesOn(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		chat := "bahasa"
		h.send(chat, bot.Inbound{Kind: bot.KindText, Text: "/start"})
		h.send(chat, bot.Inbound{Kind: bot.KindChoice, ChoiceID: "pengaduan"})
		h.waitDelivered(chat)
		before := h.sent(chat, 0)
		last := before[len(before)-1].ID

		h.send(chat, bot.Inbound{Kind: bot.KindText, Text: bot.LanguageCommand + " en"})
		h.waitDelivered(chat)
		got := h.sent(chat, last)
		require.Len(t, got, 1)
		var o bot.Outbound
		require.NoError(t, json.Unmarshal([]byte(got[0].Payload), &o))
		require.Equal(t, "All right, we will use English.\nWhat is your report about?", o.Text)
		require.Equal(t, "en", o.Lang)
		require.Contains(t, o.Choices, bot.Choice{ID: "jalan", Label: "Roads & bridges"})

		// The answer lands where the conversation was.
		h.send(chat, bot.Inbound{Kind: bot.KindChoice, ChoiceID: "jalan"})
		h.waitDelivered(chat)
		got = h.sent(chat, got[0].ID)
		require.Len(t, got, 1)
		require.Contains(t, got[0].Text, "Describe the problem briefly")

		// Back to Indonesian with nothing running: the menu, in Indonesian.
		h.send(chat, bot.Inbound{Kind: bot.KindText, Text: "/batal"})
		h.send(chat, bot.Inbound{Kind: bot.KindText, Text: "/bahasa id"})
		h.waitDelivered(chat)
		all := h.sent(chat, 0)
		require.Contains(t, all[len(all)-1].Text, "Baik, kami akan menggunakan Bahasa Indonesia.\nApa yang ingin Anda lakukan?")
	})
}
