package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// Cookie names of the console.
const (
	sessionCookie = "konsol_sesi"
	loginCSRF     = "konsol_csrf_masuk" // the double-submit token of the sign-in form, before any session
)

// session is a signed-in request: the account, its OPD for a petugas, and the form token.
type session struct {
	ID     int64
	User   models.User
	Agency *models.Agency
	csrf   string
}

// validCSRF compares a form's token with the session's in constant time.
func (s *session) validCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

// hashToken is how a session token is stored: its SHA-256, so a leaked table opens no session.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// csrfFor derives a session's form token from its secret cookie token, so nothing more is stored
// and a token from one session is worthless in another.
func csrfFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("konsol-csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// session returns the request's signed-in session, or nil when there is none (or it ended, or
// its account was deactivated).
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) < 40 || len(ck.Value) > 64 {
		return nil, nil
	}
	ctx := r.Context()
	db := c.cfg.DB.WithContext(ctx)
	var us models.UserSession
	err = db.Where("token_hash = ? AND expires_at > ?", hashToken(ck.Value), c.now()).Take(&us).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load console session: %w", err)
	}
	u, err := models.UserByID(ctx, db, us.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, nil
	}
	s := &session{ID: us.ID, User: *u, csrf: csrfFor(ck.Value)}
	if u.AgencyID != nil {
		if s.Agency, err = models.AgencyByID(ctx, db, *u.AgencyID); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// loginPage is the sign-in form's data.
type loginPage struct {
	Email string
	Token string
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if s, err := c.session(r); err == nil && s != nil {
		http.Redirect(w, r, homePath(s.User.Role), http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, "", "")
}

// renderLogin shows the sign-in form with a fresh double-submit token and an optional error.
func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, email, errKey string) {
	token := newToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: token, Path: Prefix + "/masuk", MaxAge: 3600,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	d := c.data(w, r, nil, "konsol.masuk.judul", loginPage{Email: email, Token: token})
	if errKey != "" {
		d.Error = d.L.T(errKey, "menit", int(c.cfg.Limit.Window.Minutes()))
	} else if r.URL.Query().Get("ok") == "sandi" {
		d.Flash = d.L.T("akun.berhasil.sandi_tautan")
	}
	c.render(w, r, status, "masuk", d)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.renderLogin(w, r, http.StatusBadRequest, "", "konsol.masuk.gagal")
		return
	}
	ck, err := r.Cookie(loginCSRF)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(form)) != 1 {
		c.log.WarnContext(r.Context(), "console sign-in refused: bad csrf token", slog.String("ip", c.clientIP(r)))
		c.fail(w, r, nil, http.StatusForbidden, "konsol.galat.csrf", nil)
		return
	}
	email := models.NormalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	ip := c.clientIP(r)
	ctx := r.Context()
	if len(email) > 254 || len(password) > 1024 {
		c.renderLogin(w, r, http.StatusBadRequest, "", "konsol.masuk.gagal")
		return
	}

	limited, err := c.limited(ctx, email, ip)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if limited {
		if err := c.recordAttempt(ctx, email, ip, false); err != nil {
			c.internal(w, r, nil, err)
			return
		}
		c.log.WarnContext(ctx, "console sign-in rate limited", slog.String("ip", ip))
		w.Header().Set("Retry-After", fmt.Sprint(int(c.cfg.Limit.Window.Seconds())))
		c.renderLogin(w, r, http.StatusTooManyRequests, email, "konsol.masuk.terlalu_sering")
		return
	}

	u, err := models.UserByEmail(ctx, c.cfg.DB, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		c.internal(w, r, nil, err)
		return
	}
	ok := false
	if u != nil && u.Active {
		if ok, err = CheckPassword(u.PasswordHash, password); err != nil {
			c.log.ErrorContext(ctx, "console password hash unreadable", slog.Int64("user_id", u.ID), slog.Any("error", err))
			ok = false
		}
	} else {
		// Take as long as a real check, so the answer time does not tell which accounts exist.
		_, _ = CheckPassword(c.dummy(), password)
	}
	if !ok {
		if err := c.recordAttempt(ctx, email, ip, false); err != nil {
			c.internal(w, r, nil, err)
			return
		}
		c.renderLogin(w, r, http.StatusUnauthorized, email, "konsol.masuk.gagal")
		return
	}

	token := newToken()
	now := c.now()
	err = c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&models.LoginAttempt{Email: email, IP: ip, OK: true, CreatedAt: now}).Error; err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
		ua := r.UserAgent()
		if len(ua) > 300 {
			ua = ua[:300]
		}
		us := models.UserSession{TokenHash: hashToken(token), UserID: u.ID, IP: ip, UserAgent: ua, CreatedAt: now,
			ExpiresAt: now.Add(c.cfg.SessionTTL)}
		if err := tx.Create(&us).Error; err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		// Housekeeping: sessions that ended and attempts older than any window.
		if err := tx.Where("expires_at < ?", now).Delete(&models.UserSession{}).Error; err != nil {
			return fmt.Errorf("delete ended sessions: %w", err)
		}
		if err := tx.Where("created_at < ?", now.Add(-24*time.Hour)).Delete(&models.LoginAttempt{}).Error; err != nil {
			return fmt.Errorf("delete old sign-in attempts: %w", err)
		}
		return Audit(ctx, tx, u, ip, "masuk", "user:"+u.Email, "", now)
	})
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: Prefix, MaxAge: int(c.cfg.SessionTTL.Seconds()),
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: "", Path: Prefix + "/masuk", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, homePath(u.Role), http.StatusSeeOther)
}

// limited reports whether email or ip used up its failed attempts in the window. A success
// for the account starts its count afresh; the address count does not reset.
func (c *Console) limited(ctx context.Context, email, ip string) (bool, error) {
	db := c.cfg.DB.WithContext(ctx)
	since := c.now().Add(-c.cfg.Limit.Window)
	var lastOK []time.Time
	if err := db.Model(&models.LoginAttempt{}).Where("email = ? AND ok = ? AND created_at > ?", email, true, since).
		Order("created_at DESC").Limit(1).Pluck("created_at", &lastOK).Error; err != nil {
		return false, fmt.Errorf("count sign-in attempts: %w", err)
	}
	accountSince := since
	if len(lastOK) > 0 && lastOK[0].After(since) {
		accountSince = lastOK[0]
	}
	var perAccount, perIP int64
	if err := db.Model(&models.LoginAttempt{}).Where("email = ? AND ok = ? AND created_at > ?", email, false, accountSince).
		Count(&perAccount).Error; err != nil {
		return false, fmt.Errorf("count sign-in attempts: %w", err)
	}
	if err := db.Model(&models.LoginAttempt{}).Where("ip = ? AND ok = ? AND created_at > ?", ip, false, since).
		Count(&perIP).Error; err != nil {
		return false, fmt.Errorf("count sign-in attempts: %w", err)
	}
	return perAccount >= int64(c.cfg.Limit.PerAccount) || perIP >= int64(c.cfg.Limit.PerIP), nil
}

func (c *Console) recordAttempt(ctx context.Context, email, ip string, ok bool) error {
	a := models.LoginAttempt{Email: email, IP: ip, OK: ok, CreatedAt: c.now()}
	if err := c.cfg.DB.WithContext(ctx).Create(&a).Error; err != nil {
		return fmt.Errorf("record sign-in attempt: %w", err)
	}
	return nil
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", s.ID).Delete(&models.UserSession{}).Error; err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "keluar", "user:"+s.User.Email, "", c.now())
	})
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, Prefix+"/masuk", http.StatusSeeOther)
}

// ErrUserExists is returned by CreateUser when the e-mail address already has an account.
var ErrUserExists = errors.New("an account with this e-mail already exists")

// ErrInvalidUser is returned by CreateUser for a bad e-mail, role or OPD.
var ErrInvalidUser = errors.New("invalid account")

// NewUser describes an account to create.
type NewUser struct {
	Email      string
	Name       string
	Role       string // models.UserAdmin, UserPimpinan or UserPetugas
	AgencyCode string // the OPD of a petugas
	Password   string
}

// CreateUser adds a console account with an argon2id hash of its password, and records it in
// the audit log (by is nil for the command line).
func CreateUser(ctx context.Context, db *gorm.DB, in NewUser, params Argon2Params, by *models.User, now time.Time) (*models.User, error) {
	email := models.NormalizeEmail(in.Email)
	at := strings.LastIndexByte(email, '@')
	if at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return nil, fmt.Errorf("e-mail %q: %w", in.Email, ErrInvalidUser)
	}
	if !has(anyRole, in.Role) {
		return nil, fmt.Errorf("role %q (want admin, pimpinan or petugas): %w", in.Role, ErrInvalidUser)
	}
	if (in.Role == models.UserPetugas) != (strings.TrimSpace(in.AgencyCode) != "") {
		return nil, fmt.Errorf("a petugas needs an OPD and only a petugas has one: %w", ErrInvalidUser)
	}
	if params == (Argon2Params{}) {
		params = DefaultArgon2
	}
	hash, err := HashPassword(in.Password, params)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = email[:at]
	}
	u := &models.User{Email: email, Name: name, Role: in.Role, PasswordHash: hash, Active: true, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.Role == models.UserPetugas {
			a, err := models.AgencyByCode(ctx, tx, strings.ToUpper(strings.TrimSpace(in.AgencyCode)))
			if errors.Is(err, models.ErrNotFound) {
				return fmt.Errorf("OPD %q: %w", in.AgencyCode, ErrInvalidUser)
			}
			if err != nil {
				return err
			}
			u.AgencyID = &a.ID
		}
		var n int64
		if err := tx.Model(&models.User{}).Where("email = ?", email).Count(&n).Error; err != nil {
			return fmt.Errorf("check e-mail: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%s: %w", email, ErrUserExists)
		}
		if err := tx.Create(u).Error; err != nil {
			return fmt.Errorf("insert user %s: %w", email, err)
		}
		detail := "peran=" + u.Role
		if in.Role == models.UserPetugas {
			detail += " opd=" + strings.ToUpper(strings.TrimSpace(in.AgencyCode))
		}
		return Audit(ctx, tx, by, "", "akun.buat", "user:"+email, detail, now)
	})
	if err != nil {
		return nil, fmt.Errorf("create console account: %w", err)
	}
	return u, nil
}
