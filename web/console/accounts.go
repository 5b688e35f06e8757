package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// The account pages: admins create console accounts, deactivate and reactivate them and make
// one-time password links (shown to the admin, never e-mailed); everyone changes their own
// password. Every change is in the audit log.
const (
	accountsPath = Prefix + "/akun"
	passwordPath = Prefix + "/sandi"
	linkPath     = Prefix + "/sandi-baru" // the one-time link; its token is in the query (?kode=), never in a logged path
)

// PasswordLinkTTL is how long a one-time password link works.
const PasswordLinkTTL = 72 * time.Hour

func (c *Console) registerAccounts(mux Handler) {
	mux.Handle("GET "+accountsPath, c.page(adminOnly, c.accounts))
	mux.Handle("POST "+accountsPath, c.page(adminOnly, c.createAccount))
	mux.Handle("POST "+accountsPath+"/{id}/{aksi}", c.page(adminOnly, c.accountAction))
	mux.Handle("GET "+passwordPath, c.page(anyRole, c.passwordForm))
	mux.Handle("POST "+passwordPath, c.page(anyRole, c.changePassword))
	mux.Handle("GET "+linkPath, http.HandlerFunc(c.linkForm))
	mux.Handle("POST "+linkPath, http.HandlerFunc(c.useLink))
}

// accountRow is one account in the list.
type accountRow struct {
	models.User
	AgencyCode string
	Self       bool
}

// accountsPage is what the accounts template shows.
type accountsPage struct {
	Accounts []accountRow
	Agencies []models.Agency
	Form     NewUser // the create form's values after an error
	Link     string  // the one-time link just made, shown once
	LinkFor  string  // whose it is
	LinkTill time.Time
}

// accountFlashes are the success messages a redirect back to the list may name.
var accountFlashes = map[string]bool{"nonaktif": true, "aktif": true}

func (c *Console) accounts(w http.ResponseWriter, r *http.Request, s *session) {
	c.showAccounts(w, r, s, http.StatusOK, "", &accountsPage{})
}

func (c *Console) showAccounts(w http.ResponseWriter, r *http.Request, s *session, status int, errKey string, p *accountsPage) {
	db := c.cfg.DB.WithContext(r.Context())
	if err := db.Order("code").Find(&p.Agencies).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("load agencies: %w", err))
		return
	}
	codes := map[int64]string{}
	for _, a := range p.Agencies {
		codes[a.ID] = a.Code
	}
	var users []models.User
	if err := db.Order("active DESC, role, name, id").Find(&users).Error; err != nil {
		c.internal(w, r, s, fmt.Errorf("load accounts: %w", err))
		return
	}
	for _, u := range users {
		row := accountRow{User: u, Self: u.ID == s.User.ID}
		if u.AgencyID != nil {
			row.AgencyCode = codes[*u.AgencyID]
		}
		p.Accounts = append(p.Accounts, row)
	}
	d := c.data(w, r, s, "akun.judul", p)
	if errKey != "" {
		d.Error = d.L.T("akun.galat."+errKey, "min", MinPasswordLen)
	} else if k := r.URL.Query().Get("ok"); accountFlashes[k] {
		d.Flash = d.L.T("akun.berhasil." + k)
	}
	c.render(w, r, status, "akun", d)
}

// linkURL is the address of a one-time link with token.
func (c *Console) linkURL(r *http.Request, token string) string {
	base := strings.TrimRight(c.cfg.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + linkPath + "?kode=" + url.QueryEscape(token)
}

// newLink stores a one-time password link for u (an earlier unused one stops working) and
// returns its token.
func (c *Console) newLink(ctx context.Context, tx *gorm.DB, u *models.User, by *models.User, now time.Time) (string, error) {
	if err := tx.WithContext(ctx).Where("user_id = ? AND used_at IS NULL", u.ID).Delete(&models.PasswordReset{}).Error; err != nil {
		return "", fmt.Errorf("drop old password links: %w", err)
	}
	token := newToken()
	pr := models.PasswordReset{UserID: u.ID, TokenHash: hashToken(token), CreatedAt: now, ExpiresAt: now.Add(PasswordLinkTTL)}
	if by != nil {
		id := by.ID
		pr.CreatedBy = &id
	}
	if err := tx.WithContext(ctx).Create(&pr).Error; err != nil {
		return "", fmt.Errorf("store password link: %w", err)
	}
	return token, nil
}

// createAccount adds an account with a password nobody knows and shows the admin the
// one-time link with which its holder chooses one.
func (c *Console) createAccount(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	in := NewUser{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("nama")),
		Role: r.PostFormValue("peran"), AgencyCode: strings.TrimSpace(r.PostFormValue("opd"))}
	if in.Role != models.UserPetugas {
		in.AgencyCode = "" // the OPD field only counts for a petugas
	}
	p := &accountsPage{Form: in}
	if len(in.Name) > 200 {
		c.showAccounts(w, r, s, http.StatusUnprocessableEntity, "nama", p)
		return
	}
	if in.Role == models.UserPetugas && in.AgencyCode == "" {
		c.showAccounts(w, r, s, http.StatusUnprocessableEntity, "opd", p)
		return
	}
	in.Password = GeneratePassword()
	var token string
	var u *models.User
	err := c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = CreateUser(ctx, tx, in, c.cfg.Argon2, &s.User, now); err != nil {
			return err
		}
		if token, err = c.newLink(ctx, tx, u, &s.User, now); err != nil {
			return err
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "akun.tautan_sandi", "user:"+u.Email, "baru", now)
	})
	switch {
	case errors.Is(err, ErrUserExists):
		c.showAccounts(w, r, s, http.StatusUnprocessableEntity, "sudah_ada", p)
		return
	case errors.Is(err, ErrInvalidUser):
		key := "opd"
		if strings.Contains(err.Error(), "e-mail") {
			key = "email"
		} else if strings.Contains(err.Error(), "role") {
			key = "peran"
		}
		c.showAccounts(w, r, s, http.StatusUnprocessableEntity, key, p)
		return
	case err != nil:
		c.internal(w, r, s, err)
		return
	}
	c.showAccounts(w, r, s, http.StatusOK, "", &accountsPage{Link: c.linkURL(r, token), LinkFor: u.Name + " <" + u.Email + ">",
		LinkTill: now.Add(PasswordLinkTTL)})
}

// accountAction deactivates, reactivates, or makes a password link for an account.
func (c *Console) accountAction(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now, ip := r.Context(), c.now(), c.clientIP(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, s, http.StatusNotFound, "akun.galat.tidak_ada", nil)
		return
	}
	action := r.PathValue("aksi")
	if action != "nonaktif" && action != "aktif" && action != "reset" {
		c.fail(w, r, s, http.StatusNotFound, "akun.galat.tidak_ada", nil)
		return
	}
	if action == "nonaktif" && id == s.User.ID {
		c.showAccounts(w, r, s, http.StatusUnprocessableEntity, "diri_sendiri", &accountsPage{})
		return
	}
	var token string
	var u *models.User
	err = c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = models.UserByID(ctx, tx, id); err != nil {
			return err
		}
		switch action {
		case "nonaktif":
			if !u.Active {
				return nil
			}
			if err := tx.Model(u).Updates(map[string]any{"active": false, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("deactivate account: %w", err)
			}
			// Its browsers are signed out at once (each request also checks the account is active).
			if err := tx.Where("user_id = ?", u.ID).Delete(&models.UserSession{}).Error; err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
			if err := tx.Where("user_id = ? AND used_at IS NULL", u.ID).Delete(&models.PasswordReset{}).Error; err != nil {
				return fmt.Errorf("drop password links: %w", err)
			}
			return Audit(ctx, tx, &s.User, ip, "akun.nonaktif", "user:"+u.Email, "", now)
		case "aktif":
			if u.Active {
				return nil
			}
			if err := tx.Model(u).Updates(map[string]any{"active": true, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("reactivate account: %w", err)
			}
			return Audit(ctx, tx, &s.User, ip, "akun.aktif", "user:"+u.Email, "", now)
		default:
			if !u.Active {
				return dataInputError{"reset_nonaktif"}
			}
			if token, err = c.newLink(ctx, tx, u, &s.User, now); err != nil {
				return err
			}
			return Audit(ctx, tx, &s.User, ip, "akun.tautan_sandi", "user:"+u.Email, "reset", now)
		}
	})
	var in dataInputError
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.fail(w, r, s, http.StatusNotFound, "akun.galat.tidak_ada", nil)
	case errors.As(err, &in):
		c.showAccounts(w, r, s, http.StatusUnprocessableEntity, in.key, &accountsPage{})
	case err != nil:
		c.internal(w, r, s, err)
	case action == "reset":
		c.showAccounts(w, r, s, http.StatusOK, "", &accountsPage{Link: c.linkURL(r, token), LinkFor: u.Name + " <" + u.Email + ">",
			LinkTill: now.Add(PasswordLinkTTL)})
	default:
		http.Redirect(w, r, accountsPath+"?ok="+action, http.StatusSeeOther)
	}
}

// passwordPage is the data of the own-password form and of the one-time link's form.
type passwordPage struct {
	Token string // the link's token (the link's form only)
	Email string // whose password it sets (for the browser's password manager)
	Min   int
}

func (c *Console) passwordForm(w http.ResponseWriter, r *http.Request, s *session) {
	c.showPassword(w, r, s, http.StatusOK, "")
}

func (c *Console) showPassword(w http.ResponseWriter, r *http.Request, s *session, status int, errKey string) {
	d := c.data(w, r, s, "akun.sandi.judul", passwordPage{Email: s.User.Email, Min: MinPasswordLen})
	if errKey != "" {
		d.Error = d.L.T("akun.galat."+errKey, "min", MinPasswordLen, "menit", int(c.cfg.Limit.Window.Minutes()))
	} else if r.URL.Query().Get("ok") == "1" {
		d.Flash = d.L.T("akun.berhasil.sandi")
	}
	c.render(w, r, status, "sandi", d)
}

// newPassword checks the two entries of a new password: the key of what is wrong, or "".
func newPassword(r *http.Request) (string, string) {
	pw, again := r.PostFormValue("sandi_baru"), r.PostFormValue("ulangi")
	switch {
	case len(pw) > 1024:
		return "", "sandi_pendek"
	case len([]rune(pw)) < MinPasswordLen:
		return "", "sandi_pendek"
	case pw != again:
		return "", "sandi_beda"
	}
	return pw, ""
}

// changePassword sets the signed-in account's password after checking the current one; the
// account's other browsers are signed out.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now, ip := r.Context(), c.now(), c.clientIP(r)
	limited, err := c.limited(ctx, s.User.Email, ip)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	if limited {
		c.showPassword(w, r, s, http.StatusTooManyRequests, "terlalu_sering")
		return
	}
	current := r.PostFormValue("sandi_lama")
	ok := false
	if len(current) <= 1024 {
		if ok, err = CheckPassword(s.User.PasswordHash, current); err != nil {
			c.log.ErrorContext(ctx, "console password hash unreadable", slog.Int64("user_id", s.User.ID), slog.Any("error", err))
			ok = false
		}
	}
	if !ok {
		if err := c.recordAttempt(ctx, s.User.Email, ip, false); err != nil {
			c.internal(w, r, s, err)
			return
		}
		c.showPassword(w, r, s, http.StatusUnprocessableEntity, "sandi_lama")
		return
	}
	pw, bad := newPassword(r)
	if bad != "" {
		c.showPassword(w, r, s, http.StatusUnprocessableEntity, bad)
		return
	}
	hash, err := HashPassword(pw, c.cfg.Argon2)
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	err = c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.User{}).Where("id = ?", s.User.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := tx.Where("user_id = ? AND id <> ?", s.User.ID, s.ID).Delete(&models.UserSession{}).Error; err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		return Audit(ctx, tx, &s.User, ip, "akun.sandi", "user:"+s.User.Email, "", now)
	})
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	http.Redirect(w, r, passwordPath+"?ok=1", http.StatusSeeOther)
}

// linkUser returns the account a one-time link's token opens, nil when the link is unknown,
// used, expired, or its account deactivated.
func (c *Console) linkUser(ctx context.Context, db *gorm.DB, token string) (*models.PasswordReset, *models.User, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, nil, nil
	}
	var pr models.PasswordReset
	err := db.WithContext(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashToken(token), c.now()).Take(&pr).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load password link: %w", err)
	}
	u, err := models.UserByID(ctx, db, pr.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		return nil, nil, nil
	}
	return &pr, u, nil
}

func (c *Console) linkForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.URL.Query().Get("kode")
	_, u, err := c.linkUser(r.Context(), c.cfg.DB, token)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if u == nil {
		c.fail(w, r, nil, http.StatusNotFound, "akun.galat.tautan", nil)
		return
	}
	c.showLink(w, r, http.StatusOK, token, u, "")
}

func (c *Console) showLink(w http.ResponseWriter, r *http.Request, status int, token string, u *models.User, errKey string) {
	d := c.data(w, r, nil, "akun.tautan.judul", passwordPage{Token: token, Email: u.Email, Min: MinPasswordLen})
	if errKey != "" {
		d.Error = d.L.T("akun.galat."+errKey, "min", MinPasswordLen)
	}
	c.render(w, r, status, "sandi_baru", d)
}

// useLink sets the password of a one-time link's account: the link is spent, the account's
// browsers are signed out, and the holder signs in with the new password.
func (c *Console) useLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, nil, http.StatusBadRequest, "akun.galat.tautan", nil)
		return
	}
	ctx, now := r.Context(), c.now()
	token := r.PostFormValue("kode")
	pr, u, err := c.linkUser(ctx, c.cfg.DB, token)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if u == nil {
		c.fail(w, r, nil, http.StatusNotFound, "akun.galat.tautan", nil)
		return
	}
	pw, bad := newPassword(r)
	if bad != "" {
		c.showLink(w, r, http.StatusUnprocessableEntity, token, u, bad)
		return
	}
	hash, err := HashPassword(pw, c.cfg.Argon2)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	err = c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Spend the link first and only if nobody else just did: a link works once.
		res := tx.Model(&models.PasswordReset{}).Where("id = ? AND used_at IS NULL", pr.ID).Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("spend password link: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return errLinkUsed
		}
		if err := tx.Model(&models.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&models.UserSession{}).Error; err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return Audit(ctx, tx, u, c.clientIP(r), "akun.sandi", "user:"+u.Email, "tautan", now)
	})
	switch {
	case errors.Is(err, errLinkUsed):
		c.fail(w, r, nil, http.StatusNotFound, "akun.galat.tautan", nil)
	case err != nil:
		c.internal(w, r, nil, err)
	default:
		http.Redirect(w, r, Prefix+"/masuk?ok=sandi", http.StatusSeeOther)
	}
}

var errLinkUsed = errors.New("password link already used")
