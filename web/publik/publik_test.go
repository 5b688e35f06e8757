package publik_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
	"github.com/suarawarga/suarawarga/web/publik"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// fixture is a regency with complaints by named citizens with phones in their texts.
type fixture struct {
	srv      *httptest.Server
	personal []string // every name, phone, description and address of the fixtures
}

func setup(t *testing.T, db *gorm.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	_, err := regency.LoadIfEmpty(ctx, db)
	require.NoError(t, err)
	loc, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, loc)
	clock := func() time.Time { return now }
	svc := &complaint.Service{DB: db, Now: clock, Prefix: "OKI", Loc: loc}
	cat, err := locales.Load()
	require.NoError(t, err)
	f := &fixture{}
	people := []struct{ name, phone string }{{"Budi Santoso", "6281234567890"}, {"Siti Aminah", "6285711112222"}, {"Rahmat Hidayat", "6281399998888"}}
	for i, p := range people {
		c := models.Citizen{Name: p.name, Lang: "id"}
		require.NoError(t, db.Create(&c).Error)
		require.NoError(t, db.Create(&models.Identity{CitizenID: c.ID, Channel: "whatsapp", Address: p.phone + "@s.whatsapp.net"}).Error)
		desc := "Jalan rusak depan rumah " + p.name + ", hubungi 0" + p.phone[2:]
		addr := "Lorong Melati no. " + string(rune('1'+i))
		lat, lng := -3.4026+float64(i)*0.0003, 104.8291
		_, err := svc.Submit(ctx, nil, complaint.SubmitInput{CitizenID: c.ID, Channel: "whatsapp", CategoryCode: "jalan",
			Description: desc, Address: addr, Lat: &lat, Lng: &lng, Confidential: i == 1})
		require.NoError(t, err)
		f.personal = append(f.personal, p.name, p.phone, "0"+p.phone[2:], desc, addr, "104.8291", "-3.402")
	}
	sampah, err := svc.Submit(ctx, nil, complaint.SubmitInput{CitizenID: 1, Channel: "whatsapp", CategoryCode: "sampah",
		Description: "Sampah menumpuk di pasar", RegionCode: "16.02.03"})
	require.NoError(t, err)
	// One answered in time, closed and rated.
	_, err = svc.Finish(ctx, nil, sampah.Code, complaint.Actor{Kind: models.ActorSistem}, "Sudah diangkut", nil)
	require.NoError(t, err)
	_, err = svc.Confirm(ctx, nil, sampah.Code, 1, true)
	require.NoError(t, err)
	require.NoError(t, svc.Rate(ctx, nil, sampah.Code, 1, 4, "Cepat, terima kasih Pak Joko 0812-7777-6666"))
	f.personal = append(f.personal, "Pak Joko", "7777")
	_, err = svc.CheckHotspot(ctx, 3)
	require.NoError(t, err)

	page := publik.New(publik.Config{DB: db, Complaints: svc, Locales: cat.WithGlobals(map[string]any{"pemda": "Kabupaten Ogan Komering Ilir"}), Now: clock})
	mux := http.NewServeMux()
	page.Mount(mux.Handle)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestPublicPage(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		res, body := get(t, f.srv.URL+"/publik")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "public, max-age=300", res.Header.Get("Cache-Control"))
		require.Contains(t, body, "Kinerja layanan pengaduan Kabupaten Ogan Komering Ilir")

		// Each OPD's record: PUPR received 3 (none answered, none due yet); DLH 1, answered in
		// time, closed after 0 working days, rated 4.
		require.Regexp(t, `(?s)<th scope="row">Dinas Pekerjaan Umum dan Penataan Ruang</th>\s*<td>3</td>\s*<td>—</td>`, body)
		require.Regexp(t, `(?s)<th scope="row">Dinas Lingkungan Hidup</th>\s*<td>1</td>\s*<td>100% <span class="n">\(1/1\)</span></td>\s*<td>0,0 hari kerja <span class="n">\(1\)</span></td>\s*<td>4,0 / 5`, body)

		// The map: every desa of the regency as a path; Jua-jua holds the three open road reports.
		require.Equal(t, 327, strings.Count(body, "<path "), "paths")
		require.True(t, regexp.MustCompile(`<path class="d4" d="M[^"]+" data-kode="16\.02\.05\.1001" data-terbuka="3">`).MatchString(body), "Jua-jua")
		require.Less(t, len(body), 400_000, "the simplified map stays small")
		t.Logf("page: %d bytes", len(body))
		require.Contains(t, body, "3 laporan masih ditangani dinas.")

		// The hotspot, without codes or people.
		require.Contains(t, body, "🔥 <strong>Jalan &amp; jembatan</strong> — Desa Jua-jua, Kec. Kayu Agung: 3 laporan")

		// A category filter: sampah has nothing open.
		_, other := get(t, f.srv.URL+"/publik?kategori=sampah")
		require.Contains(t, other, "0 laporan masih ditangani dinas.")
		require.NotContains(t, other, `class="d4"`)
		_, en := get(t, f.srv.URL+"/publik?lang=en")
		require.Contains(t, en, "Each agency&#39;s record")

		// No personal data: no fixture's name, phone, description, address or point, in any variant of the page.
		for _, page := range []string{body, other, en} {
			for _, s := range f.personal {
				require.NotContains(t, page, s)
			}
			require.False(t, regexp.MustCompile(`OKI-\d{4}-\d{4}`).MatchString(page), "no ticket codes either")
		}
	})
}

// The page passes axe in Chromium (served under the bot's content security policy).
func TestPublicPageAccessible(t *testing.T) {
	db := modeltest.Open(t, modeltest.Kinds()[0])
	f := setup(t, db)
	ctx := webtest.Browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/publik"), chromedp.WaitVisible(chromedp.CSS("#peta"))))
	webtest.RequireAxe(t, ctx, "the public page")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/publik?kategori=jalan"), chromedp.WaitVisible(chromedp.CSS("#peta"))))
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#judul-peta")))
	require.NoError(t, err)
	require.Contains(t, title, "Jalan & jembatan")
	webtest.RequireAxe(t, ctx, "the public page, one category")
}
