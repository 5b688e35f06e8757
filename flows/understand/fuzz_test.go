package understand

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzQuestions are the shapes of question a typed reply meets in the flows.
var fuzzQuestions = []Question{
	{Options: []Option{{ID: "ya", Label: "Ya, benar", Means: MeansYes}, {ID: "tidak", Label: "Tidak", Means: MeansNo}}},
	{Options: []Option{
		{ID: "jalan", Label: "Jalan rusak", Words: []string{"lubang", "aspal", "jalan berlubang"}},
		{ID: "sampah", Label: "Sampah", Words: []string{"tumpukan sampah", "bau"}},
		{ID: "lampu", Label: "Lampu jalan mati", Words: []string{"penerangan", "gelap"}},
		{ID: "air", Label: "Air bersih", Words: []string{"pdam", "air keruh"}},
	}},
	{Options: []Option{{ID: "lewati", Label: "Lewati", Means: MeansNo}}, Free: true},
	{Options: []Option{{ID: "kirim", Label: "Kirim"}, {ID: "ubah", Label: "Ubah"}, {ID: "batal", Label: "Batal"}}, Exact: true},
	{Options: []Option{{ID: "1", Label: "⭐"}, {ID: "2", Label: "⭐⭐"}, {ID: "3", Label: "⭐⭐⭐"}, {ID: "4", Label: "⭐⭐⭐⭐"}, {ID: "5", Label: "⭐⭐⭐⭐⭐"}}},
	{},
}

var ticketShape = regexp.MustCompile(`^[A-Z]{2,6}-\d{4}-\d{4}$`)

// FuzzRead feeds the text matcher arbitrary replies at every shape of question:
// it must never panic, give the same reading twice, pick only options the
// question has, and its helpers (ticket codes, numbers, edit distance) must
// keep their contracts.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"ya", "Iyaaa!!", "gak jadi deh", "yang kedua", "2", "⭐⭐⭐⭐", "5/5", "ｔｉｄａｋ",
		"ya tapi salah", "tidak salah", "mungkin", "batal", "menu", "bingung caranya gimana?", "status OKI-2611-0042",
		"oki 2611 0042", "no hp 0812 2611 0042", "Jalan di depan Pasar Kayuagung berlubang besar", "1️⃣", "🙏", "",
		"\x00\xff\xfe", strings.Repeat("a", 5000), strings.Repeat("tidak ", 300), "ke-2", "apa2"} {
		f.Add(s, uint8(0))
	}
	if file, err := os.Open("../testdata/understand/corpus.txt"); err == nil {
		sc := bufio.NewScanner(file)
		for n := 0; sc.Scan() && n < 400; n++ {
			line := sc.Text()
			if strings.HasPrefix(line, "#") || !strings.Contains(line, "|") {
				continue
			}
			if parts := strings.Split(line, "|"); len(parts) >= 4 {
				f.Add(strings.TrimSpace(parts[3]), uint8(n))
			}
		}
		file.Close()
	}
	f.Fuzz(func(t *testing.T, raw string, which uint8) {
		q := fuzzQuestions[int(which)%len(fuzzQuestions)]
		r := Read(raw, q)
		if again := Read(raw, q); !reflect.DeepEqual(r, again) {
			t.Fatalf("%q read two ways: %+v and %+v", raw, r, again)
		}
		if r.Polarity < Neutral || r.Polarity > Mixed {
			t.Fatalf("polarity %d", r.Polarity)
		}
		switch r.Kind {
		case Pick:
			if r.Option < 0 || r.Option >= len(q.Options) {
				t.Fatalf("%q picked option %d of %d", raw, r.Option, len(q.Options))
			}
		case Unclear:
			for _, c := range r.Candidates {
				if c < 0 || c >= len(q.Options) {
					t.Fatalf("%q candidate %d of %d", raw, c, len(q.Options))
				}
			}
		case None, Cancel, Menu, Help, OutOfRange:
		default:
			t.Fatalf("%q read as unknown kind %q", raw, r.Kind)
		}

		cats := fuzzQuestions[1].Options
		in := DetectIntent(raw, cats)
		if in.Category < -1 || in.Category >= len(cats) || in.Name != "" && !slices.Contains(IntentNames(), in.Name) {
			t.Fatalf("%q intent %+v", raw, in)
		}
		if best, tied := Classify(raw, cats); best < -1 || best >= len(cats) || slices.ContainsFunc(tied, func(i int) bool { return i < 0 || i >= len(cats) }) {
			t.Fatalf("%q classified %d %v", raw, best, tied)
		}
		if code := TicketCode(raw); code != "" && !ticketShape.MatchString(code) {
			t.Fatalf("%q ticket code %q", raw, code)
		}
		text := Parse(raw)
		for _, w := range text.Words {
			if w == "" || !utf8.ValidString(w) {
				t.Fatalf("%q parsed into word %q", raw, w)
			}
		}
		_, _, _ = Number(text)
		if len(raw) <= 64 {
			other := strings.ToUpper(raw)
			if d := Distance(raw, raw); d != 0 {
				t.Fatalf("Distance(%q, itself) = %d", raw, d)
			}
			if a, b := Distance(raw, other), Distance(other, raw); a != b {
				t.Fatalf("Distance not symmetric for %q: %d, %d", raw, a, b)
			}
		}
	})
}
