package understand

import (
	"testing"

	"github.com/suarawarga/suarawarga/regency"
)

// Figures per typed reply, with the 11 categories of the sample regency and their vocabulary:
//
//	go test ./flows/understand -run '^$' -bench . -benchmem
func benchCategories(b *testing.B) []Option {
	b.Helper()
	reg, err := regency.Parse(regency.Default)
	if err != nil {
		b.Fatal(err)
	}
	var out []Option
	for _, c := range reg.Categories {
		out = append(out, Option{ID: c.Code, Label: c.Name, Words: c.Words})
	}
	return out
}

// BenchmarkReadCategory reads a typed category ("lampu jalan mati") at the category question.
func BenchmarkReadCategory(b *testing.B) {
	q := Question{Options: benchCategories(b)}
	replies := []string{"lampu jalan mati", "sampah numpuk", "ktp blm jadi", "banjir", "pungutan liar", "jembtan rusak"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Read(replies[i%len(replies)], q)
	}
}

// BenchmarkDetectIntent reads a complaint typed as the first message.
func BenchmarkDetectIntent(b *testing.B) {
	cats := benchCategories(b)
	replies := []string{"jalan di dusun 3 rusak nian pak, kalo ujan dak pacak dilewati", "lampu jalan depan masjid mati udh 2 minggu",
		"ngurus surat di kantor desa dimintai uang 200rb", "laporan saya sudah diproses belum", "halo min"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		DetectIntent(replies[i%len(replies)], cats)
	}
}

// BenchmarkReadYesNo reads a typed reply at the summary (Kirim / Ubah / Batal).
func BenchmarkReadYesNo(b *testing.B) {
	q := Question{Options: []Option{{ID: "kirim", Label: "✅ Kirim", Means: MeansYes, Words: []string{"kirimkan", "kirim sekarang", "laporkan"}},
		{ID: "ubah", Label: "✏️ Ubah", Means: MeansNo, Words: []string{"ubah", "edit", "koreksi"}}, {ID: "batal", Label: "❌ Batal"}}}
	replies := []string{"iya, kirim", "gak, salah", "eh bukan, lokasinya salah", "ya tapi salah", "gak jadi"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Read(replies[i%len(replies)], q)
	}
}
