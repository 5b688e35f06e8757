package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// A multi-party transcript: turns by several people and clock jumps, each
// followed by every message the bot sent to anyone, addressed "bot > name:".
//
//	warga: /start                     a person sends text
//	petugas: [✅ Terima]              a person presses a button of the last message they got
//	warga: <lokasi -3.4,104.8>        media, as in flow transcripts (<foto>, <suara>...)
//	clock: +72h                       the bot's clock moves; due timers fire
//	bot > warga: text                 expected output (continuation lines indented)
//	  [Button] [Button]
//
// People: warga and warga2 are citizens; petugas and kepala belong to Dinas PUPR,
// petugas_dlh to DLH; admin is a regency-wide admin.
// Regenerate with: go test ./app -run TestPartyTranscripts -update

var partyTurn = regexp.MustCompile(`^([a-z_0-9]+): (.*)$`)

type partyTranscript struct {
	turns []partyTurnT
}

type partyTurnT struct {
	line     int
	comments []string
	who, raw string
	expect   []string
}

func parseParty(src string) (*partyTranscript, error) {
	tr := &partyTranscript{}
	var comments []string
	for i, line := range strings.Split(src, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "bot > ") || strings.HasPrefix(line, "  "):
			if len(tr.turns) == 0 {
				return nil, fmt.Errorf("line %d: bot output before any turn", i+1)
			}
			t := &tr.turns[len(tr.turns)-1]
			t.expect = append(t.expect, line)
		default:
			m := partyTurn.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: want \"name: text\", got %q", i+1, line)
			}
			tr.turns = append(tr.turns, partyTurnT{line: i + 1, comments: comments, who: m[1], raw: m[2]})
			comments = nil
		}
	}
	return tr, nil
}

type partyRunner struct {
	h      *harness
	lastID int64
	last   map[string][]flows.Message // what each person was shown last
	chats  map[string]string          // person -> chat id
}

func newPartyRunner(t *testing.T, db *gorm.DB) *partyRunner {
	h := newHarness(t, db, Options{})
	h.knownCitizens()
	r := &partyRunner{h: h, last: map[string][]flows.Message{}, chats: map[string]string{}}
	for _, p := range []string{"warga", "warga2"} {
		r.chats[p] = "chat-" + p
	}
	officers := []struct{ name, agency, role, display string }{
		{"petugas", "PUPR", models.RolePetugas, "Budi (PUPR)"},
		{"kepala", "PUPR", models.RoleKepala, "Ir. Siti (Kepala PUPR)"},
		{"petugas_dlh", "DLH", models.RolePetugas, "Rina (DLH)"},
		{"admin", "", models.RoleAdmin, "Admin Diskominfo"},
	}
	for _, o := range officers {
		code, err := h.app.Complaints.Invite(t.Context(), db, o.agency, o.display, o.role, 72*time.Hour)
		require.NoError(t, err)
		r.chats[o.name] = "chat-" + o.name
		h.send(r.chats[o.name], bot.Inbound{Kind: bot.KindText, Text: "/daftar " + code, Name: o.display})
	}
	h.waitDelivered("")
	r.collect() // registration greetings are not part of the transcript
	return r
}

// collect returns the lines of every message delivered since the last call.
func (r *partyRunner) collect() []string {
	var ms []models.Message
	require.NoError(r.h.t, r.h.db.Where("direction = ? AND status = ? AND id > ?", models.DirectionOut, models.MessageSent, r.lastID).
		Order("id").Find(&ms).Error)
	byChat := map[string]string{}
	for p, c := range r.chats {
		byChat[c] = p
	}
	var lines []string
	shown := map[string][]flows.Message{}
	for _, m := range ms {
		r.lastID = m.ID
		var o bot.Outbound
		require.NoError(r.h.t, json.Unmarshal([]byte(m.Payload), &o))
		who := byChat[m.ChatID]
		fm := flows.Message{Text: o.Text, AskLocation: o.AskLocation}
		for _, c := range o.Choices {
			fm.Choices = append(fm.Choices, flows.Choice{ID: c.ID, Label: c.Label, Literal: true})
		}
		switch {
		case o.PhotoPath != "" && o.Text != "":
			fm.Text = "(foto) " + o.Text
		case o.PhotoPath != "":
			fm.Text = "(foto)"
		case o.HasLocation:
			fm.Text = fmt.Sprintf("(titik peta %.4f, %.4f)", o.Lat, o.Lng)
		}
		shown[who] = append(shown[who], fm)
		text := strings.TrimPrefix(flowtest.FormatMessage(fm), "bot: ")
		lines = append(lines, "bot > "+who+": "+text)
	}
	for who, msgs := range shown {
		if hasChoices(msgs) {
			r.last[who] = msgs
		}
	}
	return lines
}

func hasChoices(ms []flows.Message) bool {
	for _, m := range ms {
		if len(m.Choices) > 0 {
			return true
		}
	}
	return false
}

func (r *partyRunner) play(t *testing.T, path string) {
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	tr, err := parseParty(string(src))
	require.NoError(t, err)
	var out strings.Builder
	photos := 0
	updating := flag.Lookup("update") != nil && flag.Lookup("update").Value.String() == "true"
	for i, turn := range tr.turns {
		if updating && i > 0 {
			// Keep what ran so far, so a transcript that stops half-way shows where.
			require.NoError(t, os.WriteFile(path, []byte(out.String()), 0o644))
		}
		if i > 0 {
			out.WriteString("\n")
		}
		for _, c := range turn.comments {
			out.WriteString(c + "\n")
		}
		out.WriteString(turn.who + ": " + turn.raw + "\n")
		lines, err := r.do(turn.who, turn.raw, &photos)
		require.NoErrorf(t, err, "%s:%d", path, turn.line)
		for _, l := range lines {
			out.WriteString(l + "\n")
		}
	}
	got := out.String()
	if updating {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	require.Equal(t, string(src), got, "transcript %s differs (run go test with -update to rewrite it)", path)
}

// do plays one turn ("clock: +72h" or a person's input, as in a transcript) and returns
// the lines of every message the bot then delivered; photos counts the photos sent so far.
func (r *partyRunner) do(who, raw string, photos *int) ([]string, error) {
	if who == "clock" {
		d, err := time.ParseDuration(strings.TrimPrefix(raw, "+"))
		if err != nil {
			return nil, err
		}
		r.h.advance(d)
	} else {
		chat, ok := r.chats[who]
		if !ok {
			return nil, fmt.Errorf("unknown person %q", who)
		}
		in, err := flowtest.Input(raw, r.last[who], *photos)
		if err != nil {
			return nil, err
		}
		msg := bot.Inbound{Kind: bot.KindText, Text: in.Text}
		switch in.Kind {
		case flows.InputChoice:
			msg = bot.Inbound{Kind: bot.KindChoice, ChoiceID: in.ChoiceID}
		case flows.InputLocation:
			msg = bot.Inbound{Kind: bot.KindLocation, Lat: in.Lat, Lng: in.Lng}
		case flows.InputPhoto:
			*photos++
			msg = bot.Inbound{Kind: bot.KindPhoto, Photo: testPNG(*photos), PhotoMIME: "image/png"}
		case flows.InputUnsupported:
			msg = bot.Inbound{Kind: bot.KindUnsupported, Unsupported: in.Unsupported}
		}
		if err := r.h.sendErr(chat, msg); err != nil {
			return nil, err
		}
	}
	r.h.waitDelivered("")
	return r.collect(), nil
}

// TestPartyTranscripts plays citizen-officer-kepala-admin conversations with clock
// jumps through the whole bot: every transition, the relay both ways, perlu_info,
// forwarding, reopening, reminders, escalation and auto-close.
func TestPartyTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/parties/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				newPartyRunner(t, db).play(t, f)
			})
		})
	}
}

var _ = context.Background
