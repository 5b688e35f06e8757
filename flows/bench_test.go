package flows_test

import (
	"context"
	"testing"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/locales"
)

// BenchmarkStepTyped is the engine's CPU per typed reply, through Step with the default flows
// and the sample regency (no database): a category typed at the category question, a complaint
// typed as the first message, a typed yes at the summary.
//
//	go test ./flows -run '^$' -bench StepTyped -benchmem
func BenchmarkStepTyped(b *testing.B) {
	cat, err := locales.Load()
	if err != nil {
		b.Fatal(err)
	}
	eng := &flows.Engine{Texts: cat.WithGlobals(locales.SampleGlobals)}
	env, err := flowtest.NewFakeEnv()
	if err != nil {
		b.Fatal(err)
	}
	f := env.Flows["pengaduan"]
	cases := []struct {
		name, node, text string
		flow             *flows.Flow
	}{
		{"category", "tanya_kategori", "lampu jalan mati", f},
		{"first_message", "", "jalan di dusun 3 rusak nian pak, kalo ujan dak pacak dilewati", nil},
		{"summary_yes", "konfirmasi", "iya, kirim aja", f},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				st := flows.State{Lang: "id", Data: map[string]string{}}
				if c.flow != nil {
					st.Flow, st.Revision, st.Node = c.flow.ID, c.flow.Revision, c.node
					st.Data = map[string]string{"kategori": "jalan", "kategori_label": "Jalan & jembatan", "uraian": "Jalan berlubang besar sejak tiga bulan",
						"lokasi": "Kayuagung"}
				}
				if _, _, _, err := eng.Step(context.Background(), c.flow, st, flows.Input{Kind: flows.InputText, Text: c.text}, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
