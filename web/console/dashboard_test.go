package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

func dashUser(t *testing.T, db *gorm.DB, email string) *models.User {
	t.Helper()
	var u models.User
	require.NoError(t, db.Where("email = ?", email).Take(&u).Error)
	return &u
}

func dashAgency(t *testing.T, d *console.Dashboard, code string) console.AgencyFigures {
	t.Helper()
	for _, a := range d.Agencies {
		if a.Code == code {
			return a
		}
	}
	require.Failf(t, "agency missing", "%s not in the dashboard", code)
	return console.AgencyFigures{}
}

func dashCounts(cs []console.DashboardCount) map[string]int64 {
	out := map[string]int64{}
	for _, c := range cs {
		if c.Count > 0 {
			out[c.Code] = c.Count
		}
	}
	return out
}

func TestDashboard(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		ctx := t.Context()
		// Filed at 02:00, 03:00 and 04:00 UTC; now 05:00. Two hours later PUPR answers both of its
		// complaints (after 5 and 3 hours) and finishes the road one, which the citizen rates 4.
		f.advance(2 * time.Hour)
		pupr := complaint.ConsoleActor(dashUser(t, db, "pupr@oki.go.id"))
		_, err := f.svc.Reply(ctx, nil, f.codes["jalan"], pupr, "Tim kami meninjau lokasi.")
		require.NoError(t, err)
		_, err = f.svc.Reply(ctx, nil, f.codes["formula"], pupr, "Jembatan akan diperiksa.")
		require.NoError(t, err)
		_, err = f.svc.Finish(ctx, nil, f.codes["jalan"], pupr, "Lubang sudah ditambal.", nil)
		require.NoError(t, err)
		citizen := firstCitizen(t, db)
		require.NoError(t, f.svc.Rate(ctx, nil, f.codes["jalan"], citizen, 4, ""))

		d, err := console.LoadDashboard(ctx, db, nil, f.clock(), wib)
		require.NoError(t, err)
		require.EqualValues(t, 3, d.Total)
		require.Equal(t, map[string]int64{complaint.StatusSelesai: 1, complaint.StatusDiproses: 1, complaint.StatusTerdisposisi: 1},
			dashCounts(d.ByStatus))
		require.Equal(t, map[string]int64{"jalan": 2, "sampah": 1}, dashCounts(d.ByCategory))
		require.Equal(t, map[string]int64{"16.02.05": 1, "16.02.03": 1, "16.02.02": 1}, dashCounts(d.ByKec))

		p := dashAgency(t, d, "PUPR")
		require.EqualValues(t, 2, p.Total)
		require.EqualValues(t, 2, p.RespondDue)
		require.EqualValues(t, 2, p.RespondedOnTime)
		require.EqualValues(t, 1, p.ResolveDue)
		require.EqualValues(t, 1, p.ResolvedOnTime)
		require.EqualValues(t, 2, p.Responses)
		require.Equal(t, 4*time.Hour, p.MedianResponse)
		require.EqualValues(t, 1, p.Ratings)
		require.InDelta(t, 4.0, p.RatingAverage, 1e-9)
		dlh := dashAgency(t, d, "DLH")
		require.EqualValues(t, 1, dlh.Total)
		require.Zero(t, dlh.RespondDue)
		require.Zero(t, dlh.Responses)
		require.Zero(t, dlh.Ratings)

		require.Len(t, d.Weeks, console.TrendWeeks)
		last := d.Weeks[console.TrendWeeks-1]
		require.True(t, last.Start.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, wib)), last.Start)
		require.EqualValues(t, 3, last.Count)
		require.True(t, d.Weeks[0].Start.Equal(time.Date(2026, 9, 7, 0, 0, 0, 0, wib)), d.Weeks[0].Start)

		// A month later DLH's unanswered complaint is past both deadlines; the trend has moved on.
		later, err := console.LoadDashboard(ctx, db, nil, f.clock().AddDate(0, 1, 0), wib)
		require.NoError(t, err)
		dlh = dashAgency(t, later, "DLH")
		require.EqualValues(t, 1, dlh.RespondDue)
		require.Zero(t, dlh.RespondedOnTime)
		require.EqualValues(t, 1, dlh.ResolveDue)
		require.Zero(t, dlh.ResolvedOnTime)
		require.EqualValues(t, 3, later.Weeks[console.TrendWeeks-5].Count)

		// A petugas only ever gets their OPD's figures.
		dlhUser := dashUser(t, db, "dlh@oki.go.id")
		scoped, err := console.LoadDashboard(ctx, db, dlhUser.AgencyID, f.clock(), wib)
		require.NoError(t, err)
		require.EqualValues(t, 1, scoped.Total)
		require.Equal(t, map[string]int64{"16.02.03": 1}, dashCounts(scoped.ByKec))
		require.Len(t, scoped.Agencies, 1)
		require.Equal(t, "DLH", scoped.Agencies[0].Code)

		// The page: text from the database is escaped inside the SVG and the tables.
		require.NoError(t, db.Model(&models.Region{}).Where("code = ?", "16.02.03").
			Update("name", `Pedamaran <script>alert("x")</script>`).Error)
		admin := f.login("admin@oki.go.id")
		r := admin.get("/konsol/")
		require.Equal(t, http.StatusSeeOther, r.status)
		require.Equal(t, "/konsol/dasbor", r.header.Get("Location"))
		r = admin.get("/konsol/dasbor")
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, "Seluruh OPD · 3 pengaduan")
		require.NotContains(t, r.body, "style=", "no inline style: the page's CSP would block it")
		// The headline numbers come first: 2 open (1 selesai), none late yet, 2 of 2 first
		// responses due this month on time, median 4 hours, one rating of 4.
		require.Less(t, strings.Index(r.body, `id="angka"`), strings.Index(r.body, `id="kinerja"`))
		require.Contains(t, r.body, `id="angka-terbuka"`)
		require.Regexp(t, `id="angka-terbuka">\s*<a href="/konsol/pengaduan\?terbuka=1"><span class="card-value">2</span>`, r.body)
		require.Regexp(t, `id="angka-terlambat">\s*<a href="/konsol/pengaduan\?terlambat=1"><span class="card-value">0</span>`, r.body)
		require.Regexp(t, `id="angka-tepat">\s*<span class="card-value">100%</span>`, r.body)
		require.Contains(t, r.body, "2 dari 2 tanggapan yang jatuh tempo bulan ini")
		require.Contains(t, r.body, "Median tanggapan pertama (November)")
		require.Regexp(t, `id="angka-median">\s*<span class="card-value">4,0 jam</span>`, r.body)
		require.Regexp(t, `id="angka-kepuasan">\s*<span class="card-value">4,0 / 5</span>`, r.body)
		require.Contains(t, r.body, `<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="judul-kecamatan"`)
		require.Contains(t, r.body, `Pedamaran &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`)
		require.NotContains(t, r.body, `<script>`)
		require.Contains(t, r.body, "Kayu Agung")
		require.Contains(t, r.body, "<summary>Lihat tabel</summary>")
		require.Contains(t, r.body, "Pengaduan masuk per minggu (12 minggu terakhir)")
		// The performance table: DLH's open complaint ranks first; PUPR answered both on time.
		require.Less(t, strings.Index(r.body, `title="Dinas Lingkungan Hidup`), strings.Index(r.body, `title="Dinas Pekerjaan Umum`))
		require.Regexp(t, `PUPR</a></th>\s*<td class="num">1</td>\s*<td class="num">0</td>\s*<td><svg class="meter"[^>]*><rect[^>]*></rect><rect width="100"`, r.body)
		en := admin.get("/konsol/dasbor?lang=en")
		require.Contains(t, en.body, "Agency performance")
		require.Contains(t, en.body, "4.0 hours")
		require.Contains(t, en.body, "Median first response (November)")

		// A month later DLH's unanswered complaint and PUPR's unfinished one are late: the card
		// turns red and links to the late ones.
		f.advance(31 * 24 * time.Hour)
		r = f.login("admin@oki.go.id").get("/konsol/dasbor")
		require.Regexp(t, `class="card alert" id="angka-terlambat">\s*<a href="/konsol/pengaduan\?terlambat=1"><span class="card-value">2</span>`, r.body)
		require.Contains(t, r.body, `href="/konsol/pengaduan?opd=DLH&amp;terlambat=1">1</a>`)

		leader := f.login("bupati@oki.go.id")
		require.Equal(t, "/konsol/dasbor", leader.get("/konsol/").header.Get("Location"))
		require.Contains(t, leader.get("/konsol/dasbor").body, "Seluruh OPD · 3 pengaduan")

		officer := f.login("dlh@oki.go.id")
		require.Equal(t, "/konsol/pengaduan?tugas=saya", officer.get("/konsol/").header.Get("Location"))
		r = officer.get("/konsol/dasbor")
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, "OPD DLH")
		require.Contains(t, r.body, "· 1 pengaduan")
		require.Contains(t, r.body, "Pedamaran &lt;script&gt;")
		require.NotContains(t, r.body, "Kayu Agung")
		require.NotContains(t, r.body, "Tanjung Lubuk")
		require.NotContains(t, r.body, ">PUPR</a>")

		anon := f.client()
		require.Equal(t, "/konsol/masuk", anon.get("/konsol/dasbor").header.Get("Location"))
	})
}
