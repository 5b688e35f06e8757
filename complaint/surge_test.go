package complaint_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/complaint"
)

func TestIsSurge(t *testing.T) {
	t.Parallel()
	zeros := []int{0, 0, 0, 0, 0, 0, 0, 0}
	cases := []struct {
		name     string
		count    int
		baseline []int
		surge    bool
		mean, sd float64
	}{
		// Zero history: the sd floor (1) makes the threshold 3, so the minimum of 5 decides.
		{"zero history, nothing", 0, zeros, false, 0, 0},
		{"zero history, 1 report", 1, zeros, false, 0, 0},
		{"zero history, 4 reports (below the minimum)", 4, zeros, false, 0, 0},
		{"zero history, 5 reports (the minimum)", 5, zeros, true, 0, 0},
		{"no baseline at all is a zero history", 5, nil, true, 0, 0},
		// Flat history of 2: threshold 2 + 3 x max(0, 1) = 5; 5 is not above it, 6 is.
		{"flat 2, 5 reports (on the edge)", 5, []int{2, 2, 2, 2, 2, 2, 2, 2}, false, 2, 0},
		{"flat 2, 6 reports (just above)", 6, []int{2, 2, 2, 2, 2, 2, 2, 2}, true, 2, 0},
		// Flat busy history of 10: threshold 13.
		{"flat 10, 13 reports (on the edge)", 13, []int{10, 10, 10, 10, 10, 10, 10, 10}, false, 10, 0},
		{"flat 10, 14 reports", 14, []int{10, 10, 10, 10, 10, 10, 10, 10}, true, 10, 0},
		{"flat 10, a quiet day", 3, []int{10, 10, 10, 10, 10, 10, 10, 10}, false, 10, 0},
		// Noisy history 0,4,0,4,...: mean 2, sd 2, threshold 8.
		{"noisy, 8 reports (on the edge)", 8, []int{0, 4, 0, 4, 0, 4, 0, 4}, false, 2, 2},
		{"noisy, 9 reports (just above)", 9, []int{0, 4, 0, 4, 0, 4, 0, 4}, true, 2, 2},
		// Noisy larger history: mean 10, sd 5 -> threshold 25.
		{"very noisy, 20 reports is usual enough", 20, []int{5, 15, 5, 15, 5, 15, 5, 15}, false, 10, 5},
		{"very noisy, 26 reports", 26, []int{5, 15, 5, 15, 5, 15, 5, 15}, true, 10, 5},
		// A real spike: about one report a day, then a flooded road.
		{"a real spike", 12, []int{1, 0, 2, 1, 0, 1, 1, 2}, true, 1, math.Sqrt(0.5)},
		// One earlier spike in the history raises the bar.
		{"an earlier spike in the history", 12, []int{1, 0, 12, 1, 0, 1, 1, 0}, false, 2, math.Sqrt(14.5)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := complaint.IsSurge(c.count, c.baseline)
			require.Equal(t, c.surge, v.Surge, v.Reason)
			require.Equal(t, c.count, v.Count)
			require.InDelta(t, c.mean, v.Mean, 1e-9)
			require.InDelta(t, c.sd, v.SD, 1e-9)
			require.InDelta(t, c.mean+3*max(c.sd, 1), v.Threshold, 1e-9)
			require.NotEmpty(t, v.Reason)
		})
	}
}

func TestIsSurgeUsualRoundsTheMean(t *testing.T) {
	t.Parallel()
	require.Equal(t, 2, complaint.IsSurge(9, []int{0, 4, 0, 4, 0, 4, 0, 4}).Usual())
	require.Equal(t, 1, complaint.IsSurge(9, []int{1, 1, 1, 1, 1, 1, 2, 2}).Usual()) // 1.25
	require.Equal(t, 0, complaint.IsSurge(9, nil).Usual())
}

func TestSurgeWindows(t *testing.T) {
	t.Parallel()
	wib := time.FixedZone("WIB", 7*3600)
	end := time.Date(2026, 12, 2, 14, 0, 0, 0, wib) // a Wednesday
	w := complaint.SurgeWindows(end)
	require.Len(t, w, 1+complaint.SurgeWeeks)
	require.Equal(t, time.Date(2026, 12, 1, 14, 0, 0, 0, wib), w[0])
	for i := 1; i < len(w); i++ {
		require.Equal(t, w[0].AddDate(0, 0, -7*i), w[i])
		require.Equal(t, w[0].Weekday(), w[i].Weekday())
		require.Equal(t, 14, w[i].Hour())
	}
	require.Equal(t, time.Date(2026, 10, 6, 14, 0, 0, 0, wib), w[8]) // 56 days earlier
}
