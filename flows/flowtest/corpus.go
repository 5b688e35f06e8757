package flowtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/understand"
)

// A corpus is a table of typed replies, each with the question(s) it answers and what it must be
// read as. It runs through the pure engine at every question it applies to, with the default
// flows and the sample regency (FakeEnv). Format: one reply a line, five fields separated by tabs
// (or by " | "), "#" starts a comment line:
//
//	kind	lang	where	reply	want
//
// kind groups the figures (ya, tidak, nomor, kategori, batal, ...); lang is id or en; where names
// the questions (see CorpusQuestions); want is the reading expected (see CorpusRow.Want).

// CorpusRow is one reply of a corpus.
type CorpusRow struct {
	Line  int
	Kind  string
	Lang  string
	Where string
	Reply string
	// Want is what the reply must be read as:
	//
	//	ya, tidak        the choice that means yes / no at that question (its yes and no of a yesno question)
	//	pilih:ID         the choice with that id          nomor:N   the Nth choice
	//	ulang            asked again: nothing taken, nothing saved (a help phrase's answer counts)
	//	batal, menu      a cancel / menu phrase (cancelled, or asked first when answers would be lost)
	//	bantuan          a help phrase (how to answer, asked again)
	//	jawaban          kept as the answer to a free question (a description, an address)
	//	keluhan:ID       a complaint started with this category (keluhan:? when it must ask the category)
	//	lapor, status, status:CODE, salam, terima_kasih   what a free message wants
	Want string
}

// ParseCorpus reads a corpus file.
func ParseCorpus(src []byte) ([]CorpusRow, error) {
	var rows []CorpusRow
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		sep := "\t"
		if !strings.Contains(line, "\t") {
			sep = " | "
		}
		f := strings.Split(line, sep)
		if len(f) != 5 {
			return nil, fmt.Errorf("line %d: want 5 fields (kind, lang, where, reply, want), got %d", n, len(f))
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if f[1] != "id" && f[1] != "en" {
			return nil, fmt.Errorf("line %d: language %q is not id or en", n, f[1])
		}
		rows = append(rows, CorpusRow{Line: n, Kind: f[0], Lang: f[1], Where: f[2], Reply: f[3], Want: f[4]})
	}
	return rows, sc.Err()
}

// CorpusQuestion is a place a reply is typed: a question of a default flow, the very first
// message (Flow ""), or the question "drop your answers?" the engine asks (Node "_yakin").
type CorpusQuestion struct {
	Flow, Node string
}

func (q CorpusQuestion) String() string {
	switch {
	case q.Flow == "":
		return "awal"
	case q.Node == "_yakin":
		return q.Flow + ".yakin_berhenti"
	}
	return q.Flow + "." + q.Node
}

// citizenFlows are the flows a citizen answers (the officers' flows are not in the corpus).
var citizenFlows = []string{"menu", "pengaduan", "status", "bantuan", "survei", "jawab_info"}

// CorpusQuestions resolves where:
//
//	awal        the first message, or one after a conversation ended
//	yesno       every question with both a yes and a no answer
//	pilihan     every choice question of the citizen's flows (its choices static or from a data source)
//	semua       every question of the citizen's flows
//	FLOW.NODE   one question; several may be joined with ","; pengaduan._yakin is the engine's
//	            own "drop your answers?" asked during a complaint
func CorpusQuestions(env *FakeEnv, where string) ([]CorpusQuestion, error) {
	var out []CorpusQuestion
	for _, part := range strings.Split(where, ",") {
		part = strings.TrimSpace(part)
		switch part {
		case "awal":
			out = append(out, CorpusQuestion{})
		case "yesno", "pilihan", "semua":
			for _, id := range citizenFlows {
				f := env.Flows[id]
				for _, nid := range f.Order {
					n := f.Nodes[nid]
					if n.Kind() != flows.KindAsk {
						continue
					}
					yes, no := meanings(n)
					switch {
					case part == "semua",
						part == "pilihan" && (n.Ask == flows.AskChoice || n.Ask == flows.AskYesNo) && (len(n.Choices) > 0 || n.From == flows.SourceKategori || n.From == flows.SourceKecamatan),
						part == "yesno" && yes != "" && no != "":
						out = append(out, CorpusQuestion{Flow: id, Node: nid})
					}
				}
			}
		default:
			flow, node, ok := strings.Cut(part, ".")
			f := env.Flows[flow]
			if !ok || f == nil || (f.Nodes[node] == nil && node != "_yakin") {
				return nil, fmt.Errorf("where %q: no such question", part)
			}
			out = append(out, CorpusQuestion{Flow: flow, Node: node})
		}
	}
	return out, nil
}

// meanings are the ids of the answers that mean yes and no at n ("" when there is none).
func meanings(n *flows.Node) (yes, no string) {
	if n.Ask == flows.AskYesNo {
		return "ya", "tidak"
	}
	for _, c := range n.Choices {
		switch c.Means {
		case understand.MeansYes:
			yes = c.ID
		case understand.MeansNo:
			no = c.ID
		}
	}
	if n.Ask == flows.AskPhoto && n.Skip != "" {
		no = "lewati"
	}
	return yes, no
}

// corpusSeed is the data a conversation holds when it reaches a question of the corpus, as if
// the citizen had answered the questions before it.
func corpusSeed(q CorpusQuestion) map[string]string {
	d := map[string]string{}
	switch q.Flow {
	case "pengaduan":
		d["kategori"], d["kategori_label"] = "jalan", "Jalan & jembatan"
		if q.Node != "tanya_uraian" {
			d["uraian"] = "Jalan di depan Pasar Kayuagung berlubang besar sejak tiga bulan"
		}
		if q.Node == "_yakin" {
			d["_yakin"] = string(understand.Cancel)
		}
	case "survei", "jawab_info":
		d["kode"] = "OKI-2611-0001"
	}
	return d
}

// CorpusResult is one reply read at one question.
type CorpusResult struct {
	Row      CorpusRow
	Question CorpusQuestion
	Got      string
	OK       bool
	// YesTaken reports that the answer meaning yes was taken although the reply was expected to
	// be a no, an unsure reply, a cancel or nothing: the one mistake that must never happen.
	YesTaken bool
}

// CorpusReport sums up a corpus run.
type CorpusReport struct {
	Results []CorpusResult
}

// RunCorpus reads every row at every question it applies to, each from a fresh conversation.
func RunCorpus(ctx context.Context, eng *flows.Engine, rows []CorpusRow) (*CorpusReport, error) {
	env, err := NewFakeEnv()
	if err != nil {
		return nil, err
	}
	rep := &CorpusReport{}
	for _, row := range rows {
		qs, err := CorpusQuestions(env, row.Where)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", row.Line, err)
		}
		for _, q := range qs {
			res, err := readAt(ctx, eng, env, row, q)
			if err != nil {
				return nil, fmt.Errorf("line %d at %s: %w", row.Line, q, err)
			}
			rep.Results = append(rep.Results, res)
		}
	}
	return rep, nil
}

// readAt types row's reply at q and says what became of it.
func readAt(ctx context.Context, eng *flows.Engine, env *FakeEnv, row CorpusRow, q CorpusQuestion) (CorpusResult, error) {
	res := CorpusResult{Row: row, Question: q}
	var f *flows.Flow
	st := flows.State{Lang: row.Lang}
	var yes, no string
	var node *flows.Node
	if q.Flow != "" {
		f = env.Flows[q.Flow]
		st.Flow, st.Revision, st.Data = f.ID, f.Revision, corpusSeed(q)
		st.Node = q.Node
		if q.Node == "_yakin" {
			st.Node = "tanya_lokasi"
			yes, no = "_ya", "_tidak"
		} else {
			node = f.Nodes[q.Node]
			yes, no = meanings(node)
		}
	}
	_, after, effs, err := eng.Step(ctx, f, st, flows.Input{Kind: flows.InputText, Text: row.Reply}, env)
	if err != nil {
		return res, err
	}
	res.Got = outcome(q, st, after, effs, row.Reply)
	want := row.Want
	switch want {
	case "ya":
		want = "pilih:" + yes
	case "tidak":
		want = "pilih:" + no
	}
	if strings.HasPrefix(want, "nomor:") && node != nil {
		var k int
		fmt.Sscanf(strings.TrimPrefix(want, "nomor:"), "%d", &k)
		opts := choicesOf(ctx, env, f, node, &st)
		if k >= 1 && k <= len(opts) {
			want = "pilih:" + opts[k-1]
		} else {
			want = "ulang"
		}
	}
	res.OK = res.Got == want ||
		// A cancel or menu phrase where nothing is lost goes straight to the menu, or takes a
		// choice of that name ("❌ Batal", "🏠 Menu utama", "ℹ️ Bantuan").
		(want == "batal" || want == "menu") && (res.Got == "batal" || res.Got == "menu" || res.Got == "pilih:"+want) ||
		want == "bantuan" && (res.Got == "pilih:bantuan" || res.Got == "ke:bantuan") ||
		// "gak tau" read as a help phrase is asked again too, with how to answer: nothing taken.
		want == "ulang" && res.Got == "bantuan" ||
		// The command "/menu" opens the menu at once.
		want == "menu" && res.Got == "ke:menu" ||
		// The menu's own choices serve the same: "pengaduan" is Buat pengaduan, "status" Cek status.
		want == "lapor" && res.Got == "pilih:pengaduan" || want == "status" && res.Got == "pilih:status"
	if yes != "" && res.Got == "pilih:"+yes && row.Want != "ya" && !strings.HasPrefix(row.Want, "pilih:") && !strings.HasPrefix(row.Want, "nomor:") {
		res.YesTaken = true
	}
	return res, nil
}

// choicesOf lists the ids of a question's choices as the engine offers them.
func choicesOf(ctx context.Context, env *FakeEnv, f *flows.Flow, n *flows.Node, st *flows.State) []string {
	var out []string
	for _, c := range n.Choices {
		out = append(out, c.ID)
	}
	switch n.Ask {
	case flows.AskYesNo:
		out = append(out, "ya", "tidak")
	case flows.AskPhoto:
		if n.Skip != "" {
			out = append(out, "lewati")
		}
	}
	if n.From != "" {
		cs, _ := env.Choices(ctx, n.From, st)
		for _, c := range cs {
			out = append(out, c.ID)
		}
	}
	return out
}

// outcome names what happened to a reply typed at q.
func outcome(q CorpusQuestion, before, after flows.State, effs []flows.Effect, reply string) string {
	var u *flows.Understood
	said := map[string]bool{}
	switched := ""
	for _, e := range effs {
		switch e := e.(type) {
		case flows.Understood:
			if u == nil {
				e := e
				u = &e
			}
		case flows.Say:
			said[e.Key] = true
		case flows.Ask:
			said["ask "+e.Key] = true
		case flows.Switched:
			if switched == "" {
				switched = e.Flow
			}
		}
	}
	// A reply saved anywhere it must not be: never a cancel or a menu.
	saved := false
	for k, v := range after.Data {
		if v == reply && before.Data[k] != reply && k != "teks" {
			saved = true
		}
	}
	if q.Node == "_yakin" {
		// The engine's own question: its yes stops, its no goes on, anything unclear asks again.
		switch {
		case u != nil && u.Choice != "":
			return "pilih:" + u.Choice
		case u != nil && (u.As == flows.ReadCancel || u.As == flows.ReadMenu):
			return "pilih:_ya"
		case said["ask umum.yakin_berhenti"]:
			return "ulang"
		}
	}
	picked := u != nil && u.Choice != "" && slices.Contains([]string{flows.ReadNumber, flows.ReadLabel, flows.ReadYes, flows.ReadNo,
		flows.ReadWords, flows.ReadTypo}, u.As)
	switch {
	case said["ask umum.yakin_berhenti"]:
		if after.Data["_yakin"] == string(understand.Menu) {
			return "menu"
		}
		return "batal"
	case picked:
		return "pilih:" + u.Choice
	case said["umum.dibatalkan"] && !saved:
		return "batal"
	case u != nil && u.As == flows.ReadIntent:
		switch u.Intent {
		case understand.IntentComplaint:
			if u.Choice == "" {
				return "keluhan:?"
			}
			return "keluhan:" + u.Choice
		case understand.IntentStatus:
			if u.Code != "" {
				return "status:" + u.Code
			}
		}
		return u.Intent
	case u != nil && u.As == flows.ReadMenu && !saved:
		return "menu"
	case u != nil && u.As == flows.ReadHelp && !saved:
		return "bantuan"
	case u != nil && u.As == flows.ReadAnswer:
		return "jawaban"
	case q.Flow == "" && said["menu.sambutan"] && said["ask menu.pilih"]:
		return "sambut"
	case switched == flows.FlowMenu && u == nil && !saved:
		// A command ("/menu") switched to the menu, also from the menu itself.
		return "ke:menu"
	case after.Flow == before.Flow && after.Node == before.Node && !saved:
		return "ulang"
	case switched != "":
		return "ke:" + switched
	}
	return "ke:" + after.Flow + "." + after.Node
}

// Tally is the figures of one kind of reply.
type Tally struct {
	Kind           string
	Understood, Of int
	YesTaken       int
}

// Percent is the share understood.
func (t Tally) Percent() float64 {
	if t.Of == 0 {
		return 100
	}
	return 100 * float64(t.Understood) / float64(t.Of)
}

// Tallies sums the results by kind, kinds in the order they first appear, and overall.
func (r *CorpusReport) Tallies() (kinds []Tally, all Tally) {
	index := map[string]int{}
	all.Kind = "overall"
	for _, res := range r.Results {
		i, ok := index[res.Row.Kind]
		if !ok {
			i = len(kinds)
			index[res.Row.Kind] = i
			kinds = append(kinds, Tally{Kind: res.Row.Kind})
		}
		kinds[i].Of++
		all.Of++
		if res.OK {
			kinds[i].Understood++
			all.Understood++
		}
		if res.YesTaken {
			kinds[i].YesTaken++
			all.YesTaken++
		}
	}
	return kinds, all
}

// Failures are the results not understood, the dangerous ones first.
func (r *CorpusReport) Failures() []CorpusResult {
	var out []CorpusResult
	for _, res := range r.Results {
		if !res.OK || res.YesTaken {
			out = append(out, res)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].YesTaken && !out[b].YesTaken })
	return out
}

// Print writes "understood N of M (x %)" per kind and overall, the count of no-like replies
// read as yes, and up to maxFailures of the replies not understood.
func (r *CorpusReport) Print(w io.Writer, maxFailures int) {
	kinds, all := r.Tallies()
	rows := 0
	seen := map[int]bool{}
	for _, res := range r.Results {
		if !seen[res.Row.Line] {
			seen[res.Row.Line] = true
			rows++
		}
	}
	fmt.Fprintf(w, "%d replies read at %d questions\n", rows, all.Of)
	for _, k := range append(kinds, all) {
		fmt.Fprintf(w, "%-14s understood %d of %d (%.1f %%)\n", k.Kind, k.Understood, k.Of, k.Percent())
	}
	fmt.Fprintf(w, "no-like replies read as yes: %d\n", all.YesTaken)
	fails := r.Failures()
	for i, f := range fails {
		if i == maxFailures {
			fmt.Fprintf(w, "… and %d more\n", len(fails)-i)
			break
		}
		mark := ""
		if f.YesTaken {
			mark = " (READ AS YES)"
		}
		fmt.Fprintf(w, "line %d %s at %s: %q want %s, got %s%s\n", f.Row.Line, f.Row.Kind, f.Question, f.Row.Reply, f.Row.Want, f.Got, mark)
	}
}

// YesAnswer is the id of the answer that means yes at n, or "".
func YesAnswer(n *flows.Node) string {
	if n == nil || n.Kind() != flows.KindAsk {
		return ""
	}
	yes, _ := meanings(n)
	return yes
}
