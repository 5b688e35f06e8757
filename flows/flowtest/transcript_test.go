package flowtest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/flows"
)

func TestParseAndFormat(t *testing.T) {
	t.Parallel()
	src := "# judul\nwarga: /start\nbot: Halo\n  baris dua\n  [A] [B]\n\n# jeda\nclock: +30m\n\nwarga: <foto>\n\n# akhir\n"
	tr, err := Parse([]byte(src))
	require.NoError(t, err)
	require.Len(t, tr.Turns, 3)
	require.Equal(t, Turn{Line: 2, Comments: []string{"# judul"}, Who: "warga", Raw: "/start", Expect: []string{"bot: Halo\n  baris dua\n  [A] [B]"}}, tr.Turns[0])
	require.Equal(t, "clock", tr.Turns[1].Who)
	require.Equal(t, src, tr.Format(nil))

	_, err = Parse([]byte("bot: hai\n"))
	require.EqualError(t, err, "line 1: a bot message before any warga: turn")
	_, err = Parse([]byte("warga: a\nhalo\n"))
	require.EqualError(t, err, `line 2: want warga:, clock:, bot:, an indented line or a # comment, got "halo"`)
}

func TestFormatMessage(t *testing.T) {
	t.Parallel()
	require.Equal(t, "bot: Di mana?\n  Kirim lokasi.\n  [📍 Kirim lokasi] [Pilih kecamatan]", FormatMessage(Rendered{
		Text: "Di mana?\nKirim lokasi.", AskLocation: true, Choices: []flows.Choice{{ID: "k", Label: "Pilih kecamatan", Literal: true}},
	}))
	require.Equal(t, "bot: Terima kasih", FormatMessage(Rendered{Text: "Terima kasih"}))
}

func TestInput(t *testing.T) {
	t.Parallel()
	offered := []Rendered{
		{Text: "lama", Choices: []flows.Choice{{ID: "old", Label: "Lama"}}},
		{Text: "baru", Choices: []flows.Choice{{ID: "kirim", Label: "✅ Kirim"}}},
		{Text: "tanpa tombol"},
	}
	in, err := Input("[✅ Kirim]", offered, 0)
	require.NoError(t, err)
	require.Equal(t, flows.Input{Kind: flows.InputChoice, ChoiceID: "kirim"}, in)
	_, err = Input("[Lama]", offered, 0)
	require.EqualError(t, err, "no button [Lama] in the last choices")

	in, err = Input("<lokasi -3.40,104.83>", nil, 0)
	require.NoError(t, err)
	require.Equal(t, flows.Input{Kind: flows.InputLocation, Lat: -3.40, Lng: 104.83}, in)
	in, err = Input("<foto>", nil, 2)
	require.NoError(t, err)
	require.Equal(t, flows.Input{Kind: flows.InputPhoto, PhotoRef: "foto-3"}, in)
	in, err = Input("<suara>", nil, 0)
	require.NoError(t, err)
	require.Equal(t, flows.Input{Kind: flows.InputUnsupported, Unsupported: "voice"}, in)
	in, err = Input("halo", nil, 0)
	require.NoError(t, err)
	require.Equal(t, flows.Input{Kind: flows.InputText, Text: "halo"}, in)
	_, err = Input("<gif>", nil, 0)
	require.Error(t, err)
}
