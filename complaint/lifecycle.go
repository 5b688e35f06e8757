package complaint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/models"
)

// More timeline event kinds (see the list in complaint.go).
const (
	EventBukanWewenang = "bukan_wewenang" // an officer said it is not their OPD's; Text holds the reason
	EventEskalasi      = "eskalasi"       // a deadline passed and the OPD's heads and the admins were told; Text holds the deadline kind
)

// Actions on a complaint, as named in the transition table and in errors.
const (
	ActionAccept     = "terima"
	ActionReply      = "balas"
	ActionAskInfo    = "minta_info"
	ActionAnswerInfo = "jawab_info"
	ActionForward    = "teruskan"
	ActionFinish     = "selesai"
	ActionReject     = "tolak"
	ActionConfirm    = "konfirmasi"
	ActionRate       = "nilai"
	ActionAutoclose  = "tutup_otomatis"
)

// MaxText is the longest officer reply, question, reason or citizen answer accepted, in characters.
const MaxText = 4000

// open lists the statuses in which an OPD still works on a complaint.
var open = []string{StatusTerdisposisi, StatusDiproses, StatusPerluInfo}

// transitions is the allowed-transition table: the statuses each action may start from.
// Submit files straight into terdisposisi and Forward passes through bukan_wewenang in one
// step, so no complaint rests in baru or bukan_wewenang.
var transitions = map[string][]string{
	ActionAccept:     {StatusTerdisposisi},
	ActionReply:      open,
	ActionAskInfo:    open,
	ActionAnswerInfo: {StatusPerluInfo},
	ActionForward:    open,
	ActionFinish:     open,
	ActionReject:     open,
	ActionConfirm:    {StatusSelesai},
	ActionRate:       {StatusSelesai, StatusDitutup},
	ActionAutoclose:  {StatusSelesai},
	ActionAssign:     open,
}

// Allowed reports whether action may be taken on a complaint in status.
func Allowed(action, status string) bool {
	for _, s := range transitions[action] {
		if s == status {
			return true
		}
	}
	return false
}

// Actor is who acts on a complaint. Officers (Kind models.ActorPetugas, ID the officer's id)
// act only on their own OPD's complaints; admins (models.ActorAdmin, ID an admin officer's id)
// on any; models.ActorSistem is the service itself.
type Actor struct {
	Kind     string
	ID       int64
	AgencyID int64
}

// ActorFor is the actor an officer acts as.
func ActorFor(o *models.Officer) Actor {
	a := Actor{Kind: models.ActorPetugas, ID: o.ID}
	if o.Role == models.RoleAdmin {
		a.Kind = models.ActorAdmin
	}
	if o.AgencyID != nil {
		a.AgencyID = *o.AgencyID
	}
	return a
}

// ErrForbidden is returned when an actor may not act on or see a complaint (another OPD's).
var ErrForbidden = errors.New("forbidden")

// ErrTransition is returned (inside a *TransitionError) when an action is not allowed in the complaint's status.
var ErrTransition = errors.New("transition not allowed")

// TransitionError says which action a complaint's status refused; it wraps ErrTransition.
type TransitionError struct {
	Code   string // ticket code
	From   string // the complaint's status
	Action string // one of the Action constants
	// Key is the locale key of the message for the person who tried; render it with TemplateData(lang, Data()).
	Key string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("complaint %s is %s: %s not allowed", e.Code, e.From, e.Action)
}

// Unwrap makes errors.Is(err, ErrTransition) hold.
func (e *TransitionError) Unwrap() error { return ErrTransition }

// Data is the template data of Key: kode and status.
func (e *TransitionError) Data() map[string]any {
	return map[string]any{"kode": e.Code, "status": e.From, "aksi": e.Action}
}

// ErrorKey is the locale key of the message for a person whose action failed with err, and
// its template data (render it with TemplateData); ok is false for an unexpected failure.
func ErrorKey(err error, code string) (key string, data map[string]any, ok bool) {
	var te *TransitionError
	switch {
	case errors.As(err, &te):
		return te.Key, te.Data(), true
	case errors.Is(err, ErrForbidden):
		return "petugas.bukan_opd_anda", map[string]any{"kode": code}, true
	case errors.Is(err, ErrNotFound):
		return "petugas.laporan_tidak_ditemukan", map[string]any{"kode": code}, true
	case errors.Is(err, ErrInviteUnknown):
		return "petugas.undangan_tidak_dikenal", nil, true
	case errors.Is(err, ErrInviteUsed):
		return "petugas.undangan_terpakai", nil, true
	case errors.Is(err, ErrInviteExpired):
		return "petugas.undangan_kedaluwarsa", nil, true
	case errors.Is(err, ErrInvalid):
		return "petugas.isian_tidak_valid", map[string]any{"kode": code, "max": MaxText}, true
	}
	return "", nil, false
}

// step is one change in progress: the locked complaint and what the change will write.
type step struct {
	s      *Service
	c      *models.Complaint
	agency *models.Agency
	by     Actor
	now    time.Time
	loc    *time.Location
	events []models.ComplaintEvent
	notes  []Notification
	timers []string // deadline kinds to schedule once the complaint is saved
}

// event adds a timeline entry moving the complaint to status to (set the status first).
func (st *step) event(kind, from, to, text string, attachment *int64) {
	ev := models.ComplaintEvent{ComplaintID: st.c.ID, Kind: kind, FromStatus: from, ToStatus: to, ActorKind: st.by.Kind,
		Text: text, AttachmentID: attachment, CreatedAt: st.now}
	if st.by.Kind != models.ActorSistem && st.by.ID != 0 {
		id := st.by.ID
		ev.ActorID = &id
	}
	st.events = append(st.events, ev)
}

// data is the template data every notification of the complaint carries, plus kv pairs.
func (st *step) data(kv ...any) map[string]any {
	return noticeData(st.c, st.agency, kv...)
}

func noticeData(c *models.Complaint, agency *models.Agency, kv ...any) map[string]any {
	d := map[string]any{"kode": c.Code, "opd": agencyShort(agency), "opd_nama": agency.Name, "status": c.Status}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i].(string)] = kv[i+1]
	}
	return d
}

func agencyShort(a *models.Agency) string {
	if a.ShortName != "" {
		return a.ShortName
	}
	return a.Name
}

// toCitizen queues a notification to the complaint's reporter.
func (st *step) toCitizen(key string, data map[string]any) *Notification {
	st.notes = append(st.notes, Notification{ComplaintID: st.c.ID, Audience: AudienceCitizen, AgencyID: st.c.AgencyID, Key: key, Data: data})
	return &st.notes[len(st.notes)-1]
}

// toOfficers queues a notification to the officers of the complaint's current OPD.
func (st *step) toOfficers(key string, data map[string]any) {
	st.notes = append(st.notes, Notification{ComplaintID: st.c.ID, Audience: AudienceOfficers, AgencyID: st.c.AgencyID, Key: key, Data: data})
}

// local is t in the regency's timezone, for dates in notifications.
func (st *step) local(t time.Time) time.Time { return t.In(st.loc) }

// firstResponse records the OPD's first reaction.
func (st *step) firstResponse() {
	if st.c.FirstResponseAt == nil {
		now := st.now
		st.c.FirstResponseAt = &now
	}
}

// change runs one action on the complaint with code inside tx (a savepoint when tx is a
// transaction): it locks the complaint, checks who acts (auth) and the transition table,
// runs fn, then saves the complaint, the timeline, the timers and the notifications together.
func (s *Service) change(ctx context.Context, tx *gorm.DB, code, action string, by Actor, auth func(tx *gorm.DB, c *models.Complaint) error,
	fn func(tx *gorm.DB, st *step) error) (*models.Complaint, error) {
	code = NormalizeCode(code)
	var out *models.Complaint
	err := s.db(tx).WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockComplaint(ctx, tx, "code = ?", code)
		if err != nil {
			return err
		}
		if err := auth(tx, c); err != nil {
			return err
		}
		if !Allowed(action, c.Status) {
			key := "petugas.aksi_tidak_bisa"
			if by.Kind == models.ActorWarga {
				key = "survei.tidak_berlaku"
			}
			return &TransitionError{Code: c.Code, From: c.Status, Action: action, Key: key}
		}
		_, loc, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		agency, err := models.AgencyByID(ctx, tx, c.AgencyID)
		if err != nil {
			return err
		}
		st := &step{s: s, c: c, agency: agency, by: by, now: s.now(), loc: loc}
		if err := fn(tx, st); err != nil {
			return err
		}
		if err := s.commit(ctx, tx, st); err != nil {
			return err
		}
		out = st.c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", action, code, err)
	}
	return out, nil
}

// commit writes what a step decided, in order: the complaint, its timeline, its timers, the notifications.
func (s *Service) commit(ctx context.Context, tx *gorm.DB, st *step) error {
	st.c.UpdatedAt = st.now
	if err := tx.Save(st.c).Error; err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if len(st.events) > 0 {
		if err := tx.Create(&st.events).Error; err != nil {
			return fmt.Errorf("insert timeline: %w", err)
		}
	}
	if len(st.timers) > 0 {
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.schedule(ctx, tx, cal, st.c, st.timers...); err != nil {
			return err
		}
	}
	if st.c.Supporters > 0 {
		st.notes = forSupporters(st.notes)
	}
	return s.notify(ctx, tx, st.notes...)
}

// lockComplaint loads one complaint, locked against concurrent changes until tx ends
// (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions here already hold the write lock).
func lockComplaint(ctx context.Context, tx *gorm.DB, where string, arg any) (*models.Complaint, error) {
	q := tx.WithContext(ctx)
	if models.Dialect(tx) == models.DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	var c models.Complaint
	if err := q.Where(where, arg).Take(&c).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("load complaint %v: %w", arg, ErrNotFound)
		}
		return nil, fmt.Errorf("load complaint %v: %w", arg, err)
	}
	return &c, nil
}

// officerAuth lets by act on c when they are an active officer of c's OPD, an active admin, or the system.
func (s *Service) officerAuth(ctx context.Context, by Actor, action string) func(tx *gorm.DB, c *models.Complaint) error {
	return func(tx *gorm.DB, c *models.Complaint) error { return s.authorize(ctx, tx, by, c, action) }
}

func (s *Service) authorize(ctx context.Context, tx *gorm.DB, by Actor, c *models.Complaint, action string) error {
	ok := false
	switch by.Kind {
	case models.ActorSistem:
		ok = true
	case models.ActorKonsol:
		allowed, err := consoleAllowed(ctx, tx, by, c, action)
		if err != nil {
			return err
		}
		ok = allowed
	case models.ActorPetugas, models.ActorAdmin:
		o, err := models.OfficerByID(ctx, tx, by.ID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err == nil && o.Active {
			if o.Role == models.RoleAdmin {
				ok = by.Kind == models.ActorAdmin
			} else {
				ok = by.Kind == models.ActorPetugas && o.AgencyID != nil && *o.AgencyID == c.AgencyID && by.AgencyID == c.AgencyID
			}
		}
	}
	if ok {
		return nil
	}
	s.logger().WarnContext(ctx, "officer action refused", slog.String("ticket", c.Code), slog.String("action", action),
		slog.String("actor_kind", by.Kind), slog.Int64("actor_id", by.ID), slog.Int64("actor_agency_id", by.AgencyID),
		slog.Int64("complaint_agency_id", c.AgencyID))
	return fmt.Errorf("%s by %s %d: %w", action, by.Kind, by.ID, ErrForbidden)
}

// citizenAuth lets only the complaint's reporter act; anyone else finds nothing, as with Status.
func citizenAuth(citizenID int64) func(tx *gorm.DB, c *models.Complaint) error {
	return func(_ *gorm.DB, c *models.Complaint) error {
		if c.CitizenID != citizenID {
			return fmt.Errorf("load complaint %s: %w", c.Code, ErrNotFound)
		}
		return nil
	}
}

// cleanText trims text and checks it is present (when required) and not too long.
func cleanText(text, what string, required bool) (string, error) {
	text = strings.TrimSpace(text)
	if required && text == "" {
		return "", fmt.Errorf("empty %s: %w", what, ErrInvalid)
	}
	if utf8.RuneCountInString(text) > MaxText {
		return "", fmt.Errorf("%s longer than %d characters: %w", what, MaxText, ErrInvalid)
	}
	return text, nil
}

// Accept is an officer taking the complaint on: terdisposisi → diproses.
func (s *Service) Accept(ctx context.Context, tx *gorm.DB, code string, by Actor) (*models.Complaint, error) {
	return s.change(ctx, tx, code, ActionAccept, by, s.officerAuth(ctx, by, ActionAccept), func(_ *gorm.DB, st *step) error {
		from := st.c.Status
		st.c.Status = StatusDiproses
		st.firstResponse()
		st.event(EventDiterima, from, st.c.Status, "", nil)
		st.toCitizen("notifikasi.diterima", st.data("batas", st.local(st.c.ResolveBy)))
		return nil
	})
}

// Reply relays an officer's text to the citizen; the first reply on a fresh complaint moves it
// to diproses, a reply in diproses or perlu_info leaves the status as it is.
func (s *Service) Reply(ctx context.Context, tx *gorm.DB, code string, by Actor, text string) (*models.Complaint, error) {
	text, err := cleanText(text, "reply", true)
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionReply, code, err)
	}
	return s.change(ctx, tx, code, ActionReply, by, s.officerAuth(ctx, by, ActionReply), func(_ *gorm.DB, st *step) error {
		from := st.c.Status
		if st.c.Status == StatusTerdisposisi {
			st.c.Status = StatusDiproses
		}
		st.firstResponse()
		st.event(EventTanggapan, from, st.c.Status, text, nil)
		st.toCitizen("notifikasi.tanggapan", st.data("teks", text))
		return nil
	})
}

// AskInfo is an officer asking the citizen for details: → perlu_info. The citizen is notified
// with Flow "jawab_info" (FlowData kode) so their next message answers it.
func (s *Service) AskInfo(ctx context.Context, tx *gorm.DB, code string, by Actor, question string) (*models.Complaint, error) {
	question, err := cleanText(question, "question", true)
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionAskInfo, code, err)
	}
	return s.change(ctx, tx, code, ActionAskInfo, by, s.officerAuth(ctx, by, ActionAskInfo), func(_ *gorm.DB, st *step) error {
		from := st.c.Status
		st.c.Status = StatusPerluInfo
		st.firstResponse()
		st.event(EventMintaInfo, from, st.c.Status, question, nil)
		n := st.toCitizen("notifikasi.minta_info", st.data("teks", question))
		n.Flow, n.FlowData = FlowJawabInfo, map[string]string{"kode": st.c.Code}
		return nil
	})
}

// Conversation flows a notification starts for the citizen.
const (
	FlowJawabInfo = "jawab_info" // answer an officer's question
	FlowSurvei    = "survei"     // "is it really fixed?" and the rating
)

// AnswerInfo is the citizen answering an officer's question (text and/or photos): perlu_info → diproses.
// The answer goes to the OPD's officers and into the timeline.
func (s *Service) AnswerInfo(ctx context.Context, tx *gorm.DB, code string, citizenID int64, text string, attachmentIDs []int64) (*models.Complaint, error) {
	text, err := cleanText(text, "answer", len(attachmentIDs) == 0)
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionAnswerInfo, code, err)
	}
	by := Actor{Kind: models.ActorWarga, ID: citizenID}
	return s.change(ctx, tx, code, ActionAnswerInfo, by, citizenAuth(citizenID), func(tx *gorm.DB, st *step) error {
		ids, err := attach(tx, st.c.ID, attachmentIDs, models.AttachmentFoto, st.now)
		if err != nil {
			return err
		}
		var first *int64
		if len(ids) > 0 {
			first = &ids[0]
		}
		from := st.c.Status
		st.c.Status = StatusDiproses
		st.event(EventInfoWarga, from, st.c.Status, text, first)
		st.toOfficers("petugas.info_warga", st.data("teks", text, "foto_ids", ids))
		st.toCitizen("notifikasi.info_diterima", st.data())
		return nil
	})
}

// attach links attachments to a complaint (once each) and returns their ids in order, without repeats.
func attach(tx *gorm.DB, complaintID int64, ids []int64, kind string, now time.Time) ([]int64, error) {
	var out []int64
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		link := models.ComplaintAttachment{ComplaintID: complaintID, AttachmentID: id, Kind: kind, CreatedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&link).Error; err != nil {
			return nil, fmt.Errorf("attach %d: %w", id, err)
		}
		out = append(out, id)
	}
	return out, nil
}

// Forward is an officer saying the complaint is not their OPD's (bukan wewenang) and handing it to
// the OPD with toAgencyCode: → bukan_wewenang → terdisposisi at the new OPD, whose clocks start now.
func (s *Service) Forward(ctx context.Context, tx *gorm.DB, code string, by Actor, toAgencyCode, reason string) (*models.Complaint, error) {
	reason, err := cleanText(reason, "reason", true)
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionForward, code, err)
	}
	return s.change(ctx, tx, code, ActionForward, by, s.officerAuth(ctx, by, ActionForward), func(tx *gorm.DB, st *step) error {
		to, err := models.AgencyByCode(ctx, tx, strings.ToUpper(strings.TrimSpace(toAgencyCode)))
		if err != nil {
			return err
		}
		if to.ID == st.c.AgencyID {
			return fmt.Errorf("forward to its own OPD %s: %w", to.Code, ErrInvalid)
		}
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		cat, err := categoryByID(ctx, tx, st.c.CategoryID)
		if err != nil {
			return err
		}
		from, old := st.c.Status, st.agency
		st.c.Status = StatusBukanWewenang
		st.event(EventBukanWewenang, from, st.c.Status, reason, nil)
		st.c.Status = StatusTerdisposisi
		st.c.AgencyID, st.agency = to.ID, to
		st.c.AssigneeUserID, st.c.AssigneeOfficerID, st.c.AssignedAt = nil, nil, nil // nobody of the new OPD has it yet
		st.event(EventDialihkan, StatusBukanWewenang, st.c.Status, to.Name, nil)
		st.c.DeadlineGen++
		st.c.FirstResponseAt = nil
		st.c.RouteBy = cal.AddWorkingDays(st.now, RouteDays).UTC()
		st.c.RespondBy = cal.AddWorkingDays(st.now, RespondDays).UTC()
		st.c.ResolveBy = cal.AddWorkingDays(st.now, cat.TargetDays).UTC()
		st.timers = deadlineKinds(to)
		st.toCitizen("notifikasi.dialihkan", st.data("opd_lama", agencyShort(old), "alasan", reason, "batas", st.local(st.c.RespondBy)))
		n, err := s.newComplaintNotice(ctx, tx, st.c, to, cat, st.loc, nil)
		if err != nil {
			return err
		}
		n.Data["dialihkan_dari"] = agencyShort(old)
		n.Data["alasan"] = reason
		st.notes = append(st.notes, n)
		return nil
	})
}

// Finish is an officer reporting the complaint done, with a note and an optional proof photo:
// → selesai. The citizen is asked (Flow "survei") whether it is really fixed; without an
// objection it closes itself CloseDays working days later.
func (s *Service) Finish(ctx context.Context, tx *gorm.DB, code string, by Actor, note string, proof *int64) (*models.Complaint, error) {
	return s.FinishWithUpload(ctx, tx, code, by, note, func(*gorm.DB) (*int64, error) { return proof, nil })
}

// FinishWithUpload is Finish with a proof photo that is not stored yet: upload runs only
// once by may finish this complaint now (inside the change's transaction), so a refused
// officer's photo is never written; it returns the stored attachment's id, or nil for none.
func (s *Service) FinishWithUpload(ctx context.Context, tx *gorm.DB, code string, by Actor, note string,
	upload func(tx *gorm.DB) (*int64, error)) (*models.Complaint, error) {
	note, err := cleanText(note, "note", false)
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionFinish, code, err)
	}
	return s.change(ctx, tx, code, ActionFinish, by, s.officerAuth(ctx, by, ActionFinish), func(tx *gorm.DB, st *step) error {
		proof, err := upload(tx)
		if err != nil {
			return err
		}
		if proof != nil {
			if _, err := attach(tx, st.c.ID, []int64{*proof}, models.AttachmentBukti, st.now); err != nil {
				return err
			}
		}
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		from := st.c.Status
		st.c.Status = StatusSelesai
		st.firstResponse()
		now := st.now
		closeBy := cal.AddWorkingDays(now, CloseDays).UTC()
		st.c.ResolvedAt, st.c.CloseBy = &now, &closeBy
		st.event(EventSelesai, from, st.c.Status, note, proof)
		st.timers = []string{DeadlineAutoclose}
		n := st.toCitizen("notifikasi.selesai", st.data("teks", note, "batas", st.local(closeBy)))
		n.AttachmentID = proof
		n.Flow, n.FlowData = FlowSurvei, map[string]string{"kode": st.c.Code}
		return nil
	})
}

// Reject is an officer declining the complaint with a reason: → ditolak (final).
func (s *Service) Reject(ctx context.Context, tx *gorm.DB, code string, by Actor, reason string) (*models.Complaint, error) {
	reason, err := cleanText(reason, "reason", true)
	if err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionReject, code, err)
	}
	return s.change(ctx, tx, code, ActionReject, by, s.officerAuth(ctx, by, ActionReject), func(_ *gorm.DB, st *step) error {
		from := st.c.Status
		st.c.Status = StatusDitolak
		st.firstResponse()
		now := st.now
		st.c.ClosedAt = &now
		st.event(EventDitolak, from, st.c.Status, reason, nil)
		st.toCitizen("notifikasi.ditolak", st.data("alasan", reason))
		return nil
	})
}

// Confirm is the citizen's answer to "is it really fixed?": fixed closes it (→ ditutup); not fixed
// reopens it (→ diproses), tells the OPD's officers and restarts the resolution clock.
func (s *Service) Confirm(ctx context.Context, tx *gorm.DB, code string, citizenID int64, fixed bool) (*models.Complaint, error) {
	if c, ok, err := supporterOf(ctx, s.db(tx), code, citizenID); err != nil {
		return nil, fmt.Errorf("%s complaint %s: %w", ActionConfirm, code, err)
	} else if ok {
		return s.supporterConfirm(ctx, tx, c, citizenID, fixed)
	}
	by := Actor{Kind: models.ActorWarga, ID: citizenID}
	return s.change(ctx, tx, code, ActionConfirm, by, citizenAuth(citizenID), func(tx *gorm.DB, st *step) error {
		from := st.c.Status
		now := st.now
		if fixed {
			st.c.Status = StatusDitutup
			st.c.ClosedAt = &now
			st.event(EventDitutup, from, st.c.Status, "", nil)
			st.toCitizen("notifikasi.ditutup", st.data())
			st.toOfficers("petugas.ditutup_warga", st.data())
			return nil
		}
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		cat, err := categoryByID(ctx, tx, st.c.CategoryID)
		if err != nil {
			return err
		}
		st.c.Status = StatusDiproses
		st.c.ResolvedAt, st.c.CloseBy = nil, nil
		st.c.DeadlineGen++
		st.c.ResolveBy = cal.AddWorkingDays(now, cat.TargetDays).UTC()
		st.timers = []string{DeadlineResolve}
		st.event(EventDibukaKembali, from, st.c.Status, "", nil)
		st.toCitizen("notifikasi.dibuka_kembali", st.data("batas", st.local(st.c.ResolveBy)))
		st.toOfficers("petugas.dibuka_kembali", st.data("batas", st.local(st.c.ResolveBy)))
		return nil
	})
}

// Rate records the citizen's 1..5 score and optional comment for a finished complaint
// (selesai or ditutup, not a rejected one); rating again replaces the score.
func (s *Service) Rate(ctx context.Context, tx *gorm.DB, code string, citizenID int64, score int, comment string) error {
	if score < 1 || score > 5 {
		return fmt.Errorf("%s complaint %s: score %d outside 1..5: %w", ActionRate, code, score, ErrInvalid)
	}
	comment, err := cleanText(comment, "comment", false)
	if err != nil {
		return fmt.Errorf("%s complaint %s: %w", ActionRate, code, err)
	}
	if c, ok, err := supporterOf(ctx, s.db(tx), code, citizenID); err != nil {
		return fmt.Errorf("%s complaint %s: %w", ActionRate, code, err)
	} else if ok {
		return s.supporterRate(ctx, tx, c, citizenID, score)
	}
	by := Actor{Kind: models.ActorWarga, ID: citizenID}
	_, err = s.change(ctx, tx, code, ActionRate, by, citizenAuth(citizenID), func(_ *gorm.DB, st *step) error {
		if st.c.ResolvedAt == nil {
			return &TransitionError{Code: st.c.Code, From: st.c.Status, Action: ActionRate, Key: "survei.tidak_berlaku"}
		}
		now := st.now
		st.c.Rating, st.c.RatingComment, st.c.RatedAt = &score, comment, &now
		st.event(EventPenilaian, st.c.Status, st.c.Status, fmt.Sprint(score), nil)
		return nil
	})
	return err
}

func categoryByID(ctx context.Context, tx *gorm.DB, id int64) (*models.Category, error) {
	var cat models.Category
	if err := tx.WithContext(ctx).Where("id = ?", id).Take(&cat).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("load category %d: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("load category %d: %w", id, err)
	}
	return &cat, nil
}

// newComplaintNotice is the petugas.laporan_baru notification to an OPD's officers: ticket,
// category, place, description, photos and the response deadline; the reporter's name only
// when the report is not confidential.
// photos are the complaint's photo attachment ids in order when the caller knows them (nil: loaded).
func (s *Service) newComplaintNotice(ctx context.Context, tx *gorm.DB, c *models.Complaint, agency *models.Agency, cat *models.Category, loc *time.Location, photos []int64) (Notification, error) {
	d := noticeData(c, agency,
		"kategori", LocalText{"id": cat.Name, "en": cmpText(cat.NameEN, cat.Name)},
		"uraian", c.Description,
		"alamat", c.Address,
		"batas", c.RespondBy.In(loc),
		"batas_selesai", c.ResolveBy.In(loc),
		"rahasia", c.Confidential,
	)
	if c.Lat != nil && c.Lng != nil {
		d["lat"], d["lng"] = *c.Lat, *c.Lng
	}
	// How many working days the OPD has left to respond, as CONVERSATION.md shows it.
	if cal, err := s.calendar(ctx, tx); err == nil {
		if n := cal.WorkingDaysBetween(s.now(), c.RespondBy); n > 0 {
			d["hari_kerja"] = n
		}
	}
	if c.RegionID != nil {
		var r models.Region
		if err := tx.WithContext(ctx).Where("id = ?", *c.RegionID).Take(&r).Error; err != nil {
			return Notification{}, fmt.Errorf("load region %d: %w", *c.RegionID, err)
		}
		d["kecamatan"] = r.Name
		if r.Kind == models.RegionDesa && r.ParentID != nil {
			var p models.Region
			if err := tx.WithContext(ctx).Where("id = ?", *r.ParentID).Take(&p).Error; err != nil {
				return Notification{}, fmt.Errorf("load region %d: %w", *r.ParentID, err)
			}
			d["desa"], d["kecamatan"] = r.Name, p.Name
		}
	}
	if photos == nil {
		if err := tx.WithContext(ctx).Model(&models.ComplaintAttachment{}).Where("complaint_id = ? AND kind = ?", c.ID, models.AttachmentFoto).
			Order("created_at, attachment_id").Pluck("attachment_id", &photos).Error; err != nil {
			return Notification{}, fmt.Errorf("load photos: %w", err)
		}
	}
	d["foto_ids"] = photos
	if !c.Confidential {
		var cit models.Citizen
		if err := tx.WithContext(ctx).Where("id = ?", c.CitizenID).Take(&cit).Error; err != nil {
			return Notification{}, fmt.Errorf("load reporter: %w", err)
		}
		d["pelapor"] = cit.Name
	}
	return Notification{ComplaintID: c.ID, Audience: AudienceOfficers, AgencyID: agency.ID, Key: "petugas.laporan_baru", Data: d}, nil
}

func cmpText(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
