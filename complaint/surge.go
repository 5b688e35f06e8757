package complaint

import (
	"fmt"
	"math"
	"time"
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
