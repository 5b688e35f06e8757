package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
)

// PrivacyNoticeVersion is the version of the privacy notice (locale key
// PrivacyNoticeKey). Raise it whenever the notice's wording changes in meaning:
// everyone is shown the new version once, at their next message, on each channel.
// A test pins the text of each version, so a changed text without a new version fails.
const PrivacyNoticeVersion = 1

// PrivacyNoticeKey is the short privacy notice (UU 27/2022): what is collected, why,
// who sees it, how long it is kept and how to see or erase it, with the full text's address.
const PrivacyNoticeKey = "privasi.pemberitahuan"

// privacyWords are the messages that show the notice again, typed or as a command.
var privacyWords = map[string]bool{"/privasi": true, "/privacy": true, "privasi": true, "kebijakan privasi": true, "privacy": true}

// privacyCommand reports whether the input asks for the privacy notice.
func privacyCommand(in flows.Input) bool {
	if in.Kind != flows.InputText && in.Kind != flows.InputChoice {
		return false
	}
	text := in.Text
	if in.Kind == flows.InputChoice {
		text = in.ChoiceID
	}
	text = strings.ToLower(strings.Join(strings.Fields(text), " "))
	text, _, _ = strings.Cut(text, "@") // Telegram groups send "/privasi@SuaraWargaBot"
	return privacyWords[strings.TrimRight(text, ".!?")]
}

func (h *Handler) privacyVersion() int {
	if h.PrivacyVersion > 0 {
		return h.PrivacyVersion
	}
	return PrivacyNoticeVersion
}

// withPrivacyNotice makes the notice part of the first message the effects render to:
// it goes just above the first question (or the first buttons), or at the end when
// the reply asks nothing. The citizen reads it without an extra message or question.
func withPrivacyNotice(effects []flows.Effect) []flows.Effect {
	notice := flows.Say{Key: PrivacyNoticeKey}
	for i, e := range effects {
		switch e := e.(type) {
		case flows.Ask:
			return insertEffect(effects, i, notice)
		case flows.Say:
			if len(e.Choices) > 0 {
				return insertEffect(effects, i+1, flows.Say{Key: PrivacyNoticeKey, Choices: e.Choices, Texts: e.Texts})
			}
		}
	}
	return append(effects, notice)
}

// insertEffect puts e at i; a Say with choices at i replaces the choices of the Say
// before it, so the buttons stay under the whole message.
func insertEffect(effects []flows.Effect, i int, e flows.Effect) []flows.Effect {
	out := make([]flows.Effect, 0, len(effects)+1)
	out = append(out, effects[:i]...)
	if s, ok := e.(flows.Say); ok && len(s.Choices) > 0 {
		prev := out[i-1].(flows.Say)
		prev.Choices = nil
		out[i-1] = prev
	}
	out = append(out, e)
	return append(out, effects[i:]...)
}

// markPrivacyShown records that the address was shown the notice's version now.
func (h *Handler) markPrivacyShown(ctx context.Context, tx *gorm.DB, channel, address string, now time.Time) error {
	err := tx.WithContext(ctx).Model(&models.Identity{}).Where("channel = ? AND address = ?", channel, address).
		Updates(map[string]any{"notice_version": h.privacyVersion(), "notice_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("record privacy notice: %w", err)
	}
	return nil
}

// OwnDataPath is where the web chat's browser downloads its citizen's data as a file.
const OwnDataPath = "/api/chat/datasaya"

// dataWords are the messages that ask for one's own data (/datasaya), typed or as a command.
var dataWords = map[string]bool{"/datasaya": true, "/mydata": true, "data saya": true, "lihat data saya": true, "my data": true}

// dataCommand reports whether the input asks for the citizen's own data.
func dataCommand(in flows.Input) bool {
	if in.Kind != flows.InputText && in.Kind != flows.InputChoice {
		return false
	}
	text := in.Text
	if in.Kind == flows.InputChoice {
		text = in.ChoiceID
	}
	text = strings.ToLower(strings.Join(strings.Fields(text), " "))
	text, _, _ = strings.Cut(text, "@")
	return dataWords[strings.TrimRight(text, ".!?")]
}

// maxOwnComplaints bounds the reports listed in the /datasaya message (the file has all).
const maxOwnComplaints = 20

// ownData is the /datasaya message: what is kept about the citizen, by channel, report
// and message count; on the web chat it carries the download of everything as a file.
func (h *Handler) ownData(ctx context.Context, tx *gorm.DB, cit *models.Citizen, channel string) (Outbound, error) {
	rec, err := models.CitizenRecordOf(ctx, tx, cit.ID)
	if err != nil {
		return Outbound{}, err
	}
	lang := cit.Lang
	t := func(key string, data map[string]any) string { return h.Locales.T(lang, "datasaya."+key, data) }
	lines := []string{t("judul", nil)}
	if rec.Citizen.Name != "" {
		lines = append(lines, t("nama", map[string]any{"nama": rec.Citizen.Name}))
	} else {
		lines = append(lines, t("tanpa_nama", nil))
	}
	for _, id := range rec.Identities {
		kanal := h.Locales.T(lang, "kanal."+id.Channel, nil)
		addr := id.Address
		if h.AnonymousChannels[id.Channel] {
			addr = t("peramban_ini", nil) // the web chat's id is the browser's credential: never shown
		} else if strings.HasPrefix(id.Channel, "whatsapp") {
			addr, _, _ = strings.Cut(addr, "@")
			addr = "+" + strings.TrimPrefix(addr, "+")
		}
		lines = append(lines, t("kanal", map[string]any{"kanal": kanal, "alamat": addr}))
	}
	if len(rec.Complaints) == 0 {
		lines = append(lines, t("tanpa_laporan", nil))
	}
	for i, c := range rec.Complaints {
		if i == maxOwnComplaints {
			lines = append(lines, t("laporan_lain", map[string]any{"jumlah": len(rec.Complaints) - i}))
			break
		}
		lines = append(lines, t("laporan", map[string]any{"kode": c.Code, "kategori": c.Category,
			"status": h.Locales.T(lang, "status_laporan."+c.Status, nil), "tanggal": h.date(c.CreatedAt, lang), "uraian": shorten(c.Description, 120)}))
	}
	if n := len(rec.Messages); n > 0 {
		lines = append(lines, t("pesan", map[string]any{"jumlah": n, "sejak": h.date(rec.Messages[0].CreatedAt, lang)}))
	}
	out := Outbound{Lang: lang}
	if h.AnonymousChannels[channel] {
		lines = append(lines, t("unduh", nil))
		out.Download, out.DownloadLabel = OwnDataPath, t("tombol_unduh", nil)
	}
	lines = append(lines, t("hapus", nil))
	out.Text = strings.Join(lines, "\n")
	return out, nil
}

func (h *Handler) date(t time.Time, lang string) string {
	loc := time.Local
	if h.Complaints != nil && h.Complaints.Loc != nil {
		loc = h.Complaints.Loc
	}
	return complaint.FormatDate(t.In(loc), lang)
}

// shorten cuts s to at most n runes, ending in "…" when cut.
func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// erase is the citizen.erase action: the citizen's identity and contact go on every
// channel, in the message's transaction, and the request is written to the audit log.
func (e *env) erase(ctx context.Context) (string, error) {
	now := e.h.now()
	res, err := models.EraseCitizen(ctx, e.tx, e.citizen.ID, now, true)
	if err != nil {
		return "", err
	}
	entry := models.AuditEntry{Actor: "warga", Action: "warga.hapus_data", Object: "warga:" + strconv.FormatInt(e.citizen.ID, 10),
		Detail: "atas permintaan warga lewat " + e.channel + "; " + res.Detail(), CreatedAt: now}
	if err := e.tx.WithContext(ctx).Create(&entry).Error; err != nil {
		return "", fmt.Errorf("audit erasure: %w", err)
	}
	e.citizen.Name = ""
	e.h.logger().Info("citizen data erased on request", slog.Int64("citizen_id", e.citizen.ID), slog.String("channel", e.channel),
		slog.Int64("messages", res.Messages), slog.Int64("cancelled", res.Cancelled))
	return flows.OutcomeOK, nil
}
