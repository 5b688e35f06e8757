package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"unicode/utf16"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// What an officer is told about a complaint is one message: its text on the first photo
// as the caption, the action buttons under it. The budgets are UTF-16 units (what Telegram
// counts), below Telegram's 1024-unit caption and 4096-unit text so that WhatsApp's
// numbered list of the buttons still fits the same message.
const (
	noticeCaptionMax = 800
	noticeTextMax    = 3600
)

// fitFields are the long, free-text fields of a notice's data that are shortened (in this
// order) when its text does not fit one message; the rest of a notice is short.
var fitFields = []string{"uraian", "teks", "alasan"}

// utf16Len counts what Telegram counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fitText renders data with render, shortening the fitFields until the text is at most max
// units; a shortened field ends in "…" followed by more (e.g. a pointer to /lihat).
// The last resort, for a template long without its fields, is a hard cut.
func fitText(render func(map[string]any) string, data map[string]any, max int, more string) string {
	text := render(data)
	if utf16Len(text) <= max {
		return text
	}
	d := make(map[string]any, len(data))
	for k, v := range data {
		d[k] = v
	}
	for _, f := range fitFields {
		s, ok := data[f].(string)
		if !ok || s == "" {
			continue
		}
		runes := []rune(s)
		// The longest prefix of the field that fits, by bisection on its length.
		lo, hi := 0, len(runes)
		best := ""
		for lo <= hi {
			mid := (lo + hi) / 2
			d[f] = string(runes[:mid]) + "…" + more
			if t := render(d); utf16Len(t) <= max {
				best, lo = t, mid+1
			} else {
				hi = mid - 1
			}
		}
		if best != "" {
			return best
		}
		d[f] = "…" + more
		text = render(d)
	}
	if utf16Len(text) <= max {
		return text
	}
	return cutUTF16(text, max-1) + "…"
}

// cutUTF16 is the longest prefix of s of at most max UTF-16 units.
func cutUTF16(s string, max int) string {
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > max {
			return s[:i]
		}
		n += utf16.RuneLen(r)
	}
	return s
}

// MapLink is a link to a map point that a phone opens in its maps app.
func MapLink(lat, lng float64) string {
	ll := strconv.FormatFloat(lat, 'f', 6, 64) + "," + strconv.FormatFloat(lng, 'f', 6, 64)
	return "https://www.google.com/maps/search/?api=1&query=" + ll
}

// noticeLayout builds an officer's messages about a complaint: the text (rendered by
// render from data, with the map point as a link) as the caption of the first photo, or
// alone, carrying the buttons; further photos follow without buttons, each captioned with
// the ticket and its number so it is clear which complaint they belong to. With shorten,
// the free-text fields are cut to fit one message; without it a text too long for a
// caption goes as its own message with the buttons, the photos after it.
func (h *Handler) noticeLayout(lang, code string, render func(map[string]any) string, data map[string]any,
	photos []models.Attachment, lat, lng *float64, buttons []Choice, shorten bool) []Outbound {
	withLink := render
	if lat != nil && lng != nil {
		link := h.Locales.T(lang, "petugas.tautan_peta", map[string]any{"tautan": MapLink(*lat, *lng)})
		withLink = func(d map[string]any) string { return render(d) + "\n" + link }
	}
	more := " " + h.Locales.T(lang, "petugas.selengkapnya", map[string]any{"kode": code})
	var outs []Outbound
	first := 0
	switch {
	case len(photos) == 0:
		text := withLink(data)
		if shorten || utf16Len(text) > noticeTextMax {
			text = fitText(withLink, data, noticeTextMax, more)
		}
		outs = append(outs, Outbound{Text: text, Choices: buttons})
	case shorten || utf16Len(withLink(data)) <= noticeCaptionMax:
		outs = append(outs, Outbound{Text: fitText(withLink, data, noticeCaptionMax, more), PhotoPath: photos[0].Preview(), Choices: buttons})
		first = 1
	default:
		outs = append(outs, Outbound{Text: fitText(withLink, data, noticeTextMax, more), Choices: buttons})
	}
	for i := first; i < len(photos); i++ {
		caption := h.Locales.T(lang, "petugas.foto_ke", map[string]any{"kode": code, "n": i + 1, "jumlah": len(photos)})
		outs = append(outs, Outbound{Text: caption, PhotoPath: photos[i].Preview()})
	}
	return WithLang(outs, lang)
}

// photoFiles loads the attachments of ids, in the order of ids, for sending:
// a photo stored before cleaning existed is cleaned first (models.CleanAttachment),
// so only cleaned bytes and their previews ever leave the bot.
func (h *Handler) photoFiles(ctx context.Context, tx *gorm.DB, ids []int64) ([]models.Attachment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var atts []models.Attachment
	if err := tx.Where("id IN ?", ids).Find(&atts).Error; err != nil {
		return nil, fmt.Errorf("load photos: %w", err)
	}
	byID := make(map[int64]models.Attachment, len(atts))
	for _, a := range atts {
		if _, err := models.CleanAttachment(ctx, tx, h.DataDir, &a); err != nil {
			// Never send what could not be cleaned; the rest of the notice goes out.
			h.logger().Warn("photo not sent: it could not be cleaned", slog.Int64("attachment_id", a.ID), slog.Any("error", err))
			continue
		}
		byID[a.ID] = a
	}
	out := make([]models.Attachment, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if a, ok := byID[id]; ok && !seen[id] {
			out, seen[id] = append(out, a), true
		}
	}
	return out, nil
}
