package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// The erasure of a citizen's data on a written request (UU 27/2022), by an admin: the
// same erasure as the citizen's own /hapusdata, found by a ticket code or a chat number,
// shown first and done only once confirmed, with the request's reference in the audit log.

const erasurePath = Prefix + "/hapus-data"

func (c *Console) registerErasure(mux Handler) {
	mux.Handle("GET "+erasurePath, c.page(adminOnly, c.erasureForm))
	mux.Handle("POST "+erasurePath, c.page(adminOnly, c.erase))
}

// erasurePage feeds templates/hapus_data.html.
type erasurePage struct {
	Kode, Nomor, Dasar string
	Found              *models.CitizenRecord // shown for confirmation
	Done               *models.Erasure
}

func (c *Console) erasureForm(w http.ResponseWriter, r *http.Request, s *session) {
	c.render(w, r, http.StatusOK, "hapus_data", c.data(w, r, s, "konsol.hapus_data.judul", &erasurePage{}))
}

func (c *Console) erase(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	p := &erasurePage{Kode: complaint.NormalizeCode(r.PostFormValue("kode")), Nomor: strings.TrimSpace(r.PostFormValue("nomor")),
		Dasar: strings.TrimSpace(r.PostFormValue("dasar"))}
	d := c.data(w, r, s, "konsol.hapus_data.judul", p)
	if (p.Kode == "" && p.Nomor == "") || p.Dasar == "" || len(p.Dasar) > 500 {
		d.Error = d.L.T("konsol.hapus_data.isian_kurang")
		c.render(w, r, http.StatusBadRequest, "hapus_data", d)
		return
	}
	id, err := c.erasureCitizen(ctx, p.Kode, p.Nomor)
	if errors.Is(err, models.ErrNotFound) {
		d.Error = d.L.T("konsol.hapus_data.tidak_ditemukan")
		c.render(w, r, http.StatusNotFound, "hapus_data", d)
		return
	}
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	if r.PostFormValue("konfirmasi") != "1" {
		if p.Found, err = models.CitizenRecordOf(ctx, c.cfg.DB, id); err != nil {
			c.internal(w, r, s, err)
			return
		}
		c.render(w, r, http.StatusOK, "hapus_data", d)
		return
	}
	now := c.now()
	var res models.Erasure
	err = c.cfg.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if res, err = models.EraseCitizen(ctx, tx, id, now, false); err != nil {
			return err
		}
		return Audit(ctx, tx, &s.User, c.clientIP(r), "warga.hapus_data", "warga:"+strconv.FormatInt(id, 10),
			"atas permintaan tertulis: "+p.Dasar+"; "+res.Detail(), now)
	})
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	p.Done = &res
	d.Flash = d.L.T("konsol.hapus_data.selesai")
	c.render(w, r, http.StatusOK, "hapus_data", d)
}

// erasureCitizen finds the citizen behind a ticket code or a chat number (a WhatsApp
// number as 08…, 628… or +628…, or a Telegram chat id).
func (c *Console) erasureCitizen(ctx context.Context, code, number string) (int64, error) {
	db := c.cfg.DB.WithContext(ctx)
	if code != "" {
		var ids []int64
		if err := db.Model(&models.Complaint{}).Where("code = ?", code).Pluck("citizen_id", &ids).Error; err != nil {
			return 0, fmt.Errorf("find complaint %s: %w", code, err)
		}
		if len(ids) == 0 {
			return 0, models.ErrNotFound
		}
		return ids[0], nil
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
	if strings.HasPrefix(digits, "0") {
		digits = "62" + digits[1:]
	}
	if digits == "" {
		return 0, models.ErrNotFound
	}
	var ids []int64
	err := db.Model(&models.Identity{}).
		Where("(channel = ? AND address = ?) OR (channel = ? AND address = ?) OR (channel = ? AND address = ?)",
			"whatsapp", digits+"@s.whatsapp.net", "whatsappcloud", digits, "telegram", digits).
		Pluck("citizen_id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("find citizen by number: %w", err)
	}
	if len(ids) == 0 {
		return 0, models.ErrNotFound
	}
	return ids[0], nil
}
