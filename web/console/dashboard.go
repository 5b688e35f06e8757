package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// TrendWeeks is how many weeks the dashboard's trend chart covers, the current one included.
const TrendWeeks = 12

// Chart geometry, in SVG user units.
const (
	dashLabelW = 300
	dashBarW   = 360
	dashValueW = 90
	dashRowH   = 24
	dashBarH   = 16
)

// dashBar is one bar of a horizontal bar chart, with its geometry computed for the template.
type dashBar struct {
	Label string
	Text  string // the value as shown
	Y     int    // top of the row
	TextY int    // baseline of the row's text
	W     int    // bar width
	X2    int    // where the value text starts
}

// dashChart is one dashboard chart: SVG bars plus the same figures as a table.
type dashChart struct {
	ID      string
	Title   string
	Width   int
	Height  int
	BarX    int
	Bars    []dashBar
	Columns []string   // table header
	Rows    [][]string // table body, one row per bar
	Empty   bool
}

// newDashChart lays out bars of values (scaled to the largest, or to scale when it is positive).
func newDashChart(id, title string, labels []string, values []float64, texts []string, scale float64) dashChart {
	c := dashChart{ID: id, Title: title, Width: dashLabelW + dashBarW + dashValueW, BarX: dashLabelW, Empty: len(labels) == 0}
	if scale <= 0 {
		for _, v := range values {
			scale = dashMax(scale, v)
		}
	}
	for i, l := range labels {
		w := 0
		if scale > 0 && values[i] > 0 {
			w = int(values[i] / scale * dashBarW)
			if w < 1 {
				w = 1
			}
		}
		y := i * dashRowH
		c.Bars = append(c.Bars, dashBar{Label: l, Text: texts[i], Y: y + (dashRowH-dashBarH)/2, TextY: y + dashRowH/2 + 5,
			W: w, X2: dashLabelW + w + 6})
	}
	c.Height = len(labels)*dashRowH + 4
	return c
}

func dashMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// AgencyFigures are one OPD's dashboard figures.
type AgencyFigures struct {
	AgencyID        int64
	Code            string
	Name            string
	Total           int64
	RespondDue      int64 // complaints answered, or past their first-response deadline unanswered
	RespondedOnTime int64 // first response at or before RespondBy
	ResolveDue      int64 // complaints resolved, or past their resolution deadline unresolved
	ResolvedOnTime  int64 // resolved at or before ResolveBy
	Ratings         int64
	RatingAverage   float64
	MedianResponse  time.Duration // FirstResponseAt - CreatedAt; valid when Responses > 0
	Responses       int64
	Open            int64 // still with the OPD (terdisposisi, diproses, perlu_info)
	Overdue         int64 // open and past a deadline (see overdue)
}

// DashboardCount is a label with its number of complaints.
type DashboardCount struct {
	Code  string
	Label string
	Count int64 `gorm:"column:n"`
}

// WeekCount is the number of complaints filed in the week starting Start (a Monday, regency time).
type WeekCount struct {
	Start time.Time
	Count int64
}

// Dashboard is the dashboard's figures for one viewer.
type Dashboard struct {
	Total   int64
	Open    int64 // complaints an OPD still works on
	Overdue int64 // open complaints past a deadline
	// This month (regency time, up to now): first responses that fell due, and how many
	// of them came by their deadline; the median time to those first responses.
	MonthRespondDue      int64
	MonthRespondedOnTime int64
	MonthMedianResponse  time.Duration
	MonthResponses       int64
	Ratings              int64
	RatingAverage        float64
	MonthStart           time.Time
	ByStatus             []DashboardCount
	ByCategory           []DashboardCount
	ByKec                []DashboardCount // Code empty for complaints without a kecamatan
	Agencies             []AgencyFigures
	Weeks                []WeekCount
}

// scope restricts q (aliasing complaints as c) to the viewer's OPD when agency is not nil.
func dashScope(q *gorm.DB, agency *int64) *gorm.DB {
	if agency != nil {
		return q.Where("c.agency_id = ?", *agency)
	}
	return q
}

// dashGroup is one (OPD, status, category) cell of the dashboard's main aggregate; every figure in
// it adds up across cells.
type dashGroup struct {
	AgencyID        int64
	Status          string
	CategoryID      int64
	N               int64
	RespondDue      int64
	RespondedOnTime int64
	ResolveDue      int64
	ResolvedOnTime  int64
	Ratings         int64
	RatingSum       int64
	Overdue         int64
	MonthDue        int64
	MonthOnTime     int64
}

// LoadDashboard computes the dashboard figures at now; agency, when not nil, limits them to
// one OPD's complaints. Week boundaries are Mondays in loc. The independent queries run
// concurrently; each reads the complaints once.
func LoadDashboard(ctx context.Context, db *gorm.DB, agency *int64, now time.Time, loc *time.Location) (*Dashboard, error) {
	db = db.WithContext(ctx)
	base := func() *gorm.DB { return dashScope(db.Table("complaints AS c"), agency) }

	var (
		groups   []dashGroup
		byRegion []struct {
			RegionID *int64
			N        int64
		}
		regions   []models.Region
		agencies  []models.Agency
		cats      []models.Category
		durations = map[int64][]time.Duration{}
		weeks     []WeekCount
	)
	// Weekly trend: the Monday of this week (regency time) and the TrendWeeks-1 before it.
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, -7*(TrendWeeks-1))
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	var monthDurations []time.Duration
	for i := range TrendWeeks {
		weeks = append(weeks, WeekCount{Start: start.AddDate(0, 0, 7*i)})
	}

	tasks := []func() error{
		func() error {
			err := base().Select(`c.agency_id, c.status, c.category_id, COUNT(*) AS n,
				COALESCE(SUM(CASE WHEN c.first_response_at IS NOT NULL OR c.respond_by < ? THEN 1 ELSE 0 END), 0) AS respond_due,
				COALESCE(SUM(CASE WHEN c.first_response_at IS NOT NULL AND c.first_response_at <= c.respond_by THEN 1 ELSE 0 END), 0) AS responded_on_time,
				COALESCE(SUM(CASE WHEN c.resolved_at IS NOT NULL OR c.resolve_by < ? THEN 1 ELSE 0 END), 0) AS resolve_due,
				COALESCE(SUM(CASE WHEN c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolve_by THEN 1 ELSE 0 END), 0) AS resolved_on_time,
				COUNT(c.rating) AS ratings, COALESCE(SUM(c.rating), 0) AS rating_sum,
				COALESCE(SUM(CASE WHEN c.status IN ? AND (c.resolve_by < ? OR (c.first_response_at IS NULL AND c.respond_by < ?)) THEN 1 ELSE 0 END), 0) AS overdue,
				COALESCE(SUM(CASE WHEN c.first_response_at >= ? OR (c.first_response_at IS NULL AND c.respond_by >= ? AND c.respond_by < ?) THEN 1 ELSE 0 END), 0) AS month_due,
				COALESCE(SUM(CASE WHEN c.first_response_at >= ? AND c.first_response_at <= c.respond_by THEN 1 ELSE 0 END), 0) AS month_on_time`,
				now.UTC(), now.UTC(), openStatuses, now.UTC(), now.UTC(), month.UTC(), month.UTC(), now.UTC(), month.UTC()).
				Group("c.agency_id, c.status, c.category_id").Scan(&groups).Error
			if err != nil {
				return fmt.Errorf("dashboard figures: %w", err)
			}
			return nil
		},
		func() error {
			if err := base().Select("c.region_id, COUNT(*) AS n").Group("c.region_id").Scan(&byRegion).Error; err != nil {
				return fmt.Errorf("dashboard region counts: %w", err)
			}
			if err := db.Find(&regions).Error; err != nil {
				return fmt.Errorf("dashboard regions: %w", err)
			}
			return nil
		},
		func() error {
			var err error
			if agencies, err = models.Agencies(ctx, db); err != nil {
				return err
			}
			cats, err = models.Categories(ctx, db)
			return err
		},
		func() error {
			// The median has no portable SQL form: read the response times and sort them here,
			// scanned by hand (gorm's reflection made this read the slowest part of the page).
			rows, err := base().Select("c.agency_id, c.created_at, c.first_response_at").
				Where("c.first_response_at IS NOT NULL").Rows()
			if err != nil {
				return fmt.Errorf("dashboard response times: %w", err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var created, responded time.Time
				if err := rows.Scan(&id, &created, &responded); err != nil {
					return fmt.Errorf("dashboard response times: %w", err)
				}
				durations[id] = append(durations[id], responded.Sub(created))
				if !responded.Before(month) {
					monthDurations = append(monthDurations, responded.Sub(created))
				}
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("dashboard response times: %w", err)
			}
			return nil
		},
		func() error {
			// One range count per week, each answered from the created_at index.
			parts := make([]string, TrendWeeks)
			args := make([]any, 0, 3*TrendWeeks)
			for i, w := range weeks {
				sub := "SELECT %d AS w, COUNT(*) AS n FROM complaints c WHERE c.created_at >= ? AND c.created_at < ?"
				args = append(args, w.Start.UTC(), w.Start.AddDate(0, 0, 7).UTC())
				if agency != nil {
					sub += " AND c.agency_id = ?"
					args = append(args, *agency)
				}
				parts[i] = fmt.Sprintf(sub, i)
			}
			var counts []struct{ W, N int64 }
			if err := db.Raw(strings.Join(parts, " UNION ALL "), args...).Scan(&counts).Error; err != nil {
				return fmt.Errorf("dashboard weekly trend: %w", err)
			}
			for _, ct := range counts {
				if ct.W >= 0 && ct.W < int64(len(weeks)) {
					weeks[ct.W].Count = ct.N
				}
			}
			return nil
		},
	}
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Go(func() { errs[i] = task() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	d := &Dashboard{Weeks: weeks, MonthStart: month}
	var ratingSum int64
	byStatus := map[string]int64{}
	byCat := map[int64]int64{}
	idx := map[int64]int{}
	sums := map[int64]int64{}
	for _, a := range agencies {
		if agency != nil && a.ID != *agency {
			continue
		}
		idx[a.ID] = len(d.Agencies)
		d.Agencies = append(d.Agencies, AgencyFigures{AgencyID: a.ID, Code: a.Code, Name: a.Name})
	}
	for _, g := range groups {
		d.Total += g.N
		byStatus[g.Status] += g.N
		byCat[g.CategoryID] += g.N
		isOpen := has(openStatuses, g.Status)
		if isOpen {
			d.Open += g.N
		}
		d.Overdue += g.Overdue
		d.MonthRespondDue += g.MonthDue
		d.MonthRespondedOnTime += g.MonthOnTime
		d.Ratings += g.Ratings
		ratingSum += g.RatingSum
		i, ok := idx[g.AgencyID]
		if !ok {
			continue
		}
		a := &d.Agencies[i]
		a.Total += g.N
		if isOpen {
			a.Open += g.N
		}
		a.Overdue += g.Overdue
		a.RespondDue += g.RespondDue
		a.RespondedOnTime += g.RespondedOnTime
		a.ResolveDue += g.ResolveDue
		a.ResolvedOnTime += g.ResolvedOnTime
		a.Ratings += g.Ratings
		sums[g.AgencyID] += g.RatingSum
	}
	for i := range d.Agencies {
		a := &d.Agencies[i]
		if a.Ratings > 0 {
			a.RatingAverage = float64(sums[a.AgencyID]) / float64(a.Ratings)
		}
		a.Responses = int64(len(durations[a.AgencyID]))
		a.MedianResponse = medianDuration(durations[a.AgencyID])
	}
	if d.Ratings > 0 {
		d.RatingAverage = float64(ratingSum) / float64(d.Ratings)
	}
	d.MonthResponses = int64(len(monthDurations))
	d.MonthMedianResponse = medianDuration(monthDurations)
	for _, st := range complaint.Statuses() {
		d.ByStatus = append(d.ByStatus, DashboardCount{Code: st, Count: byStatus[st]})
	}
	for _, ct := range cats {
		if n := byCat[ct.ID]; n > 0 {
			d.ByCategory = append(d.ByCategory, DashboardCount{Code: ct.Code, Label: ct.Name, Count: n})
		}
	}

	// Complaints filed at a desa count for its kecamatan.
	byID := make(map[int64]*models.Region, len(regions))
	for i := range regions {
		byID[regions[i].ID] = &regions[i]
	}
	kec := map[string]*DashboardCount{}
	for _, r := range byRegion {
		var k *models.Region
		if r.RegionID != nil {
			k = byID[*r.RegionID]
			if k != nil && k.Kind == models.RegionDesa && k.ParentID != nil {
				k = byID[*k.ParentID]
			}
		}
		code, name := "", ""
		if k != nil {
			code, name = k.Code, k.Name
		}
		if kec[code] == nil {
			kec[code] = &DashboardCount{Code: code, Label: name}
		}
		kec[code].Count += r.N
	}
	for _, ct := range kec {
		d.ByKec = append(d.ByKec, *ct)
	}
	order := func(a, b DashboardCount) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Label, b.Label)
	}
	slices.SortFunc(d.ByCategory, order)
	slices.SortFunc(d.ByKec, order)
	return d, nil
}

// medianDuration is the middle duration (the mean of the two middle ones for an even count); 0 for none.
func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// dashCard is one headline number at the top of the dashboard.
type dashCard struct {
	ID    string
	Label string
	Value string
	Note  string
	Link  string // the list of the complaints it counts, when there is one
	Alert bool   // drawn in red: something is late
}

// dashMeter is a percentage drawn as a small bar (its width an SVG attribute, 0..100).
type dashMeter struct {
	W    int
	Text string
	None bool // nothing fell due yet
}

// dashScore is one OPD's row of the performance table.
type dashScore struct {
	Code, Name     string
	Link, LateLink string
	Total          int64
	Open, Overdue  int64
	Respond        dashMeter
	Resolve        dashMeter
	Median         string
	Rating         string
}

// dashColumn is one week of the trend chart.
type dashColumn struct {
	X, Y, W, H  int
	LabelX      int
	Label, Text string
}

// dashTrend is the weekly column chart.
type dashTrend struct {
	Width, Height int
	BaseY         int
	Columns       []dashColumn
	Rows          [][]string
}

// dashboardPage is the dashboard's data for the template: the headline numbers, the
// OPDs' performance, the weekly trend and the breakdowns; each chart's figures are in a
// table behind "lihat tabel".
type dashboardPage struct {
	Total  int64
	Scope  string
	AsOf   string
	Cards  []dashCard
	Scores []dashScore
	Trend  dashTrend
	Charts []dashChart
	// Map is the desa map of the complaints, when a map component provides one.
	Map template.HTML
}

// Trend chart geometry, in SVG user units.
const (
	trendColW   = 56
	trendBarW   = 38
	trendPlotH  = 140
	trendTop    = 18
	trendLabelH = 22
)

func (c *Console) registerDashboard(mux Handler) {
	mux.Handle("GET "+Prefix+"/dasbor", c.page(anyRole, c.dashboard))
}

// decimal writes v with prec decimals, with the language's decimal separator.
func decimal(v float64, prec int, lang string) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// percentMeter is part of whole as a meter; none when whole is 0.
func percentMeter(l tr, part, whole int64) dashMeter {
	if whole == 0 {
		return dashMeter{Text: l.T("dasbor.tidak_ada"), None: true}
	}
	v := float64(part) / float64(whole) * 100
	return dashMeter{W: int(v + 0.5), Text: strconv.FormatFloat(v, 'f', 0, 64) + "%"}
}

// days writes a duration as days with one decimal ("1,4 hari"), or hours below a day.
func days(l tr, d time.Duration) string {
	if d < 24*time.Hour {
		return l.T("dasbor.jam", "jam", decimal(d.Hours(), 1, l.lang))
	}
	return l.T("dasbor.hari", "hari", decimal(d.Hours()/24, 1, l.lang))
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	var agency *int64
	if s.User.Role == models.UserPetugas {
		id := int64(-1) // a petugas without an OPD sees nothing
		if s.User.AgencyID != nil {
			id = *s.User.AgencyID
		}
		agency = &id
	}
	now := c.now()
	dash, err := LoadDashboard(r.Context(), c.cfg.DB, agency, now, c.cfg.Loc)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	d := c.data(w, r, s, "dasbor.judul", nil)
	l := d.L
	p := dashboardPage{Total: dash.Total, AsOf: l.T("dasbor.per", "waktu", l.When(now))}
	if agency != nil && s.Agency != nil {
		p.Scope = l.T("dasbor.lingkup_opd", "opd", s.Agency.Code+" — "+s.Agency.Name)
	} else {
		p.Scope = l.T("dasbor.lingkup_semua")
	}
	number := func(n int64) string { return strconv.FormatInt(n, 10) }
	list := func(v url.Values) string { return Prefix + "/pengaduan?" + v.Encode() }
	bulan := complaint.FormatMonth(dash.MonthStart, l.lang)

	// The headline numbers.
	onTime := percentMeter(l, dash.MonthRespondedOnTime, dash.MonthRespondDue)
	median, rating, onTimeValue := "—", "—", onTime.Text
	if onTime.None {
		onTimeValue = "—"
	}
	if dash.MonthResponses > 0 {
		median = days(l, dash.MonthMedianResponse)
	}
	if dash.Ratings > 0 {
		rating = decimal(dash.RatingAverage, 1, l.lang) + " / 5"
	}
	p.Cards = []dashCard{
		{ID: "terbuka", Label: l.T("dasbor.angka.terbuka"), Value: number(dash.Open), Note: l.T("dasbor.angka.terbuka_ket"),
			Link: list(url.Values{"terbuka": {"1"}})},
		{ID: "terlambat", Label: l.T("dasbor.angka.terlambat"), Value: number(dash.Overdue), Note: l.T("dasbor.angka.terlambat_ket"),
			Link: list(url.Values{"terlambat": {"1"}}), Alert: dash.Overdue > 0},
		{ID: "tepat", Label: l.T("dasbor.angka.tepat", "bulan", bulan), Value: onTimeValue,
			Note: l.T("dasbor.angka.tepat_ket", "tepat", dash.MonthRespondedOnTime, "jatuh_tempo", dash.MonthRespondDue)},
		{ID: "median", Label: l.T("dasbor.angka.median", "bulan", bulan), Value: median,
			Note: l.T("dasbor.angka.median_ket", "n", dash.MonthResponses)},
		{ID: "kepuasan", Label: l.T("dasbor.angka.kepuasan"), Value: rating, Note: l.T("dasbor.angka.kepuasan_ket", "n", dash.Ratings)},
	}

	// The OPDs, the ones with late complaints first.
	for _, a := range dash.Agencies {
		if a.Total == 0 {
			continue // an OPD nobody complained to has nothing to show
		}
		sc := dashScore{Code: a.Code, Name: a.Name, Total: a.Total, Open: a.Open, Overdue: a.Overdue,
			Link:     list(url.Values{"opd": {a.Code}, "terbuka": {"1"}}),
			LateLink: list(url.Values{"opd": {a.Code}, "terlambat": {"1"}}),
			Respond:  percentMeter(l, a.RespondedOnTime, a.RespondDue),
			Resolve:  percentMeter(l, a.ResolvedOnTime, a.ResolveDue),
			Median:   l.T("dasbor.tidak_ada"), Rating: l.T("dasbor.tidak_ada")}
		if a.Responses > 0 {
			sc.Median = days(l, a.MedianResponse)
		}
		if a.Ratings > 0 {
			sc.Rating = decimal(a.RatingAverage, 1, l.lang) + " / 5"
		}
		if agency != nil {
			sc.Link, sc.LateLink = list(url.Values{"terbuka": {"1"}}), list(url.Values{"terlambat": {"1"}})
		}
		p.Scores = append(p.Scores, sc)
	}
	slices.SortStableFunc(p.Scores, func(a, b dashScore) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(b.Open, a.Open), cmp.Compare(a.Code, b.Code))
	})

	// The weekly trend as columns.
	var peak int64
	for _, wk := range dash.Weeks {
		peak = max(peak, wk.Count)
	}
	p.Trend = dashTrend{Width: len(dash.Weeks) * trendColW, Height: trendTop + trendPlotH + trendLabelH, BaseY: trendTop + trendPlotH}
	for i, wk := range dash.Weeks {
		h := 0
		if peak > 0 && wk.Count > 0 {
			h = max(int(float64(wk.Count)/float64(peak)*trendPlotH), 1)
		}
		x := i*trendColW + (trendColW-trendBarW)/2
		p.Trend.Columns = append(p.Trend.Columns, dashColumn{X: x, Y: trendTop + trendPlotH - h, W: trendBarW, H: h,
			LabelX: x + trendBarW/2, Label: complaint.FormatShortDate(wk.Start, l.lang), Text: number(wk.Count)})
		p.Trend.Rows = append(p.Trend.Rows, []string{complaint.FormatDate(wk.Start, l.lang), number(wk.Count)})
	}

	countChart := func(id, titleKey, colKey string, counts []DashboardCount, label func(DashboardCount) string) dashChart {
		var labels, texts []string
		var values []float64
		var rows [][]string
		for _, ct := range counts {
			lb := label(ct)
			labels, texts, values = append(labels, lb), append(texts, number(ct.Count)), append(values, float64(ct.Count))
			rows = append(rows, []string{lb, number(ct.Count)})
		}
		ch := newDashChart(id, l.T(titleKey), labels, values, texts, 0)
		ch.Columns, ch.Rows = []string{l.T(colKey), l.T("dasbor.kolom.jumlah")}, rows
		return ch
	}
	p.Charts = append(p.Charts, countChart("status", "dasbor.grafik.status", "dasbor.kolom.status", dash.ByStatus,
		func(ct DashboardCount) string { return l.T("konsol.status." + ct.Code) }))
	catEN := map[string]string{}
	if l.lang == "en" {
		cats, err := models.Categories(r.Context(), c.cfg.DB.WithContext(r.Context()))
		if err != nil {
			c.internal(w, r, s, err)
			return
		}
		for _, ct := range cats {
			if ct.NameEN != "" {
				catEN[ct.Code] = ct.NameEN
			}
		}
	}
	p.Charts = append(p.Charts, countChart("kategori", "dasbor.grafik.kategori", "dasbor.kolom.kategori", dash.ByCategory,
		func(ct DashboardCount) string { return cmp.Or(catEN[ct.Code], ct.Label) }))
	p.Charts = append(p.Charts, countChart("kecamatan", "dasbor.grafik.kecamatan", "dasbor.kolom.kecamatan", dash.ByKec,
		func(ct DashboardCount) string {
			if ct.Code == "" {
				return l.T("dasbor.tanpa_kecamatan")
			}
			return ct.Label
		}))

	d.Page = p
	c.render(w, r, http.StatusOK, "dasbor", d)
}

// homePath is where /konsol/ sends an account: the dashboard for admins and leaders, the
// complaint list for officers.
func homePath(role string) string {
	if has(readAll, role) {
		return Prefix + "/dasbor"
	}
	return officerHome
}
