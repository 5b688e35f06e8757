package bot

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
)

func TestRender(t *testing.T) {
	t.Parallel()
	tr, err := locales.New(map[string][]byte{
		"id": []byte("u:\n  halo: \"Halo {{.nama}}\"\n  tanya: Yakin?\n  ya: Ya\n  tidak: Tidak\n  pilih: Pilih\n  kirim: Kirim\n  foto: Kirim foto\n  lewati: Lewati\numum:\n  ya: Ya\n  tidak: Tidak\n"),
		"en": []byte("u:\n  halo: \"Hello {{.nama}}\"\n"),
	})
	require.NoError(t, err)

	effs := []flows.Effect{
		flows.Switched{Flow: "menu"},
		flows.Say{Key: "u.halo", Data: map[string]string{"nama": "Sari"}},
		flows.Say{Key: "u.halo"},
		flows.Ask{Key: "u.tanya", Kind: flows.AskYesNo},
		flows.Wait{},
		flows.Ask{Key: "u.pilih", Kind: flows.AskChoice, Choices: []flows.Choice{{ID: "k", Label: "u.kirim"}, {ID: "OKI-1", Label: "OKI-1 · Jalan", Literal: true}}},
		flows.Ask{Key: "u.foto", Kind: flows.AskPhoto, Choices: []flows.Choice{{ID: "lewati", Label: "u.lewati"}}},
		flows.Ask{Key: "u.pilih", Kind: flows.AskLocation, AskLocation: true},
		flows.Say{Key: "u.halo", Data: map[string]string{"nama": "Budi"}},
		flows.Ended{},
	}
	require.Equal(t, []Outbound{
		{Text: "Halo Sari\nHalo \nYakin?", Choices: []Choice{{ID: "ya", Label: "Ya"}, {ID: "tidak", Label: "Tidak"}}, Lang: "id"},
		{Text: "Pilih", Choices: []Choice{{ID: "k", Label: "Kirim"}, {ID: "OKI-1", Label: "OKI-1 · Jalan"}}, Lang: "id"},
		{Text: "Kirim foto", Choices: []Choice{{ID: "lewati", Label: "Lewati"}}, AskPhoto: true, Lang: "id"},
		{Text: "Pilih", AskLocation: true, Lang: "id"},
		{Text: "Halo Budi", Lang: "id"},
	}, Render(tr, "id", effs))

	require.Equal(t, []Outbound{{Text: "Hello Ana", Lang: "en"}}, Render(tr, "en", []flows.Effect{flows.Say{Key: "u.halo", Data: map[string]string{"nama": "Ana"}}}))
	require.Empty(t, Render(tr, "id", []flows.Effect{flows.Wait{}, flows.Ended{}}))
}

func TestChannelTexts(t *testing.T) {
	t.Parallel()
	tr, err := locales.New(map[string][]byte{
		"id": []byte("u:\n  lokasi: Tekan tombol\n  lokasi_whatsapp: Kirim lokasi\n  halo: \"Halo {{.nama}}\"\n"),
		"en": []byte("u:\n  lokasi: Press the button\n  halo: \"Hello {{.nama}}\"\n"),
	})
	require.NoError(t, err)
	wa := ChannelTexts{Translator: tr, Channel: "whatsapp"}
	require.Equal(t, "Kirim lokasi", wa.T("id", "u.lokasi", nil))
	require.Equal(t, "Kirim lokasi", wa.T("en", "u.lokasi", nil), "a variant only in Indonesian beats the button text")
	require.Equal(t, "Hello Ana", wa.T("en", "u.halo", map[string]any{"nama": "Ana"}), "keys without a variant are as they were")
	require.Equal(t, "Tekan tombol", ChannelTexts{Translator: tr, Channel: "telegram"}.T("id", "u.lokasi", nil))
	require.Equal(t, "Hi Ana", wa.Execute("id", "Hi {{.nama}}", map[string]any{"nama": "Ana"}))
}
