// Package complaint holds the complaint lifecycle: statuses, routing, the
// working-day calendar and deadlines, ticket codes and the timeline.
package complaint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/geo"
	"github.com/suarawarga/suarawarga/models"
)

// Complaint statuses, aligned with SP4N-LAPOR!.
const (
	StatusBaru          = "baru"           // received, not yet routed
	StatusTerdisposisi  = "terdisposisi"   // routed to an OPD
	StatusDiproses      = "diproses"       // the OPD accepted or replied
	StatusPerluInfo     = "perlu_info"     // the OPD asks the citizen for details
	StatusSelesai       = "selesai"        // the OPD reports it done
	StatusDitutup       = "ditutup"        // the citizen confirmed, or no objection in time
	StatusBukanWewenang = "bukan_wewenang" // the OPD says it is not theirs; awaiting re-routing
	StatusDitolak       = "ditolak"        // rejected with a reason
)

// Statuses lists every complaint status in lifecycle order.
func Statuses() []string {
	return []string{StatusBaru, StatusTerdisposisi, StatusDiproses, StatusPerluInfo, StatusSelesai, StatusDitutup,
		StatusBukanWewenang, StatusDitolak}
}

// Timeline event kinds; each has a text under the locale key peristiwa.<kind>.
const (
	EventDibuat          = "dibuat"           // the citizen filed the report
	EventTerdisposisi    = "terdisposisi"     // routed to an OPD; Text holds the OPD's name
	EventDiterima        = "diterima"         // the OPD accepted it
	EventTanggapan       = "tanggapan"        // an officer replied; Text holds the reply
	EventMintaInfo       = "minta_info"       // an officer asked for details; Text holds the question
	EventInfoWarga       = "info_warga"       // the citizen answered; Text holds the answer
	EventSelesai         = "selesai"          // the OPD marked it done; Text holds the note
	EventDibukaKembali   = "dibuka_kembali"   // the citizen said it is not fixed
	EventDitutup         = "ditutup"          // closed after the citizen confirmed
	EventDitutupOtomatis = "ditutup_otomatis" // closed after the objection period
	EventDialihkan       = "dialihkan"        // re-routed; Text holds the new OPD's name
	EventDitolak         = "ditolak"          // rejected; Text holds the reason
	EventPenilaian       = "penilaian"        // the citizen rated the handling; Text holds the score
)

// Default deadlines in working days.
const (
	RouteDays   = 3
	RespondDays = 5
	CloseDays   = 10
)

// MaxDescription is the longest description accepted, in characters.
const MaxDescription = 4000

// ErrNotFound is returned when a complaint does not exist or belongs to someone else.
var ErrNotFound = models.ErrNotFound

// ErrInvalid is returned when a submission lacks what a complaint needs.
var ErrInvalid = errors.New("invalid complaint")

// Service files complaints and answers questions about them.
type Service struct {
	DB *gorm.DB
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Prefix is the ticket prefix ("OKI"); empty means the regency's.
	Prefix string
	// Loc is the regency's timezone for deadlines and ticket months; nil means the regency's.
	Loc *time.Location
	// Jobs inserts deadline timers in the transaction of the change; nil schedules none.
	Jobs JobInserter
	// Notifier tells people about changes; nil tells nobody.
	Notifier Notifier
	// Calendar counts working days; nil means the regency's, loaded from the database and
	// read again every CalendarTTL, so holidays seeded by another process are seen.
	Calendar *Calendar
	// Log receives warnings (refused officer actions, missed deadlines); nil means slog.Default().
	Log *slog.Logger
	// Sequences, on PostgreSQL, is a small pool of its own for taking ticket numbers
	// outside the caller's transaction; nil takes them inside it (a row lock held
	// until that transaction commits).
	Sequences *gorm.DB

	// Places is the regency's map for placing map points; nil makes one on s.DB.
	Places *Places

	placesOnce sync.Once
	calMu      sync.Mutex
	// calLoaded is when Calendar was read from the database (zero: it was given).
	calLoaded time.Time
}

// CalendarTTL is how long a calendar read from the database is used before it is
// read again. The console resets it at once when it changes the holidays; this
// bounds how long a change made elsewhere (`suarawarga seed` on a running bot) waits.
const CalendarTTL = 5 * time.Minute

// calendar returns s.Calendar, reading it from the database when it is not set or
// the copy read earlier is older than CalendarTTL.
func (s *Service) calendar(ctx context.Context, tx *gorm.DB) (*Calendar, error) {
	s.calMu.Lock()
	defer s.calMu.Unlock()
	if s.Calendar != nil && (s.calLoaded.IsZero() || time.Since(s.calLoaded) < CalendarTTL) {
		return s.Calendar, nil
	}
	_, loc, err := s.settings(ctx, tx)
	if err != nil {
		return nil, err
	}
	cal, err := loadCalendar(ctx, tx, loc)
	if err != nil {
		return nil, err
	}
	s.Calendar, s.calLoaded = cal, time.Now()
	return cal, nil
}

func (s *Service) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// SubmitInput is what a citizen's finished report carries.
type SubmitInput struct {
	CitizenID    int64
	Channel      string
	CategoryCode string
	Description  string
	Address      string
	RegionCode   string // kecamatan or desa code; empty when unknown
	// Lat and Lng are the map point, when one was shared. Submit places it in its desa
	// and kecamatan (the region then replaces a kecamatan given in RegionCode).
	Lat, Lng      *float64
	Confidential  bool
	AttachmentIDs []int64
	// ConversationID is the conversation the report was made in, when there is one.
	ConversationID *int64
}

// StatusView is a complaint with its routing and timeline, for showing to its citizen (Status)
// or to an officer (View).
type StatusView struct {
	Complaint models.Complaint
	Agency    models.Agency
	Category  models.Category
	Events    []models.ComplaintEvent
	// Set by View only: the place, the files, and who reported it. ReporterName and
	// ReporterContact stay empty when the report is confidential (rahasia).
	Region          *models.Region // the kecamatan or desa, when known
	Kecamatan       *models.Region // the kecamatan of Region
	Attachments     []models.ComplaintAttachment
	ReporterName    string
	ReporterContact string // a WhatsApp number, when the reporter wrote from WhatsApp
	// DuplicateOf is the code of the complaint this one duplicates; Duplicates the codes of
	// those marked duplicates of this one (set by View).
	DuplicateOf string
	Duplicates  []string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) db(tx *gorm.DB) *gorm.DB {
	if tx != nil {
		return tx
	}
	return s.DB
}

// settings returns the ticket prefix and timezone, from s or else from the regency row.
func (s *Service) settings(ctx context.Context, tx *gorm.DB) (string, *time.Location, error) {
	prefix, loc := s.Prefix, s.Loc
	if prefix != "" && loc != nil {
		return prefix, loc, nil
	}
	reg, err := models.RegencyProfile(ctx, tx)
	if err != nil {
		return "", nil, err
	}
	if prefix == "" {
		prefix = reg.TicketPrefix
	}
	if loc == nil {
		if loc, err = time.LoadLocation(reg.Timezone); err != nil {
			return "", nil, fmt.Errorf("regency timezone %q: %w", reg.Timezone, err)
		}
	}
	return prefix, loc, nil
}

// Submit files a complaint: it routes it by category to the category's OPD
// (status terdisposisi), sets the deadlines in working days, issues a ticket
// code PREFIX-YYMM-NNNN, writes the timeline, schedules the deadline timers and
// tells the OPD's officers (petugas.laporan_baru). Everything runs on tx (a
// savepoint when tx is already a transaction); a nil tx means s.DB.
func (s *Service) Submit(ctx context.Context, tx *gorm.DB, in SubmitInput) (*models.Complaint, error) {
	c, _, err := s.SubmitRouted(ctx, tx, in)
	return c, err
}

// SubmitRouted is Submit that also returns the OPD the complaint was routed to.
func (s *Service) SubmitRouted(ctx context.Context, tx *gorm.DB, in SubmitInput) (*models.Complaint, *models.Agency, error) {
	desc := strings.TrimSpace(in.Description)
	switch {
	case in.CitizenID <= 0:
		return nil, nil, fmt.Errorf("submit complaint: no citizen: %w", ErrInvalid)
	case in.CategoryCode == "":
		return nil, nil, fmt.Errorf("submit complaint: no category: %w", ErrInvalid)
	case desc == "":
		return nil, nil, fmt.Errorf("submit complaint: empty description: %w", ErrInvalid)
	case utf8.RuneCountInString(desc) > MaxDescription:
		return nil, nil, fmt.Errorf("submit complaint: description longer than %d characters: %w", MaxDescription, ErrInvalid)
	case (in.Lat == nil) != (in.Lng == nil):
		return nil, nil, fmt.Errorf("submit complaint: latitude and longitude must come together: %w", ErrInvalid)
	}

	var out *models.Complaint
	var routed *models.Agency
	err := s.db(tx).WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		prefix, loc, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		cat, err := models.CategoryByCode(ctx, tx, in.CategoryCode)
		if err != nil {
			return err
		}
		agency, err := models.AgencyByID(ctx, tx, cat.AgencyID)
		if err != nil {
			return err
		}
		regionID, err := s.submitRegion(ctx, tx, in)
		if err != nil {
			return err
		}
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		if n := uniqueIDs(in.AttachmentIDs); len(n) > 0 {
			var found int64
			if err := tx.Model(&models.Attachment{}).Where("id IN ?", n).Count(&found).Error; err != nil {
				return fmt.Errorf("check attachments: %w", err)
			}
			if found != int64(len(n)) {
				return fmt.Errorf("attachments %v: %w", n, ErrInvalid)
			}
		}
		now := s.now()
		// On PostgreSQL the number comes from its own short transaction: the month's
		// row is then locked for one statement, not for the whole inbound message's
		// transaction, so concurrent citizens do not queue behind each other. A
		// number whose complaint then rolls back is skipped (a gap, never a duplicate).
		// It uses its own pool (Sequences), never one the caller's transactions may
		// all be holding. SQLite has one writer anyway, and one connection: it stays in tx.
		seqDB := tx
		if models.Dialect(tx) == models.DialectPostgres && s.Sequences != nil {
			seqDB = s.Sequences.Session(&gorm.Session{NewDB: true})
		}
		code, err := nextCode(ctx, seqDB, prefix, now.In(loc))
		if err != nil {
			return err
		}

		c := &models.Complaint{
			Code:         code,
			CitizenID:    in.CitizenID,
			CategoryID:   cat.ID,
			AgencyID:     agency.ID,
			RegionID:     regionID,
			Description:  desc,
			Lat:          in.Lat,
			Lng:          in.Lng,
			Address:      strings.TrimSpace(in.Address),
			GeoCell:      cellOf(in.Lat, in.Lng),
			Confidential: in.Confidential,
			Status:       StatusTerdisposisi,
			Channel:      in.Channel,
			RouteBy:      cal.AddWorkingDays(now, RouteDays).UTC(),
			RespondBy:    cal.AddWorkingDays(now, RespondDays).UTC(),
			ResolveBy:    cal.AddWorkingDays(now, cat.TargetDays).UTC(),
			CreatedAt:    now,
			UpdatedAt:    now,

			ConversationID: in.ConversationID,
		}
		if err := tx.Create(c).Error; err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		citizenID := in.CitizenID
		events := []models.ComplaintEvent{
			{ComplaintID: c.ID, Kind: EventDibuat, ToStatus: StatusBaru, ActorKind: models.ActorWarga,
				ActorID: &citizenID, CreatedAt: now},
			{ComplaintID: c.ID, Kind: EventTerdisposisi, FromStatus: StatusBaru, ToStatus: StatusTerdisposisi,
				ActorKind: models.ActorSistem, Text: agency.Name, CreatedAt: now},
		}
		if err := tx.Create(&events).Error; err != nil {
			return fmt.Errorf("insert timeline: %w", err)
		}
		seen := map[int64]bool{}
		photos := []int64{}
		for _, id := range in.AttachmentIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			photos = append(photos, id)
			link := models.ComplaintAttachment{ComplaintID: c.ID, AttachmentID: id, Kind: models.AttachmentFoto, CreatedAt: now}
			if err := tx.Create(&link).Error; err != nil {
				return fmt.Errorf("attach %d: %w", id, err)
			}
		}
		if err := s.schedule(ctx, tx, cal, c, deadlineKinds(agency)...); err != nil {
			return err
		}
		if err := s.queueHotspotCheck(ctx, tx, c.ID); err != nil {
			return err
		}
		if s.Notifier != nil {
			n, err := s.newComplaintNotice(ctx, tx, c, agency, cat, loc, sortedIDs(photos))
			if err != nil {
				return err
			}
			if err := s.notify(ctx, tx, n); err != nil {
				return err
			}
		}
		out, routed = c, agency
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("submit complaint (category %s): %w", in.CategoryCode, err)
	}
	return out, routed, nil
}

// submitRegion is the region a new complaint is filed under: the desa (or kecamatan)
// holding its map point, else the region it names.
func (s *Service) submitRegion(ctx context.Context, tx *gorm.DB, in SubmitInput) (*int64, error) {
	var named *models.Region
	if in.RegionCode != "" {
		r, err := models.RegionByCode(ctx, tx, in.RegionCode)
		if err != nil {
			return nil, err
		}
		named = r
	}
	if in.Lat != nil && in.Lng != nil && (named == nil || named.Kind == models.RegionKecamatan) {
		pl, err := s.Locate(ctx, tx, *in.Lat, *in.Lng)
		if err != nil {
			return nil, err
		}
		if r := pl.Region(); r != nil {
			id := r.ID
			return &id, nil
		}
	}
	if named == nil {
		return nil, nil
	}
	return &named.ID, nil
}

// cellOf is the grid cell of a map point, nil without one.
func cellOf(lat, lng *float64) *int64 {
	if lat == nil || lng == nil {
		return nil
	}
	k := geo.CellKey(geo.Point{Lat: *lat, Lng: *lng})
	return &k
}

// sortedIDs is ids in ascending order, the order the complaint's photos are
// read back in (they share one created_at).
func sortedIDs(ids []int64) []int64 {
	slices.Sort(ids)
	return ids
}

// nextCode issues the next ticket code for prefix in local's month. The upsert
// takes a row lock that serializes concurrent submitters until db's transaction
// commits, so codes stay unique on both databases.
func nextCode(ctx context.Context, tx *gorm.DB, prefix string, local time.Time) (string, error) {
	period := local.Format("0601")
	var last int64
	err := tx.WithContext(ctx).Raw(`INSERT INTO ticket_sequences (prefix, period, last) VALUES (?, ?, 1)
		ON CONFLICT (prefix, period) DO UPDATE SET last = ticket_sequences.last + 1
		RETURNING last`, prefix, period).Scan(&last).Error
	if err != nil {
		return "", fmt.Errorf("next ticket number for %s-%s: %w", prefix, period, err)
	}
	if last < 1 {
		return "", fmt.Errorf("next ticket number for %s-%s: got %d", prefix, period, last)
	}
	return fmt.Sprintf("%s-%s-%04d", prefix, period, last), nil
}

// NormalizeCode turns what a citizen typed ("oki 2611 42", "OKI-2611-0042 ") into a
// ticket code when it looks like one; otherwise it returns the trimmed upper-case text.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '/' || r == '.' })
	if len(fields) != 3 || len(fields[1]) != 4 {
		return s
	}
	num := fields[2]
	for _, r := range num {
		if r < '0' || r > '9' {
			return s
		}
	}
	for len(num) < 4 {
		num = "0" + num
	}
	return fields[0] + "-" + fields[1] + "-" + num
}

// Status returns the complaint with code (case-insensitive) when it belongs to
// citizenID, with its OPD, category and timeline (oldest first). It returns
// ErrNotFound both when the code does not exist and when it is another citizen's.
func (s *Service) Status(ctx context.Context, tx *gorm.DB, code string, citizenID int64) (*StatusView, error) {
	db := s.db(tx).WithContext(ctx)
	c, err := models.ComplaintByCode(ctx, db, NormalizeCode(code))
	if err != nil {
		return nil, err
	}
	supporter := false
	if c.CitizenID != citizenID {
		if supporter, err = isSupporter(ctx, db, c.ID, citizenID); err != nil {
			return nil, err
		}
		if !supporter {
			return nil, fmt.Errorf("load complaint %s: %w", c.Code, ErrNotFound)
		}
	}
	v, err := statusView(db, c)
	if err != nil {
		return nil, err
	}
	// Who inside the OPD has it is the OPD's business, not the citizen's; what the reporter
	// added is theirs, not a supporter's to read.
	v.Events = slices.DeleteFunc(v.Events, func(ev models.ComplaintEvent) bool {
		return ev.Kind == EventDitugaskan || supporter && ev.Kind == EventInfoWarga
	})
	return v, nil
}

// statusView loads what every view of c shows: its OPD, category and timeline.
func statusView(db *gorm.DB, c *models.Complaint) (*StatusView, error) {
	v := &StatusView{Complaint: *c}
	if err := db.Where("id = ?", c.AgencyID).Take(&v.Agency).Error; err != nil {
		return nil, fmt.Errorf("load complaint %s agency: %w", c.Code, err)
	}
	if err := db.Where("id = ?", c.CategoryID).Take(&v.Category).Error; err != nil {
		return nil, fmt.Errorf("load complaint %s category: %w", c.Code, err)
	}
	if err := db.Where("complaint_id = ?", c.ID).Order("created_at, id").Find(&v.Events).Error; err != nil {
		return nil, fmt.Errorf("load complaint %s timeline: %w", c.Code, err)
	}
	return v, nil
}

// ByCitizen returns the citizen's complaints, newest first, at most limit (all when limit <= 0).
func (s *Service) ByCitizen(ctx context.Context, tx *gorm.DB, citizenID int64, limit int) ([]models.Complaint, error) {
	q := s.db(tx).WithContext(ctx).Where("citizen_id = ?", citizenID).Order("created_at DESC, id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var cs []models.Complaint
	if err := q.Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list complaints of citizen %d: %w", citizenID, err)
	}
	return cs, nil
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
