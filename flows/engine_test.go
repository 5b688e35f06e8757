package flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/locales"
)

type testBundle struct {
	eng *flows.Engine
	env *flowtest.FakeEnv
	cat *locales.Catalog
}

func setup(t *testing.T, extra ...string) *testBundle {
	t.Helper()
	cat, err := locales.Load()
	cat = cat.WithGlobals(locales.SampleGlobals)
	require.NoError(t, err)
	env, err := flowtest.NewFakeEnv()
	require.NoError(t, err)
	for _, src := range extra {
		f, err := flows.Parse([]byte(src))
		require.NoError(t, err)
		f.Revision = 7
		env.Flows[f.ID] = f
	}
	return &testBundle{eng: &flows.Engine{Texts: cat}, env: env, cat: cat}
}

// step feeds one input from the given state, using the flow the state is pinned to.
func (b *testBundle) step(t *testing.T, st flows.State, in flows.Input) (flows.State, []flows.Effect) {
	t.Helper()
	var f *flows.Flow
	if st.Flow != "" {
		f = b.env.Flows[st.Flow]
	}
	_, st, effs, err := b.eng.Step(context.Background(), f, st, in, b.env)
	require.NoError(t, err)
	return st, effs
}

func text(s string) flows.Input { return flows.Input{Kind: flows.InputText, Text: s} }

// visible drops the Understood effects (how a reply was read), leaving what the person sees.
func visible(effs []flows.Effect) []flows.Effect {
	var out []flows.Effect
	for _, e := range effs {
		if _, ok := e.(flows.Understood); !ok {
			out = append(out, e)
		}
	}
	return out
}

// firstSay is the first Say of effs.
func firstSay(effs []flows.Effect) flows.Say {
	for _, e := range effs {
		if s, ok := e.(flows.Say); ok {
			return s
		}
	}
	return flows.Say{}
}

func keys(effs []flows.Effect) []string {
	var out []string
	for _, e := range effs {
		switch e := e.(type) {
		case flows.Say:
			out = append(out, "say "+e.Key)
		case flows.Ask:
			out = append(out, "ask "+e.Key)
		case flows.Wait:
			out = append(out, "wait")
		case flows.Switched:
			out = append(out, "switched "+e.Flow)
		case flows.Ended:
			out = append(out, "ended")
		}
	}
	return out
}

func TestStepLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, `
flow: putar
start: a
nodes:
  a: {say: umum.ya, next: b}
  b: {branch: [{if: x, next: c}], else: a}
  c: {ask: text, text: umum.ya, save: s, next: a}
`)
	b.eng.MaxSteps = 10
	_, _, _, err := b.eng.Step(context.Background(), b.env.Flows["putar"], flows.State{}, flows.Input{Kind: flows.InputStart}, b.env)
	require.ErrorIs(t, err, flows.ErrStepLimit)
	require.EqualError(t, err, "flows: step limit exceeded: more than 10 nodes without input, at putar › a")
}

func TestCommands(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st, effs := b.step(t, flows.State{}, text("  /START@SuaraWargaBot  "))
	require.Equal(t, []string{"switched menu", "say menu.sambutan", "ask menu.pilih", "wait"}, keys(effs))
	require.Equal(t, "menu", st.Flow)
	require.Equal(t, int64(1), st.Revision)

	st, _ = b.step(t, st, text("1"))
	require.Equal(t, "pengaduan", st.Flow)
	st, effs = b.step(t, st, text("BATAL"))
	require.Equal(t, []string{"say umum.dibatalkan", "switched menu", "ask menu.pilih", "wait"}, keys(effs))

	st, effs = b.step(t, st, text("/status oki-2611-0042"))
	require.Equal(t, []string{"switched status", "say status.tidak_ditemukan", "ask status.tanya_kode", "wait"}, keys(effs))
	require.Equal(t, "OKI-2611-0042", st.Data["kode"])

	_, effs = b.step(t, st, text("/help"))
	require.Equal(t, "switched bantuan", keys(effs)[0])

	// A plain word only counts as a command when it is the whole message.
	st, _ = b.step(t, flows.State{}, text("/menu"))
	st, _ = b.step(t, st, text("1"))
	st, effs = b.step(t, st, text("menu yang mana"))
	require.Equal(t, []string{"say umum.pilihan_tidak_ada", "ask pengaduan.tanya_kategori", "wait"}, keys(effs))
	require.Equal(t, "pengaduan", st.Flow)

	b.eng.Commands = map[string]string{"/lapor": "pengaduan"}
	st, _ = b.step(t, flows.State{}, text("/lapor"))
	require.Equal(t, "pengaduan", st.Flow)
}

func TestStepIsPure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st, _ := b.step(t, flows.State{}, text("/start"))
	st, _ = b.step(t, st, text("1"))
	st, _ = b.step(t, st, text("1"))
	before := st.Data["kategori"]
	next, _ := b.step(t, st, text("Jalan di depan Pasar Kayuagung berlubang besar"))
	require.Equal(t, "jalan", before)
	require.NotContains(t, st.Data, "uraian", "the caller's state is not changed")
	require.Equal(t, "Jalan di depan Pasar Kayuagung berlubang besar", next.Data["uraian"])
	require.Equal(t, "Jalan & jembatan", next.Data["kategori_label"])
}

func TestChoiceMatching(t *testing.T) {
	t.Parallel()
	b := setup(t)
	menu, _ := b.step(t, flows.State{}, text("/start"))
	kategori, _ := b.step(t, menu, text("1"))
	cases := []struct{ in, want string }{
		{"1", "jalan"}, {"dua", "sampah"}, {"no. 3", "adminduk"}, {"11", "lainnya"},
		{"Sekolah", "sekolah"}, {"SEKOLAH!!", "sekolah"}, {"sekola", "sekolah"},
		{"lampu jalan", "pju"}, {"pungli", "pungli"}, {"puskesmas", "kesehatan"}, {"bencna", "bencana"},
		{"ktp kk akta", "adminduk"}, {"bantuan sosial 🙏", "bansos"},
	}
	for _, c := range cases {
		st, effs := b.step(t, kategori, text(c.in))
		require.Equal(t, c.want, st.Data["kategori"], c.in)
		require.Equal(t, "ask pengaduan.tanya_uraian", keys(effs)[0], c.in)
	}
	// Two categories named at once: ask which.
	_, effs := b.step(t, kategori, text("jalan sampah"))
	require.Equal(t, []string{"say umum.maksud_anda", "ask pengaduan.tanya_kategori", "wait"}, keys(effs))
	require.Equal(t, "Jalan & jembatan / Sampah & kebersihan", firstSay(effs).Data["pilihan"])
	for _, in := range []string{"12", "0", "xyz", "🙂"} {
		st, effs := b.step(t, kategori, text(in))
		require.Equal(t, []string{"say umum.pilihan_tidak_ada", "ask pengaduan.tanya_kategori", "wait"}, keys(effs), in)
		require.Equal(t, "tanya_kategori", st.Node)
		require.Equal(t, 1, st.Invalid)
	}
	// The third wrong answer in a row adds a hint.
	st := kategori
	for range 2 {
		st, _ = b.step(t, st, text("qwerty"))
	}
	_, effs = b.step(t, st, text("qwerty"))
	require.Equal(t, []string{"say umum.pilihan_tidak_ada", "say umum.petunjuk", "ask pengaduan.tanya_kategori", "wait"}, keys(effs))

	// Accents and case are ignored.
	st, _ = b.step(t, menu, text("BANTUÁN"))
	require.Equal(t, "bantuan", st.Flow)
}

func TestYesNo(t *testing.T) {
	t.Parallel()
	b := setup(t, `
flow: tanya
start: yakin
nodes:
  yakin: {ask: yesno, text: umum.ya, save: yakin, yes: oke, no: tidak}
  oke: {say: umum.ya, end: true}
  tidak: {say: umum.tidak, end: true}
`)
	_, effs := b.step(t, flows.State{}, flows.Input{Kind: flows.InputStart})
	require.Equal(t, []string{"switched menu", "say menu.sambutan", "ask menu.pilih", "wait"}, keys(effs))
	_, _, effs, err := b.eng.Step(context.Background(), b.env.Flows["tanya"], flows.State{}, flows.Input{Kind: flows.InputStart}, b.env)
	require.NoError(t, err)
	ask := effs[1].(flows.Ask)
	require.Equal(t, []flows.Choice{{ID: "ya", Label: "umum.ya", Means: "yes"}, {ID: "tidak", Label: "umum.tidak", Means: "no"}}, ask.Choices)
	st := flows.State{Flow: "tanya", Node: "yakin", Data: map[string]string{}}
	for _, in := range []string{"ya", "Iya", "y", "ok", "oke", "betul", "benar", "sip", "Ya!", "iya dong"} {
		got, effs := b.step(t, st, text(in))
		require.Equal(t, []string{"say umum.ya", "ended"}, keys(effs), in)
		require.Equal(t, "ya", got.Data["yakin"], in)
	}
	for _, in := range []string{"tidak", "tdk", "gak", "nggak", "ga", "engga", "bukan", "no", "Tidak."} {
		got, effs := b.step(t, st, text(in))
		require.Equal(t, []string{"say umum.tidak", "ended"}, keys(effs), in)
		require.Equal(t, "tidak", got.Data["yakin"], in)
	}
	_, effs = b.step(t, st, flows.Input{Kind: flows.InputChoice, ChoiceID: "tidak"})
	require.Equal(t, []string{"say umum.tidak", "ended"}, keys(effs))
	_, effs = b.step(t, st, text("mungkin"))
	require.Equal(t, []string{"say umum.kurang_jelas", "ask umum.ya", "wait"}, keys(effs), "unsure is asked again")
	_, effs = b.step(t, st, text("apel"))
	require.Equal(t, []string{"say umum.mohon_ya_tidak", "ask umum.ya", "wait"}, keys(effs))
}

func TestTextLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st, _ := b.step(t, flows.State{}, text("/start"))
	st, _ = b.step(t, st, text("1"))
	st, _ = b.step(t, st, text("1"))

	_, effs := b.step(t, st, text("   "))
	require.Equal(t, []string{"ask pengaduan.tanya_uraian", "wait"}, keys(effs), "empty text asks again")

	_, effs = b.step(t, st, text(strings.Repeat("a", flows.MaxTextRunes+1)))
	require.Equal(t, []string{"say umum.terlalu_panjang", "ask pengaduan.tanya_uraian", "wait"}, keys(effs))
	require.Equal(t, "4000", effs[0].(flows.Say).Data["max"])

	_, effs = b.step(t, st, text(strings.Repeat("a", 2001)))
	require.Equal(t, []string{"say umum.terlalu_panjang", "ask pengaduan.tanya_uraian", "wait"}, keys(effs))
	require.Equal(t, "2000", firstSay(effs).Data["max"])

	_, effs = b.step(t, st, flows.Input{Kind: flows.InputUnsupported, Unsupported: "voice"})
	require.Equal(t, []string{"say umum.tidak_didukung", "ask pengaduan.tanya_uraian", "wait"}, keys(effs))
	require.Equal(t, "Maaf, pesan suara belum bisa kami proses. Mohon tuliskan dalam bentuk teks.",
		b.cat.T("id", "umum.tidak_didukung", map[string]any{"jenis": effs[0].(flows.Say).Data["jenis"]}))

	_, effs = b.step(t, st, flows.Input{Kind: flows.InputPhoto, PhotoRef: "p1"})
	require.Equal(t, []string{"say umum.mohon_teks", "ask pengaduan.tanya_uraian", "wait"}, keys(effs))
}

// A text question with accept_photo takes a photo as the answer, its caption as the text.
func TestTextQuestionAcceptsPhoto(t *testing.T) {
	t.Parallel()
	f, err := flows.Parse([]byte(`
flow: x
start: a
nodes:
  a: {ask: text, text: t.a, accept_photo: true, save: jawaban, next: b}
  b: {say: t.b, end: true}
`))
	require.NoError(t, err)
	var e flows.Engine
	_, st, _, err := e.Step(t.Context(), f, flows.State{}, flows.Input{Kind: flows.InputStart}, nil)
	require.NoError(t, err)
	_, got, effs, err := e.Step(t.Context(), f, st, flows.Input{Kind: flows.InputPhoto, PhotoRef: "7", Text: " lubangnya di sini "}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"say t.b"}, keys(effs)[:1])
	require.Equal(t, "7", got.Data["jawaban_foto"])
	require.Equal(t, "lubangnya di sini", got.Data["jawaban"])
	_, got, _, err = e.Step(t.Context(), f, st, flows.Input{Kind: flows.InputText, Text: "di depan sekolah"}, nil)
	require.NoError(t, err)
	require.Equal(t, "di depan sekolah", got.Data["jawaban"])
	require.Empty(t, got.Data["jawaban_foto"])
}

func TestWaitAndTimers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st, effs := b.step(t, flows.State{}, text("/start"))
	require.Equal(t, flows.Wait{RemindAfter: 30 * time.Minute, ExpireAfter: 24 * time.Hour, RemindKey: "umum.masih_di_sana", ExpiredKey: "umum.sesi_berakhir"}, effs[len(effs)-1])
	st2, effs := b.step(t, st, flows.Input{Kind: flows.InputRemind})
	require.Equal(t, []string{"say umum.masih_di_sana", "ask menu.pilih", "wait"}, keys(effs))
	require.Equal(t, flows.Wait{ExpireAfter: 23*time.Hour + 30*time.Minute, ExpiredKey: "umum.sesi_berakhir"}, effs[2])
	st3, effs := b.step(t, st2, flows.Input{Kind: flows.InputExpire})
	require.Equal(t, []string{"say umum.sesi_berakhir", "ended"}, keys(effs))
	require.True(t, st3.Ended)
	// Timers arriving after the end are ignored; any message starts the menu again.
	_, effs = b.step(t, st3, flows.Input{Kind: flows.InputRemind})
	require.Empty(t, effs)
	_, effs = b.step(t, st3, flows.Input{Kind: flows.InputLocation, Lat: 1, Lng: 2})
	require.Equal(t, "switched menu", keys(effs)[0])
}

func TestSubmitFailureOffersRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.FailSubmits = 1
	st, _ := b.step(t, flows.State{}, text("/start"))
	for _, in := range []string{"1", "1", "Jalan di depan pasar berlubang besar sekali", "Depan Pasar Kayuagung", "lewati", "biasa"} {
		st, _ = b.step(t, st, text(in))
	}
	require.Equal(t, "konfirmasi", st.Node)
	st, effs := b.step(t, st, text("kirim"))
	require.Equal(t, []string{"ask pengaduan.gagal_kirim", "wait"}, keys(effs))
	st, effs = b.step(t, st, flows.Input{Kind: flows.InputChoice, ChoiceID: "coba_lagi"})
	require.Equal(t, []string{"say pengaduan.terkirim", "ended"}, keys(effs))
	require.Equal(t, "OKI-2611-0001", st.Data["kode"])
	require.Equal(t, "tidak", st.Data["rahasia"])
	require.Equal(t, "Depan Pasar Kayuagung", st.Data["lokasi_alamat"])
	require.Equal(t, []string{flows.ActionComplaintLocate, flows.ActionSimilar, flows.ActionIdentity, flows.ActionComplaintSubmit, flows.ActionComplaintSubmit}, b.env.Calls)
}

// fileReport runs a report through to the summary from a fresh state.
func fileReport(t *testing.T, b *testBundle, last ...string) flows.State {
	t.Helper()
	st, _ := b.step(t, flows.State{}, text("/start"))
	for _, in := range append([]string{"1", "1", "Jalan di depan pasar berlubang besar sekali", "Depan Pasar Kayuagung", "lewati"}, last...) {
		st, _ = b.step(t, st, text(in))
	}
	return st
}

func TestTicketButtonsAreCommands(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := fileReport(t, b, "biasa")
	st, effs := b.step(t, st, text("kirim"))
	require.True(t, st.Ended)
	msgs := flows.Render(b.cat, "id", effs)
	require.Len(t, msgs, 1)
	require.Equal(t, []flows.Choice{
		{ID: "/status OKI-2611-0001", Label: "🔎 Cek status", Literal: true},
		{ID: "/lapor", Label: "📝 Laporan baru", Literal: true},
		{ID: "/menu", Label: "🏠 Menu", Literal: true},
	}, msgs[0].Choices)
	require.NotContains(t, msgs[0].Text, "Ketik")

	// Pressed after the conversation ended, a button does what it says.
	done, effs := b.step(t, st, flows.Input{Kind: flows.InputChoice, ChoiceID: "/status OKI-2611-0001"})
	require.Equal(t, []string{"switched status", "say status.hasil", "ended"}, keys(effs))
	require.Equal(t, "OKI-2611-0001", done.Data["kode"])
	mid, effs := b.step(t, st, flows.Input{Kind: flows.InputChoice, ChoiceID: "/lapor"})
	require.Equal(t, []string{"switched pengaduan", "ask pengaduan.tanya_kategori", "wait"}, keys(effs))

	// Pressed in the middle of another question too: the command wins over "no such choice".
	_, effs = b.step(t, mid, flows.Input{Kind: flows.InputChoice, ChoiceID: "/menu"})
	require.Equal(t, "switched menu", keys(effs)[0])

	// A button of a question already answered, with nothing waiting now, is explained.
	_, effs = b.step(t, done, flows.Input{Kind: flows.InputChoice, ChoiceID: "kirim"})
	require.Equal(t, []string{"say tombol.lama", "switched menu", "ask menu.pilih", "wait"}, keys(effs))
	// While another question waits, it is asked again.
	_, effs = b.step(t, mid, flows.Input{Kind: flows.InputChoice, ChoiceID: "kirim"})
	require.Equal(t, []string{"say umum.pilihan_tidak_ada", "ask pengaduan.tanya_kategori", "wait"}, keys(effs))
}

func TestRepeatAsksAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := fileReport(t, b)
	require.Equal(t, "tanya_rahasia", st.Node)
	st.Lang = "en"
	again, effs := b.step(t, st, flows.Input{Kind: flows.InputRepeat})
	require.Equal(t, []string{"ask pengaduan.tanya_rahasia", "wait"}, keys(effs))
	require.Equal(t, st.Data, again.Data)
	require.Contains(t, flows.Render(b.cat, "en", effs)[0].Text, "May the agency's officers know who you are?")

	_, effs = b.step(t, flows.State{}, flows.Input{Kind: flows.InputRepeat})
	require.Equal(t, []string{"switched menu", "ask menu.pilih", "wait"}, keys(effs))
}

func TestIdentityQuestionOnlyWhenKnown(t *testing.T) {
	t.Parallel()
	// Nothing known about the person: they may give a name, or stay without one.
	b := setup(t)
	b.env.Anonymous, b.env.Name = true, ""
	st := fileReport(t, b)
	require.Equal(t, "tanya_dikenal", st.Node)
	st, _ = b.step(t, st, flows.Input{Kind: flows.InputChoice, ChoiceID: "tanpa_nama"})
	require.Equal(t, "konfirmasi", st.Node)
	require.Equal(t, "ya", st.Data["rahasia"])
	sum := flows.Render(b.cat, "id", []flows.Effect{flows.Ask{Key: "pengaduan.ringkasan", Data: st.Data}})[0].Text
	require.Contains(t, sum, "Identitas: tanpa nama")

	st = fileReport(t, b)
	st, _ = b.step(t, st, flows.Input{Kind: flows.InputChoice, ChoiceID: "nama"})
	require.Equal(t, "tanya_nama", st.Node)
	st, _ = b.step(t, st, text("S"))
	require.Equal(t, "tanya_nama", st.Node, "a name of one letter is asked again")
	st, _ = b.step(t, st, text("Siti Aminah"))
	require.Equal(t, "konfirmasi", st.Node)
	require.Equal(t, "tidak", st.Data["rahasia"])
	sum = flows.Render(b.cat, "id", []flows.Effect{flows.Ask{Key: "pengaduan.ringkasan", Data: st.Data}})[0].Text
	require.Contains(t, sum, "Identitas: Siti Aminah")

	// Known without a name (a WhatsApp number): choosing to be known asks the name.
	b = setup(t)
	b.env.Name = ""
	st = fileReport(t, b)
	require.Equal(t, "tanya_rahasia", st.Node)
	st, _ = b.step(t, st, text("biasa"))
	require.Equal(t, "tanya_nama", st.Node)
	// Known with a name: no more questions.
	b = setup(t)
	st = fileReport(t, b, "biasa")
	require.Equal(t, "konfirmasi", st.Node)
}

func TestSayChoicesMustBeCommands(t *testing.T) {
	t.Parallel()
	issues := flows.Checker{}.Check([]byte(`flow: x
start: a
nodes:
  a: {say: umum.dibatalkan, choices: [{id: lanjut, label: tombol.menu}, {id: "/status {{.kode}}", label: tombol.cek_status}], end: true}
`))
	var msgs []string
	for _, i := range flows.Errors(issues) {
		msgs = append(msgs, i.String())
	}
	require.Len(t, msgs, 1, "%q", msgs)
	require.Contains(t, msgs[0], "a button of a say node is a command")
}

type failingEnv struct{ *flowtest.FakeEnv }

func (failingEnv) Call(context.Context, string, map[string]string, *flows.State) (string, error) {
	return "", errors.New("boom")
}

func TestActionErrorWithoutHandlerFails(t *testing.T) {
	t.Parallel()
	b := setup(t, `
flow: aksi
start: a
nodes:
  a: {do: complaint.status, with: {kode: "{{.kode}}"}, next: b}
  b: {say: umum.ya, end: true}
`)
	st := flows.State{Flow: "menu", Node: "pilih", Data: map[string]string{"x": "1"}}
	f, got, effs, err := b.eng.Step(context.Background(), b.env.Flows["aksi"], st, flows.Input{Kind: flows.InputStart}, failingEnv{b.env})
	require.EqualError(t, err, "flow aksi › a: action complaint.status: boom")
	require.Nil(t, effs)
	require.Equal(t, st, got, "on error the state comes back unchanged")
	require.Equal(t, "aksi", f.ID)
}

func TestBranchEqualsAndGotoData(t *testing.T) {
	t.Parallel()
	b := setup(t, `
flow: cabang
start: tanya
nodes:
  tanya: {ask: text, text: umum.ya, save: jenis, next: a}
  a:
    branch:
      - {if: jenis, equals: jalan raya, next: ke_status}
      - {if: jenis, equals: lain lagi, next: lain}
    else: tanya
  ke_status: {goto: status, with: {kode: "OKI-{{.jenis}}"}}
  lain: {say: umum.tidak, end: true}
`)
	_, st, _, err := b.eng.Step(context.Background(), b.env.Flows["cabang"], flows.State{}, flows.Input{Kind: flows.InputStart}, b.env)
	require.NoError(t, err)
	require.Equal(t, int64(7), st.Revision)

	got, effs := b.step(t, st, text("Lain Lagi"))
	require.Equal(t, []string{"say umum.tidak", "ended"}, keys(effs), "equals ignores case")
	require.True(t, got.Ended)

	got, effs = b.step(t, st, text("sesuatu"))
	require.Equal(t, []string{"ask umum.ya", "wait"}, keys(effs))
	require.Equal(t, "tanya", got.Node)

	got, effs = b.step(t, st, text("jalan raya"))
	require.Equal(t, []string{"switched status", "say status.tidak_ditemukan", "ask status.tanya_kode", "wait"}, keys(effs))
	require.Equal(t, map[string]string{"kode": "OKI-JALAN RAYA"}, got.Data, "goto passes only its with data")
	require.Equal(t, int64(1), got.Revision)
}
