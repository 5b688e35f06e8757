package complaint

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// The surge rule (issue 14, item 4). Once an hour, for each kecamatan and category, the
// complaints filed in the last 24 hours (the current count) are compared with the complaints of
// the same 24-hour window 7, 14, ..., 56 days earlier (the 8 baseline counts: the same weekday
// and hours of the previous 8 weeks). It is a surge when
//
//	count >= SurgeMinCount  AND  count > mean + SurgeSigmas * max(sd, SurgeMinSD)
//
// where mean and sd are the mean and the population standard deviation of the 8 baseline
// counts. The floor on sd keeps a quiet place (all zeros, or the same small count every week)
// from alerting on a handful of reports: with no history at all, 5 reports are needed; with a
// flat history of 2 a week, 6.
const (
	SurgeMinCount = 5   // fewer complaints in 24 hours are never a surge
	SurgeSigmas   = 3.0 // how many standard deviations above the mean
	SurgeMinSD    = 1.0 // the floor on the standard deviation
	SurgeWeeks    = 8   // baseline windows: the same 24 hours 1..8 weeks earlier
)

// SurgeWindow is the length of the compared window.
const SurgeWindow = 24 * time.Hour

// SurgeVerdict is the rule applied to one count and its baseline.
type SurgeVerdict struct {
	Surge     bool
	Count     int
	Mean      float64 // of the baseline counts
	SD        float64 // population standard deviation of the baseline counts (before the floor)
	Threshold float64 // the count must be above this (mean + SurgeSigmas * max(SD, SurgeMinSD))
	Reason    string  // why, in English, for logs and tests
}

// Usual is the baseline count to show people: the mean rounded to a whole complaint.
func (v SurgeVerdict) Usual() int { return int(math.Round(v.Mean)) }

// IsSurge applies the surge rule to count, the complaints of the last 24 hours, and baseline,
// the counts of the same window in earlier weeks (any number; normally SurgeWeeks). An empty
// baseline counts as a zero history.
func IsSurge(count int, baseline []int) SurgeVerdict {
	v := SurgeVerdict{Count: count}
	if n := len(baseline); n > 0 {
		sum := 0.0
		for _, b := range baseline {
			sum += float64(b)
		}
		v.Mean = sum / float64(n)
		ss := 0.0
		for _, b := range baseline {
			d := float64(b) - v.Mean
			ss += d * d
		}
		v.SD = math.Sqrt(ss / float64(n))
	}
	v.Threshold = v.Mean + SurgeSigmas*max(v.SD, SurgeMinSD)
	switch {
	case count < SurgeMinCount:
		v.Reason = fmt.Sprintf("%d complaints is below the minimum of %d", count, SurgeMinCount)
	case float64(count) <= v.Threshold:
		v.Reason = fmt.Sprintf("%d complaints is not above the usual %.2f + %.0f x %.2f = %.2f",
			count, v.Mean, SurgeSigmas, max(v.SD, SurgeMinSD), v.Threshold)
	default:
		v.Surge = true
		v.Reason = fmt.Sprintf("%d complaints is above the usual %.2f + %.0f x %.2f = %.2f",
			count, v.Mean, SurgeSigmas, max(v.SD, SurgeMinSD), v.Threshold)
	}
	return v
}

// SurgeWindows returns the start of the current 24-hour window ending at end and of its
// SurgeWeeks baseline windows (the same window 7, 14, ..., 56 days earlier), current first.
// Each window is [start, start+SurgeWindow). Weeks are counted in calendar days of end's
// location, so a baseline window keeps its local hours across a daylight-saving change.
func SurgeWindows(end time.Time) []time.Time {
	start := end.Add(-SurgeWindow)
	out := make([]time.Time, 0, SurgeWeeks+1)
	out = append(out, start)
	for w := 1; w <= SurgeWeeks; w++ {
		out = append(out, start.AddDate(0, 0, -7*w))
	}
	return out
}

// SurgeArgs is the hourly surge check: the 24-hour window ending at End (a whole hour). The
// check of one hour runs once: River inserts the periodic job only on its elected leader, and
// the job is unique by its arguments, so replicas and restarts do not double it.
type SurgeArgs struct {
	End time.Time `json:"end"`
}

// Kind is the River job kind.
func (SurgeArgs) Kind() string { return "complaint_surge" }

// InsertOpts puts the check on the timers queue, once per hour.
func (SurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTimers, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SurgePeriodicJob is the hourly River periodic job of the surge check on now's clock (the
// window ends at the last whole hour).
func SurgePeriodicJob(now func() time.Time) *river.PeriodicJob {
	if now == nil {
		now = time.Now
	}
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return SurgeArgs{End: now().UTC().Truncate(time.Hour)}, nil
	}, &river.PeriodicJobOpts{ID: "complaint_surge", RunOnStart: true})
}

// SurgeWorker runs SurgeArgs jobs.
type SurgeWorker struct {
	river.WorkerDefaults[SurgeArgs]
	Service *Service
	// ConsoleURL is the console's address (PUBLIC_URL + "/konsol") for the alert's link; empty
	// leaves the link out.
	ConsoleURL string
}

// Work runs the check of the job's hour.
func (w *SurgeWorker) Work(ctx context.Context, job *river.Job[SurgeArgs]) error {
	_, err := w.Service.CheckSurges(ctx, job.Args.End, w.ConsoleURL)
	return err
}

// SurgeFound is one surge a check found: new (alerted now) or still going on.
type SurgeFound struct {
	Surge   models.Surge
	Verdict SurgeVerdict
	New     bool
}

type surgeCount struct {
	KecamatanID int64
	CategoryID  int64
	N           int
}

// CheckSurges applies the surge rule to every kecamatan and category for the 24-hour window
// ending at end, counting complaints (all but the rejected ones) by the kecamatan of their
// desa: one grouped query per window. A surge of a pair that had none in the 24 hours before
// end is recorded and alerted to the admins and to the pimpinan whose console account is
// linked to a chat officer (the pimpinan has no chat of their own otherwise); a surge still
// going on only moves its LastSeenAt. It runs in one transaction (serialized on PostgreSQL), so
// each surge is alerted exactly once, whatever runs twice.
func (s *Service) CheckSurges(ctx context.Context, end time.Time, consoleURL string) ([]SurgeFound, error) {
	end = end.UTC()
	var found []SurgeFound
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if models.Dialect(tx) == models.DialectPostgres {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, surgeLockKey).Error; err != nil {
				return fmt.Errorf("lock surges: %w", err)
			}
		}
		windows := SurgeWindows(end)
		counts := make([]map[[2]int64]int, len(windows))
		for i, start := range windows {
			var rows []surgeCount
			err := tx.Raw(`SELECT CASE WHEN r.kind = ? THEN r.id ELSE r.parent_id END AS kecamatan_id, c.category_id, COUNT(*) AS n
				FROM complaints c JOIN regions r ON r.id = c.region_id
				WHERE c.created_at >= ? AND c.created_at < ? AND c.status <> ?
				GROUP BY 1, 2`, models.RegionKecamatan, start, start.Add(SurgeWindow), StatusDitolak).Scan(&rows).Error
			if err != nil {
				return fmt.Errorf("count complaints from %s: %w", start.Format(time.RFC3339), err)
			}
			counts[i] = make(map[[2]int64]int, len(rows))
			for _, r := range rows {
				if r.KecamatanID != 0 {
					counts[i][[2]int64{r.KecamatanID, r.CategoryID}] = r.N
				}
			}
		}
		pairs := make([][2]int64, 0, len(counts[0]))
		for p, n := range counts[0] {
			if n >= SurgeMinCount {
				pairs = append(pairs, p)
			}
		}
		slices.SortFunc(pairs, func(a, b [2]int64) int {
			return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
		})
		for _, p := range pairs {
			baseline := make([]int, 0, SurgeWeeks)
			for _, c := range counts[1:] {
				baseline = append(baseline, c[p])
			}
			v := IsSurge(counts[0][p], baseline)
			if !v.Surge {
				continue
			}
			f, err := s.recordSurge(ctx, tx, p[0], p[1], windows[0], end, v, consoleURL)
			if err != nil {
				return err
			}
			found = append(found, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range found {
		if f.New {
			s.logger().Info("surge of complaints", slog.Int64("kecamatan_id", f.Surge.KecamatanID),
				slog.Int64("category_id", f.Surge.CategoryID), slog.String("rule", f.Verdict.Reason))
		}
	}
	return found, nil
}

// surgeLockKey serializes surge checks on PostgreSQL (pg_advisory_xact_lock).
const surgeLockKey = int64(0x5375726765) // "Surge"

// recordSurge records the surge v of the pair for the window [start, end): a surge of the pair
// last seen no earlier than 24 hours before end goes on; otherwise a new one is alerted.
func (s *Service) recordSurge(ctx context.Context, tx *gorm.DB, kecID, catID int64, start, end time.Time, v SurgeVerdict, consoleURL string) (SurgeFound, error) {
	var ongoing models.Surge
	err := tx.Where("kecamatan_id = ? AND category_id = ? AND last_seen_at >= ?", kecID, catID, end.Add(-SurgeWindow)).
		Order("last_seen_at DESC").Limit(1).Find(&ongoing).Error
	if err != nil {
		return SurgeFound{}, fmt.Errorf("load surge: %w", err)
	}
	if ongoing.ID != 0 {
		if end.After(ongoing.LastSeenAt) {
			ongoing.LastSeenAt = end
		}
		ongoing.Peak = max(ongoing.Peak, v.Count)
		err := tx.Model(&models.Surge{}).Where("id = ?", ongoing.ID).
			Updates(map[string]any{"last_seen_at": ongoing.LastSeenAt, "peak": ongoing.Peak}).Error
		if err != nil {
			return SurgeFound{}, fmt.Errorf("update surge %d: %w", ongoing.ID, err)
		}
		return SurgeFound{Surge: ongoing, Verdict: v}, nil
	}
	now := s.now()
	sg := models.Surge{KecamatanID: kecID, CategoryID: catID, WindowStart: start, Count: v.Count, Usual: v.Mean,
		Threshold: v.Threshold, Peak: v.Count, LastSeenAt: end, AlertedAt: now, CreatedAt: now}
	if err := tx.Create(&sg).Error; err != nil {
		return SurgeFound{}, fmt.Errorf("record surge: %w", err)
	}
	var kec models.Region
	if err := tx.Where("id = ?", kecID).Take(&kec).Error; err != nil {
		return SurgeFound{}, fmt.Errorf("load kecamatan %d: %w", kecID, err)
	}
	cat, err := categoryByID(ctx, tx, catID)
	if err != nil {
		return SurgeFound{}, err
	}
	_, loc, err := s.settings(ctx, tx)
	if err != nil {
		return SurgeFound{}, err
	}
	link := ""
	if consoleURL != "" {
		q := url.Values{"kategori": {cat.Code}, "kecamatan": {kec.Code}, "dari": {start.In(loc).Format(time.DateOnly)}}
		link = strings.TrimRight(consoleURL, "/") + "/pengaduan?" + q.Encode()
	}
	data := map[string]any{"kecamatan": kec.Name, "kategori": LocalText{"id": cat.Name, "en": cat.NameEN},
		"jumlah": v.Count, "biasa": v.Usual(), "tautan": link}
	officers, err := surgeRecipients(ctx, tx)
	if err != nil {
		return SurgeFound{}, err
	}
	for _, id := range officers {
		n := Notification{Audience: AudienceOfficer, OfficerID: id, Key: "petugas.lonjakan", Data: data}
		if err := s.notify(ctx, tx, n); err != nil {
			return SurgeFound{}, err
		}
	}
	return SurgeFound{Surge: sg, Verdict: v, New: true}, nil
}

// surgeRecipients are the officers a surge is told to: every active admin, and the chat
// officer linked to each active pimpinan console account; each once.
func surgeRecipients(ctx context.Context, tx *gorm.DB) ([]int64, error) {
	var ids []int64
	err := tx.WithContext(ctx).Model(&models.Officer{}).Where("active = ? AND (role = ? OR id IN (?))", true, models.RoleAdmin,
		tx.Session(&gorm.Session{NewDB: true}).Model(&models.User{}).Select("officer_id").
			Where("role = ? AND active = ? AND officer_id IS NOT NULL", models.UserPimpinan, true)).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("surge recipients: %w", err)
	}
	return ids, nil
}
