package flows_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/flows"
)

// rahasiaFlow rewords the confidentiality question, one of its choice labels (Indonesian
// only) and the reminder, and adds a key of its own; then it goes to the menu, which has
// no wording of its own.
const rahasiaFlow = `
flow: rahasia
start: tanya
timeout: {remind_after: 30m, remind: umum.masih_di_sana, expire_after: 24h, expired: umum.sesi_berakhir}
texts:
  pengaduan.tanya_rahasia:
    id: "Boleh kami sebut nama Anda, warga {{.pemda}}?"
    en: "May we name you, citizen of {{.pemda}}?"
  pengaduan.identitas_biasa:   # Indonesian only: it stands in for English too
    id: "Tampilkan nama saya"
  umum.masih_di_sana: {id: "Halo? Kami masih menunggu jawaban Anda.", en: "Hello? We are still waiting."}
  rahasia.tercatat: {id: "Kode {{.kode}} tercatat untuk {{.pemda}}.", en: "Code {{.kode}} noted."}
nodes:
  tanya:
    ask: choice
    text: pengaduan.tanya_rahasia
    save: identitas
    choices:
      - {id: biasa, label: pengaduan.identitas_biasa, next: catat}
      - {id: rahasia, label: pengaduan.identitas_rahasia, next: catat}
  catat: {say: rahasia.tercatat, data: {kode: OKI-2611-0042}, next: ke_menu}
  ke_menu: {goto: menu, with: {identitas: "{{.identitas}}"}}
`

func TestParseTexts(t *testing.T) {
	t.Parallel()
	f, err := flows.Parse([]byte(rahasiaFlow))
	require.NoError(t, err)
	require.Equal(t, flows.Overrides{
		"pengaduan.tanya_rahasia":   {"id": "Boleh kami sebut nama Anda, warga {{.pemda}}?", "en": "May we name you, citizen of {{.pemda}}?"},
		"pengaduan.identitas_biasa": {"id": "Tampilkan nama saya"},
		"umum.masih_di_sana":        {"id": "Halo? Kami masih menunggu jawaban Anda.", "en": "Hello? We are still waiting."},
		"rahasia.tercatat":          {"id": "Kode {{.kode}} tercatat untuk {{.pemda}}.", "en": "Code {{.kode}} noted."},
	}, f.Texts)

	// A flow without texts has none; the keys it names come questions first, in node order.
	p, err := flows.Parse(flows.Defaults()["pengaduan"])
	require.NoError(t, err)
	require.Nil(t, p.Texts)
	var got []string
	for _, k := range p.TextKeys() {
		got = append(got, k.Key)
	}
	require.Equal(t, []string{
		"pengaduan.betul_kategori", "pengaduan.tanya_kategori", "pengaduan.tanya_uraian", "pengaduan.tanya_lokasi",
		"pengaduan.tanya_kecamatan", "pengaduan.tanya_alamat", "tempat.luar_wilayah", "serupa.ada", "pengaduan.tanya_foto", "identitas.tanya_dikenal",
		"identitas.tanya_nama", "pengaduan.tanya_rahasia",
		"pengaduan.ringkasan", "pengaduan.tanya_bagian", "pengaduan.gagal_kirim",
		"pengaduan.ya_betul", "pengaduan.pilih_lain", "pengaduan.kami_bantu", "pengaduan.uraian_pendek",
		"pengaduan.lokasi_tidak_jelas", "pengaduan.pilih_kecamatan", "pengaduan.alamat_pendek", "tempat.tetap_kirim", "tempat.kirim_lokasi_lain",
		"serupa.didukung", "tombol.cek_status", "tombol.laporan_baru", "tombol.menu", "serupa.tidak_berlaku", "umum.gagal", "pengaduan.lewati_foto",
		"identitas.cantumkan_nama", "identitas.tanpa_nama", "identitas.nama_pendek",
		"pengaduan.identitas_biasa", "pengaduan.identitas_rahasia", "pengaduan.kirim", "pengaduan.ubah", "umum.batal",
		"pengaduan.bagian_kategori", "pengaduan.bagian_uraian", "pengaduan.bagian_lokasi", "pengaduan.bagian_foto",
		"pengaduan.bagian_identitas", "pengaduan.bagian_kembali",
		"pengaduan.terkirim", "pengaduan.coba_lagi",
		"umum.dibatalkan", "umum.masih_di_sana", "umum.sesi_berakhir",
	}, got)
	require.Equal(t, flows.TextKey{Key: "umum.batal", Nodes: []string{"konfirmasi", "gagal"}}, p.TextKeys()[slices.Index(got, "umum.batal")])
	require.True(t, p.TextKeys()[1].Question)
}

func TestOverridesLookup(t *testing.T) {
	t.Parallel()
	o := flows.Overrides{"a.b": {"id": "Indonesia", "en": "English"}, "a.c": {"id": "Hanya Indonesia"}, "a.d": {"en": "No id"}}
	for _, c := range []struct{ lang, key, want string }{
		{"id", "a.b", "Indonesia"}, {"en", "a.b", "English"}, {"en-US", "a.b", "English"}, {"", "a.b", "Indonesia"},
		{"in", "a.b", "Indonesia"}, {"en", "a.c", "Hanya Indonesia"}, {"fr", "a.b", "Indonesia"}, {"en", "a.d", "No id"},
	} {
		got, ok := o.Lookup(c.lang, c.key)
		require.True(t, ok, c)
		require.Equal(t, c.want, got, c)
	}
	for _, c := range []struct{ lang, key string }{{"id", "a.x"}, {"id", "a.d"}} {
		_, ok := o.Lookup(c.lang, c.key)
		require.False(t, ok, c)
	}
	_, ok := flows.Overrides(nil).Lookup("id", "a.b")
	require.False(t, ok)
}

func TestFlowWording(t *testing.T) {
	t.Parallel()
	b := setup(t, rahasiaFlow)
	f := b.env.Flows["rahasia"]
	start := func(lang string) (flows.State, []flows.Effect) {
		_, st, effs, err := b.eng.Step(context.Background(), f, flows.State{Lang: lang}, flows.Input{Kind: flows.InputStart}, b.env)
		require.NoError(t, err)
		return st, effs
	}

	// The question and its labels carry the flow's wording; the catalog fills the rest.
	st, effs := start("id")
	require.Equal(t, []string{"switched rahasia", "ask pengaduan.tanya_rahasia", "wait"}, keys(effs))
	require.Equal(t, f.Texts, effs[1].(flows.Ask).Texts)
	msgs := flows.Render(b.cat, "id", effs)
	require.Len(t, msgs, 1)
	require.Equal(t, "Boleh kami sebut nama Anda, warga Kabupaten Ogan Komering Ilir?", msgs[0].Text)
	require.Equal(t, []flows.Choice{{ID: "biasa", Label: "Tampilkan nama saya", Literal: true},
		{ID: "rahasia", Label: "Rahasiakan identitas saya", Literal: true}}, msgs[0].Choices)

	// English: the English override; a label overridden only in Indonesian reads in Indonesian,
	// not the catalog's older English label.
	msgs = flows.Render(b.cat, "en", effs)
	require.Equal(t, "May we name you, citizen of Kabupaten Ogan Komering Ilir?", msgs[0].Text)
	require.Equal(t, []string{"Tampilkan nama saya", "Keep my identity confidential"}, []string{msgs[0].Choices[0].Label, msgs[0].Choices[1].Label})

	// The reminder is the flow's too.
	_, reminded := b.step(t, st, flows.Input{Kind: flows.InputRemind})
	require.Equal(t, []string{"say umum.masih_di_sana", "ask pengaduan.tanya_rahasia", "wait"}, keys(reminded))
	require.True(t, strings.HasPrefix(flows.Render(b.cat, "id", reminded)[0].Text, "Halo? Kami masih menunggu jawaban Anda.\nBoleh kami sebut"))

	// Typing the overridden label takes the choice, in both languages; then the flow's own
	// key is said, and the menu it switches to speaks with the catalog's texts again.
	for _, lang := range []string{"id", "en"} {
		st, _ := start(lang)
		got, effs := b.step(t, st, text("tampilkan nama saya"))
		require.Equal(t, "biasa", got.Data["identitas"], lang)
		require.Equal(t, []string{"say rahasia.tercatat", "switched menu", "say menu.sambutan", "ask menu.pilih", "wait"}, keys(effs), lang)
		vis := visible(effs)
		require.Equal(t, f.Texts, vis[0].(flows.Say).Texts)
		require.Nil(t, vis[2].(flows.Say).Texts, "the menu has no wording of its own")
		require.Nil(t, vis[3].(flows.Ask).Texts)
		msgs := flows.Render(b.cat, lang, effs)
		want := map[string]string{"id": "Kode OKI-2611-0042 tercatat untuk Kabupaten Ogan Komering Ilir.", "en": "Code OKI-2611-0042 noted."}[lang]
		require.True(t, strings.HasPrefix(msgs[0].Text, want+"\n"+b.cat.T(lang, "menu.sambutan", nil)), msgs[0].Text)
	}
	// The catalog's label of the other choice still works.
	st, _ = start("id")
	got, _ := b.step(t, st, text("Rahasiakan identitas saya"))
	require.Equal(t, "rahasia", got.Data["identitas"])
}

// plainTranslator knows one key and cannot render templates of its own.
type plainTranslator struct{}

func (plainTranslator) T(_, key string, _ map[string]any) string { return "katalog:" + key }

func TestRenderOverrides(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ov := flows.Overrides{
		"umum.ya":    {"id": "Setuju", "en": "Agreed"},
		"t.rusak":    {"id": "Laporan {{.kode"},
		"t.data":     {"id": "Laporan {{.kode}}{{.tidak_ada}} di {{.pemda}}"},
		"t.tindakan": {"id": "{{if .kode}}Ada kode{{else}}Tanpa kode{{end}}"},
	}
	effs := []flows.Effect{
		flows.Say{Key: "t.rusak", Texts: ov},
		flows.Say{Key: "t.data", Data: map[string]string{"kode": "OKI-1"}, Texts: ov},
		flows.Say{Key: "t.tindakan", Texts: ov},
		flows.Say{Key: "umum.ya"}, // no wording of its own: the catalog
		flows.Ask{Key: "umum.ya", Kind: flows.AskYesNo, Texts: ov},
	}
	msgs := flows.Render(b.cat, "id", effs)
	require.Equal(t, []flows.Message{{
		Text: "Laporan {{.kode\nLaporan OKI-1 di Kabupaten Ogan Komering Ilir\nTanpa kode\nYa\nSetuju",
		Choices: []flows.Choice{{ID: "ya", Label: "Setuju", Literal: true},
			{ID: "tidak", Label: "Tidak", Literal: true}},
	}}, msgs)
	require.Equal(t, "Agreed", flows.Render(b.cat, "en", effs)[0].Choices[0].Label)

	// A translator without templates of its own: the flow's texts still render with their data.
	msgs = flows.Render(plainTranslator{}, "id", effs)
	require.Equal(t, "Laporan {{.kode\nLaporan OKI-1 di \nTanpa kode\nkatalog:umum.ya\nSetuju", msgs[0].Text)
	require.Equal(t, "katalog:umum.tidak", msgs[0].Choices[1].Label)
}
