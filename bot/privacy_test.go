package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
)

// privacyNoticeTexts pins the notice's text of each version (sha256 of the Indonesian
// and English templates, first 8 bytes). A new wording must come with a new
// PrivacyNoticeVersion, so that everyone is shown it once: add its line here.
var privacyNoticeTexts = map[int]string{
	1: "ef873afc20eb9261",
}

func TestPrivacyNoticeVersionFollowsItsText(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	require.NoError(t, err)
	raw := func(lang string) string {
		return cat.T(lang, PrivacyNoticeKey, map[string]any{"privasi_tautan": "{L}", "simpan_tahun": "{N}", "pemda": "{P}"})
	}
	sum := sha256.Sum256([]byte(raw("id") + "\x00" + raw("en")))
	got := hex.EncodeToString(sum[:8])
	require.Equal(t, privacyNoticeTexts[PrivacyNoticeVersion], got,
		"the privacy notice's text changed: raise bot.PrivacyNoticeVersion and pin its text here (%s)", got)
}

func TestPrivacyNoticeJoinsTheFirstMessage(t *testing.T) {
	t.Parallel()
	menu := []flows.Choice{{ID: "/menu", Label: "tombol.menu"}}
	for name, tc := range map[string]struct {
		in, want []flows.Effect
	}{
		"above the question": {
			in:   []flows.Effect{flows.Say{Key: "a"}, flows.Ask{Key: "q"}},
			want: []flows.Effect{flows.Say{Key: "a"}, flows.Say{Key: PrivacyNoticeKey}, flows.Ask{Key: "q"}},
		},
		"above the buttons of a say": {
			in:   []flows.Effect{flows.Say{Key: "a", Choices: menu}, flows.Say{Key: "b"}},
			want: []flows.Effect{flows.Say{Key: "a"}, flows.Say{Key: PrivacyNoticeKey, Choices: menu}, flows.Say{Key: "b"}},
		},
		"at the end of a reply that asks nothing": {
			in:   []flows.Effect{flows.Switched{Flow: "x"}, flows.Say{Key: "a"}},
			want: []flows.Effect{flows.Switched{Flow: "x"}, flows.Say{Key: "a"}, flows.Say{Key: PrivacyNoticeKey}},
		},
	} {
		require.Equal(t, tc.want, withPrivacyNotice(tc.in), name)
	}
}

func TestPrivacyCommand(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"/privasi", "/privasi@SuaraWargaBot", "Privasi", " kebijakan  privasi ", "/privacy", "privasi?"} {
		require.True(t, privacyCommand(flows.Input{Kind: flows.InputText, Text: s}), s)
	}
	for _, s := range []string{"privasi saya bocor di jalan", "/privasiku", ""} {
		require.False(t, privacyCommand(flows.Input{Kind: flows.InputText, Text: s}), s)
	}
}
