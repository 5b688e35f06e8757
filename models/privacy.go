package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// CitizenRecord is everything the regency keeps about one citizen (UU 27/2022's right
// of access): their identity on each channel, their reports and their messages.
type CitizenRecord struct {
	Citizen    Citizen
	Identities []Identity
	Complaints []CitizenComplaint
	Messages   []Message
}

// CitizenComplaint is one report of a citizen, as they may see it.
type CitizenComplaint struct {
	Code         string
	Category     string
	Agency       string
	Status       string
	Description  string
	Address      string
	Lat, Lng     *float64
	Confidential bool
	CreatedAt    time.Time
	ClosedAt     *time.Time
}

// CitizenRecordOf loads what is kept about citizen id.
func CitizenRecordOf(ctx context.Context, db *gorm.DB, id int64) (*CitizenRecord, error) {
	db = db.WithContext(ctx)
	var r CitizenRecord
	if err := db.Where("id = ?", id).Take(&r.Citizen).Error; err != nil {
		return nil, fmt.Errorf("load citizen %d: %w", id, err)
	}
	if err := db.Where("citizen_id = ?", id).Order("id").Find(&r.Identities).Error; err != nil {
		return nil, fmt.Errorf("load identities of citizen %d: %w", id, err)
	}
	err := db.Table("complaints").
		Select("complaints.code, categories.name AS category, agencies.name AS agency, complaints.status, complaints.description, "+
			"complaints.address, complaints.lat, complaints.lng, complaints.confidential, complaints.created_at, complaints.closed_at").
		Joins("JOIN categories ON categories.id = complaints.category_id").
		Joins("JOIN agencies ON agencies.id = complaints.agency_id").
		Where("complaints.citizen_id = ?", id).Order("complaints.id").Scan(&r.Complaints).Error
	if err != nil {
		return nil, fmt.Errorf("load complaints of citizen %d: %w", id, err)
	}
	if err := db.Where("citizen_id = ?", id).Order("id").Find(&r.Messages).Error; err != nil {
		return nil, fmt.Errorf("load messages of citizen %d: %w", id, err)
	}
	return &r, nil
}

// Erasure counts what EraseCitizen removed.
type Erasure struct {
	Identities, Messages, Cancelled, Complaints int64
	Channels                                    []string
}

// Detail is the erasure for the audit log: counts and channels, never an address.
func (e Erasure) Detail() string {
	return fmt.Sprintf("kanal=%s identitas=%d pesan=%d dibatalkan=%d laporan=%d",
		strings.Join(e.Channels, ","), e.Identities, e.Messages, e.Cancelled, e.Complaints)
}

// EraseCitizen erases a citizen's identity and contact on every channel (UU 27/2022's
// right to erasure), inside tx: their addresses (and the linked WhatsApp device's
// contact entries for them), their name, every message to or from them (so pending
// messages are cancelled), and the data of their conversations. Their complaints stay
// for the statistics, marked confidential and no longer tied to anyone reachable.
// keepRequest keeps the citizen's last inbound message (emptied) so the chat can be answered.
func EraseCitizen(ctx context.Context, tx *gorm.DB, id int64, now time.Time, keepRequest bool) (Erasure, error) {
	tx = tx.WithContext(ctx)
	var e Erasure
	var ids []Identity
	if err := tx.Where("citizen_id = ?", id).Find(&ids).Error; err != nil {
		return e, fmt.Errorf("erase citizen %d: load identities: %w", id, err)
	}
	var wa []string
	for _, i := range ids {
		if !contains(e.Channels, i.Channel) {
			e.Channels = append(e.Channels, i.Channel)
		}
		if i.Channel == "whatsapp" {
			wa = append(wa, i.Address)
		}
	}
	if len(wa) > 0 && tx.Migrator().HasTable("whatsmeow_contacts") {
		if err := tx.Exec("DELETE FROM whatsmeow_contacts WHERE their_jid IN ?", wa).Error; err != nil {
			return e, fmt.Errorf("erase citizen %d: whatsapp contacts: %w", id, err)
		}
	}
	res := tx.Where("citizen_id = ?", id).Delete(&Identity{})
	if res.Error != nil {
		return e, fmt.Errorf("erase citizen %d: identities: %w", id, res.Error)
	}
	e.Identities = res.RowsAffected
	if err := tx.Model(&Message{}).Where("citizen_id = ? AND direction = ? AND status IN ?", id, DirectionOut,
		[]string{MessageQueued, MessageWaiting, MessageSending}).Count(&e.Cancelled).Error; err != nil {
		return e, fmt.Errorf("erase citizen %d: pending messages: %w", id, err)
	}
	del := tx.Where("citizen_id = ?", id)
	if keepRequest {
		// The message that asked stays, emptied, until the answer is out: WhatsApp answers
		// only a chat that wrote. The retention job removes both once sent.
		var last Message
		if err := tx.Where("citizen_id = ? AND direction = ?", id, DirectionIn).Order("id DESC").Limit(1).Find(&last).Error; err != nil {
			return e, fmt.Errorf("erase citizen %d: last message: %w", id, err)
		}
		if last.ID != 0 {
			if err := tx.Model(&Message{}).Where("id = ?", last.ID).Updates(map[string]any{"text": "", "payload": "", "platform_id": nil}).Error; err != nil {
				return e, fmt.Errorf("erase citizen %d: last message: %w", id, err)
			}
			del = del.Where("id <> ?", last.ID)
		}
	}
	res = del.Delete(&Message{})
	if res.Error != nil {
		return e, fmt.Errorf("erase citizen %d: messages: %w", id, res.Error)
	}
	e.Messages = res.RowsAffected
	err := tx.Model(&Conversation{}).Where("citizen_id = ?", id).
		Updates(map[string]any{"status": ConversationEnded, "data": "", "node": "", "expires_at": nil, "updated_at": now.UTC()}).Error
	if err != nil {
		return e, fmt.Errorf("erase citizen %d: conversations: %w", id, err)
	}
	// What officers were told about a complaint named its reporter ("Pelapor: …"): the
	// copies kept of those notices go blank (one still waiting to go out is left to be sent).
	var name string
	if err := tx.Model(&Citizen{}).Where("id = ?", id).Pluck("name", &name).Error; err != nil {
		return e, fmt.Errorf("erase citizen %d: %w", id, err)
	}
	var terms []string
	if len([]rune(strings.TrimSpace(name))) >= 3 {
		terms = append(terms, strings.TrimSpace(name))
	}
	for _, i := range ids {
		if a, _, _ := strings.Cut(i.Address, "@"); i.Channel != "webchat" && len(a) >= 6 {
			terms = append(terms, a)
		}
	}
	for _, term := range terms {
		err := tx.Model(&Message{}).
			Where("direction = ? AND citizen_id <> ? AND status NOT IN ? AND citizen_id IN (SELECT citizen_id FROM officers) AND text LIKE ? ESCAPE '!'",
				DirectionOut, id, []string{MessageQueued, MessageWaiting, MessageSending}, "%"+likeEscape(term)+"%").
			Updates(map[string]any{"text": "", "payload": ""}).Error
		if err != nil {
			return e, fmt.Errorf("erase citizen %d: notices naming them: %w", id, err)
		}
	}
	res = tx.Model(&Complaint{}).Where("citizen_id = ?", id).Updates(map[string]any{"confidential": true, "updated_at": now.UTC()})
	if res.Error != nil {
		return e, fmt.Errorf("erase citizen %d: complaints: %w", id, res.Error)
	}
	e.Complaints = res.RowsAffected
	err = tx.Model(&Citizen{}).Where("id = ?", id).
		Updates(map[string]any{"name": "", "erased_at": now.UTC(), "updated_at": now.UTC()}).Error
	if err != nil {
		return e, fmt.Errorf("erase citizen %d: %w", id, err)
	}
	return e, nil
}

// likeEscape escapes s for a LIKE pattern with ESCAPE '!'.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
