package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// maxFlowSource bounds a flow file sent from the editor.
const maxFlowSource = 256 << 10

// registerFlows mounts the flows editor (admin only).
func (c *Console) registerFlows(mux Handler) {
	mux.Handle("GET "+Prefix+"/alur", c.page(adminOnly, c.flowList))
	mux.Handle("GET "+Prefix+"/alur/{id}", c.page(adminOnly, c.flowEdit))
	mux.Handle("POST "+Prefix+"/alur/{id}", c.page(adminOnly, c.flowSubmit))
	mux.Handle("POST "+Prefix+"/alur/{id}/kembalikan", c.page(adminOnly, c.flowRollback))
	mux.Handle("POST "+Prefix+"/alur/{id}/simulasi", c.page(adminOnly, c.flowSimulate))
}

// flowRow is one line of the flows list.
type flowRow struct {
	ID       string
	Revision int64
	Active   int64
}

func (c *Console) flowList(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	var rows []flowRow
	if err := c.cfg.DB.WithContext(ctx).Model(&models.FlowRevision{}).
		Select("flow_id AS id, MAX(revision) AS revision").Group("flow_id").Order("flow_id").Scan(&rows).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("list flows: %w", err))
		return
	}
	type count struct {
		FlowID   string
		Revision int64
		N        int64
	}
	var counts []count
	if err := c.cfg.DB.WithContext(ctx).Model(&models.Conversation{}).
		Select("flow_id, revision, COUNT(*) AS n").Where("status = ?", models.ConversationActive).
		Group("flow_id, revision").Scan(&counts).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("count active conversations: %w", err))
		return
	}
	for i := range rows {
		for _, n := range counts {
			if n.FlowID == rows[i].ID && n.Revision == rows[i].Revision {
				rows[i].Active = n.N
			}
		}
	}
	// Active conversations pinned to older revisions, per flow.
	type listPage struct {
		Flows []flowRow
		Older map[string]int64
	}
	p := listPage{Flows: rows, Older: map[string]int64{}}
	for _, row := range rows {
		for _, n := range counts {
			if n.FlowID == row.ID && n.Revision != row.Revision {
				p.Older[row.ID] += n.N
			}
		}
	}
	c.render(w, r, http.StatusOK, "alur_daftar", c.data(w, r, s, "editor_alur.judul", p))
}

// flowPage is what the editor page shows.
type flowPage struct {
	ID        string
	Source    string
	Current   *models.FlowRevision
	Revisions []models.FlowRevision
	Checked   bool
	Issues    []flows.Issue
	Errors    int
	Listing   []sourceLine
	Diff      []diffLine
	Changed   bool
	Diagram   []diagramNode
	// Texts is the Teks panel: the draft's wording, editable without YAML; nil without a catalog.
	Texts *textsPanel
	// Sim is the simulator's conversation; nil until it is started.
	Sim *simView
}

// sourceLine is one numbered line of the draft with the issues found on it.
type sourceLine struct {
	N      int
	Text   string
	Issues []flows.Issue
}

func (c *Console) flowEdit(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	cur, err := models.LatestFlowRevision(r.Context(), c.cfg.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "editor_alur.tidak_ada", nil)
		return
	}
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	p, err := c.flowPageFor(r, id, cur, cur.Source, false, nil)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	d := c.data(w, r, s, "editor_alur.judul_edit", p)
	if n := r.URL.Query().Get("terbit"); n != "" {
		if _, err := strconv.ParseInt(n, 10, 64); err == nil {
			d.Flash = d.L.T("editor_alur.terbit_ok", "revisi", n)
		}
	}
	c.render(w, r, http.StatusOK, "alur_edit", d)
}

// flowPageFor builds the editor page for a draft; check adds the validation results, and
// panel is what the post did with the Teks panel (nil when nothing was posted).
func (c *Console) flowPageFor(r *http.Request, id string, cur *models.FlowRevision, draft string, check bool, panel *textsPanel) (*flowPage, error) {
	ctx := r.Context()
	revs, err := models.FlowRevisions(ctx, c.cfg.DB, id)
	if err != nil {
		return nil, err
	}
	p := &flowPage{ID: id, Source: draft, Current: cur, Revisions: revs, Checked: check}
	p.Diff, p.Changed = lineDiff(cur.Source, draft)
	if f, err := flows.Parse([]byte(draft)); err == nil {
		p.Diagram = diagram(f)
	}
	if cat := c.textCatalog(); cat != nil {
		if panel == nil {
			panel = &textsPanel{}
		}
		if f, _ := flows.ParsePartial([]byte(draft)); f != nil && !panel.Unreadable && !panel.Failed {
			panel.Rows = textRows(cat, f)
		} else {
			panel.Rows = textRowsFromForm(cat, r.PostForm)
		}
		p.Texts = panel
	}
	if check {
		chk, err := c.flowChecker(r, id)
		if err != nil {
			return nil, err
		}
		p.Issues = chk.Check([]byte(draft))
		if f, err := flows.Parse([]byte(draft)); err == nil && f.ID != id {
			p.Issues = append(p.Issues, flows.Issue{Severity: flows.Error, Line: f.Line,
				Msg: fmt.Sprintf("flow id %q must stay %q", f.ID, id)})
		}
		p.Errors = len(flows.Errors(p.Issues))
		byLine := map[int][]flows.Issue{}
		for _, is := range p.Issues {
			byLine[is.Line] = append(byLine[is.Line], is)
		}
		for i, l := range strings.Split(draft, "\n") {
			p.Listing = append(p.Listing, sourceLine{N: i + 1, Text: l, Issues: byLine[i+1]})
		}
	}
	return p, nil
}

// flowChecker is the validator configured like app.Checker: the bot's actions, data sources,
// the known flows and the locale catalog.
func (c *Console) flowChecker(r *http.Request, extra string) (flows.Checker, error) {
	var ids []string
	if err := c.cfg.DB.WithContext(r.Context()).Model(&models.FlowRevision{}).Distinct("flow_id").Pluck("flow_id", &ids).Error; err != nil {
		return flows.Checker{}, fmt.Errorf("list flows: %w", err)
	}
	for id := range flows.Defaults() {
		ids = append(ids, id)
	}
	ids = append(ids, extra)
	sort.Strings(ids)
	chk := flows.Checker{Actions: flows.DefaultActions(), Sources: flows.DefaultSources(), Flows: ids}
	if t, ok := c.cfg.Locales.(flows.Texts); ok {
		chk.Locales = t
	}
	return chk, nil
}

// draftPage loads the flow named in the URL and builds the editor page for the
// posted draft (checked); ok is false when it already answered (unknown flow,
// draft too large, failure).
func (c *Console) draftPage(w http.ResponseWriter, r *http.Request, s *session) (id, draft string, p *flowPage, d *layoutData, ok bool) {
	id = r.PathValue("id")
	cur, err := models.LatestFlowRevision(r.Context(), c.cfg.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "editor_alur.tidak_ada", nil)
		return
	}
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	draft = strings.ReplaceAll(r.PostFormValue("sumber"), "\r\n", "\n")
	if len(draft) > maxFlowSource {
		c.fail(w, r, s, http.StatusRequestEntityTooLarge, "editor_alur.terlalu_besar", nil)
		return
	}
	// The wording changed in the Teks panel goes into the draft's texts section first, so the
	// check, the simulator, the diff and publishing all see it.
	var panel *textsPanel
	if cat := c.textCatalog(); cat != nil {
		draft, panel = applyTexts(cat, draft, r.PostForm)
		if len(draft) > maxFlowSource {
			c.fail(w, r, s, http.StatusRequestEntityTooLarge, "editor_alur.terlalu_besar", nil)
			return
		}
	}
	if p, err = c.flowPageFor(r, id, cur, draft, true, panel); err != nil {
		c.internal(w, r, s, err)
		return
	}
	return id, draft, p, c.data(w, r, s, "editor_alur.judul_edit", p), true
}

func (c *Console) flowSubmit(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id, draft, p, d, ok := c.draftPage(w, r, s)
	if !ok {
		return
	}
	if r.PostFormValue("aksi") != "terbitkan" {
		c.render(w, r, http.StatusOK, "alur_edit", d)
		return
	}
	if p.Errors > 0 {
		d.Error = d.L.T("editor_alur.gagal_terbit", "jumlah", p.Errors)
		c.render(w, r, http.StatusUnprocessableEntity, "alur_edit", d)
		return
	}
	if !p.Changed {
		d.Error = d.L.T("editor_alur.tidak_berubah")
		c.render(w, r, http.StatusUnprocessableEntity, "alur_edit", d)
		return
	}
	rev, err := c.publishFlow(r, s, id, draft, "", "alur.terbitkan")
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	c.log.InfoContext(ctx, "flow published", slog.String("flow_id", id), slog.Int64("revision", rev.Revision),
		slog.Int64("user_id", s.User.ID))
	http.Redirect(w, r, Prefix+"/alur/"+id+"?terbit="+strconv.FormatInt(rev.Revision, 10), http.StatusSeeOther)
}

// publishFlow saves src as the flow's next revision and writes the audit log in one transaction.
func (c *Console) publishFlow(r *http.Request, s *session, id, src, note, action string) (*models.FlowRevision, error) {
	var rev *models.FlowRevision
	err := c.cfg.DB.WithContext(r.Context()).Transaction(func(tx *gorm.DB) error {
		var err error
		rev, err = models.SaveFlowRevision(r.Context(), tx, id, src, s.User.Email, note)
		if err != nil {
			return err
		}
		return Audit(r.Context(), tx, &s.User, c.clientIP(r), action, "alur:"+id,
			"revisi "+strconv.FormatInt(rev.Revision, 10)+noteSuffix(note), c.now())
	})
	return rev, err
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

func (c *Console) flowRollback(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.PathValue("id")
	n, err := strconv.ParseInt(r.PostFormValue("revisi"), 10, 64)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "editor_alur.revisi_salah", nil)
		return
	}
	old, err := models.FlowRevisionByNumber(ctx, c.cfg.DB, id, n)
	if errors.Is(err, models.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "editor_alur.tidak_ada", nil)
		return
	}
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	chk, err := c.flowChecker(r, id)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	if errs := flows.Errors(chk.Check([]byte(old.Source))); len(errs) > 0 {
		c.fail(w, r, s, http.StatusUnprocessableEntity, "editor_alur.gagal_terbit", map[string]any{"jumlah": len(errs)})
		return
	}
	rev, err := c.publishFlow(r, s, id, old.Source, "kembali ke revisi "+strconv.FormatInt(n, 10), "alur.kembalikan")
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	c.log.InfoContext(ctx, "flow rolled back", slog.String("flow_id", id), slog.Int64("from_revision", n),
		slog.Int64("revision", rev.Revision), slog.Int64("user_id", s.User.ID))
	http.Redirect(w, r, Prefix+"/alur/"+id+"?terbit="+strconv.FormatInt(rev.Revision, 10), http.StatusSeeOther)
}

// diagramNode is one box of the flow diagram with its outgoing edges.
type diagramNode struct {
	ID    string
	Kind  string
	Key   string // the locale key or action or flow it uses
	Start bool
	Edges []diagramEdge
}

// diagramEdge is one transition, labelled by a choice id, an outcome or a branch test.
type diagramEdge struct {
	Label string
	To    string
}

// diagram lists the nodes of f in file order with their transitions.
func diagram(f *flows.Flow) []diagramNode {
	out := make([]diagramNode, 0, len(f.Order))
	for _, id := range f.Order {
		n := f.Nodes[id]
		if n == nil {
			continue
		}
		d := diagramNode{ID: id, Kind: n.Kind(), Start: id == f.Start}
		switch d.Kind {
		case flows.KindSay:
			d.Key = n.Say
		case flows.KindAsk:
			d.Key = n.Ask + " · " + n.Text
			if n.From != "" {
				d.Key += " · " + n.From
			}
		case flows.KindDo:
			d.Key = n.Do
		case flows.KindGoto:
			d.Key = n.Goto
		}
		add := func(label, to string) {
			if to != "" {
				d.Edges = append(d.Edges, diagramEdge{Label: label, To: to})
			}
		}
		for _, ch := range n.Choices {
			add(ch.ID, ch.Next)
		}
		add("ya", n.Yes)
		add("tidak", n.No)
		add("kosong", n.Empty)
		for _, b := range n.Branch {
			label := b.If
			if b.HasEquals {
				label += " = " + b.Equals
			}
			add(label, b.Next)
		}
		add("else", n.Else)
		keys := make([]string, 0, len(n.On))
		for k := range n.On {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add(k, n.On[k])
		}
		add("", n.Next)
		out = append(out, d)
	}
	return out
}

// diffLine is one line of a line diff: Op is "=", "-" (only in the published revision) or "+" (only in the draft).
type diffLine struct {
	Op   string
	Text string
}

// maxDiffLines bounds the quadratic diff; longer files are shown as wholly replaced.
const maxDiffLines = 3000

// lineDiff is a longest-common-subsequence diff of two texts by line; changed reports any difference.
func lineDiff(a, b string) ([]diffLine, bool) {
	if a == b {
		return nil, false
	}
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) > maxDiffLines || len(y) > maxDiffLines {
		out := make([]diffLine, 0, len(x)+len(y))
		for _, l := range x {
			out = append(out, diffLine{"-", l})
		}
		for _, l := range y {
			out = append(out, diffLine{"+", l})
		}
		return out, true
	}
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, diffLine{"=", x[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{"-", x[i]})
			i++
		default:
			out = append(out, diffLine{"+", y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, diffLine{"-", x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, diffLine{"+", y[j]})
	}
	return out, true
}
