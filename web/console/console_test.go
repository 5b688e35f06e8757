package console_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/regency"
	"github.com/suarawarga/suarawarga/web"
	"github.com/suarawarga/suarawarga/web/console"
)

// cheap keeps the tests fast; production hashes use console.DefaultArgon2.
var cheap = console.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const password = "kata-sandi-rahasia-123"

// recorder is a Notifier that keeps what the citizen and officers would be told.
type recorder struct {
	mu    sync.Mutex
	notes []complaint.Notification
}

func (r *recorder) Notify(_ context.Context, _ *gorm.DB, n complaint.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, n)
	return nil
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.notes {
		out = append(out, string(n.Audience)+":"+n.Key)
	}
	return out
}

type fixture struct {
	t       *testing.T
	db      *gorm.DB
	svc     *complaint.Service
	url     string
	notes   *recorder
	mu      sync.Mutex
	now     time.Time
	dataDir string
	codes   map[string]string // name -> ticket code
	// transport trusts the test server's certificate when it runs TLS.
	transport http.RoundTripper
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

var wib = time.FixedZone("WIB", 7*3600)

func setup(t *testing.T, db *gorm.DB) *fixture { return setupWith(t, db, "", false) }

// setupWith builds the fixture with a PUBLIC_URL and, when tls is set, an https test server.
func setupWith(t *testing.T, db *gorm.DB, publicURL string, tls bool, trusted ...netip.Prefix) *fixture {
	t.Helper()
	ctx := t.Context()
	_, err := regency.LoadIfEmpty(ctx, db)
	require.NoError(t, err)
	cat, err := locales.Load()
	require.NoError(t, err)
	f := &fixture{t: t, db: db, notes: &recorder{}, now: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC), dataDir: t.TempDir(),
		codes: map[string]string{}}
	f.svc = &complaint.Service{DB: db, Now: f.clock, Prefix: "OKI", Loc: wib, Notifier: f.notes,
		Log: slog.New(slog.DiscardHandler)}
	c, err := console.New(console.Config{DB: db, Complaints: f.svc, Locales: cat, DataDir: f.dataDir, Now: f.clock, Loc: wib,
		PublicURL: publicURL, Argon2: cheap, Limit: console.Limit{PerAccount: 3, PerIP: 10, Window: 15 * time.Minute}, Log: slog.New(slog.DiscardHandler),
		TrustedProxies: trusted})
	require.NoError(t, err)
	srv := web.New(web.Config{Locales: cat, Logger: slog.New(slog.DiscardHandler)})
	c.Register(srv)
	srv.Handle("GET /metrics", console.Metrics(db, f.clock, slog.New(slog.DiscardHandler)))
	ts := httptest.NewUnstartedServer(srv.Handler())
	if tls {
		ts.StartTLS()
		f.transport = ts.Client().Transport
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	f.url = ts.URL

	for _, u := range []console.NewUser{
		{Email: "Admin@OKI.go.id", Name: "Ani Admin", Role: models.UserAdmin},
		{Email: "bupati@oki.go.id", Name: "Pak Bupati", Role: models.UserPimpinan},
		{Email: "pupr@oki.go.id", Name: "Petugas PUPR", Role: models.UserPetugas, AgencyCode: "pupr"},
		{Email: "dlh@oki.go.id", Name: "Petugas DLH", Role: models.UserPetugas, AgencyCode: "DLH"},
	} {
		u.Password = password
		_, err := console.CreateUser(ctx, db, u, cheap, nil, f.now)
		require.NoError(t, err)
	}

	budi := models.Citizen{Name: "Budi Santoso", Lang: "id", CreatedAt: f.now, UpdatedAt: f.now}
	require.NoError(t, db.Create(&budi).Error)
	photo, err := models.SaveAttachment(ctx, db, f.dataDir, testPNG(1), "image/png", 0)
	require.NoError(t, err)
	lat, lng := -3.40291, 104.83137
	submit := func(name string, in complaint.SubmitInput) {
		in.CitizenID, in.Channel = budi.ID, "webchat"
		c, err := f.svc.Submit(ctx, nil, in)
		require.NoError(t, err)
		f.codes[name] = c.Code
		f.advance(time.Hour)
	}
	submit("jalan", complaint.SubmitInput{CategoryCode: "jalan", RegionCode: "16.02.05.1001", Lat: &lat, Lng: &lng,
		Address: "Jl. Letnan Mukhtar Saleh", AttachmentIDs: []int64{photo.ID},
		Description: `Jalan berlubang besar <script>alert("x")</script><b>tebal</b> di depan pasar`})
	submit("sampah", complaint.SubmitInput{CategoryCode: "sampah", RegionCode: "16.02.03", Confidential: true,
		Description: "Sampah menumpuk di pinggir sungai sejak seminggu lalu"})
	submit("formula", complaint.SubmitInput{CategoryCode: "jalan", RegionCode: "16.02.02",
		Description: "=HYPERLINK(\"http://contoh.invalid\") jembatan kayu patah"})
	return f
}

func testPNG(n uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, n, 10, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// client is one browser: a cookie jar, and no automatic redirects so tests see them.
type client struct {
	t    *testing.T
	f    *fixture
	http *http.Client
}

func (f *fixture) client() *client {
	jar, err := cookiejar.New(nil)
	require.NoError(f.t, err)
	return &client{t: f.t, f: f, http: &http.Client{Jar: jar, Transport: f.transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) get(path string) response {
	c.t.Helper()
	resp, err := c.http.Get(c.f.url + path)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	resp, err := c.http.PostForm(c.f.url+path, form)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{resp.StatusCode, resp.Header, string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "no csrf field in %s", body)
	return m[1]
}

// tryLogin submits the sign-in form.
func (c *client) tryLogin(email, pw string) response {
	c.t.Helper()
	page := c.get("/konsol/masuk")
	require.Equal(c.t, http.StatusOK, page.status)
	return c.post("/konsol/masuk", url.Values{"csrf": {csrfOf(c.t, page.body)}, "email": {email}, "password": {pw}})
}

func (f *fixture) login(email string) *client {
	f.t.Helper()
	c := f.client()
	r := c.tryLogin(email, password)
	require.Equal(f.t, http.StatusSeeOther, r.status, r.body)
	require.Contains(f.t, []string{"/konsol/pengaduan?tugas=saya", "/konsol/dasbor"}, r.header.Get("Location"))
	return c
}

// form returns the csrf token of the page at path.
func (c *client) token(path string) string {
	c.t.Helper()
	r := c.get(path)
	require.Equal(c.t, http.StatusOK, r.status, r.body)
	return csrfOf(c.t, r.body)
}

func TestPasswordHash(t *testing.T) {
	h, err := console.HashPassword(password, cheap)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$"), h)
	ok, err := console.CheckPassword(h, password)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = console.CheckPassword(h, password+"x")
	require.NoError(t, err)
	require.False(t, ok)
	h2, err := console.HashPassword(password, cheap)
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "each hash has its own salt")
	_, err = console.CheckPassword("$2a$10$bcrypt", password)
	require.Error(t, err)
	_, err = console.HashPassword("pendek", cheap)
	require.ErrorIs(t, err, console.ErrWeakPassword)
	require.Len(t, console.GeneratePassword(), 26)
}

func TestSignIn(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		anon := f.client()
		r := anon.get("/konsol/masuk?lang=en")
		require.Contains(t, r.body, "Sign in to the console")
		require.Contains(t, anon.get("/konsol/masuk").body, "Sign in to the console", "the language is remembered")
		require.Contains(t, anon.get("/konsol/masuk?lang=id").body, "Masuk ke konsol")
		r = anon.get("/konsol/pengaduan")
		require.Equal(t, http.StatusSeeOther, r.status)
		require.Equal(t, "/konsol/masuk", r.header.Get("Location"))

		// The e-mail is matched whatever its case; the cookie is HttpOnly, Lax and scoped to the console.
		c := f.client()
		r = c.tryLogin("ADMIN@oki.go.id", password)
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		var sess *http.Cookie
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == "konsol_sesi" {
				sess = ck
			}
		}
		require.NotNil(t, sess)
		require.True(t, sess.HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, sess.SameSite)
		require.Equal(t, "/konsol", sess.Path)
		require.False(t, sess.Secure, "plain http without an https PUBLIC_URL")
		var stored models.UserSession
		require.NoError(t, db.First(&stored).Error)
		require.NotEqual(t, sess.Value, stored.TokenHash, "only a hash of the token is stored")
		require.NotContains(t, stored.TokenHash, sess.Value)

		r = c.get("/konsol/pengaduan")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, "Ani Admin")
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		require.NotEmpty(t, r.header.Get("Content-Security-Policy"))

		// Signing out ends the session on the server too.
		r = c.post("/konsol/keluar", url.Values{"csrf": {c.token("/konsol/pengaduan")}})
		require.Equal(t, http.StatusSeeOther, r.status)
		replay := f.client()
		u, _ := url.Parse(f.url + "/konsol/")
		replay.http.Jar.SetCookies(u, []*http.Cookie{{Name: "konsol_sesi", Value: sess.Value}})
		require.Equal(t, http.StatusSeeOther, replay.get("/konsol/pengaduan").status)

		var actions []string
		require.NoError(t, db.Model(&models.AuditEntry{}).Order("id").Pluck("action", &actions).Error)
		require.Equal(t, []string{"akun.buat", "akun.buat", "akun.buat", "akun.buat", "masuk", "keluar"}, actions)

		// A sign-in form without its token is refused.
		r = f.client().post("/konsol/masuk", url.Values{"email": {"admin@oki.go.id"}, "password": {password}})
		require.Equal(t, http.StatusForbidden, r.status)
	})
}

func TestSignInRateLimit(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		c := f.client()
		for range 3 {
			r := c.tryLogin("pupr@oki.go.id", "salah-sekali-sandinya")
			require.Equal(t, http.StatusUnauthorized, r.status)
			require.Contains(t, r.body, "Email atau kata sandi salah")
		}
		// The account is locked for the window, even with the right password.
		r := c.tryLogin("pupr@oki.go.id", password)
		require.Equal(t, http.StatusTooManyRequests, r.status)
		require.Contains(t, r.body, "Terlalu banyak percobaan masuk yang gagal")
		require.NotEmpty(t, r.header.Get("Retry-After"))
		// Other accounts still sign in.
		f.login("dlh@oki.go.id")
		// After the window the right password works again.
		f.advance(16 * time.Minute)
		f.login("pupr@oki.go.id")

		// Per address: failures spread over many accounts still hit the limit.
		for i := range 10 {
			r := c.tryLogin("tidak-ada-"+string(rune('a'+i))+"@oki.go.id", "salah-sekali-sandinya")
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r = c.tryLogin("dlh@oki.go.id", password)
		require.Equal(t, http.StatusTooManyRequests, r.status)
	})
}

// forwardedFor makes every request of c carry X-Forwarded-For: hops, as a reverse proxy adds it.
func (c *client) forwardedFor(hops string) *client {
	base := c.http.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp := *c.http
	cp.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Forwarded-For", hops)
		return base.RoundTrip(r)
	})
	return &client{t: c.t, f: c.f, http: &cp}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// failLogins makes n failed sign-ins with accounts that do not exist.
func failLogins(t *testing.T, c *client, n int, tag string) {
	t.Helper()
	for i := range n {
		r := c.tryLogin("tidak-ada-"+tag+strconv.Itoa(i)+"@oki.go.id", "salah-sekali-sandinya")
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
}

// TestSignInLimitBehindProxy: behind a trusted reverse proxy every client arrives from the
// proxy's address, so the per-address limit counts the address the proxy forwards; from an
// untrusted peer, or for the part of the header a client wrote itself, X-Forwarded-For is
// ignored, so it cannot be used to dodge the limit.
func TestSignInLimitBehindProxy(t *testing.T) {
	db := modeltest.Open(t, models.DialectSQLite)
	// The test server is reached over loopback: trust it as the proxy.
	f := setupWith(t, db, "", false, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	wargaA := f.client().forwardedFor("203.0.113.5")
	failLogins(t, wargaA, 10, "a")
	require.Equal(t, http.StatusTooManyRequests, wargaA.tryLogin("dlh@oki.go.id", password).status)
	// Another client behind the same proxy is not locked out with the first.
	r := f.client().forwardedFor("198.51.100.7").tryLogin("dlh@oki.go.id", password)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	// A client that prepends a made-up address is still counted by the address the proxy saw.
	r = f.client().forwardedFor("192.0.2.99, 203.0.113.5").tryLogin("dlh@oki.go.id", password)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	// The audit log names the forwarded client.
	require.Equal(t, http.StatusSeeOther, f.client().forwardedFor("198.51.100.7").tryLogin("pupr@oki.go.id", password).status)
	var entry models.AuditEntry
	require.NoError(t, db.Where("action = ? AND object = ?", "masuk", "user:pupr@oki.go.id").Order("id DESC").First(&entry).Error)
	require.Equal(t, "198.51.100.7", entry.IP)

	// Without trusted proxies the header is ignored: a spoofed address dodges nothing.
	g := setupWith(t, modeltest.Open(t, models.DialectSQLite), "", false)
	failLogins(t, g.client().forwardedFor("203.0.113.5"), 10, "b")
	r = g.client().forwardedFor("198.51.100.7").tryLogin("dlh@oki.go.id", password)
	require.Equal(t, http.StatusTooManyRequests, r.status)
}

func TestParseTrustedProxies(t *testing.T) {
	p, err := console.ParseTrustedProxies(" 10.0.0.0/8, 127.0.0.1 ,::1,")
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}, p)
	_, err = console.ParseTrustedProxies("10.0.0.0/8, proxy.local")
	require.EqualError(t, err, `"proxy.local" is neither an address nor a network (write e.g. 10.0.0.0/8 or 127.0.0.1)`)
}

func TestAuthorization(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		jalan, sampah := f.codes["jalan"], f.codes["sampah"]
		pupr, dlh := f.login("pupr@oki.go.id"), f.login("dlh@oki.go.id")

		// By URL: another OPD's complaint, its photo, the export and the admin pages.
		r := dlh.get("/konsol/pengaduan/" + jalan)
		require.Equal(t, http.StatusForbidden, r.status)
		require.Contains(t, r.body, "bukan laporan dinas Anda")
		require.NotContains(t, r.body, "Jalan berlubang")
		var photo int64
		require.NoError(t, db.Model(&models.ComplaintAttachment{}).Select("attachment_id").Limit(1).Scan(&photo).Error)
		require.Equal(t, http.StatusForbidden, dlh.get("/konsol/pengaduan/"+jalan+"/foto/"+itoa(photo)).status)
		require.Equal(t, http.StatusForbidden, dlh.get("/konsol/ekspor/pengaduan.csv").status)
		require.Equal(t, http.StatusForbidden, dlh.get("/konsol/audit").status)
		// Their own OPD's list holds only their complaints, whatever the filter asks.
		r = dlh.get("/konsol/pengaduan?opd=PUPR")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, sampah)
		require.NotContains(t, r.body, jalan)

		// By form: a valid token does not open another OPD's complaint.
		tok := dlh.token("/konsol/pengaduan/" + sampah)
		r = dlh.post("/konsol/pengaduan/"+jalan+"/balas", url.Values{"csrf": {tok}, "teks": {"Bukan urusan kami"}})
		require.Equal(t, http.StatusForbidden, r.status)
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", jalan).Take(&c).Error)
		require.Equal(t, complaint.StatusTerdisposisi, c.Status)

		// A form without the token, or with another session's, is refused.
		r = pupr.post("/konsol/pengaduan/"+jalan+"/balas", url.Values{"teks": {"Segera kami perbaiki"}})
		require.Equal(t, http.StatusForbidden, r.status)
		require.Contains(t, r.body, "Formulir ini sudah kedaluwarsa")
		r = pupr.post("/konsol/pengaduan/"+jalan+"/balas", url.Values{"csrf": {tok}, "teks": {"Segera kami perbaiki"}})
		require.Equal(t, http.StatusForbidden, r.status)
		require.NoError(t, db.Where("code = ?", jalan).Take(&c).Error)
		require.Equal(t, complaint.StatusTerdisposisi, c.Status)

		// A confidential reporter stays hidden; a photo of their own OPD's complaint loads.
		r = dlh.get("/konsol/pengaduan/" + sampah)
		require.Equal(t, http.StatusOK, r.status)
		require.NotContains(t, r.body, "Budi Santoso")
		require.Contains(t, r.body, "dirahasiakan")
		r = pupr.get("/konsol/pengaduan/" + jalan + "/foto/" + itoa(photo))
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "image/jpeg", r.header.Get("Content-Type"), "the page shows the preview")
		require.Equal(t, "private, no-cache", r.header.Get("Cache-Control"))
		r = pupr.get("/konsol/pengaduan/" + jalan + "/foto/" + itoa(photo) + "?asli=1")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "image/png", r.header.Get("Content-Type"), "the cleaned original keeps its kind")
		require.Equal(t, http.StatusNotFound, pupr.get("/konsol/pengaduan/"+jalan+"/foto/999999").status)

		// A leader reads everything and changes nothing.
		boss := f.login("bupati@oki.go.id")
		r = boss.get("/konsol/pengaduan/" + jalan)
		require.Equal(t, http.StatusOK, r.status)
		require.NotContains(t, r.body, `id="form-balas"`)
		r = boss.post("/konsol/pengaduan/"+jalan+"/balas", url.Values{"csrf": {csrfOf(t, r.body)}, "teks": {"Tolong dipercepat"}})
		require.Equal(t, http.StatusForbidden, r.status)
		require.Equal(t, http.StatusOK, boss.get("/konsol/ekspor/pengaduan.csv").status)
		require.Equal(t, http.StatusForbidden, boss.get("/konsol/audit").status)
		require.Empty(t, f.notes.keys()[3:], "nobody was told anything after the three new complaints")
	})
}

func itoa(n int64) string { return strconvFormat(n) }

func TestReplyAndActions(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		jalan := f.codes["jalan"]
		pupr := f.login("pupr@oki.go.id")
		page := pupr.get("/konsol/pengaduan/" + jalan)
		require.Equal(t, http.StatusOK, page.status)
		// Text from a citizen is shown as text, never as markup.
		require.Contains(t, page.body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;tebal&lt;/b&gt;`)
		require.NotContains(t, page.body, `<script>alert`)
		require.Contains(t, page.body, "Budi Santoso")
		require.Contains(t, page.body, "https://www.openstreetmap.org/?mlat=-3.402910&amp;mlon=104.831370")
		require.Contains(t, page.body, "Kec. Kayu Agung, Jua-jua")
		tok := csrfOf(t, page.body)

		r := pupr.post("/konsol/pengaduan/"+jalan+"/balas", url.Values{"csrf": {tok}, "teks": {"Terima kasih, tim kami meninjau lokasi besok pagi."}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		page = pupr.get(r.header.Get("Location"))
		require.Contains(t, page.body, "Tanggapan terkirim kepada pelapor.")
		require.Contains(t, page.body, "tim kami meninjau lokasi besok pagi")
		require.Contains(t, page.body, "Petugas PUPR")
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", jalan).Take(&c).Error)
		require.Equal(t, complaint.StatusDiproses, c.Status)
		var ev models.ComplaintEvent
		require.NoError(t, db.Where("complaint_id = ? AND kind = ?", c.ID, complaint.EventTanggapan).Take(&ev).Error)
		require.Equal(t, models.ActorKonsol, ev.ActorKind)
		require.Contains(t, f.notes.keys(), "warga:notifikasi.tanggapan")
		var audit models.AuditEntry
		require.NoError(t, db.Where("action = ?", "pengaduan.balas").Take(&audit).Error)
		require.Equal(t, "pupr@oki.go.id", audit.Actor)
		require.Equal(t, "pengaduan:"+jalan, audit.Object)

		// An empty reply is refused with a message and nothing changes.
		r = pupr.post("/konsol/pengaduan/"+jalan+"/minta_info", url.Values{"csrf": {tok}, "teks": {"   "}})
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Contains(t, r.body, "Mohon lengkapi isiannya")

		// Ask for details, then finish with a proof photo.
		r = pupr.post("/konsol/pengaduan/"+jalan+"/minta_info", url.Values{"csrf": {tok}, "teks": {"Mohon kirim foto dari sisi lain."}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		// Selesai asks first: without the confirmation nothing changes and the page asks.
		r = pupr.post("/konsol/pengaduan/"+jalan+"/selesai", url.Values{"csrf": {tok}, "teks": {"Sudah ditambal."}})
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, `id="konfirmasi"`)
		require.Contains(t, r.body, "Tandai laporan "+jalan+" selesai?")
		require.Contains(t, r.body, ">Sudah ditambal.</textarea>", "what was typed is kept")
		require.NoError(t, db.Where("code = ?", jalan).Take(&c).Error)
		require.Equal(t, complaint.StatusPerluInfo, c.Status)
		var body bytes.Buffer
		mw := newMultipart(&body, map[string]string{"csrf": tok, "teks": "Sudah ditambal.", "konfirmasi": "1"}, "bukti", "bukti.png", testPNG(2))
		resp, err := pupr.http.Post(f.url+"/konsol/pengaduan/"+jalan+"/selesai", mw, &body)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.NoError(t, db.Where("code = ?", jalan).Take(&c).Error)
		require.Equal(t, complaint.StatusSelesai, c.Status)
		var proofs int64
		require.NoError(t, db.Model(&models.ComplaintAttachment{}).Where("complaint_id = ? AND kind = ?", c.ID, models.AttachmentBukti).Count(&proofs).Error)
		require.EqualValues(t, 1, proofs)
		// A finished complaint cannot be rejected.
		r = pupr.post("/konsol/pengaduan/"+jalan+"/tolak", url.Values{"csrf": {tok}, "teks": {"Duplikat"}, "konfirmasi": {"1"}})
		require.Equal(t, http.StatusConflict, r.status)
		require.Contains(t, r.body, "berstatus selesai, menunggu konfirmasi pelapor")

		// The admin forwards another complaint to DLH, whose officer then sees it.
		admin := f.login("admin@oki.go.id")
		formula := f.codes["formula"]
		atok := admin.token("/konsol/pengaduan/" + formula)
		r = admin.post("/konsol/pengaduan/"+formula+"/teruskan", url.Values{"csrf": {atok}, "opd": {"DLH"}, "teks": {"Ini urusan kebersihan"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, http.StatusOK, f.login("dlh@oki.go.id").get("/konsol/pengaduan/"+formula).status)
		require.Equal(t, http.StatusForbidden, pupr.get("/konsol/pengaduan/"+formula).status)
		r = admin.get("/konsol/audit")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, "pengaduan.teruskan")
		require.Contains(t, r.body, "opd=DLH")
	})
}

func TestListFiltersAndExport(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		jalan, sampah, formula := f.codes["jalan"], f.codes["sampah"], f.codes["formula"]
		admin := f.login("admin@oki.go.id")
		list := func(q string) string {
			r := admin.get("/konsol/pengaduan?" + q)
			require.Equal(t, http.StatusOK, r.status, r.body)
			return r.body
		}
		only := func(q string, want ...string) {
			t.Helper()
			body := list(q)
			for _, code := range []string{jalan, sampah, formula} {
				if contains(want, code) {
					require.Contains(t, body, code, "query %s", q)
				} else {
					require.NotContains(t, body, code, "query %s", q)
				}
			}
		}
		only("", jalan, sampah, formula)
		require.Contains(t, list(""), "3 pengaduan")
		// HTML in a complaint is text in the list too.
		require.NotContains(t, list(""), "<script>alert")
		only("opd=DLH", sampah)
		only("kategori=jalan", jalan, formula)
		only("kecamatan=16.02.05", jalan) // a desa of Kayuagung counts as Kayuagung
		only("kecamatan=16.02.03", sampah)
		only("desa=16.02.05.1001", jalan) // the desa of its map point
		only("desa=16.02.05.1002")        // another desa of Kayu Agung
		only("q=SUNGAI", sampah)
		only("q="+url.QueryEscape(strings.ToLower(jalan)), jalan)
		only("q=100%25", []string{}...) // a percent sign is not a wildcard
		only("status=diproses", []string{}...)
		only("dari=2026-11-27&sampai=2026-11-27", jalan, sampah, formula)
		only("dari=2026-11-28", []string{}...)
		only("terlambat=1", []string{}...)
		f.advance(30 * 24 * time.Hour)
		admin = f.login("admin@oki.go.id") // the first session ended after 12 hours
		only("terlambat=1", jalan, sampah, formula)
		only("terlambat=1&opd=PUPR", jalan, formula)

		// Paging: 50 a page.
		for i := range 51 {
			_, err := f.svc.Submit(t.Context(), nil, complaint.SubmitInput{CitizenID: firstCitizen(t, db), Channel: "webchat",
				CategoryCode: "pju", Description: "Lampu jalan mati nomor " + itoa(int64(i))})
			require.NoError(t, err)
		}
		body := list("kategori=pju")
		require.Contains(t, body, "51 pengaduan")
		require.Contains(t, body, "Halaman 1 dari 2")
		require.Equal(t, 50, strings.Count(body, `data-kode="`))
		require.Contains(t, body, `href="/konsol/pengaduan?hal=2&amp;kategori=pju"`)
		body = list("kategori=pju&hal=2")
		require.Contains(t, body, "Halaman 2 dari 2")
		require.Contains(t, body, "Lampu jalan mati nomor 0")

		// The export carries the filter, every page, and no formulas.
		r := admin.get("/konsol/ekspor/pengaduan.csv?kategori=jalan")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
		require.Contains(t, r.header.Get("Content-Disposition"), "attachment")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff"))).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 3)
		require.Equal(t, []string{"nomor", "masuk", "status", "kategori", "opd", "kecamatan", "desa", "alamat", "lintang", "bujur", "uraian",
			"batas_selesai", "terlambat", "rahasia"}, recs[0])
		require.Equal(t, formula, recs[1][0])
		require.True(t, strings.HasPrefix(recs[1][10], "'=HYPERLINK"), recs[1][10])
		require.Equal(t, jalan, recs[2][0])
		require.Equal(t, "Kayu Agung", recs[2][5])
		require.Equal(t, "Jua-jua", recs[2][6], "the desa of the map point")
		require.Equal(t, "-3.402910", recs[2][8])
		require.Equal(t, "ya", recs[2][12])
		var exports int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action = ?", "pengaduan.ekspor").Count(&exports).Error)
		require.EqualValues(t, 1, exports)
	})
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "suarawarga_complaints 1\n") })
	scrape := func(h http.Handler, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, http.StatusOK, scrape(console.MetricsToken("", ok), "").Code, "no token: open, as before")
	guarded := console.MetricsToken("rahasia-123", ok)
	require.Equal(t, http.StatusUnauthorized, scrape(guarded, "").Code)
	require.Equal(t, http.StatusUnauthorized, scrape(guarded, "Bearer salah").Code)
	w := scrape(guarded, "Bearer rahasia-123")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "suarawarga_complaints 1\n", w.Body.String())
}

func TestMetrics(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		var budi models.Citizen
		require.NoError(t, db.First(&budi).Error)
		for _, m := range []models.Message{
			{CitizenID: budi.ID, Direction: models.DirectionIn, Channel: "webchat", ChatID: "a", Status: models.MessageReceived},
			{CitizenID: budi.ID, Direction: models.DirectionIn, Channel: "telegram", ChatID: "b", Status: models.MessageReceived},
			{CitizenID: budi.ID, Direction: models.DirectionOut, Channel: "telegram", ChatID: "b", Status: models.MessageSent},
			{CitizenID: budi.ID, Direction: models.DirectionOut, Channel: "telegram", ChatID: "b", Status: models.MessageFailed},
			{CitizenID: budi.ID, Direction: models.DirectionOut, Channel: "telegram", ChatID: "b", Status: models.MessageSent, Resends: 1},
		} {
			m.CreatedAt = f.now
			require.NoError(t, db.Create(&m).Error)
		}
		f.advance(30 * 24 * time.Hour)
		r := f.client().get("/metrics")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "text/plain; version=0.0.4; charset=utf-8", r.header.Get("Content-Type"))
		for _, line := range []string{
			"# TYPE suarawarga_messages_total counter",
			`suarawarga_messages_total{channel="telegram",direction="in"} 1`,
			`suarawarga_messages_total{channel="telegram",direction="out"} 3`,
			`suarawarga_messages_total{channel="webchat",direction="in"} 1`,
			`suarawarga_delivery_failures_total{channel="telegram"} 1`,
			`suarawarga_delivery_resends_total{channel="telegram"} 1`,
			"# TYPE suarawarga_queue_jobs gauge",
			`suarawarga_complaints{status="terdisposisi"} 3`,
			`suarawarga_complaints{status="selesai"} 0`,
			"suarawarga_complaints_overdue 3",
		} {
			require.Contains(t, r.body, line+"\n")
		}
	})
}

func firstCitizen(t *testing.T, db *gorm.DB) int64 {
	var c models.Citizen
	require.NoError(t, db.Order("id").First(&c).Error)
	return c.ID
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cookie returns the named cookie a response set.
func cookie(r response, name string) *http.Cookie {
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func TestSecureCookies(t *testing.T) {
	db := modeltest.Open(t, models.DialectSQLite)
	// An https PUBLIC_URL (TLS ends at a proxy) makes every console cookie Secure.
	f := setupWith(t, db, "https://pengaduan.okikab.go.id", false)
	r := f.client().get("/konsol/masuk?lang=id")
	for _, name := range []string{"konsol_csrf_masuk", "konsol_bahasa"} {
		ck := cookie(r, name)
		require.NotNil(t, ck, name)
		require.True(t, ck.Secure, name)
		require.True(t, ck.HttpOnly, name)
	}
	// So does a TLS request.
	f = setupWith(t, modeltest.Open(t, models.DialectSQLite), "", true)
	c := f.client()
	r = c.tryLogin("admin@oki.go.id", password)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	ck := cookie(r, "konsol_sesi")
	require.NotNil(t, ck)
	require.True(t, ck.Secure)
	require.True(t, ck.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	require.Equal(t, http.StatusOK, c.get("/konsol/pengaduan").status)
}
