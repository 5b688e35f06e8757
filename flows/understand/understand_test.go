package understand

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Iyaaa!!":                 "iya",
		"okeee 👍":                 "oke iya",
		"siiip":                   "sip",
		"Gak jadi deh":            "tidakjadi",
		"udh blm?":                "sudah belum",
		"ga papa":                 "gapapa",
		"tidak apa-apa":           "gapapa",
		"Assalamu'alaikum wr wb":  "assalamualaikum",
		"no.2":                    "no 2",
		"ke-2":                    "ke 2",
		"apa2":                    "apa apa",
		"⭐⭐⭐⭐":                    "4",
		"5/5":                     "5 dari 5",
		"JALAN RUSAK!!! parahhh":  "jalan rusak parah",
		"kirim bae":               "kirim saja",
		"Maaaaf":                  "maaf",
		"🙏":                       "terimakasih",
		"❌":                       "tidak",
		"1️⃣":                     "1",
		"cafe":                    "cafe",
		"café":                    "cafe",
		"ｔｉｄａｋ":                   "tidak",
		"gaada fotonya":           "tidak ada fotonya",
		"bingung caranya gimana?": "bingung caranya bagaimana",
	}
	for in, want := range cases {
		require.Equal(t, want, Parse(in).String(), in)
	}
	require.Equal(t, "batal", Plain("❌ Batal"), "labels lose their emoji")
	require.True(t, Parse("😊🙂 ...").Empty())
}

func TestDistanceAndTolerance(t *testing.T) {
	t.Parallel()
	require.Equal(t, 1, Distance("tidak", "tidka"), "a swap is one typo")
	require.Equal(t, 1, Distance("setuju", "stuju"))
	require.Equal(t, 2, Distance("kesehatan", "keshatn"))
	require.Equal(t, 3, Distance("", "abc"))
	require.Equal(t, 0, Tolerance(3))
	require.Equal(t, 1, Tolerance(4))
	require.Equal(t, 1, Tolerance(6))
	require.Equal(t, 2, Tolerance(7))
	_, ok := typoOf("sampai", "sampah")
	require.False(t, ok, "a real word is never a typo of another")
	_, ok = typoOf("sampha", "sampah")
	require.True(t, ok)
	_, ok = typoOf("ga", "ya")
	require.False(t, ok, "short words must be exact")
}

func TestNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{
		"2": 2, "2.": 2, "(3)": 3, "no. 2": 2, "no 2": 2, "nomor dua": 2, "nomer 1 aja": 1, "yang kedua": 2, "ke-3": 3,
		"pilihan 2": 2, "opsi 4": 4, "pertama": 1, "yang pertama kak": 1, "keempat": 4, "2nd": 2, "the second one": 2,
		"lima bintang": 5, "⭐⭐⭐": 3, "4/5": 4, "nilai 5": 5, "sebelas": 11, "dua belas": 12, "kesebelas": 11,
		"sikok": 1, "duo": 2, "2️⃣": 2, "#2": 2, "three": 3,
	} {
		n, _, ok := Number(Parse(in))
		require.True(t, ok, in)
		require.Equal(t, want, n, in)
	}
	_, last, ok := Number(Parse("yang terakhir"))
	require.True(t, ok && last)
	for _, in := range []string{"2 motor jatuh", "jalan nomor 2 rusak", "ya", "tidak", ""} {
		_, _, ok := Number(Parse(in))
		require.False(t, ok, in)
	}
}

var summary = Question{Options: []Option{
	{ID: "kirim", Label: "✅ Kirim", Means: MeansYes},
	{ID: "ubah", Label: "✏️ Ubah", Means: MeansNo},
	{ID: "batal", Label: "❌ Batal"},
}}

func TestReadSummary(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"iya": "kirim", "iyaaa kirim": "kirim", "ok": "kirim", "benar": "kirim", "kirim aja": "kirim", "sudah, kirimkan": "kirim",
		"sip": "kirim", "👍": "kirim", "stuju": "kirim", "gpp kirim aja": "kirim", "1": "kirim", "yes": "kirim",
		"tidak": "ubah", "salah": "ubah", "belum": "ubah", "belum benar": "ubah", "jangan dikirim": "ubah", "tidak setuju": "ubah",
		"bukan itu": "ubah", "eh bukan, lokasinya salah": "ubah", "ganti lokasinya": "ubah", "nanti dulu": "ubah", "tidka": "ubah",
		"👎": "ubah", "no": "ubah", "ubah": "ubah", "2": "ubah",
		"batal": "batal", "❌ Batal": "batal", "gak jadi": "batal", "ya udah batal aja": "batal", "3": "batal",
	} {
		r := summary.Read(Parse(in))
		require.Equal(t, Pick, r.Kind, in)
		require.Equal(t, want, summary.Options[r.Option].ID, in)
	}
	for _, in := range []string{"ya tapi salah", "tidak salah", "salah, kirim aja", "mungkin", "iya belum", "sudah belum?"} {
		r := summary.Read(Parse(in))
		require.Equal(t, Unclear, r.Kind, in)
	}
	require.Equal(t, OutOfRange, summary.Read(Parse("7")).Kind)
	require.Equal(t, Menu, summary.Read(Parse("kembali ke menu")).Kind)
	require.Equal(t, Help, summary.Read(Parse("bingung")).Kind)
	require.Equal(t, None, summary.Read(Parse("asdfgh")).Kind)
}

func TestReadFree(t *testing.T) {
	t.Parallel()
	comment := Question{Free: true, Options: []Option{{ID: "lewati", Label: "Lewati", Means: MeansNo, Words: []string{"saran"}}}}
	for _, in := range []string{"tidak ada", "gak ada saran", "lewati", "skip", "1", "belum ada"} {
		r := comment.Read(Parse(in))
		require.Equal(t, Pick, r.Kind, in)
	}
	for _, in := range []string{"tidak ramah petugasnya", "pelayanan cepat, terima kasih", "2 minggu baru selesai"} {
		require.Equal(t, None, comment.Read(Parse(in)).Kind, in)
	}
	require.Equal(t, Cancel, comment.Read(Parse("tidak jadi")).Kind, "a cancel phrase is never an answer")
}

func TestGlobal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Kind{
		"batal": Cancel, "BATALKAN": Cancel, "gak jadi": Cancel, "ga jd": Cancel, "tidak jadi lapor": Cancel, "stop": Cancel,
		"cancel": Cancel, "btal": Cancel, "udahan aja": Cancel, "ok batal aja kak": Cancel,
		"menu": Menu, "kembali ke menu": Menu, "menu utama": Menu, "mulai dari awal": Menu,
		"bantuan": Help, "help": Help, "bingung": Help, "caranya gimana": Help, "gak ngerti": Help, "tolong": Help,
		"tidak batal": None, "tidak jadi datang petugasnya kemarin": None, "jalan rusak": None,
	} {
		require.Equal(t, want, Global(Parse(in)), in)
	}
}

func TestTicketCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"OKI-2611-0042": "OKI-2611-0042", "cek oki-2611-0042 dong": "OKI-2611-0042", "laporan OKI 2611 0042 gimana": "OKI-2611-0042",
		"OKI26110042": "OKI-2611-0042", "no hp 0812 3456 7890": "", "RT 0012-0003": "", "jalan rusak": "", "OKI-2613-0042": "",
	} {
		require.Equal(t, want, TicketCode(in), in)
	}
}

func TestDetectIntent(t *testing.T) {
	t.Parallel()
	cats := []Option{
		{ID: "jalan", Label: "Jalan & jembatan", Words: []string{"jalan", "jalan rusak", "berlubang", "jembatan"}},
		{ID: "pju", Label: "Lampu jalan (PJU)", Words: []string{"lampu", "lampu jalan", "lampu mati", "gelap"}},
		{ID: "sampah", Label: "Sampah & kebersihan", Words: []string{"sampah", "bau", "keruh"}},
	}
	for in, want := range map[string]string{
		"halo":                             "salam",
		"assalamualaikum min":              "salam",
		"makasih ya pak":                   "terima_kasih",
		"mau lapor":                        "lapor",
		"saya mau buat pengaduan":          "lapor",
		"cek status":                       "status",
		"sudah sampai mana laporan saya":   "status",
		"laporan lampu kemarin gimana ya":  "status",
		"kok belum ada tanggapan":          "status",
		"jalan rusak di depan rumah saya":  "keluhan:jalan",
		"lampu jalan mati":                 "keluhan:pju",
		"mau lapor sampah numpuk":          "keluhan:sampah",
		"air sumur warga keruh dan berbau": "keluhan:sampah",
		"pipa pdam bocor sudah seminggu":   "keluhan:",
		"apa ini":                          "",
		"OKI-2611-0042 sudah sampai mana?": "status",
		"permisi, lampu di gang kami mati": "keluhan:pju",
	} {
		in2 := DetectIntent(in, cats)
		got := in2.Name
		if got == IntentComplaint {
			got += ":"
			if in2.Category >= 0 {
				got += cats[in2.Category].ID
			}
		}
		require.Equal(t, want, got, in)
	}
	require.Equal(t, "OKI-2611-0042", DetectIntent("OKI-2611-0042 sudah sampai mana?", cats).Code)
}

func TestLexiconLoads(t *testing.T) {
	t.Parallel()
	_, err := parseLexicon("x\n")
	require.ErrorContains(t, err, "before the first [section]")
	_, err = parseLexicon("[slang]\ntidak | gak\nbukan | gak\n")
	require.ErrorContains(t, err, `"gak" is already a spelling of "tidak"`)
	require.True(t, strings.Contains(lexiconSrc, "[function]"))
}

// TestGeneralRules covers the rules added from the held-out sets: each is a rule, not a phrase.
func TestGeneralRules(t *testing.T) {
	t.Parallel()
	yesNo := Question{Options: []Option{{ID: "ya", Label: "Ya, betul", Means: MeansYes}, {ID: "bukan", Label: "Bukan", Means: MeansNo}}}
	pick := func(q Question, s string) string {
		r := Read(s, q)
		if r.Kind != Pick {
			return string(r.Kind)
		}
		return q.Options[r.Option].ID
	}
	// "nah" alone is an English no; before a yes it opens a Palembang sentence.
	require.Equal(t, "bukan", pick(yesNo, "nah"))
	require.Equal(t, "ya", pick(yesNo, "nah iyo"))
	// A comma ends a negation: what follows is not negated.
	require.Equal(t, "tidak mau ubah uraian", Parse("gak, mau ubah uraian").String())
	konf := Question{Options: []Option{{ID: "kirim", Label: "Kirim", Means: MeansYes}, {ID: "ubah", Label: "Ubah", Means: MeansNo},
		{ID: "batal", Label: "❌ Batal"}}}
	require.Equal(t, "ubah", pick(konf, "belum, mau ubah uraian"))
	// Any cancel phrase names the question's own Batal choice.
	require.Equal(t, "batal", pick(konf, "tidak jadi lapor"))
	// Intensifiers after their word come first, as in labels: "puas nian" is "sangat puas".
	require.Equal(t, "sangat puas", Parse("puas nian").String())
	require.Equal(t, "sangat puas", Parse("puas sekali").String())
	require.Equal(t, "sekali lagi", Parse("sekali lagi").String())
	// Everyday abbreviations.
	require.Equal(t, "lampu jalan depan rumah", Parse("lampu jln dpn rmh").String())
	// A short name against longer names holding it.
	kec := Question{Options: []Option{{ID: "m", Label: "Mesuji"}, {ID: "mm", Label: "Mesuji Makmur"}, {ID: "mr", Label: "Mesuji Raya"}}}
	require.Equal(t, "m", pick(kec, "kec mesuji"))
	require.Equal(t, "mr", pick(kec, "mesuji raya"))
	// Menu and help phrases built from their parts; a cancel word and the report it cancels.
	require.Equal(t, Menu, Global(Parse("balik ke menu utama")))
	require.Equal(t, Help, Global(Parse("cara pakainya gimana")))
	require.Equal(t, Help, Global(Parse("maksudnya apa ya")))
	require.Equal(t, Cancel, Global(Parse("batalkan pengaduan")))
	require.Equal(t, Cancel, Global(Parse("i changed my mind")))
	require.Equal(t, None, Global(Parse("batalkan bantuan pkh saya")), "a cancel word with something else is no cancel phrase")
	cats := []Option{{ID: "jalan", Label: "Jalan & jembatan", Words: []string{"jembatan", "jalan rusak"}},
		{ID: "pungli", Label: "Pungli", Words: []string{"pungli", "dimintai uang"}},
		{ID: "bansos", Label: "Bansos", Words: []string{"bpnt"}},
		{ID: "lainnya", Label: "Lainnya", Words: []string{"masuk", "perizinan"}}}
	// Where something happened does not decide what it is about.
	in := DetectIntent("ada pungli di jembatan timbang", cats)
	require.Equal(t, 1, in.Category)
	require.Equal(t, 0, DetectIntent("rusak di jembatan", cats).Category, "the place decides when nothing else does")
	// The catch-all loses a tie with one other category; a common word matches only exactly.
	require.Equal(t, 2, DetectIntent("bpnt bulan ini belum masuk", cats).Category)
	require.Equal(t, IntentReport, DetectIntent("izin lapor", cats).Name)
}

// TestCacheKeyedByContent: what is derived from the options is cached by their content, so a
// category given a new word (the console's master data) is read with it at the next message.
func TestCacheKeyedByContent(t *testing.T) {
	t.Parallel()
	cats := func(extra ...string) []Option {
		return []Option{{ID: "jalan", Label: "Jalan & jembatan", Words: append([]string{"jalan rusak"}, extra...)},
			{ID: "sampah", Label: "Sampah", Words: []string{"sampah"}}}
	}
	q := Question{Options: cats()}
	require.Equal(t, None, Read("siring mampet", q).Kind)
	require.Equal(t, -1, DetectIntent("siring depan rumah mampet", cats()).Category)
	q = Question{Options: cats("siring")}
	r := Read("siring mampet", q)
	require.Equal(t, Pick, r.Kind)
	require.Equal(t, 0, r.Option)
	require.Equal(t, 0, DetectIntent("siring depan rumah mampet", cats("siring")).Category)
	// The old content still reads as before (both are cached, neither is stale).
	require.Equal(t, None, Read("siring mampet", Question{Options: cats()}).Kind)
	require.NotEqual(t, optionsKey(cats()), optionsKey(cats("siring")))
	require.NotEqual(t, optionsKey([]Option{{ID: "a", Words: []string{"b c"}}}), optionsKey([]Option{{ID: "a", Words: []string{"b", "c"}}}))
}

// TestCacheBounded: typed words fill the caches only up to their bound.
func TestCacheBounded(t *testing.T) {
	t.Parallel()
	m := newMemo[int](8)
	for i := range 100 {
		m.get(strings.Repeat("x", i+1), func(s string) int { return len(s) })
	}
	require.LessOrEqual(t, m.len(), 8)
	require.Equal(t, 3, m.get("xxx", func(s string) int { return len(s) }))
}

// TestConcurrentReads reads from many goroutines at once (run with -race).
func TestConcurrentReads(t *testing.T) {
	t.Parallel()
	opts := []Option{{ID: "kirim", Label: "Kirim", Means: MeansYes}, {ID: "ubah", Label: "Ubah", Means: MeansNo}}
	cats := []Option{{ID: "jalan", Label: "Jalan", Words: []string{"jalan rusak", "jembatan"}}, {ID: "lampu", Label: "Lampu", Words: []string{"lampu mati"}}}
	done := make(chan bool)
	for g := range 8 {
		go func() {
			for i := range 200 {
				Read([]string{"iya kirim", "gak, salah", "jembtan putus", "krim"}[(g+i)%4], Question{Options: opts})
				DetectIntent([]string{"jalan rusak parah", "lampu jln mati", "halo"}[(g+i)%3], cats)
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}
