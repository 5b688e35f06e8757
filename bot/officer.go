package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// Button ids an officer presses: "aksi:<action>:<ticket>", "lihat:<ticket>" and
// "tgs:<ticket>:<person>" (assign to one person of the OPD, see complaint.People).
// All stay far below Telegram's 64-byte callback_data limit.
const (
	actionPrefix = "aksi:"
	viewPrefix   = "lihat:"
	assignPrefix = "tgs:"
)

// Chat-only actions: take the complaint yourself, or pick who of the OPD gets it.
const (
	actionTake   = "ambil"
	actionAssign = complaint.ActionAssign
)

// officerActions are the buttons under a complaint, in the order shown, with
// the flow that asks for the rest (none: the action needs nothing more).
var officerActions = []struct{ action, label, flow string }{
	{complaint.ActionAccept, "tindakan.tombol_terima", ""},
	{actionTake, "tindakan.tombol_ambil", ""},
	{actionAssign, "tindakan.tombol_tugaskan", ""},
	{complaint.ActionReply, "tindakan.tombol_balas", "petugas_balas"},
	{complaint.ActionAskInfo, "tindakan.tombol_minta_info", "petugas_info"},
	{complaint.ActionForward, "tindakan.tombol_teruskan", "petugas_teruskan"},
	{complaint.ActionFinish, "tindakan.tombol_selesai", "petugas_selesai"},
	{complaint.ActionReject, "tindakan.tombol_tolak", "petugas_tolak"},
}

// officerButtons are the actions the complaint's status allows, as choices.
func (h *Handler) officerButtons(lang, code, status string) []Choice {
	var out []Choice
	for _, a := range officerActions {
		allowed := a.action
		if a.action == actionTake {
			allowed = complaint.ActionAssign
		}
		if complaint.Allowed(allowed, status) {
			out = append(out, Choice{ID: actionPrefix + a.action + ":" + code, Label: h.Locales.T(lang, a.label, nil)})
		}
	}
	return out
}

// registrationCode recognizes "/daftar KODE" and Telegram's deep link "/start daftar_KODE".
func registrationCode(in flows.Input) (string, bool) {
	if in.Kind != flows.InputText {
		return "", false
	}
	fields := strings.Fields(in.Text)
	if len(fields) == 0 {
		return "", false
	}
	cmd := strings.ToLower(fields[0])
	if i := strings.IndexByte(cmd, '@'); i > 0 {
		cmd = cmd[:i] // "/daftar@SuaraWargaBot" in a Telegram group-style command
	}
	switch {
	case cmd == "/daftar":
		return strings.Join(fields[1:], ""), true
	case cmd == "/start" && len(fields) == 2 && strings.HasPrefix(strings.ToLower(fields[1]), "daftar_"):
		return fields[1][len("daftar_"):], true
	}
	return "", false
}

// register links the person to an officer invitation.
func (h *Handler) register(ctx context.Context, tx *gorm.DB, cit *models.Citizen, channel, chatID, code string) error {
	say := func(key string, data map[string]any) error {
		return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(cit.Lang, key, data)}})
	}
	if code == "" {
		return say("tindakan.format_daftar", nil)
	}
	if _, err := models.OfficerByCitizen(ctx, tx, cit.ID); err == nil {
		return say("tindakan.sudah_terdaftar", nil)
	}
	off, err := h.Complaints.Redeem(ctx, tx, code, cit.ID)
	if err != nil {
		if key, data, ok := complaint.ErrorKey(err, ""); ok {
			h.logger().Info("officer registration refused", slog.Int64("citizen_id", cit.ID), slog.String("reason", key))
			return say(key, complaint.TemplateData(cit.Lang, data))
		}
		return err
	}
	h.logger().Info("officer registered", slog.Int64("officer_id", off.ID), slog.String("role", off.Role))
	// Whatever the person was doing as a citizen ends here.
	if err := tx.Model(&models.Conversation{}).Where("citizen_id = ? AND status = ?", cit.ID, models.ConversationActive).
		Update("status", models.ConversationEnded).Error; err != nil {
		return fmt.Errorf("end conversation: %w", err)
	}
	return say("tindakan.terdaftar", h.officerData(ctx, tx, cit.Lang, off))
}

// officerData names the officer's role and OPD for texts.
func (h *Handler) officerData(ctx context.Context, tx *gorm.DB, lang string, off *models.Officer) map[string]any {
	d := map[string]any{"nama": off.Name, "peran": h.Locales.T(lang, "petugas.peran_"+off.Role, nil)}
	if off.AgencyID != nil {
		if ag, err := models.AgencyByID(ctx, tx, *off.AgencyID); err == nil {
			d["opd"] = agencyName(*ag)
		}
	}
	return d
}

// officerInput handles what an officer sends: buttons under complaints,
// commands, and the answers to an officer flow's questions.
func (h *Handler) officerInput(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID string, in flows.Input) error {
	lang := cit.Lang
	say := func(key string, data map[string]any, choices ...Choice) error {
		return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, key, data), Choices: choices}})
	}
	help := func() error {
		if err := h.endConversation(tx, cit.ID); err != nil {
			return err
		}
		return say("tindakan.bantuan_petugas", h.officerData(ctx, tx, lang, off))
	}
	actor := complaint.ActorFor(off)

	if in.Kind == flows.InputChoice {
		switch {
		case strings.HasPrefix(in.ChoiceID, actionPrefix):
			action, code, _ := strings.Cut(strings.TrimPrefix(in.ChoiceID, actionPrefix), ":")
			return h.officerAction(ctx, tx, cit, off, channel, chatID, action, code)
		case strings.HasPrefix(in.ChoiceID, viewPrefix):
			return h.officerView(ctx, tx, cit, actor, channel, chatID, strings.TrimPrefix(in.ChoiceID, viewPrefix))
		case strings.HasPrefix(in.ChoiceID, assignPrefix):
			code, key, _ := strings.Cut(strings.TrimPrefix(in.ChoiceID, assignPrefix), ":")
			return h.officerAssign(ctx, tx, cit, off, channel, chatID, code, key)
		}
	}
	if in.Kind == flows.InputText {
		fields := strings.Fields(in.Text)
		word := ""
		if len(fields) > 0 {
			word = strings.ToLower(fields[0])
			if i := strings.IndexByte(word, '@'); i > 0 {
				word = word[:i]
			}
		}
		switch word {
		case "/tugas":
			if err := h.endConversation(tx, cit.ID); err != nil {
				return err
			}
			return h.officerTasks(ctx, tx, cit, off, channel, chatID)
		case "/lihat":
			if len(fields) < 2 {
				return say("tindakan.format_lihat", nil)
			}
			return h.officerView(ctx, tx, cit, actor, channel, chatID, fields[1])
		case "/balas":
			if len(fields) < 3 {
				return say("tindakan.format_balas", nil)
			}
			text := strings.TrimSpace(strings.SplitN(strings.TrimSpace(in.Text), fields[1], 2)[1])
			if _, err := h.Complaints.Reply(ctx, tx, fields[1], actor, text); err != nil {
				return h.officerRefused(ctx, tx, cit, channel, chatID, err, fields[1])
			}
			return say("tindakan.balasan_terkirim", map[string]any{"kode": complaint.NormalizeCode(fields[1])})
		case "/catatan":
			if len(fields) < 3 {
				return say("tindakan.format_catatan", nil)
			}
			text := strings.TrimSpace(strings.SplitN(strings.TrimSpace(in.Text), fields[1], 2)[1])
			if _, err := h.Complaints.AddNote(ctx, tx, fields[1], actor, text); err != nil {
				return h.officerRefused(ctx, tx, cit, channel, chatID, err, fields[1])
			}
			return say("tindakan.catatan_tersimpan", map[string]any{"kode": complaint.NormalizeCode(fields[1])})
		case "/duplikat":
			if len(fields) < 3 {
				return say("tindakan.format_duplikat", nil)
			}
			orig := complaint.NormalizeCode(strings.Join(fields[2:], " "))
			c, err := h.Complaints.MarkDuplicate(ctx, tx, fields[1], orig, actor)
			if err != nil {
				return h.officerRefused(ctx, tx, cit, channel, chatID, err, fields[1])
			}
			var o models.Complaint
			if err := tx.Where("id = ?", *c.DuplicateOfID).Take(&o).Error; err != nil {
				return fmt.Errorf("load complaint %s: %w", orig, err)
			}
			return say("tindakan.duplikat_ok", map[string]any{"kode": c.Code, "asli": o.Code, "jumlah": o.Supporters})
		case "/start", "/menu", "menu", "/bantuan", "/help", "bantuan":
			return help()
		case "/batal", "batal", "/cancel", "cancel":
			if err := h.endConversation(tx, cit.ID); err != nil {
				return err
			}
			return say("tindakan.dibatalkan", nil)
		}
		if strings.HasPrefix(word, "/") {
			return help()
		}
	}
	// An answer to an officer flow's question, or that flow's timer.
	conv, st, err := h.activeConversation(tx, cit.ID)
	if err != nil {
		return err
	}
	if conv != nil && strings.HasPrefix(st.Flow, "petugas_") && !st.Ended {
		return h.step(ctx, tx, cit, off, channel, chatID, in, "", nil)
	}
	if in.Kind == flows.InputRemind || in.Kind == flows.InputExpire {
		return nil
	}
	return help()
}

// officerAction runs a button press: accept at once, or start the flow that asks for the rest.
func (h *Handler) officerAction(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID, action, code string) error {
	actor := complaint.ActorFor(off)
	v, err := h.Complaints.View(ctx, tx, code, actor)
	if err != nil {
		return h.officerRefused(ctx, tx, cit, channel, chatID, err, code)
	}
	code = v.Complaint.Code
	for _, a := range officerActions {
		if a.action != action {
			continue
		}
		check := action
		if action == actionTake {
			check = complaint.ActionAssign
		}
		if !complaint.Allowed(check, v.Complaint.Status) {
			return h.officerRefused(ctx, tx, cit, channel, chatID,
				&complaint.TransitionError{Code: code, From: v.Complaint.Status, Action: action, Key: "petugas.aksi_tidak_bisa"}, code)
		}
		switch {
		case a.action == actionTake:
			return h.officerAssign(ctx, tx, cit, off, channel, chatID, code, "")
		case a.action == actionAssign:
			return h.officerPickAssignee(ctx, tx, cit, channel, chatID, v)
		}
		if a.flow == "" {
			c, err := h.Complaints.Accept(ctx, tx, code, actor)
			if err != nil {
				return h.officerRefused(ctx, tx, cit, channel, chatID, err, code)
			}
			data := complaint.TemplateData(cit.Lang, map[string]any{"kode": code, "batas": c.ResolveBy.In(h.Complaints.Loc)})
			return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(cit.Lang, "tindakan.diterima_ok", data)}})
		}
		return h.step(ctx, tx, cit, off, channel, chatID, flows.Input{Kind: flows.InputStart, Data: map[string]string{"kode": code}}, a.flow, nil)
	}
	h.logger().Warn("unknown officer action", slog.String("action", action), slog.Int64("officer_id", off.ID))
	return h.officerRefused(ctx, tx, cit, channel, chatID, &complaint.TransitionError{Code: code, From: v.Complaint.Status, Action: action, Key: "petugas.aksi_tidak_bisa"}, code)
}

// officerPickAssignee offers the people of the complaint's OPD as choices.
func (h *Handler) officerPickAssignee(ctx context.Context, tx *gorm.DB, cit *models.Citizen, channel, chatID string, v *complaint.StatusView) error {
	lang, code := cit.Lang, v.Complaint.Code
	people, err := h.Complaints.People(ctx, tx, v.Complaint.AgencyID)
	if err != nil {
		return err
	}
	if len(people) == 0 {
		return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, "tindakan.tidak_ada_petugas", map[string]any{"kode": code})}})
	}
	var choices []Choice
	for _, p := range people {
		label := p.Name
		if (p.UserID != nil && eqPtr(p.UserID, v.Complaint.AssigneeUserID)) || (p.OfficerID != nil && eqPtr(p.OfficerID, v.Complaint.AssigneeOfficerID)) {
			label = "👤 " + label
		}
		choices = append(choices, Choice{ID: assignPrefix + code + ":" + p.Key, Label: label})
	}
	return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, "tindakan.pilih_petugas", map[string]any{"kode": code}), Choices: choices}})
}

func eqPtr(a, b *int64) bool { return a != nil && b != nil && *a == *b }

// officerAssign gives the complaint to the person with key, or to the officer themselves when key is empty.
func (h *Handler) officerAssign(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID, code, key string) error {
	actor := complaint.ActorFor(off)
	lang := cit.Lang
	name := ""
	if key == "" {
		me, err := h.Complaints.Self(ctx, tx, actor)
		if err != nil {
			return h.officerRefused(ctx, tx, cit, channel, chatID, err, code)
		}
		key, name = me.Key, me.Name
	}
	c, err := h.Complaints.Assign(ctx, tx, code, actor, key)
	if err != nil {
		return h.officerRefused(ctx, tx, cit, channel, chatID, err, code)
	}
	if name == "" {
		people, err := h.Complaints.People(ctx, tx, c.AgencyID)
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.Key == key {
				name = p.Name
			}
		}
	}
	data := complaint.TemplateData(lang, map[string]any{"kode": c.Code, "nama": name, "batas": c.ResolveBy.In(h.Complaints.Loc)})
	textKey := "tindakan.ditugaskan_ok"
	if c.AssigneeOfficerID != nil && *c.AssigneeOfficerID == off.ID {
		textKey = "tindakan.diambil_ok"
	}
	return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, textKey, data)}})
}

// officerRefused tells the officer why an action failed; an unexpected error is returned.
func (h *Handler) officerRefused(ctx context.Context, tx *gorm.DB, cit *models.Citizen, channel, chatID string, err error, code string) error {
	key, data, ok := complaint.ErrorKey(err, complaint.NormalizeCode(code))
	if !ok {
		return err
	}
	if errors.Is(err, complaint.ErrForbidden) {
		h.logger().Warn("officer refused: complaint of another OPD", slog.Int64("citizen_id", cit.ID), slog.String("ticket", complaint.NormalizeCode(code)))
	}
	return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(cit.Lang, key, complaint.TemplateData(cit.Lang, data))}})
}

// officerView shows one complaint with its photos, map point (as a link) and action buttons.
func (h *Handler) officerView(ctx context.Context, tx *gorm.DB, cit *models.Citizen, actor complaint.Actor, channel, chatID, code string) error {
	v, err := h.Complaints.View(ctx, tx, code, actor)
	if err != nil {
		return h.officerRefused(ctx, tx, cit, channel, chatID, err, code)
	}
	lang, c := cit.Lang, v.Complaint
	pelapor := h.Locales.T(lang, "tindakan.pelapor_rahasia", nil)
	if !c.Confidential {
		pelapor = strings.TrimSpace(v.ReporterName + " " + v.ReporterContact)
		if pelapor == "" {
			pelapor = h.Locales.T(lang, "tindakan.pelapor_tanpa_nama", nil)
		}
	}
	cat := v.Category.Name
	if lang == "en" && v.Category.NameEN != "" {
		cat = v.Category.NameEN
	}
	data := map[string]any{"kode": c.Code, "status": c.Status, "kategori": cat, "alamat": c.Address, "uraian": c.Description,
		"pelapor": pelapor, "dibuat": c.CreatedAt.In(h.Complaints.Loc)}
	if v.Kecamatan != nil {
		data["kecamatan"] = v.Kecamatan.Name
	}
	if c.Supporters > 0 {
		data["pendukung"] = c.Supporters
	}
	if v.DuplicateOf != "" {
		data["duplikat_dari"] = v.DuplicateOf
	}
	if len(v.Duplicates) > 0 {
		data["digabung"] = strings.Join(v.Duplicates, ", ")
	}
	var ids []int64
	for _, a := range v.Attachments {
		ids = append(ids, a.AttachmentID)
	}
	files, err := h.photoFiles(ctx, tx, ids)
	if err != nil {
		return err
	}
	render := func(d map[string]any) string { return h.Locales.T(lang, "tindakan.rincian", d) }
	outs := h.noticeLayout(lang, c.Code, render, complaint.TemplateData(lang, data), files, c.Lat, c.Lng,
		h.officerButtons(lang, c.Code, c.Status), false)
	return h.queue(ctx, tx, cit, channel, chatID, nil, outs)
}

// officerTasks lists the OPD's open complaints, the most urgent first.
func (h *Handler) officerTasks(ctx context.Context, tx *gorm.DB, cit *models.Citizen, off *models.Officer, channel, chatID string) error {
	lang := cit.Lang
	d := h.officerData(ctx, tx, lang, off)
	if off.AgencyID == nil {
		return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, "tindakan.bantuan_petugas", d)}})
	}
	open, err := h.Complaints.OpenForAgency(ctx, tx, *off.AgencyID, 0)
	if err != nil {
		return err
	}
	// Tugas saya first: what is assigned to this officer, then the rest, each with the
	// complaints of a hotspot first and then by deadline.
	mine := func(c models.Complaint) bool { return c.AssigneeOfficerID != nil && *c.AssigneeOfficerID == off.ID }
	var list []models.Complaint
	for _, c := range open {
		if mine(c) {
			list = append(list, c)
		}
	}
	for _, c := range open {
		if !mine(c) {
			list = append(list, c)
		}
	}
	list = list[:min(len(list), 10)]
	if len(list) == 0 {
		return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, "tindakan.tugas_kosong", d)}})
	}
	cats := map[int64]string{}
	var all []models.Category
	if err := tx.Find(&all).Error; err != nil {
		return fmt.Errorf("load categories: %w", err)
	}
	for _, c := range all {
		cats[c.ID] = c.Name
		if lang == "en" && c.NameEN != "" {
			cats[c.ID] = c.NameEN
		}
	}
	var lines []string
	var choices []Choice
	for _, c := range list {
		lines = append(lines, h.Locales.T(lang, "tindakan.tugas_baris", complaint.TemplateData(lang, map[string]any{
			"kode": c.Code, "kategori": cats[c.CategoryID], "status": c.Status, "batas": c.ResolveBy.In(h.Complaints.Loc), "saya": mine(c),
			"hotspot": c.HotspotID != nil})))
		choices = append(choices, Choice{ID: viewPrefix + c.Code, Label: c.Code})
	}
	d["jumlah"] = len(open)
	d["daftar"] = strings.Join(lines, "\n")
	return h.queue(ctx, tx, cit, channel, chatID, nil, []Outbound{{Text: h.Locales.T(lang, "tindakan.tugas_daftar", d), Choices: choices}})
}

// media turns a complaint's photos (their previews) and map point into messages.
func (h *Handler) media(ctx context.Context, tx *gorm.DB, attachmentIDs []int64, lat, lng *float64) ([]Outbound, error) {
	atts, err := h.photoFiles(ctx, tx, attachmentIDs)
	if err != nil {
		return nil, err
	}
	var outs []Outbound
	for _, a := range atts {
		outs = append(outs, Outbound{PhotoPath: a.Preview()})
	}
	if lat != nil && lng != nil {
		outs = append(outs, Outbound{HasLocation: true, Lat: *lat, Lng: *lng})
	}
	return outs, nil
}

func (h *Handler) endConversation(tx *gorm.DB, citizenID int64) error {
	err := tx.Model(&models.Conversation{}).Where("citizen_id = ? AND status = ?", citizenID, models.ConversationActive).
		Update("status", models.ConversationEnded).Error
	if err != nil {
		return fmt.Errorf("end conversation: %w", err)
	}
	return nil
}
