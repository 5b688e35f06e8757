package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/understand"
	"github.com/suarawarga/suarawarga/models"
)

// env gives the pure flow engine the data sources and actions of one citizen,
// all inside the inbound message's transaction.
type env struct {
	h       *Handler
	tx      *gorm.DB
	citizen *models.Citizen
	officer *models.Officer // set when the person is an officer acting in an officer flow
	channel string
	conv    *models.Conversation // the conversation being stepped; nil for a new one
}

var _ flows.Env = (*env)(nil)

func (e *env) Flow(ctx context.Context, id string) (*flows.Flow, error) {
	return e.h.flowAt(e.tx, id, 0)
}

func (e *env) Choices(ctx context.Context, source string, st *flows.State) ([]flows.Choice, error) {
	lang := e.citizen.Lang
	switch source {
	case "kategori":
		var cats []models.Category
		if err := e.tx.Order("sort, id").Find(&cats).Error; err != nil {
			return nil, fmt.Errorf("load categories: %w", err)
		}
		out := make([]flows.Choice, 0, len(cats))
		for _, c := range cats {
			label := c.Name
			if lang == "en" && c.NameEN != "" {
				label = c.NameEN
			}
			out = append(out, flows.Choice{ID: c.Code, Label: label, Literal: true, Words: models.WordList(c.Words)})
		}
		return out, nil
	case "kecamatan":
		var regs []models.Region
		if err := e.tx.Where("kind = ?", models.RegionKecamatan).Order("name").Find(&regs).Error; err != nil {
			return nil, fmt.Errorf("load kecamatan: %w", err)
		}
		out := make([]flows.Choice, 0, len(regs))
		for _, r := range regs {
			out = append(out, flows.Choice{ID: r.Code, Label: r.Name, Literal: true})
		}
		return out, nil
	case "laporan_saya":
		list, err := e.h.Complaints.ByCitizen(ctx, e.tx, e.citizen.ID, 10)
		if err != nil {
			return nil, err
		}
		var cats []models.Category
		if err := e.tx.Find(&cats).Error; err != nil {
			return nil, fmt.Errorf("load categories: %w", err)
		}
		names := map[int64]string{}
		for _, c := range cats {
			names[c.ID] = c.Name
			if lang == "en" && c.NameEN != "" {
				names[c.ID] = c.NameEN
			}
		}
		out := make([]flows.Choice, 0, len(list))
		for _, c := range list {
			status := e.h.Locales.T(lang, "status_laporan."+c.Status, nil)
			out = append(out, flows.Choice{ID: c.Code, Label: c.Code + " · " + names[c.CategoryID] + " · " + status, Literal: true})
		}
		return out, nil
	case flows.SourceSerupa:
		codes := strings.Split(st.Data["serupa"], ",")
		var out []flows.Choice
		for _, code := range codes {
			if code = strings.TrimSpace(code); code == "" {
				continue
			}
			label := e.h.Locales.T(lang, "serupa.dukung_ini", nil)
			means := understand.MeansYes
			if len(codes) > 1 {
				label, means = e.h.Locales.T(lang, "serupa.dukung_kode", map[string]any{"kode": code}), ""
			}
			out = append(out, flows.Choice{ID: code, Label: label, Literal: true, Means: means,
				Words: []string{"dukung", "sama", "itu", "ikut", "setuju", "dukung " + strings.ToLower(code)}})
		}
		if len(out) > 1 {
			for i := range out {
				out[i].Words = out[i].Words[len(out[i].Words)-1:]
			}
		}
		out = append(out, flows.Choice{ID: "baru", Label: e.h.Locales.T(lang, "serupa.buat_baru", nil), Literal: true,
			Means: understand.MeansNo, Words: []string{"baru", "laporan baru", "tetap", "buat baru", "beda", "berbeda", "lain", "bukan", "new"}})
		return out, nil
	case "opd":
		var ags []models.Agency
		if err := e.tx.Order("name").Find(&ags).Error; err != nil {
			return nil, fmt.Errorf("load agencies: %w", err)
		}
		out := make([]flows.Choice, 0, len(ags))
		for _, a := range ags {
			if e.officer != nil && e.officer.AgencyID != nil && *e.officer.AgencyID == a.ID {
				continue
			}
			out = append(out, flows.Choice{ID: a.Code, Label: agencyName(a), Literal: true})
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown data source %q", source)
}

func (e *env) Call(ctx context.Context, action string, params map[string]string, st *flows.State) (string, error) {
	if st.Data == nil {
		st.Data = map[string]string{}
	}
	switch action {
	case "complaint.submit":
		out, err := e.submit(ctx, st)
		if err != nil {
			// The flow answers with its own text (gagal_kirim); the reason is only here.
			e.h.logger().Warn("complaint submit failed", slog.String("channel", e.channel), slog.Any("error", err))
		}
		return out, err
	case "complaint.status":
		return e.status(ctx, st)
	case flows.ActionComplaintLatest:
		return e.latest(ctx, params["teks"], st)
	case flows.ActionComplaintLocate:
		return e.locate(ctx, st)
	case flows.ActionSimilar:
		return e.similar(ctx, st)
	case flows.ActionSupport:
		return e.support(ctx, params["kode"], st)
	case flows.ActionConfirm, flows.ActionRate, flows.ActionAnswerInfo:
		return e.citizenAction(ctx, action, params)
	case flows.ActionReply, flows.ActionAskInfo, flows.ActionForward, flows.ActionFinish, flows.ActionReject:
		return e.officerAction(ctx, action, params)
	case flows.ActionIdentity:
		return e.identity(ctx, st)
	case flows.ActionErase:
		return e.erase(ctx)
	case "citizen.set_language":
		lang := langOf(params["lang"])
		if err := e.tx.Model(e.citizen).Update("lang", lang).Error; err != nil {
			return "", fmt.Errorf("set language: %w", err)
		}
		e.citizen.Lang, st.Lang = lang, lang
		return "ok", nil
	}
	return "", fmt.Errorf("unknown action %q", action)
}

// identity tells the flow whether the bot knows who reports: an account on a channel that
// identifies people (not one of Handler.AnonymousChannels), or a name given before.
func (e *env) identity(ctx context.Context, st *flows.State) (string, error) {
	st.Data["nama_dikenal"] = e.citizen.Name
	if e.citizen.Name != "" {
		return flows.OutcomeKnown, nil
	}
	var idents []models.Identity
	if err := e.tx.WithContext(ctx).Where("citizen_id = ?", e.citizen.ID).Find(&idents).Error; err != nil {
		return "", fmt.Errorf("load identities: %w", err)
	}
	for _, id := range idents {
		if !e.h.AnonymousChannels[id.Channel] {
			return flows.OutcomeKnown, nil
		}
	}
	return flows.OutcomeUnknown, nil
}

func (e *env) submit(ctx context.Context, st *flows.State) (string, error) {
	d := st.Data
	if name := strings.TrimSpace(d["nama_warga"]); name != "" && name != e.citizen.Name {
		// A name the citizen typed to be known by becomes theirs.
		if err := e.tx.Model(e.citizen).Update("name", name).Error; err != nil {
			return "", fmt.Errorf("save citizen name: %w", err)
		}
		e.citizen.Name = name
	}
	in := complaint.SubmitInput{
		CitizenID:    e.citizen.ID,
		Channel:      e.channel,
		CategoryCode: d["kategori"],
		Description:  d["uraian"],
		Address:      strings.TrimSpace(d["alamat"] + " " + d["lokasi_alamat"]),
		RegionCode:   cmp.Or(d["desa"], d["kecamatan"]),
		Confidential: d["rahasia"] == "ya" || d["rahasia"] == "rahasia",
	}
	if lat, err := strconv.ParseFloat(d["lokasi_lat"], 64); err == nil {
		if lng, err := strconv.ParseFloat(d["lokasi_lng"], 64); err == nil {
			in.Lat, in.Lng = &lat, &lng
		}
	}
	in.AttachmentIDs = photoIDs(d["foto"])
	if e.conv != nil && e.conv.ID != 0 {
		id := e.conv.ID // the console shows this conversation as the start of the complaint's thread
		in.ConversationID = &id
	}
	c, ag, err := e.h.Complaints.SubmitRouted(ctx, e.tx, in)
	if err != nil {
		return "", fmt.Errorf("submit complaint: %w", err)
	}
	d["kode"] = c.Code
	d["opd"] = agencyName(*ag)
	d["batas"] = complaint.FormatDate(c.RespondBy.In(e.h.Complaints.Loc), e.citizen.Lang)
	return "ok", nil
}

// latest picks the report a status question without a code is about: the latest one of the
// category the question names ("laporan lampu kemarin gimana?"), else the latest one.
func (e *env) latest(ctx context.Context, text string, st *flows.State) (string, error) {
	list, err := e.h.Complaints.ByCitizen(ctx, e.tx, e.citizen.ID, 20)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return flows.OutcomeNotFound, nil
	}
	pick := list[0]
	var cats []models.Category
	if err := e.tx.Order("sort, id").Find(&cats).Error; err != nil {
		return "", fmt.Errorf("load categories: %w", err)
	}
	opts := make([]understand.Option, len(cats))
	for i, c := range cats {
		opts[i] = understand.Option{ID: c.Code, Label: c.Name, Words: models.WordList(c.Words)}
	}
	if best, _ := understand.Classify(text, opts); best >= 0 {
		for _, c := range list {
			if c.CategoryID == cats[best].ID {
				pick = c
				break
			}
		}
	}
	st.Data["kode"] = pick.Code
	return flows.OutcomeFound, nil
}

// locate writes the place of the report's map point (or of its typed address) into the data.
func (e *env) locate(ctx context.Context, st *flows.State) (string, error) {
	d := st.Data
	d["desa"], d["desa_label"], d["lokasi_luar"] = "", "", ""
	lat, errLat := strconv.ParseFloat(d["lokasi_lat"], 64)
	lng, errLng := strconv.ParseFloat(d["lokasi_lng"], 64)
	if errLat != nil || errLng != nil {
		if d["kecamatan"] == "" || d["lokasi_alamat"] == "" {
			return flows.OutcomeOK, nil
		}
		a, err := e.h.Complaints.Atlas(ctx, e.tx)
		if err != nil {
			return "", err
		}
		if r := a.DesaIn(d["kecamatan"], d["lokasi_alamat"]); r != nil {
			d["desa"], d["desa_label"] = r.Code, r.Name
		}
		return flows.OutcomeOK, nil
	}
	d["kecamatan"], d["kecamatan_label"] = "", ""
	pl, err := e.h.Complaints.Locate(ctx, e.tx, lat, lng)
	if err != nil {
		return "", err
	}
	if pl.Desa != nil {
		d["desa"], d["desa_label"] = pl.Desa.Code, pl.Desa.Name
	}
	if pl.Kecamatan != nil {
		d["kecamatan"], d["kecamatan_label"] = pl.Kecamatan.Code, pl.Kecamatan.Name
	}
	if pl.Known && !pl.Inside {
		d["lokasi_luar"] = "ya"
		return flows.OutcomeOutside, nil
	}
	return flows.OutcomeOK, nil
}

// similar looks for open reports like the one being filed (same category, nearby or in the
// same desa, recent) and writes them for the serupa question: codes, count and lines.
func (e *env) similar(ctx context.Context, st *flows.State) (string, error) {
	d := st.Data
	d["serupa"], d["serupa_jumlah"], d["serupa_daftar"] = "", "", ""
	q := complaint.SimilarQuery{CategoryCode: d["kategori"], RegionCode: d["desa"], CitizenID: e.citizen.ID}
	if lat, err := strconv.ParseFloat(d["lokasi_lat"], 64); err == nil {
		if lng, err := strconv.ParseFloat(d["lokasi_lng"], 64); err == nil {
			q.Lat, q.Lng = &lat, &lng
		}
	}
	if q.CategoryCode == "" {
		return flows.OutcomeNotFound, nil
	}
	list, err := e.h.Complaints.Similar(ctx, e.tx, q)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return flows.OutcomeNotFound, nil
	}
	lang := e.citizen.Lang
	now := e.h.now()
	var codes, lines []string
	for _, r := range list {
		codes = append(codes, r.Code)
		data := map[string]any{"kode": r.Code, "tempat": r.Place,
			"status_teks": e.h.Locales.T(lang, "serupa.status_"+r.Status, nil),
			"umur":        e.ago(lang, now, r.CreatedAt), "pendukung": r.Supporters}
		if r.Distance >= 0 {
			data["jarak"] = max(10, int(math.Round(r.Distance/10)*10))
		}
		lines = append(lines, e.h.Locales.T(lang, "serupa.baris", data))
	}
	d["serupa"] = strings.Join(codes, ",")
	d["serupa_jumlah"] = strconv.Itoa(len(list))
	d["serupa_daftar"] = strings.Join(lines, "\n")
	return flows.OutcomeFound, nil
}

// ago says how long ago t was in whole days of the regency's calendar: "hari ini",
// "kemarin", "3 hari lalu".
func (e *env) ago(lang string, now, t time.Time) string {
	loc := e.h.Complaints.Loc
	if loc == nil {
		loc = time.Local
	}
	day := func(v time.Time) time.Time {
		y, m, d := v.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	switch n := int(day(now).Sub(day(t)).Hours() / 24); {
	case n <= 0:
		return e.h.Locales.T(lang, "serupa.hari_ini", nil)
	case n == 1:
		return e.h.Locales.T(lang, "serupa.kemarin", nil)
	default:
		return e.h.Locales.T(lang, "serupa.hari_lalu", map[string]any{"n": n})
	}
}

// support makes the citizen a supporter of the complaint with code instead of filing a new one.
func (e *env) support(ctx context.Context, code string, st *flows.State) (string, error) {
	c, err := e.h.Complaints.Support(ctx, e.tx, code, e.citizen.ID)
	if errors.Is(err, complaint.ErrOwnComplaint) || errors.Is(err, models.ErrNotFound) {
		return flows.OutcomeNotApplicable, nil
	}
	if out, err := outcome(err); err != nil || out != flows.OutcomeOK {
		return out, err
	}
	ag, err := models.AgencyByID(ctx, e.tx, c.AgencyID)
	if err != nil {
		return "", err
	}
	st.Data["kode"] = c.Code
	st.Data["opd"] = agencyName(*ag)
	st.Data["status_teks"] = e.h.Locales.T(e.citizen.Lang, "serupa.status_"+c.Status, nil)
	return flows.OutcomeOK, nil
}

func (e *env) status(ctx context.Context, st *flows.State) (string, error) {
	code := understand.TicketCode(st.Data["kode"])
	if code == "" {
		code = strings.ToUpper(strings.TrimSpace(st.Data["kode"]))
	}
	v, err := e.h.Complaints.Status(ctx, e.tx, code, e.citizen.ID)
	if errors.Is(err, models.ErrNotFound) {
		st.Data["kode"] = code
		return "not_found", nil
	}
	if err != nil {
		return "", err
	}
	lang := e.citizen.Lang
	st.Data["kode"] = v.Complaint.Code
	st.Data["opd"] = agencyName(v.Agency)
	st.Data["kategori_nama"] = v.Category.Name
	st.Data["status_teks"] = e.h.Locales.T(lang, "status_laporan."+v.Complaint.Status, nil)
	var lines []string
	events := v.Events
	if len(events) > 3 {
		events = events[len(events)-3:]
	}
	for _, ev := range events {
		local := ev.CreatedAt.In(e.h.Complaints.Loc)
		when := complaint.FormatDate(local, lang) + " " + local.Format("15.04")
		data := map[string]any{"opd": v.Agency.Name, "teks": ev.Text, "nilai": ev.Text,
			"kanal": e.h.Locales.T(lang, "kanal."+v.Complaint.Channel, nil)}
		if ev.Kind == complaint.EventTerdisposisi || ev.Kind == complaint.EventDialihkan {
			data["opd"] = ev.Text
		}
		text := e.h.Locales.T(lang, "peristiwa."+ev.Kind, data)
		lines = append(lines, "• "+when+": "+text)
	}
	st.Data["riwayat"] = strings.Join(lines, "\n")
	return "found", nil
}

// agencyName is how a citizen sees an OPD: its full name and, when the name does
// not already contain it, its short code ("Dinas Lingkungan Hidup (DLH)").
func agencyName(a models.Agency) string {
	if a.Code == "" || strings.Contains(a.Name, a.Code) {
		return a.Name
	}
	return a.Name + " (" + a.Code + ")"
}

// outcome turns a domain refusal into the flow outcome "tidak_berlaku"; other errors stay errors.
func outcome(err error) (string, error) {
	switch {
	case err == nil:
		return flows.OutcomeOK, nil
	case errors.Is(err, complaint.ErrTransition):
		return flows.OutcomeNotApplicable, nil
	}
	return "", err
}

// citizenAction runs the reporter's side of a follow-up: confirm, rate, answer.
func (e *env) citizenAction(ctx context.Context, action string, p map[string]string) (string, error) {
	s, id := e.h.Complaints, e.citizen.ID
	var err error
	switch action {
	case flows.ActionConfirm:
		_, err = s.Confirm(ctx, e.tx, p["kode"], id, p["selesai"] == "ya")
	case flows.ActionRate:
		score, convErr := strconv.Atoi(p["nilai"])
		if convErr != nil {
			return "", fmt.Errorf("rating %q: %w", p["nilai"], convErr)
		}
		err = s.Rate(ctx, e.tx, p["kode"], id, score, p["komentar"])
	case flows.ActionAnswerInfo:
		_, err = s.AnswerInfo(ctx, e.tx, p["kode"], id, p["teks"], photoIDs(p["foto"]))
	}
	return outcome(err)
}

// photoIDs reads the attachment ids a photo question saved ("12,13").
func photoIDs(refs string) []int64 {
	var ids []int64
	for _, ref := range strings.Split(refs, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(ref), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// officerAction runs the last step of an officer flow as that officer.
func (e *env) officerAction(ctx context.Context, action string, p map[string]string) (string, error) {
	if e.officer == nil {
		return "", fmt.Errorf("%s: %w", action, complaint.ErrForbidden)
	}
	s, by, code := e.h.Complaints, complaint.ActorFor(e.officer), p["kode"]
	var err error
	switch action {
	case flows.ActionReply:
		_, err = s.Reply(ctx, e.tx, code, by, p["teks"])
	case flows.ActionAskInfo:
		_, err = s.AskInfo(ctx, e.tx, code, by, p["teks"])
	case flows.ActionForward:
		_, err = s.Forward(ctx, e.tx, code, by, p["opd"], p["alasan"])
	case flows.ActionFinish:
		var proof *int64
		for _, ref := range strings.Split(p["bukti"], ",") {
			if id, perr := strconv.ParseInt(strings.TrimSpace(ref), 10, 64); perr == nil {
				proof = &id
				break
			}
		}
		_, err = s.Finish(ctx, e.tx, code, by, p["catatan"], proof)
	case flows.ActionReject:
		_, err = s.Reject(ctx, e.tx, code, by, p["alasan"])
	}
	return outcome(err)
}
