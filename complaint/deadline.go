package complaint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/suarawarga/suarawarga/models"
)

// Deadline kinds.
const (
	DeadlineRoute     = "route"     // a triage OPD must route the complaint within RouteDays
	DeadlineRespond   = "respond"   // the OPD must first respond within RespondDays
	DeadlineResolve   = "resolve"   // the OPD must finish within the category's target
	DeadlineAutoclose = "autoclose" // a finished complaint closes itself CloseDays later
)

// Deadline timer stages.
const (
	StageRemind = "remind" // one working day before: the assignee, or else the OPD's officers, are reminded
	StageBreach = "breach" // the deadline passed: escalation (or, for autoclose, the closing)
)

// QueueTimers is the River queue of timers; the same queue as the bot's conversation timers.
const QueueTimers = "timers"

// ReminderHour is the local hour at which reminders go out, on the working day before a deadline.
const ReminderHour = 8

// JobInserter inserts River jobs inside a database transaction; *river.Client[*sql.Tx] is one.
type JobInserter interface {
	InsertManyFastTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) (int, error)
}

// DeadlineArgs is one deadline timer of a complaint. It takes effect only while the complaint is
// still where the deadline applies and its deadline generation is still Gen.
type DeadlineArgs struct {
	ComplaintID int64  `json:"complaint_id"`
	Deadline    string `json:"deadline"` // DeadlineRoute, DeadlineRespond, DeadlineResolve or DeadlineAutoclose
	Stage       string `json:"stage"`    // StageRemind or StageBreach
	// DueAt is when the timer falls due on the service's clock; River's schedule is derived from it.
	DueAt time.Time `json:"due_at"`
	Gen   int64     `json:"gen"`
}

// Kind names the job for River.
func (DeadlineArgs) Kind() string { return "complaint_deadline" }

// InsertOpts puts deadline timers on the timers queue.
func (DeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTimers, MaxAttempts: 10}
}

// DeadlineWorker fires deadline reminders, escalations and auto-closes.
type DeadlineWorker struct {
	river.WorkerDefaults[DeadlineArgs]
	Service *Service
}

// Work applies the timer unless the complaint moved on; a timer that already took effect does nothing.
func (w *DeadlineWorker) Work(ctx context.Context, job *river.Job[DeadlineArgs]) error {
	return w.Service.fireDeadline(ctx, job.Args)
}

// deadlineKinds are the deadlines a complaint newly routed to agency runs on.
func deadlineKinds(agency *models.Agency) []string {
	if agency.Triage {
		return []string{DeadlineRoute, DeadlineRespond, DeadlineResolve}
	}
	return []string{DeadlineRespond, DeadlineResolve}
}

// deadlineAt is the complaint's deadline of kind.
func deadlineAt(c *models.Complaint, kind string) (time.Time, bool) {
	switch kind {
	case DeadlineRoute:
		return c.RouteBy, true
	case DeadlineRespond:
		return c.RespondBy, true
	case DeadlineResolve:
		return c.ResolveBy, true
	case DeadlineAutoclose:
		if c.CloseBy != nil {
			return *c.CloseBy, true
		}
	}
	return time.Time{}, false
}

// deadlineApplies reports whether a deadline of kind still binds the complaint: the route
// deadline while a triage OPD holds it unanswered, the response deadline until the OPD's first
// reaction, the resolution deadline while the OPD works on it, the auto-close while it is selesai.
func deadlineApplies(kind string, c *models.Complaint, agency *models.Agency) bool {
	switch kind {
	case DeadlineRoute:
		return agency.Triage && c.Status == StatusTerdisposisi
	case DeadlineRespond:
		return c.Status == StatusTerdisposisi && c.FirstResponseAt == nil
	case DeadlineResolve:
		return c.Status == StatusTerdisposisi || c.Status == StatusDiproses || c.Status == StatusPerluInfo
	case DeadlineAutoclose:
		return c.Status == StatusSelesai
	}
	return false
}

// schedule inserts, in tx, the timers of the complaint's deadlines of kinds for its current
// generation: a reminder one working day before (when that is still ahead) and the breach just
// after the deadline. Without Jobs nothing is scheduled.
func (s *Service) schedule(ctx context.Context, tx *gorm.DB, cal *Calendar, c *models.Complaint, kinds ...string) error {
	if s.Jobs == nil {
		return nil
	}
	now := s.now()
	var ps []river.InsertManyParams
	add := func(kind, stage string, due time.Time) {
		// River runs on the real clock, so the schedule is relative to it even when a test moves s.Now.
		ps = append(ps, river.InsertManyParams{
			Args:       DeadlineArgs{ComplaintID: c.ID, Deadline: kind, Stage: stage, DueAt: due.UTC(), Gen: c.DeadlineGen},
			InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(due.Sub(now))},
		})
	}
	for _, kind := range kinds {
		at, ok := deadlineAt(c, kind)
		if !ok {
			continue
		}
		if kind != DeadlineAutoclose {
			if remind := cal.WorkingDayBefore(at, ReminderHour); remind.After(now) {
				add(kind, StageRemind, remind)
			}
		}
		add(kind, StageBreach, at.Add(time.Second))
	}
	if len(ps) == 0 {
		return nil
	}
	stx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return errors.New("schedule deadlines: not inside a database transaction")
	}
	if _, err := s.Jobs.InsertManyFastTx(ctx, stx, ps); err != nil {
		return fmt.Errorf("schedule deadlines of %s: %w", c.Code, err)
	}
	return nil
}

// fireDeadline applies one deadline timer in its own transaction.
func (s *Service) fireDeadline(ctx context.Context, a DeadlineArgs) error {
	log := s.logger().With(slog.Int64("complaint_id", a.ComplaintID), slog.String("deadline", a.Deadline),
		slog.String("stage", a.Stage), slog.Int64("gen", a.Gen))
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockComplaint(ctx, tx, "id = ?", a.ComplaintID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.DeadlineGen != a.Gen {
			log.DebugContext(ctx, "stale deadline timer: deadlines restarted", slog.Int64("current_gen", c.DeadlineGen))
			return nil
		}
		agency, err := models.AgencyByID(ctx, tx, c.AgencyID)
		if err != nil {
			return err
		}
		if !deadlineApplies(a.Deadline, c, agency) {
			log.DebugContext(ctx, "stale deadline timer: complaint moved on", slog.String("status", c.Status))
			return nil
		}
		now := s.now()
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&models.DeadlineAlert{ComplaintID: c.ID, Kind: a.Deadline, Stage: a.Stage, Gen: a.Gen, FiredAt: now})
		if res.Error != nil {
			return fmt.Errorf("record deadline alert: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // this timer already took effect
		}
		_, loc, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		due, _ := deadlineAt(c, a.Deadline)
		st := &step{s: s, c: c, agency: agency, by: Actor{Kind: models.ActorSistem}, now: now, loc: loc}
		switch {
		case a.Deadline == DeadlineAutoclose:
			from := c.Status
			c.Status = StatusDitutup
			c.ClosedAt = &now
			st.event(EventDitutupOtomatis, from, c.Status, "", nil)
			st.toCitizen("notifikasi.ditutup_otomatis", st.data())
			return s.commit(ctx, tx, st)
		case a.Stage == StageRemind:
			log.InfoContext(ctx, "deadline reminder", slog.String("ticket", c.Code))
			// The assignee is reminded first (alone); the rest of the OPD hears at the breach.
			assignee, err := s.reachableAssignee(ctx, tx, c)
			if err != nil {
				return err
			}
			if assignee != nil {
				st.notes = append(st.notes, Notification{ComplaintID: c.ID, Audience: AudienceOfficer, AgencyID: c.AgencyID,
					OfficerID: assignee.ID, Key: "petugas.pengingat_" + a.Deadline, Data: st.data("batas", st.local(due))})
			} else {
				st.toOfficers("petugas.pengingat_"+a.Deadline, st.data("batas", st.local(due)))
			}
			return s.notify(ctx, tx, st.notes...)
		default:
			log.WarnContext(ctx, "deadline missed: escalated", slog.String("ticket", c.Code))
			st.event(EventEskalasi, c.Status, c.Status, a.Deadline, nil)
			d := st.data("batas", st.local(due), "tenggat", a.Deadline)
			st.notes = append(st.notes,
				Notification{ComplaintID: c.ID, Audience: AudienceKepala, AgencyID: c.AgencyID, Key: "petugas.eskalasi_" + a.Deadline, Data: d},
				Notification{ComplaintID: c.ID, Audience: AudienceAdmins, AgencyID: c.AgencyID, Key: "petugas.eskalasi_" + a.Deadline, Data: d})
			assignee, err := s.reachableAssignee(ctx, tx, c)
			if err != nil {
				return err
			}
			if assignee != nil && assignee.Role != models.RoleKepala { // a kepala has it already
				st.notes = append(st.notes, Notification{ComplaintID: c.ID, Audience: AudienceOfficer, AgencyID: c.AgencyID,
					OfficerID: assignee.ID, Key: "petugas.eskalasi_" + a.Deadline, Data: d})
			}
			if err := tx.Create(&st.events).Error; err != nil {
				return fmt.Errorf("insert timeline: %w", err)
			}
			return s.notify(ctx, tx, st.notes...)
		}
	}, &sql.TxOptions{})
	if err != nil {
		return fmt.Errorf("deadline %s/%s of complaint %d: %w", a.Deadline, a.Stage, a.ComplaintID, err)
	}
	return nil
}

// reachableAssignee is the active chat officer of the complaint's OPD it is assigned to, or nil
// (not assigned, assigned to a console account only, or the officer left).
func (s *Service) reachableAssignee(ctx context.Context, tx *gorm.DB, c *models.Complaint) (*models.Officer, error) {
	if c.AssigneeOfficerID == nil {
		return nil, nil
	}
	o, err := models.OfficerByID(ctx, tx, *c.AssigneeOfficerID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !o.Active || o.AgencyID == nil || *o.AgencyID != c.AgencyID {
		return nil, nil
	}
	return o, nil
}
