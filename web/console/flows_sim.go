package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// SimTicket is the ticket code the simulator's complaint.submit pretends to create.
const SimTicket = "SIMULASI-0001"

// maxSimMessages bounds the transcript kept in the simulator's signed field.
const maxSimMessages = 60

// simMessage is one message of the simulator's transcript.
type simMessage struct {
	FromBot bool         `json:"b,omitempty"`
	Text    string       `json:"t"`
	Choices []bot.Choice `json:"c,omitempty"`
	Ask     bool         `json:"l,omitempty"` // the bot asks for a location
	// Reading is how the engine read a typed message ("dibaca sebagai: ya → ✅ Kirim").
	Reading string `json:"r,omitempty"`
}

// simState is the simulator's conversation, carried in a hidden field signed with the session's secret.
type simState struct {
	State      flows.State  `json:"s"`
	Started    bool         `json:"g,omitempty"`
	Wait       flows.Wait   `json:"w"`
	Transcript []simMessage `json:"m,omitempty"`
}

// simView is what the page shows of the simulator.
type simView struct {
	Token       string
	Transcript  []simMessage
	Started     bool
	Ended       bool
	Choices     []bot.Choice
	RemindAfter string
	ExpireAfter string
	Failed      bool
}

// signSim encodes st and signs it with the session's secret form token.
func signSim(s *session, st *simState) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode simulator state: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, []byte("simulasi-alur:"+s.csrf))
	m.Write([]byte(payload))
	return payload + "." + hex.EncodeToString(m.Sum(nil)), nil
}

// openSim checks the signature of a simulator field and decodes it; an empty or forged field gives nil.
func openSim(s *session, v string) *simState {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil
	}
	m := hmac.New(sha256.New, []byte("simulasi-alur:"+s.csrf))
	m.Write([]byte(payload))
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var st simState
	if json.Unmarshal(b, &st) != nil {
		return nil
	}
	return &st
}

// simEnv runs a draft against the real read-only data and fake actions: nothing is written.
type simEnv struct {
	db    *gorm.DB
	draft *flows.Flow
	tr    Translator
	now   time.Time
}

var _ flows.Env = (*simEnv)(nil)

func (e *simEnv) Flow(ctx context.Context, id string) (*flows.Flow, error) {
	if id == e.draft.ID {
		return e.draft, nil
	}
	fr, err := models.LatestFlowRevision(ctx, e.db, id)
	if err != nil {
		return nil, err
	}
	f, err := flows.Parse([]byte(fr.Source))
	if err != nil {
		return nil, fmt.Errorf("parse flow %s revision %d: %w", id, fr.Revision, err)
	}
	f.Revision = fr.Revision
	return f, nil
}

func (e *simEnv) Choices(ctx context.Context, source string, st *flows.State) ([]flows.Choice, error) {
	db := e.db.WithContext(ctx)
	switch source {
	case flows.SourceKategori:
		var cats []models.Category
		if err := db.Order("sort, id").Find(&cats).Error; err != nil {
			return nil, fmt.Errorf("load categories: %w", err)
		}
		out := make([]flows.Choice, 0, len(cats))
		for _, c := range cats {
			label := c.Name
			if st.Lang == "en" && c.NameEN != "" {
				label = c.NameEN
			}
			out = append(out, flows.Choice{ID: c.Code, Label: label, Literal: true, Words: models.WordList(c.Words)})
		}
		return out, nil
	case flows.SourceKecamatan:
		var regs []models.Region
		if err := db.Where("kind = ?", models.RegionKecamatan).Order("name").Find(&regs).Error; err != nil {
			return nil, fmt.Errorf("load kecamatan: %w", err)
		}
		out := make([]flows.Choice, 0, len(regs))
		for _, r := range regs {
			out = append(out, flows.Choice{ID: r.Code, Label: r.Name, Literal: true})
		}
		return out, nil
	case flows.SourceOPD:
		var ags []models.Agency
		if err := db.Order("name").Find(&ags).Error; err != nil {
			return nil, fmt.Errorf("load agencies: %w", err)
		}
		out := make([]flows.Choice, 0, len(ags))
		for _, a := range ags {
			out = append(out, flows.Choice{ID: a.Code, Label: a.Name, Literal: true})
		}
		return out, nil
	case flows.SourceLaporanSaya:
		return nil, nil // the simulated citizen has no complaints
	}
	return nil, fmt.Errorf("unknown data source %q", source)
}

func (e *simEnv) Call(_ context.Context, action string, params map[string]string, st *flows.State) (string, error) {
	if st.Data == nil {
		st.Data = map[string]string{}
	}
	switch action {
	case flows.ActionComplaintSubmit:
		st.Data["kode"] = SimTicket
		st.Data["opd"] = e.tr.T(st.Lang, "editor_alur.sim_opd", nil)
		st.Data["batas"] = complaint.FormatDate(e.now.AddDate(0, 0, 3), st.Lang)
		return flows.OutcomeOK, nil
	case flows.ActionIdentity:
		// The simulated citizen writes from an account the bot knows, as on Telegram.
		st.Data["nama_dikenal"] = e.tr.T(st.Lang, "editor_alur.sim_nama", nil)
		return flows.OutcomeKnown, nil
	case flows.ActionComplaintStatus:
		st.Data["kode"] = strings.ToUpper(strings.TrimSpace(st.Data["kode"]))
		return "not_found", nil
	case flows.ActionComplaintLatest:
		return flows.OutcomeNotFound, nil // the simulated citizen has no complaints
	case flows.ActionSetLanguage:
		if params["lang"] == "en" {
			st.Lang = "en"
		} else {
			st.Lang = "id"
		}
		return flows.OutcomeOK, nil
	}
	for _, a := range flows.DefaultActions() {
		if a == action {
			return flows.OutcomeOK, nil
		}
	}
	return "", fmt.Errorf("unknown action %q", action)
}

// flowSimulate runs one step of the simulator on the posted draft and shows the editor page with it.
func (c *Console) flowSimulate(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id, draft, p, d, ok := c.draftPage(w, r, s)
	if !ok {
		return
	}
	st := openSim(s, r.PostFormValue("sim"))
	aksi := r.PostFormValue("sim_aksi")
	if st == nil || aksi == "mulai" {
		st = &simState{State: flows.State{Lang: d.L.lang}}
	}
	view, err := c.simStep(ctx, d.L.lang, draft, st, aksi, r.PostFormValue("pilih"), r.PostFormValue("teks"))
	if err != nil {
		c.log.WarnContext(ctx, "flow simulation failed", slog.String("flow_id", id), slog.Any("error", err))
		view = &simView{Failed: true}
		st = &simState{State: flows.State{Lang: d.L.lang}}
	}
	if view.Token, err = signSim(s, st); err != nil {
		c.internal(w, r, s, err)
		return
	}
	p.Sim = view
	c.render(w, r, http.StatusOK, "alur_edit", d)
}

// simStep feeds one input to the simulated conversation st (changed in place) and returns the view.
func (c *Console) simStep(ctx context.Context, lang, draft string, st *simState, aksi, choice, text string) (*simView, error) {
	uiLang := lang // the admin's language; lang becomes the simulated citizen's
	f, err := flows.Parse([]byte(draft))
	if err != nil {
		return nil, err
	}
	env := &simEnv{db: c.cfg.DB, draft: f, tr: c.cfg.Locales, now: c.now()}
	var in flows.Input
	cur := f
	switch {
	case !st.Started:
		in = flows.Input{Kind: flows.InputStart}
	case choice != "":
		in = flows.Input{Kind: flows.InputChoice, ChoiceID: choice}
	case aksi == "ingat":
		in = flows.Input{Kind: flows.InputRemind}
	case aksi == "habis":
		in = flows.Input{Kind: flows.InputExpire}
	default:
		in = flows.Input{Kind: flows.InputText, Text: text}
	}
	if st.Started {
		cur = nil
		if st.State.Flow != "" && !st.State.Ended {
			if cur, err = env.Flow(ctx, st.State.Flow); err != nil {
				return nil, err
			}
		}
		switch in.Kind {
		case flows.InputChoice:
			label := choice
			for _, m := range st.Transcript {
				for _, ch := range m.Choices {
					if ch.ID == choice {
						label = ch.Label
					}
				}
			}
			st.Transcript = append(st.Transcript, simMessage{Text: label})
		case flows.InputText:
			st.Transcript = append(st.Transcript, simMessage{Text: text})
		}
	}
	eng := flows.Engine{Texts: c.cfg.Locales}
	_, next, effs, err := eng.Step(ctx, cur, st.State, in, env)
	if err != nil {
		return nil, err
	}
	st.State, st.Started = next, true
	st.Wait = flows.Wait{}
	for _, e := range effs {
		if wt, ok := e.(flows.Wait); ok {
			st.Wait = wt
		}
	}
	if next.Lang != "" {
		lang = next.Lang
	}
	if u, ok := flows.LastReading(effs); ok && in.Kind == flows.InputText && len(st.Transcript) > 0 {
		// Under the citizen's typed message: how the engine read it.
		st.Transcript[len(st.Transcript)-1].Reading = u.Describe(func(key string, data map[string]any) string {
			return c.cfg.Locales.T(uiLang, key, data)
		})
	}
	for _, o := range bot.Render(c.cfg.Locales, lang, effs) {
		st.Transcript = append(st.Transcript, simMessage{FromBot: true, Text: o.Text, Choices: o.Choices, Ask: o.AskLocation})
	}
	if len(st.Transcript) > maxSimMessages {
		st.Transcript = st.Transcript[len(st.Transcript)-maxSimMessages:]
	}
	v := &simView{Transcript: st.Transcript, Started: true, Ended: st.State.Ended}
	if n := len(st.Transcript); n > 0 && st.Transcript[n-1].FromBot && !st.State.Ended {
		v.Choices = st.Transcript[n-1].Choices
	}
	if !st.State.Ended {
		v.RemindAfter = c.duration(lang, st.Wait.RemindAfter)
		v.ExpireAfter = c.duration(lang, st.Wait.ExpireAfter)
	}
	return v, nil
}

// duration writes d in whole hours or minutes from the locales; "" for zero.
func (c *Console) duration(lang string, d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%time.Hour == 0:
		return c.cfg.Locales.T(lang, "editor_alur.jam", map[string]any{"n": strconv.FormatInt(int64(d/time.Hour), 10)})
	default:
		return c.cfg.Locales.T(lang, "editor_alur.menit", map[string]any{"n": strconv.FormatInt(int64(d/time.Minute), 10)})
	}
}
