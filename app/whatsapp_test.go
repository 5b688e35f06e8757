package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsapp"
	"github.com/suarawarga/suarawarga/bot/whatsapp/whatsapptest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// waFast paces tests that are not about pacing (pacing has its own tests in bot/whatsapp).
var waFast = whatsapp.Pacing{ChatGap: time.Millisecond, GlobalPerMinute: 1e7, ColdDailyCap: 1000}

// waRunner plays transcripts (citizen flows and multi-party ones) through the
// WhatsApp adapter and the fake client: people type numbers for choices, and the
// expected output is what their phones show (numbered lists), kept in testdata/whatsapp.
type waRunner struct {
	t      *testing.T
	h      *harness
	fake   *whatsapptest.Client
	ch     *whatsapp.Channel
	phones map[string]string // person -> phone number
	seen   int               // fake messages already collected
	seq    atomic.Int64
	last   map[string]string // person -> text of the last message with a numbered list
	photos int
}

func newWARunner(t *testing.T, db *gorm.DB) *waRunner {
	h := newHarness(t, db, Options{})
	r := &waRunner{t: t, h: h, fake: whatsapptest.New(nil), phones: map[string]string{}, last: map[string]string{}}
	ch, err := h.app.AddWhatsApp(WhatsAppSetup{
		NewClient:  func(context.Context) (whatsapp.Client, error) { return r.fake, nil },
		Pacing:     waFast,
		BackoffMin: time.Millisecond,
	})
	require.NoError(t, err)
	r.ch = ch
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx, h.app.Dispatcher) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return ch.State().Status == whatsapp.StatusConnected }, 10*time.Second, time.Millisecond)
	for i, p := range []string{"warga", "warga2", "petugas", "kepala", "petugas_dlh", "admin"} {
		r.phones[p] = fmt.Sprintf("6281200000%03d", i+1)
	}
	return r
}

// registerOfficers invites the party transcripts' officers and has each send /daftar from WhatsApp.
func (r *waRunner) registerOfficers() {
	officers := []struct{ name, agency, role, display string }{
		{"petugas", "PUPR", models.RolePetugas, "Budi (PUPR)"},
		{"kepala", "PUPR", models.RoleKepala, "Ir. Siti (Kepala PUPR)"},
		{"petugas_dlh", "DLH", models.RolePetugas, "Rina (DLH)"},
		{"admin", "", models.RoleAdmin, "Admin Diskominfo"},
	}
	for _, o := range officers {
		code, err := r.h.app.Complaints.Invite(r.t.Context(), r.h.db, o.agency, o.display, o.role, 72*time.Hour)
		require.NoError(r.t, err)
		r.emitMsg(r.phones[o.name], whatsapptest.TextMessage("/daftar "+code))
	}
	r.h.waitDelivered("")
	r.collect("")
}

var numbered = regexp.MustCompile(`^(\d+)\. (.*)$`)

// send turns a transcript turn into what a person sends on WhatsApp.
func (r *waRunner) send(who, raw string) {
	r.t.Helper()
	phone, ok := r.phones[who]
	require.Truef(r.t, ok, "unknown person %q", who)
	switch {
	case strings.HasPrefix(raw, "[") && strings.HasSuffix(raw, "]"):
		label := raw[1 : len(raw)-1]
		num := ""
		for _, line := range strings.Split(r.last[who], "\n") {
			if m := numbered.FindStringSubmatch(line); m != nil && m[2] == label {
				num = m[1]
			}
		}
		require.NotEmptyf(r.t, num, "no numbered choice %q in the last list shown to %s", label, who)
		r.emitMsg(phone, whatsapptest.TextMessage(num))
	case strings.HasPrefix(raw, "<lokasi "):
		var lat, lng float64
		_, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(raw, "<lokasi "), ">"), "%g,%g", &lat, &lng)
		require.NoError(r.t, err)
		r.emitMsg(phone, whatsapptest.LocationMessage(lat, lng))
	case raw == "<foto>":
		r.photos++
		r.emitMsg(phone, r.fake.ImageMessage(fmt.Sprintf("/foto/%d", r.photos), testPNG(r.photos), "image/png"))
	case strings.HasPrefix(raw, "<") && strings.HasSuffix(raw, ">"):
		kinds := map[string]string{"suara": "voice", "stiker": "sticker", "video": "video", "dokumen": "document", "kontak": "contact"}
		kind, ok := kinds[raw[1:len(raw)-1]]
		require.Truef(r.t, ok, "unknown media %s", raw)
		r.emitMsg(phone, whatsapptest.UnsupportedMessage(kind))
	default:
		r.emitMsg(phone, whatsapptest.TextMessage(raw))
	}
}

// collect formats every message sent since the last call; prefix is "" for
// flow transcripts ("bot: ...") and the party format otherwise ("bot > who: ...").
func (r *waRunner) collect(format string) []string {
	sent := r.fake.Sent()
	byPhone := map[string]string{}
	for p, ph := range r.phones {
		byPhone[ph+"@s.whatsapp.net"] = p
	}
	// Chats are delivered in parallel: order the batch as the bot queued it (by
	// the message row whose last part each WhatsApp message is), not by arrival.
	batch := append([]whatsapptest.Sent(nil), sent[r.seen:]...)
	rowOf := map[string]int64{}
	for i := len(batch) - 1; i >= 0; i-- {
		var m models.Message
		require.NoError(r.t, r.h.db.Select("id").Where("channel = ? AND platform_id = ?", whatsapp.Name, batch[i].ID).Limit(1).Find(&m).Error)
		if m.ID != 0 {
			rowOf[batch[i].To] = m.ID
		}
		rowOf[batch[i].ID] = rowOf[batch[i].To]
	}
	sort.SliceStable(batch, func(i, j int) bool { return rowOf[batch[i].ID] < rowOf[batch[j].ID] })
	var lines []string
	for _, s := range batch {
		who := byPhone[s.To]
		text := s.Text()
		switch {
		case s.Msg.GetImageMessage() != nil:
			text = strings.TrimSpace("(foto) " + text)
		case s.Msg.GetLocationMessage() != nil:
			text = fmt.Sprintf("(titik peta %.4f, %.4f)", s.Msg.GetLocationMessage().GetDegreesLatitude(), s.Msg.GetLocationMessage().GetDegreesLongitude())
		}
		for _, l := range strings.Split(text, "\n") {
			if numbered.MatchString(l) {
				r.last[who] = text
				break
			}
		}
		head := "bot: "
		if format == "party" {
			head = "bot > " + who + ": "
		}
		body := strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n  ")
		lines = append(lines, strings.TrimRight(head+body, " "))
	}
	r.seen = len(sent)
	return lines
}

var waTurn = regexp.MustCompile(`^([a-z_0-9]+): (.*)$`)

// play runs the turns of src (its expected bot lines are ignored) and compares
// the WhatsApp output with want, or rewrites want with -update.
func (r *waRunner) play(src, want, format string) {
	t := r.t
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var out strings.Builder
	first := true
	var comments []string
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			comments = append(comments, line)
			continue
		case strings.TrimSpace(line) == "", strings.HasPrefix(line, "bot"), strings.HasPrefix(line, "  "):
			continue
		}
		if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
			// Keep what ran so far, so a transcript that stops half-way shows where.
			require.NoError(t, os.MkdirAll(filepath.Dir(want), 0o755))
			require.NoError(t, os.WriteFile(want, []byte(out.String()), 0o644))
		}
		m := waTurn.FindStringSubmatch(line)
		require.NotNilf(t, m, "%s:%d: %q", src, i+1, line)
		if !first {
			out.WriteString("\n")
		}
		first = false
		for _, c := range comments {
			out.WriteString(c + "\n")
		}
		comments = nil
		out.WriteString(line + "\n")
		if m[1] == "clock" {
			d, err := time.ParseDuration(strings.TrimPrefix(m[2], "+"))
			require.NoError(t, err)
			r.h.advance(d)
		} else {
			r.send(m[1], m[2])
		}
		r.h.waitDelivered("")
		for _, l := range r.collect(format) {
			out.WriteString(l + "\n")
		}
	}
	got := out.String()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.MkdirAll(filepath.Dir(want), 0o755))
		require.NoError(t, os.WriteFile(want, []byte(got), 0o644))
		return
	}
	exp, err := os.ReadFile(want)
	require.NoError(t, err, "run go test ./app -run TestWhatsApp -update to create it")
	require.Equal(t, string(exp), got, "WhatsApp transcript %s differs (run with -update to rewrite it)", want)
}

func (r *waRunner) emitMsg(phone string, m *waE2E.Message) {
	r.t.Helper()
	id := fmt.Sprintf("WA%06d", r.seq.Add(1))
	require.True(r.t, r.fake.Emit(whatsapptest.Event(phone, id, m)), "the message was not committed")
}

// TestWhatsAppTranscripts plays every default flow's transcript through the
// WhatsApp adapter: choices arrive as numbered lists and are answered by number.
func TestWhatsAppTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				newWARunner(t, db).play(f, filepath.Join("testdata", "whatsapp", name+".txt"), "")
			})
		})
	}
}

// TestWhatsAppParties plays the officer transcripts with everyone on WhatsApp:
// officers act by number and command, and another OPD's officer is refused.
func TestWhatsAppParties(t *testing.T) {
	files, err := filepath.Glob("testdata/parties/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				r := newWARunner(t, db)
				r.registerOfficers()
				r.play(f, filepath.Join("testdata", "whatsapp", "party_"+name+".txt"), "party")
			})
		})
	}
}

// TestWhatsAppStoreMigrates opens whatsmeow's device store on the bot's database twice.
func TestWhatsAppStoreMigrates(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		for range 2 {
			c, err := OpenWhatsAppStore(t.Context(), db, quietLogger())
			require.NoError(t, err)
			devs, err := c.GetAllDevices(t.Context())
			require.NoError(t, err)
			require.Empty(t, devs)
			dev, err := c.GetFirstDevice(t.Context())
			require.NoError(t, err)
			require.Nil(t, dev.ID, "a fresh store has no paired device")
		}
	})
}

// TestWhatsAppLoggedOutTellsAdmins: when WhatsApp unlinks the device, the admin
// hears of it on the channel they last used, and the bot keeps serving.
func TestWhatsAppLoggedOutTellsAdmins(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newWARunner(t, db)
		code, err := r.h.app.Complaints.Invite(t.Context(), db, "", "Admin Diskominfo", models.RoleAdmin, time.Hour)
		require.NoError(t, err)
		r.h.send("chat-admin", bot.Inbound{Kind: bot.KindText, Text: "/daftar " + code})
		r.h.waitDelivered("")
		before := len(r.h.sent("chat-admin", 0))
		r.fake.Emit(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
		require.Eventually(t, func() bool {
			r.h.waitDelivered("chat-admin")
			ms := r.h.sent("chat-admin", 0)
			return len(ms) > before && strings.Contains(ms[len(ms)-1].Text, "whatsapp pair")
		}, 10*time.Second, 10*time.Millisecond)
		r.h.send("chat-warga", bot.Inbound{Kind: bot.KindText, Text: "/start"})
		r.h.waitDelivered("chat-warga")
		require.NotEmpty(t, r.h.sent("chat-warga", 0))
	})
}
