package app

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/models"
)

// ownDataFile is the file a citizen downloads from the web chat (/datasaya): all that is
// kept about them. The web chat's own address is left out: it is the browser's credential.
type ownDataFile struct {
	Name       string           `json:"nama"`
	Language   string           `json:"bahasa"`
	Since      time.Time        `json:"sejak"`
	Channels   []ownDataChannel `json:"kanal"`
	Complaints []ownDataReport  `json:"laporan"`
	Messages   []ownDataMessage `json:"pesan"`
}

type ownDataChannel struct {
	Channel       string     `json:"kanal"`
	Address       string     `json:"alamat,omitempty"`
	Since         time.Time  `json:"sejak"`
	NoticeVersion int        `json:"versi_pemberitahuan"`
	NoticeAt      *time.Time `json:"pemberitahuan_pada,omitempty"`
}

type ownDataReport struct {
	Code         string     `json:"kode"`
	Category     string     `json:"kategori"`
	Agency       string     `json:"opd"`
	Status       string     `json:"status"`
	Description  string     `json:"uraian"`
	Address      string     `json:"alamat,omitempty"`
	Lat          *float64   `json:"lat,omitempty"`
	Lng          *float64   `json:"lng,omitempty"`
	Confidential bool       `json:"rahasia"`
	CreatedAt    time.Time  `json:"dibuat"`
	ClosedAt     *time.Time `json:"ditutup,omitempty"`
}

type ownDataMessage struct {
	At        time.Time `json:"waktu"`
	Direction string    `json:"arah"`
	Channel   string    `json:"kanal"`
	Kind      string    `json:"jenis"`
	Text      string    `json:"teks,omitempty"`
}

// ownDataHandler serves the web chat's citizen their data as a JSON file, to that
// browser only (its chat cookie); never cached.
func ownDataHandler(db *gorm.DB, wc *webchat.Channel) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		chat := wc.ChatID(w, r)
		w.Header().Set("Cache-Control", "no-store")
		cit, err := models.CitizenByIdentity(ctx, db, webchat.Name, chat)
		if errors.Is(err, models.ErrNotFound) || errors.Is(err, gorm.ErrRecordNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		rec, err := models.CitizenRecordOf(ctx, db, cit.ID)
		if err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		f := ownDataFile{Name: rec.Citizen.Name, Language: rec.Citizen.Lang, Since: rec.Citizen.CreatedAt,
			Channels: []ownDataChannel{}, Complaints: []ownDataReport{}, Messages: []ownDataMessage{}}
		for _, id := range rec.Identities {
			c := ownDataChannel{Channel: id.Channel, Address: id.Address, Since: id.CreatedAt, NoticeVersion: id.NoticeVersion, NoticeAt: id.NoticeAt}
			if id.Channel == webchat.Name {
				c.Address = ""
			}
			f.Channels = append(f.Channels, c)
		}
		for _, c := range rec.Complaints {
			f.Complaints = append(f.Complaints, ownDataReport{Code: c.Code, Category: c.Category, Agency: c.Agency, Status: c.Status,
				Description: c.Description, Address: c.Address, Lat: c.Lat, Lng: c.Lng, Confidential: c.Confidential,
				CreatedAt: c.CreatedAt, ClosedAt: c.ClosedAt})
		}
		for _, m := range rec.Messages {
			f.Messages = append(f.Messages, ownDataMessage{At: m.CreatedAt, Direction: m.Direction, Channel: m.Channel, Kind: m.Kind, Text: m.Text})
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="data-saya.json"`)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(f)
	})
}
