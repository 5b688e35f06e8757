package complaint

import (
	"context"
	"fmt"
	"maps"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// Audience says who a notification is for.
type Audience string

// Audiences of a notification.
const (
	AudienceCitizen  Audience = "warga"   // the complaint's reporter
	AudienceOfficers Audience = "petugas" // the active officers (petugas and kepala) of AgencyID
	AudienceKepala   Audience = "kepala"  // the active heads (kepala) of AgencyID
	AudienceAdmins   Audience = "admin"   // every active admin
	// AudienceSupporters: the complaint's supporters (citizens who support it instead of filing).
	AudienceSupporters Audience = "pendukung"
	// AudienceOne: one citizen, CitizenID (a supporter answered).
	AudienceOne Audience = "seorang"
)

// Citizens reports whether the audience are citizens (told as citizens are, never with
// an officer's buttons).
func (a Audience) Citizens() bool {
	return a == AudienceCitizen || a == AudienceSupporters || a == AudienceOne
}

// Notification is something people must be told about a complaint. The domain never talks to
// channels: a Notifier renders Key in each recipient's language (see TemplateData) and queues
// the messages in the same transaction as the change.
type Notification struct {
	ComplaintID  int64
	Audience     Audience
	AgencyID     int64 // for AudienceOfficers and AudienceKepala
	OfficerID    int64 // for AudienceOfficer
	CitizenID    int64 // for AudienceOne
	Key          string
	Data         map[string]any // always kode, opd, status; render it with TemplateData
	AttachmentID *int64         // a photo to send along (the officer's proof)
	// Flow, when set, starts that conversation flow for a citizen recipient with FlowData
	// ("survei" after selesai, "jawab_info" after an officer's question).
	Flow     string
	FlowData map[string]string
}

// Notifier delivers notifications; the bot implements it.
type Notifier interface {
	Notify(ctx context.Context, tx *gorm.DB, n Notification) error
}

// LocalText is a name in several languages (by language code, "id" first); TemplateData
// picks the recipient's, falling back to Indonesian.
type LocalText map[string]string

// In returns the text in lang, or the Indonesian one.
func (t LocalText) In(lang string) string {
	if v := t[baseLang(lang)]; v != "" {
		return v
	}
	return t["id"]
}

func baseLang(lang string) string {
	if len(lang) >= 2 {
		return lang[:2]
	}
	return "id"
}

// TemplateData turns notification data into template data for lang: a time.Time becomes a
// written date in its own location ("Jumat, 4 Desember 2026"), a LocalText the text in lang,
// and a "status" code also yields "status_teks" (status_laporan.<status>).
func TemplateData(lang string, data map[string]any) map[string]any {
	out := make(map[string]any, len(data)+1)
	maps.Copy(out, data)
	for k, v := range data {
		switch v := v.(type) {
		case time.Time:
			out[k] = FormatDate(v, lang)
		case LocalText:
			out[k] = v.In(lang)
		}
	}
	if st, ok := data["status"].(string); ok && st != "" {
		if cat, err := catalog(); err == nil {
			out["status_teks"] = cat.T(lang, "status_laporan."+st, nil)
		}
	}
	return out
}

// TemplateData is the notification's Data rendered for lang; see the function TemplateData.
func (n Notification) TemplateData(lang string) map[string]any { return TemplateData(lang, n.Data) }

// Recipients returns the people a notification is for, as citizens (an officer is a citizen
// too), ordered by id; citizens who blocked the bot are left out.
func Recipients(ctx context.Context, tx *gorm.DB, n Notification) ([]models.Citizen, error) {
	tx = tx.Session(&gorm.Session{NewDB: true}).WithContext(ctx)
	q := tx.Model(&models.Citizen{}).Where("unreachable = ?", false).Order("id")
	officers := func(roles ...string) *gorm.DB {
		sub := tx.Model(&models.Officer{}).Select("citizen_id").Where("active = ? AND role IN ?", true, roles)
		if n.Audience != AudienceAdmins {
			sub = sub.Where("agency_id = ?", n.AgencyID)
		}
		return sub
	}
	switch n.Audience {
	case AudienceCitizen:
		q = q.Where("id = (?)", tx.Model(&models.Complaint{}).Select("citizen_id").Where("id = ?", n.ComplaintID))
	case AudienceSupporters:
		q = q.Where("id IN (?)", tx.Model(&models.ComplaintSupporter{}).Select("citizen_id").Where("complaint_id = ?", n.ComplaintID))
	case AudienceOne:
		q = q.Where("id = ?", n.CitizenID)
	case AudienceOfficers:
		q = q.Where("id IN (?)", officers(models.RolePetugas, models.RoleKepala))
	case AudienceKepala:
		q = q.Where("id IN (?)", officers(models.RoleKepala))
	case AudienceAdmins:
		q = q.Where("id IN (?)", officers(models.RoleAdmin))
	case AudienceOfficer:
		q = q.Where("id IN (?)", tx.Model(&models.Officer{}).Select("citizen_id").Where("id = ? AND active = ?", n.OfficerID, true))
	default:
		return nil, fmt.Errorf("recipients of %s: unknown audience %q", n.Key, n.Audience)
	}
	var cs []models.Citizen
	if err := q.Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("recipients of %s (%s): %w", n.Key, n.Audience, err)
	}
	return cs, nil
}

// notify hands n to the Notifier; without one, nobody is told (tools and tests that do not care).
func (s *Service) notify(ctx context.Context, tx *gorm.DB, ns ...Notification) error {
	if s.Notifier == nil {
		return nil
	}
	for _, n := range ns {
		if err := s.Notifier.Notify(ctx, tx, n); err != nil {
			return fmt.Errorf("notify %s (%s): %w", n.Key, n.Audience, err)
		}
	}
	return nil
}
