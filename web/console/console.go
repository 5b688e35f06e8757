// Package console is the web console for admins, OPD officers (petugas) and leaders (pimpinan):
// sign-in with argon2id passwords and server-side sessions, the complaint inbox with its actions,
// the CSV export and the audit log. Pages are rendered on the server from the locales; every
// form carries a CSRF token that every POST must return.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
	webassets "github.com/suarawarga/suarawarga/web/assets"
)

//go:embed templates static
var assets embed.FS

// Prefix is where the console lives on the site.
const Prefix = "/konsol"

// Translator looks up the text of a locale key; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, data map[string]any) string
}

// Config wires a Console.
type Config struct {
	DB         *gorm.DB
	Complaints *complaint.Service
	Locales    Translator
	// DataDir holds the stored photos (models.Attachment paths are relative to it).
	DataDir string
	// PublicURL is the site's address; https makes the cookies Secure (as does a TLS request).
	PublicURL string
	// MaxPhotoBytes bounds an officer's proof photo; 0 means 10 MiB.
	MaxPhotoBytes int64
	// RetentionYears is the retention rule shown on the master-data page (RETENTION_YEARS; 0 means 2).
	RetentionYears int
	// Argon2 are the cost parameters of new password hashes; zero means DefaultArgon2.
	Argon2 Argon2Params
	// SessionTTL is how long a sign-in lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// Limit is the sign-in rate limit; zero fields take DefaultLimit's.
	Limit Limit
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Loc is the regency's time zone for dates on pages and in filters; nil means UTC.
	Loc *time.Location
	// Log receives warnings and errors; nil means slog.Default().
	Log *slog.Logger
	// TrustedProxies are the reverse proxies (addresses or networks) whose X-Forwarded-For
	// header names the client; from anyone else the header is ignored (TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// WhatsApp feeds the WhatsApp page (the channels' state, linking a device); nil hides it.
	WhatsApp WhatsAppPage
}

// Limit is the sign-in rate limit: failed attempts allowed per account and per client address
// within Window before further attempts are refused until the window has passed.
type Limit struct {
	PerAccount int
	PerIP      int
	Window     time.Duration
}

// DefaultLimit allows 5 failures per account and 20 per address in 15 minutes.
var DefaultLimit = Limit{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute}

// Console serves the /konsol pages.
type Console struct {
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	dummy func() string // a hash to check unknown accounts against, so they take as long as known ones

	supportersOnce sync.Once // hasSupporters
	supporters     bool
}

// New builds the console; it parses the embedded templates.
func New(cfg Config) (*Console, error) {
	if cfg.DB == nil || cfg.Complaints == nil || cfg.Locales == nil {
		return nil, errors.New("console: DB, Complaints and Locales are required")
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Limit.PerAccount <= 0 {
		cfg.Limit.PerAccount = DefaultLimit.PerAccount
	}
	if cfg.Limit.PerIP <= 0 {
		cfg.Limit.PerIP = DefaultLimit.PerIP
	}
	if cfg.Limit.Window <= 0 {
		cfg.Limit.Window = DefaultLimit.Window
	}
	if cfg.MaxPhotoBytes <= 0 {
		cfg.MaxPhotoBytes = 10 << 20
	}
	if cfg.Loc == nil {
		cfg.Loc = time.UTC
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Console{cfg: cfg, log: cfg.Log, pages: map[string]*template.Template{}}
	entries, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", e)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	c.dummy = sync.OnceValue(func() string {
		h, _ := HashPassword("not-a-real-password-"+GeneratePassword(), c.cfg.Argon2) // long enough: never fails
		return h
	})
	return c, nil
}

// Handler is the part of web.Server the console needs to mount its routes.
type Handler interface {
	Handle(pattern string, h http.Handler)
}

// Register mounts the console's routes on mux.
func (c *Console) Register(mux Handler) {
	mux.Handle("GET "+Prefix+"/{$}", c.page(anyRole, func(w http.ResponseWriter, r *http.Request, s *session) {
		http.Redirect(w, r, homePath(s.User.Role), http.StatusSeeOther)
	}))
	mux.Handle("GET "+Prefix, http.RedirectHandler(Prefix+"/", http.StatusMovedPermanently))
	mux.Handle("GET "+Prefix+"/masuk", http.HandlerFunc(c.loginForm))
	mux.Handle("POST "+Prefix+"/masuk", http.HandlerFunc(c.login))
	mux.Handle("POST "+Prefix+"/keluar", c.page(anyRole, c.logout))
	mux.Handle("GET "+Prefix+"/pengaduan", c.page(anyRole, c.list))
	mux.Handle("GET "+Prefix+"/ekspor/pengaduan.csv", c.page(readAll, c.exportCSV))
	mux.Handle("GET "+Prefix+"/pengaduan/{kode}", c.page(anyRole, c.detail))
	mux.Handle("POST "+Prefix+"/pengaduan/{kode}/{aksi}", c.page(actors, c.act))
	mux.Handle("GET "+Prefix+"/pengaduan/{kode}/foto/{id}", c.page(anyRole, c.photo))
	mux.Handle("GET "+Prefix+"/audit", c.page(adminOnly, c.auditPage))
	mux.Handle("GET "+Prefix+"/audit.csv", c.page(adminOnly, c.auditCSV))
	c.registerXLSX(mux)
	c.registerMasterData(mux)
	c.registerFlows(mux)
	mux.Handle("GET "+Prefix+"/static/{file}", static.Handler())
	c.registerDashboard(mux)
	c.registerWhatsApp(mux)
	c.registerAccounts(mux)
	c.registerInbox(mux)
	c.registerErasure(mux)
}

// Role sets for page.
var (
	anyRole   = []string{models.UserAdmin, models.UserPimpinan, models.UserPetugas}
	readAll   = []string{models.UserAdmin, models.UserPimpinan} // regency-wide reading: exports
	actors    = []string{models.UserAdmin, models.UserPetugas}  // may change complaints
	adminOnly = []string{models.UserAdmin}
)

func (c *Console) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

// secure reports whether cookies must be Secure for this request.
func (c *Console) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(c.cfg.PublicURL), "https://")
}

// page wraps a handler with the session check, the role check and, on POST, the CSRF check.
func (c *Console) page(roles []string, h func(w http.ResponseWriter, r *http.Request, s *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s, err := c.session(r)
		if err != nil {
			c.log.ErrorContext(r.Context(), "console session", slog.Any("error", err))
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Prefix+"/masuk", http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusUnauthorized, "konsol.galat.perlu_masuk", nil)
			return
		}
		if !has(roles, s.User.Role) {
			c.log.WarnContext(r.Context(), "console page refused", slog.Int64("user_id", s.User.ID),
				slog.String("role", s.User.Role), slog.String("path", r.URL.Path))
			c.fail(w, r, s, http.StatusForbidden, "konsol.galat.tidak_berwenang", nil)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, c.cfg.MaxPhotoBytes+1<<20)
			if err := parseForm(r, c.cfg.MaxPhotoBytes+1<<20); err != nil || !s.validCSRF(r.PostFormValue("csrf")) {
				c.log.WarnContext(r.Context(), "console form refused: bad csrf token", slog.Int64("user_id", s.User.ID),
					slog.String("path", r.URL.Path))
				c.fail(w, r, s, http.StatusForbidden, "konsol.galat.csrf", nil)
				return
			}
		}
		h(w, r, s)
	})
}

func parseForm(r *http.Request, max int64) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(max)
	}
	return r.ParseForm()
}

func has(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// clientIP is the address the request came from, for the sign-in limit and the audit log.
// X-Forwarded-For counts only when the request comes from a trusted proxy: then the client
// is the right-most address in it that is not itself a trusted proxy (the left part of the
// header is whatever the client sent, so it is never believed). From anyone else the
// header is ignored: the rate limit must not be that easy to dodge.
func (c *Console) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !c.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if _, err := netip.ParseAddr(hop); err != nil {
			return host // a malformed hop: stop at the last address we can vouch for
		}
		host = hop
		if !c.trusted(hop) {
			return hop
		}
	}
	return host
}

// trusted reports whether addr is one of the configured proxies.
func (c *Console) trusted(addr string) bool {
	if len(c.cfg.TrustedProxies) == 0 {
		return false
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range c.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads TRUSTED_PROXIES: addresses or networks separated by commas,
// e.g. "10.0.0.0/8, 127.0.0.1".
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a network (write e.g. 10.0.0.0/8 or 127.0.0.1)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// lang is the page language: ?lang= (remembered in a cookie), the cookie, or Indonesian.
func (c *Console) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "id" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: Prefix, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "id" || ck.Value == "en") {
		return ck.Value
	}
	return "id"
}

const langCookie = "konsol_bahasa"

// tr renders locale keys in one language and dates in the regency's time zone, for templates.
type tr struct {
	c    Translator
	lang string
	loc  *time.Location
	now  time.Time // the page's moment, for relative dates
}

// T returns the text of key with the template data given as name, value pairs.
func (t tr) T(key string, kv ...any) string {
	var data map[string]any
	if len(kv) > 1 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				data[k] = kv[i+1]
			}
		}
	}
	return t.c.T(t.lang, key, data)
}

// When writes a moment as a date and an hour in the regency's time zone.
func (t tr) When(v any) string {
	tm, ok := moment(v)
	if !ok {
		return ""
	}
	local := tm.In(t.loc)
	return complaint.FormatDate(local, t.lang) + " " + local.Format("15.04")
}

// Lang is the page language.
func (t tr) Lang() string { return t.lang }

// Ago writes a moment relative to the page's: "baru saja", "5 menit lalu", "3 jam lagi",
// "2 hari lalu"; a week or more away, its date ("7 Sep 2026").
func (t tr) Ago(v any) string {
	tm, ok := moment(v)
	if !ok {
		return ""
	}
	d := t.now.Sub(tm)
	suffix := "lalu"
	if d < 0 {
		d, suffix = -d, "lagi"
	}
	switch {
	case d < time.Minute:
		return t.T("konsol.waktu.baru_saja")
	case d < time.Hour:
		return t.T("konsol.waktu.menit_"+suffix, "n", int(d/time.Minute))
	case d < 24*time.Hour:
		return t.T("konsol.waktu.jam_"+suffix, "n", int(d/time.Hour))
	case d < 7*24*time.Hour:
		return t.T("konsol.waktu.hari_"+suffix, "n", int(d/(24*time.Hour)))
	}
	local := tm.In(t.loc)
	return complaint.FormatShortDate(local, t.lang) + " " + strconv.Itoa(local.Year())
}

// moment reads a time.Time or a *time.Time (false for nil).
func moment(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, true
	case *time.Time:
		if v != nil {
			return *v, true
		}
	}
	return time.Time{}, false
}

// layoutData is what every page gets.
type layoutData struct {
	L       tr
	User    *models.User
	Agency  *models.Agency
	CSRF    string
	Title   string
	Style   string
	Script  string
	Flash   string
	Error   string
	Page    any
	Path    string
	IsAdmin bool
	CanRead bool // may see regency-wide pages (export)
	Other   string
}

func (c *Console) data(w http.ResponseWriter, r *http.Request, s *session, titleKey string, page any) *layoutData {
	l := tr{c: c.cfg.Locales, lang: c.lang(w, r), loc: c.cfg.Loc, now: c.now()}
	d := &layoutData{L: l, Title: l.T(titleKey), Style: static.URL("konsol.css"), Script: static.URL("konsol.js"), Page: page, Path: r.URL.Path, Other: "en"}
	if l.lang == "en" {
		d.Other = "id"
	}
	if s != nil {
		d.User, d.Agency, d.CSRF = &s.User, s.Agency, s.csrf
		d.IsAdmin = s.User.Role == models.UserAdmin
		d.CanRead = has(readAll, s.User.Role)
	}
	return d
}

// render writes a page with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, d *layoutData) {
	t := c.pages[name]
	var buf bytes.Buffer
	if t == nil {
		c.log.ErrorContext(r.Context(), "console template missing", slog.String("template", name))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		c.log.ErrorContext(r.Context(), "console template", slog.String("template", name), slog.Any("error", err))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page with the text of key.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, key string, data map[string]any) {
	d := c.data(w, r, s, "konsol.galat.judul", nil)
	d.Error = c.cfg.Locales.T(d.L.lang, key, data)
	c.render(w, r, status, "galat", d)
}

// internal logs err and renders the generic error page.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, s *session, err error) {
	c.log.ErrorContext(r.Context(), "console request failed", slog.String("path", r.URL.Path), slog.Any("error", err))
	c.fail(w, r, s, http.StatusInternalServerError, "konsol.galat.umum", nil)
}

// Audit writes one entry of the audit log on db (inside the transaction of the change it records).
// user is nil for the command line.
func Audit(ctx context.Context, db *gorm.DB, user *models.User, ip, action, object, detail string, now time.Time) error {
	e := models.AuditEntry{Actor: "cli", Action: action, Object: object, Detail: detail, IP: ip, CreatedAt: now.UTC()}
	if user != nil {
		id := user.ID
		e.UserID, e.Actor = &id, user.Email
	}
	if err := db.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("write audit log %s %s: %w", action, object, err)
	}
	return nil
}

var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	// open reports whether an OPD still works on a complaint in status (its deadline counts).
	"open": func(status string) bool { return has(openStatuses, status) },
	// item pairs a thread entry with the page's translator, for the bubble template.
	"item": func(l tr, it threadItem) any {
		return struct {
			L    tr
			Item threadItem
		}{l, it}
	},
	"excerpt": func(s string) string { return Row{Description: s}.Excerpt() },
	"iso": func(v any) string {
		if tm, ok := moment(v); ok {
			return tm.UTC().Format(time.RFC3339)
		}
		return ""
	},
	"deref": func(f *float64) float64 {
		if f == nil {
			return 0
		}
		return *f
	},
	"coord": func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 6, 64)
	},
}

// static is the console's files under /konsol/static.
var static = webassets.New(assets, "static", Prefix+"/static")
