package flowtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/understand"
	"github.com/suarawarga/suarawarga/regency"
)

// FakeCategory is a complaint category of the fake regency.
type FakeCategory struct {
	ID, Name, NameEN, Agency string
	Words                    []string
}

// FakeDistrict is a kecamatan of the fake regency.
type FakeDistrict struct {
	Code, Name string
}

// FakeComplaint is a complaint filed through the fake.
type FakeComplaint struct {
	Code     string
	Category string
	Data     map[string]string
}

// FakeEnv is an in-memory flows.Env for the sample regency (OKI): the default flows, its
// categories and districts, and the action contract of flows/actions.go.
type FakeEnv struct {
	mu         sync.Mutex
	Flows      map[string]*flows.Flow
	Categories []FakeCategory
	Districts  []FakeDistrict
	Complaints []FakeComplaint
	// FailSubmits makes the next n complaint.submit calls fail.
	FailSubmits int
	// Calls records every action called, in order.
	Calls []string
	// Anonymous makes citizen.identity answer "unknown" (a web chat without a name);
	// otherwise the person is known by Name (NewFakeEnv: a Telegram user's), which may be empty.
	Anonymous bool
	Name      string
}

var _ flows.Env = (*FakeEnv)(nil)

// NewFakeEnv loads the embedded default flows (revision 1) and the OKI reference data: the
// categories with their vocabulary come from the sample regency file.
func NewFakeEnv() (*FakeEnv, error) {
	env := &FakeEnv{Flows: map[string]*flows.Flow{}, Name: "Budi Santoso"}
	for id, src := range flows.Defaults() {
		f, err := flows.Parse(src)
		if err != nil {
			return nil, fmt.Errorf("default flow %s: %w", id, err)
		}
		f.Revision = 1
		env.Flows[id] = f
	}
	reg, err := regency.Parse(regency.Default)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range reg.Agencies {
		names[a.Code] = a.Name
		if !strings.Contains(a.Name, a.Code) {
			names[a.Code] += " (" + a.Code + ")"
		}
	}
	for _, c := range reg.Categories {
		env.Categories = append(env.Categories, FakeCategory{ID: c.Code, Name: c.Name, NameEN: c.NameEN, Agency: names[c.Agency], Words: c.Words})
	}
	for _, k := range reg.Regions {
		env.Districts = append(env.Districts, FakeDistrict{Code: k.Code, Name: k.Name})
	}
	// As the bot lists them: by name.
	sort.Slice(env.Districts, func(a, b int) bool { return env.Districts[a].Name < env.Districts[b].Name })
	return env, nil
}

// Flow returns a default flow.
func (e *FakeEnv) Flow(_ context.Context, id string) (*flows.Flow, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.Flows[id]
	if !ok {
		return nil, fmt.Errorf("flow %q not found", id)
	}
	return f, nil
}

// Choices serves the kategori, kecamatan and laporan_saya sources.
func (e *FakeEnv) Choices(_ context.Context, source string, st *flows.State) ([]flows.Choice, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []flows.Choice
	switch source {
	case flows.SourceKategori:
		for _, c := range e.Categories {
			label := c.Name
			if st != nil && st.Lang == "en" && c.NameEN != "" {
				label = c.NameEN
			}
			out = append(out, flows.Choice{ID: c.ID, Label: label, Literal: true, Words: c.Words})
		}
	case flows.SourceKecamatan:
		for _, d := range e.Districts {
			out = append(out, flows.Choice{ID: d.Code, Label: d.Name, Literal: true})
		}
	case flows.SourceLaporanSaya:
		for i := len(e.Complaints) - 1; i >= 0; i-- {
			c := e.Complaints[i]
			out = append(out, flows.Choice{ID: c.Code, Label: c.Code + " · " + c.Data["kategori_label"], Literal: true})
		}
	case flows.SourceSerupa:
		for _, code := range strings.Split(st.Data["serupa"], ",") {
			if code != "" {
				out = append(out, flows.Choice{ID: code, Label: "👍 Dukung " + code, Literal: true})
			}
		}
		out = append(out, flows.Choice{ID: "baru", Label: "📝 Tetap buat laporan baru", Literal: true, Means: understand.MeansNo})
	default:
		return nil, fmt.Errorf("unknown data source %q", source)
	}
	return out, nil
}

// Call runs the fake actions: submit numbers complaints OKI-2611-0001, 0002, ...
func (e *FakeEnv) Call(_ context.Context, action string, params map[string]string, st *flows.State) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Calls = append(e.Calls, action)
	switch action {
	case flows.ActionComplaintSubmit:
		if e.FailSubmits > 0 {
			e.FailSubmits--
			return "", fmt.Errorf("fake: database unavailable")
		}
		code := fmt.Sprintf("OKI-2611-%04d", len(e.Complaints)+1)
		data := map[string]string{}
		for k, v := range st.Data {
			data[k] = v
		}
		e.Complaints = append(e.Complaints, FakeComplaint{Code: code, Category: st.Data["kategori"], Data: data})
		st.Data["kode"] = code
		st.Data["opd"] = e.agency(st.Data["kategori"])
		st.Data["batas"] = "Jumat, 4 Desember 2026"
		if st.Lang == "en" {
			st.Data["batas"] = "Friday, 4 December 2026"
		}
		return flows.OutcomeOK, nil
	case flows.ActionComplaintStatus:
		code := understand.TicketCode(params["kode"])
		if code == "" {
			code = strings.ToUpper(strings.TrimSpace(params["kode"]))
		}
		st.Data["kode"] = code
		for _, c := range e.Complaints {
			if c.Code == code {
				st.Data["status_teks"] = "terdisposisi — diteruskan ke " + e.agency(c.Category)
				st.Data["riwayat"] = "• 2 Nov 2026 09.15 — laporan diterima\n• 2 Nov 2026 09.16 — diteruskan ke " + e.agency(c.Category)
				return flows.OutcomeFound, nil
			}
		}
		return flows.OutcomeNotFound, nil
	case flows.ActionSimilar:
		// An open fake complaint of the same category typed at the same address is similar.
		var codes []string
		for _, c := range e.Complaints {
			if c.Category == st.Data["kategori"] && c.Data["lokasi_alamat"] != "" && c.Data["lokasi_alamat"] == st.Data["lokasi_alamat"] {
				codes = append(codes, c.Code)
			}
		}
		if len(codes) == 0 {
			return flows.OutcomeNotFound, nil
		}
		st.Data["serupa"] = strings.Join(codes, ",")
		st.Data["serupa_jumlah"] = fmt.Sprint(len(codes))
		st.Data["serupa_daftar"] = "• " + strings.Join(codes, "\n• ")
		return flows.OutcomeFound, nil
	case flows.ActionSupport:
		st.Data["kode"] = params["kode"]
		st.Data["opd"] = "Dinas PUPR"
		st.Data["status_teks"] = "diteruskan ke dinas"
		return flows.OutcomeOK, nil
	case flows.ActionConfirm, flows.ActionRate, flows.ActionAnswerInfo:
		// The reporter's follow-ups: taken as asked.
		return flows.OutcomeOK, nil
	case flows.ActionComplaintLatest:
		if len(e.Complaints) == 0 {
			return flows.OutcomeNotFound, nil
		}
		pick := e.Complaints[len(e.Complaints)-1]
		opts := make([]understand.Option, len(e.Categories))
		for i, c := range e.Categories {
			opts[i] = understand.Option{ID: c.ID, Label: c.Name, Words: c.Words}
		}
		if best, _ := understand.Classify(params["teks"], opts); best >= 0 {
			for i := len(e.Complaints) - 1; i >= 0; i-- {
				if e.Complaints[i].Category == e.Categories[best].ID {
					pick = e.Complaints[i]
					break
				}
			}
		}
		st.Data["kode"] = pick.Code
		return flows.OutcomeFound, nil
	case flows.ActionIdentity:
		st.Data["nama_dikenal"] = e.Name
		if e.Anonymous && e.Name == "" {
			return flows.OutcomeUnknown, nil
		}
		return flows.OutcomeKnown, nil
	case flows.ActionSetLanguage:
		switch params["lang"] {
		case "id", "en":
			st.Lang = params["lang"]
			return flows.OutcomeOK, nil
		}
		return "", fmt.Errorf("fake: unknown language %q", params["lang"])
	}
	return "", fmt.Errorf("fake: unknown action %q", action)
}

func (e *FakeEnv) agency(category string) string {
	for _, c := range e.Categories {
		if c.ID == category {
			return c.Agency
		}
	}
	return "Bagian Organisasi Sekretariat Daerah"
}

// FlowIDs lists the loaded flow ids, sorted.
func (e *FakeEnv) FlowIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.Flows))
	for id := range e.Flows {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
