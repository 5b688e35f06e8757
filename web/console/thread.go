package console

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// Sides of the thread: who speaks in a bubble.
const (
	sideWarga   = "warga"   // the citizen (left)
	sideBot     = "bot"     // what the bot sent the citizen (right, grey)
	sidePetugas = "petugas" // an officer's words to the citizen (right, green)
	sideSistem  = "sistem"  // a change of the complaint (centre, small)
	sideCatatan = "catatan" // an internal note (yellow; never sent)
)

// threadMax bounds the messages read for one thread.
const threadMax = 400

// threadItem is one entry of a complaint's thread on the detail page.
type threadItem struct {
	At       time.Time
	Side     string
	Who      string
	Text     string
	Quote    string // an officer's or citizen's own words under a timeline line
	Photo    string // a link to a photo of the complaint
	MapURL   string
	Coords   string
	Choices  []string // the buttons the bot offered
	Delivery string   // e.g. "terkirim 10.32"; empty when unknown
	State    string   // queued, sent, failed… (the class of Delivery)
	order    int64
}

// thread is a complaint's conversation with the citizen, folded with its timeline and notes.
type thread struct {
	Filing []threadItem // the conversation the report was made in, before it was filed
	Items  []threadItem // everything after, oldest first
	Photos map[int64]bool
}

// threadMessage is the part of a message row the thread reads.
type threadMessage struct {
	ID             int64
	ConversationID *int64
	ComplaintID    *int64
	Direction      string
	Kind           string
	Text           string
	Payload        string
	Status         string
	CreatedAt      time.Time
	SentAt         *time.Time
	DeliveredAt    *time.Time
	ReadAt         *time.Time
}

// officerEvents are the timeline kinds in which an officer (or the service) tells the citizen
// something: the notification message that carried it is folded into the event.
var officerEvents = map[string]bool{
	complaint.EventDiterima: true, complaint.EventTanggapan: true, complaint.EventMintaInfo: true,
	complaint.EventSelesai: true, complaint.EventDitolak: true, complaint.EventBukanWewenang: true,
	complaint.EventDitutupOtomatis: true,
}

// wordsOfOfficer are the kinds whose Text is an officer's own words to the citizen.
var wordsOfOfficer = map[string]bool{
	complaint.EventTanggapan: true, complaint.EventMintaInfo: true, complaint.EventSelesai: true,
	complaint.EventDitolak: true, complaint.EventBukanWewenang: true,
}

// citizenEvents are the kinds that record something the citizen sent.
var citizenEvents = map[string]bool{
	complaint.EventInfoWarga: true, complaint.EventDibukaKembali: true, complaint.EventDitutup: true, complaint.EventPenilaian: true,
}

// loadThread reads complaint c's messages with its citizen: the conversation it was filed in
// (up to the filing), the follow-up conversations started for it (an OPD's question, the
// survey) and the notifications sent about it. Only the citizen's own messages are read, and
// only in those spans, so nothing of their other complaints shows. Spans are message ids:
// a citizen's inbound message is answered in the same transaction, so it sits just before
// the replies it caused.
func (c *Console) loadThread(ctx context.Context, v *complaint.StatusView) ([]threadMessage, map[int64]bool, error) {
	db := c.cfg.DB.WithContext(ctx)
	cp := v.Complaint
	cols := "id, conversation_id, complaint_id, direction, kind, text, payload, status, created_at, sent_at, delivered_at, read_at"
	mine := func() *gorm.DB { return db.Table("messages").Select(cols).Where("citizen_id = ?", cp.CitizenID) }
	var out []threadMessage
	filing := map[int64]bool{}
	// span adds the conversation's replies with ids in (after, upto] and the citizen's messages
	// from the one that prompted the first reply to the last reply.
	span := func(convID, after int64, upto time.Time, mark bool) error {
		var outs []threadMessage
		q := mine().Where("direction = ? AND conversation_id = ? AND id > ?", models.DirectionOut, convID, after)
		if !upto.IsZero() {
			q = q.Where("created_at <= ?", upto)
		}
		if err := q.Order("id").Limit(threadMax).Scan(&outs).Error; err != nil {
			return fmt.Errorf("load thread of %s: %w", cp.Code, err)
		}
		if len(outs) == 0 {
			return nil
		}
		lo, hi := outs[0].ID, outs[len(outs)-1].ID
		var prompt []int64
		if err := db.Table("messages").Where("citizen_id = ? AND direction = ? AND id < ? AND id > ?", cp.CitizenID, models.DirectionIn, lo, after).
			Order("id DESC").Limit(1).Pluck("id", &prompt).Error; err != nil {
			return fmt.Errorf("load thread of %s: %w", cp.Code, err)
		}
		from := lo
		if mark && len(prompt) > 0 {
			from = prompt[0] // the message that started the report
		}
		var ins []threadMessage
		if err := mine().Where("direction = ? AND id >= ? AND id <= ?", models.DirectionIn, from, hi).
			Order("id").Limit(threadMax).Scan(&ins).Error; err != nil {
			return fmt.Errorf("load thread of %s: %w", cp.Code, err)
		}
		for _, m := range append(outs, ins...) {
			if mark {
				filing[m.ID] = true
			}
			out = append(out, m)
		}
		return nil
	}
	if cp.ConversationID != nil {
		// The confirmation is written in the filing's own transaction, a moment after it. A
		// conversation may have filed an earlier report: this one's part starts after that one's.
		prev := int64(0)
		var earlier []time.Time
		if err := db.Model(&models.Complaint{}).Where("conversation_id = ? AND id <> ? AND created_at <= ?", *cp.ConversationID, cp.ID, cp.CreatedAt).
			Order("created_at DESC").Limit(1).Pluck("created_at", &earlier).Error; err != nil {
			return nil, nil, fmt.Errorf("load thread of %s: %w", cp.Code, err)
		}
		if len(earlier) > 0 {
			var last []int64
			if err := db.Table("messages").Where("conversation_id = ? AND direction = ? AND created_at <= ?", *cp.ConversationID,
				models.DirectionOut, earlier[0].Add(10*time.Second)).Order("id DESC").Limit(1).Pluck("id", &last).Error; err != nil {
				return nil, nil, fmt.Errorf("load thread of %s: %w", cp.Code, err)
			}
			if len(last) > 0 {
				prev = last[0]
			}
		}
		if err := span(*cp.ConversationID, prev, cp.CreatedAt.Add(10*time.Second), true); err != nil {
			return nil, nil, err
		}
	}
	var convs []int64
	if err := db.Model(&models.Conversation{}).Where("complaint_id = ? AND citizen_id = ?", cp.ID, cp.CitizenID).Order("id").
		Pluck("id", &convs).Error; err != nil {
		return nil, nil, fmt.Errorf("load follow-ups of %s: %w", cp.Code, err)
	}
	for _, id := range convs {
		if err := span(id, 0, time.Time{}, false); err != nil {
			return nil, nil, err
		}
	}
	var notes []threadMessage
	if err := mine().Where("complaint_id = ?", cp.ID).Order("id").Limit(threadMax).Scan(&notes).Error; err != nil {
		return nil, nil, fmt.Errorf("load notifications of %s: %w", cp.Code, err)
	}
	out = append(out, notes...)
	slices.SortFunc(out, func(a, b threadMessage) int { return cmp.Compare(a.ID, b.ID) })
	out = slices.CompactFunc(out, func(a, b threadMessage) bool { return a.ID == b.ID })
	return out, filing, nil
}

// redactor hides a confidential reporter's name wherever it appears in the thread.
func redactor(name string, confidential bool, hidden string) func(string) string {
	name = strings.TrimSpace(name)
	if !confidential || utf8.RuneCountInString(name) < 3 {
		return func(s string) string { return s }
	}
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(name))
	return func(s string) string { return re.ReplaceAllLiteralString(s, hidden) }
}

// buildThread turns the messages, the timeline and the notes into the thread the page shows.
func (c *Console) buildThread(ctx context.Context, l tr, v *complaint.StatusView, notes []models.ComplaintNote,
	photoURL func(int64) string) (*thread, error) {
	msgs, filing, err := c.loadThread(ctx, v)
	if err != nil {
		return nil, err
	}
	cp := v.Complaint
	var reporter models.Citizen
	if err := c.cfg.DB.WithContext(ctx).Where("id = ?", cp.CitizenID).Take(&reporter).Error; err != nil {
		return nil, fmt.Errorf("load reporter of %s: %w", cp.Code, err)
	}
	redact := redactor(reporter.Name, cp.Confidential, l.T("konsol.detail.dirahasiakan"))
	th := &thread{Photos: map[int64]bool{}}
	// Photos the bot sent (the officer's proof) are named by path: map them to the complaint's attachments.
	byPath := map[string]int64{}
	if len(v.Attachments) > 0 {
		var ids []int64
		for _, a := range v.Attachments {
			ids = append(ids, a.AttachmentID)
		}
		var atts []models.Attachment
		if err := c.cfg.DB.WithContext(ctx).Where("id IN ?", ids).Find(&atts).Error; err != nil {
			return nil, fmt.Errorf("load photos of %s: %w", cp.Code, err)
		}
		for _, a := range atts {
			byPath[a.Path] = a.ID
		}
	}
	delivery := func(m threadMessage) (string, string) {
		if m.Direction != models.DirectionOut {
			return "", ""
		}
		at, state := "", m.Status
		switch {
		case m.ReadAt != nil: // what the platform reported last
			at, state = m.ReadAt.In(l.loc).Format("15.04"), "read"
		case m.DeliveredAt != nil:
			at, state = m.DeliveredAt.In(l.loc).Format("15.04"), "delivered"
		case m.SentAt != nil:
			at = m.SentAt.In(l.loc).Format("15.04")
		}
		key := "konsol.kirim." + state
		if text := l.T(key, "jam", at); text != key {
			return text, state
		}
		return m.Status, m.Status // a state a channel reports that has no text yet
	}
	items := map[int64]threadItem{}
	var claimed = map[int64]bool{}
	for _, m := range msgs {
		it := threadItem{At: m.CreatedAt, order: m.ID, Text: redact(m.Text)}
		if m.Direction == models.DirectionIn {
			it.Side, it.Who = sideWarga, l.T("konsol.utas.warga")
			var p struct {
				AttachmentID int64    `json:"attachment_id"`
				Lat          *float64 `json:"lat"`
				Lng          *float64 `json:"lng"`
			}
			_ = json.Unmarshal([]byte(m.Payload), &p)
			switch {
			case p.AttachmentID != 0:
				th.Photos[p.AttachmentID] = true
				it.Photo = photoURL(p.AttachmentID)
			case p.Lat != nil && p.Lng != nil:
				it.MapURL, it.Coords = osmLink(*p.Lat, *p.Lng), coordText(*p.Lat, *p.Lng)
			case m.Kind == "unsupported":
				it.Text = l.T("konsol.utas.tidak_didukung", "jenis", m.Text)
			}
		} else {
			it.Side, it.Who = sideBot, l.T("konsol.utas.bot")
			var o struct {
				Text        string                   `json:"text"`
				Choices     []struct{ Label string } `json:"choices"`
				PhotoPath   string                   `json:"photo_path"`
				HasLocation bool                     `json:"has_location"`
				Lat         float64                  `json:"lat"`
				Lng         float64                  `json:"lng"`
			}
			_ = json.Unmarshal([]byte(m.Payload), &o)
			for _, ch := range o.Choices {
				it.Choices = append(it.Choices, redact(ch.Label))
			}
			if id, ok := byPath[o.PhotoPath]; ok && o.PhotoPath != "" {
				th.Photos[id] = true
				it.Photo = photoURL(id)
			}
			if o.HasLocation {
				it.MapURL, it.Coords = osmLink(o.Lat, o.Lng), coordText(o.Lat, o.Lng)
			}
			it.Delivery, it.State = delivery(m)
		}
		items[m.ID] = it
	}
	names, err := c.actorNames(ctx, v.Events)
	if err != nil {
		return nil, err
	}
	kanal := l.T("kanal." + cp.Channel)
	var out []threadItem
	for _, ev := range v.Events {
		data := map[string]any{"opd": v.Agency.Name, "teks": ev.Text, "nilai": ev.Text, "kanal": kanal}
		if ev.Kind == complaint.EventTerdisposisi || ev.Kind == complaint.EventDialihkan {
			data["opd"] = ev.Text
		}
		it := threadItem{At: ev.CreatedAt, Side: sideSistem, Text: redact(l.c.T(l.lang, "peristiwa."+ev.Kind, data)), order: -1}
		if ev.ActorID != nil && ev.ActorKind != models.ActorWarga && ev.ActorKind != models.ActorSistem {
			it.Who = names[ev.ActorKind+":"+strconv.FormatInt(*ev.ActorID, 10)]
		}
		switch {
		case wordsOfOfficer[ev.Kind] && ev.Text != "":
			it.Side, it.Quote = sidePetugas, ev.Text
		case ev.Kind == complaint.EventDiterima:
			it.Side = sidePetugas
		case citizenEvents[ev.Kind] && ev.Text != "":
			it.Quote = redact(ev.Text)
			// The citizen's own message is in the thread already: show the words once.
			for _, m := range msgs {
				if m.Direction == models.DirectionIn && strings.TrimSpace(m.Text) == strings.TrimSpace(ev.Text) &&
					absDuration(m.CreatedAt.Sub(ev.CreatedAt)) < 10*time.Second {
					it.Quote = ""
				}
			}
		}
		if ev.AttachmentID != nil {
			th.Photos[*ev.AttachmentID] = true
			it.Photo = photoURL(*ev.AttachmentID)
		}
		if officerEvents[ev.Kind] {
			// The message that told the citizen: its delivery shows on the event, the copy is hidden.
			for _, m := range msgs {
				if m.Direction != models.DirectionOut || filing[m.ID] || claimed[m.ID] {
					continue
				}
				if d := m.CreatedAt.Sub(ev.CreatedAt); d >= -time.Second && d < 10*time.Second {
					claimed[m.ID] = true
					it.Delivery, it.State = delivery(m)
					if p := items[m.ID].Photo; p != "" && it.Photo == "" {
						it.Photo = p
					}
					break
				}
			}
		}
		out = append(out, it)
	}
	for _, m := range msgs {
		if claimed[m.ID] {
			continue
		}
		if filing[m.ID] {
			th.Filing = append(th.Filing, items[m.ID])
			continue
		}
		out = append(out, items[m.ID])
	}
	for _, n := range notes {
		out = append(out, threadItem{At: n.CreatedAt, Side: sideCatatan, Who: n.AuthorName, Text: n.Text, order: 1 << 62})
	}
	slices.SortStableFunc(out, func(a, b threadItem) int {
		if !a.At.Equal(b.At) {
			return a.At.Compare(b.At)
		}
		return cmp.Compare(a.order, b.order)
	})
	th.Items = out
	return th, nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// osmLink is a map point on OpenStreetMap.
func osmLink(lat, lng float64) string {
	la, lo := strconv.FormatFloat(lat, 'f', 6, 64), strconv.FormatFloat(lng, 'f', 6, 64)
	return "https://www.openstreetmap.org/?mlat=" + la + "&mlon=" + lo + "#map=17/" + la + "/" + lo
}

func coordText(lat, lng float64) string {
	return strconv.FormatFloat(lat, 'f', 5, 64) + ", " + strconv.FormatFloat(lng, 'f', 5, 64)
}
