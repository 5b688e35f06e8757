// Package flowtest runs conversation transcripts: files where `warga:` turns (what a citizen
// sends), `clock:` jumps and the expected `bot:` messages alternate. The same files run
// against the pure engine (EngineDriver) and, through another Driver, against the real handler.
//
// Format, one turn per line:
//
//	# a comment
//	warga: some text            typed text (commands too: /start, batal, /status OKI-2611-0001)
//	warga: [Label]              a button press of the last offered choices, by its label
//	warga: <lokasi -3.40,104.83> a shared map point
//	warga: <foto>               a photo (refs foto-1, foto-2, ... in order)
//	warga: <suara>              a voice note; also <stiker>, <video>, <dokumen>, <kontak>
//	clock: +30m                 time passes (timers fire)
//	bot: first line             one message the bot sends; continuation lines are indented two
//	  second line               spaces, and the last indented line lists the choices:
//	  [Label] [Label]           ([📍 Kirim lokasi] first when the message asks for a location)
package flowtest

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/suarawarga/suarawarga/flows"
)

// Rendered is one message as the person sees it.
type Rendered = flows.Message

// Driver feeds a transcript to a conversation and collects what the bot sends.
type Driver interface {
	// Send delivers one input from the citizen and waits until it took effect.
	Send(ctx context.Context, in flows.Input) error
	// Advance moves the clock forward, firing any timers that fall due.
	Advance(ctx context.Context, d time.Duration) error
	// Take returns the messages sent since the last Take.
	Take(ctx context.Context) ([]Rendered, error)
}

// LocationButton is how a location request shows in a transcript.
const LocationButton = "📍 Kirim lokasi"

// Turn is one warga: or clock: line with the bot messages expected after it.
type Turn struct {
	Line     int
	Comments []string // comment lines just before the turn
	Who      string   // "warga" or "clock"
	Raw      string   // the text after "warga: " or "clock: "
	Expect   []string // expected bot messages, each as its transcript lines
}

// Transcript is a parsed transcript file.
type Transcript struct {
	Turns   []Turn
	Trailer []string // comments after the last turn
}

// Parse reads a transcript.
func Parse(src []byte) (*Transcript, error) {
	tr := &Transcript{}
	var comments []string
	var cur *Turn
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 1; sc.Scan(); i++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "warga:"), strings.HasPrefix(line, "clock:"):
			who, raw, _ := strings.Cut(line, ":")
			tr.Turns = append(tr.Turns, Turn{Line: i, Comments: comments, Who: who, Raw: strings.TrimPrefix(raw, " ")})
			comments = nil
			cur = &tr.Turns[len(tr.Turns)-1]
		case strings.HasPrefix(line, "bot:"):
			if cur == nil {
				return nil, fmt.Errorf("line %d: a bot message before any warga: turn", i)
			}
			cur.Expect = append(cur.Expect, line)
		case strings.HasPrefix(line, "  "):
			if cur == nil || len(cur.Expect) == 0 {
				return nil, fmt.Errorf("line %d: an indented line outside a bot message", i)
			}
			cur.Expect[len(cur.Expect)-1] += "\n" + line
		default:
			return nil, fmt.Errorf("line %d: want warga:, clock:, bot:, an indented line or a # comment, got %q", i, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	tr.Trailer = comments
	return tr, nil
}

// Format writes the transcript with the given bot messages per turn (nil: the expected ones).
func (tr *Transcript) Format(got [][]string) string {
	var b strings.Builder
	for i, t := range tr.Turns {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, c := range t.Comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(t.Who + ": " + t.Raw + "\n")
		msgs := t.Expect
		if got != nil {
			msgs = got[i]
		}
		for _, m := range msgs {
			b.WriteString(m + "\n")
		}
	}
	if len(tr.Trailer) > 0 {
		b.WriteString("\n" + strings.Join(tr.Trailer, "\n") + "\n")
	}
	return b.String()
}

// FormatMessage prints one message the way transcripts show it.
func FormatMessage(m Rendered) string {
	lines := strings.Split(m.Text, "\n")
	var b strings.Builder
	b.WriteString(strings.TrimRight("bot: "+lines[0], " "))
	for _, l := range lines[1:] {
		b.WriteString("\n  " + strings.TrimRight(l, " "))
	}
	var buttons []string
	if m.AskLocation {
		buttons = append(buttons, "["+LocationButton+"]")
	}
	for _, c := range m.Choices {
		buttons = append(buttons, "["+c.Label+"]")
	}
	if len(buttons) > 0 {
		b.WriteString("\n  " + strings.Join(buttons, " "))
	}
	return b.String()
}

var unsupported = map[string]string{
	"suara": "voice", "stiker": "sticker", "video": "video", "dokumen": "document", "kontak": "contact",
}

// Input turns a warga: line into an engine input. offered are the messages shown so far
// (the latest last), used to find a pressed button; photos counts the photos sent before.
func Input(raw string, offered []Rendered, photos int) (flows.Input, error) {
	switch {
	case strings.HasPrefix(raw, "[") && strings.HasSuffix(raw, "]"):
		label := raw[1 : len(raw)-1]
		for i := len(offered) - 1; i >= 0; i-- {
			for _, c := range offered[i].Choices {
				if c.Label == label {
					return flows.Input{Kind: flows.InputChoice, ChoiceID: c.ID}, nil
				}
			}
			if len(offered[i].Choices) > 0 {
				break
			}
		}
		return flows.Input{}, fmt.Errorf("no button [%s] in the last choices", label)
	case strings.HasPrefix(raw, "<") && strings.HasSuffix(raw, ">"):
		inner := raw[1 : len(raw)-1]
		word, arg, _ := strings.Cut(inner, " ")
		switch word {
		case "lokasi":
			latS, lngS, ok := strings.Cut(arg, ",")
			lat, err1 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
			lng, err2 := strconv.ParseFloat(strings.TrimSpace(lngS), 64)
			if !ok || err1 != nil || err2 != nil {
				return flows.Input{}, fmt.Errorf("want <lokasi LAT,LNG>, got %q", raw)
			}
			return flows.Input{Kind: flows.InputLocation, Lat: lat, Lng: lng}, nil
		case "foto":
			return flows.Input{Kind: flows.InputPhoto, PhotoRef: fmt.Sprintf("foto-%d", photos+1)}, nil
		}
		if kind, ok := unsupported[word]; ok {
			return flows.Input{Kind: flows.InputUnsupported, Unsupported: kind}, nil
		}
		return flows.Input{}, fmt.Errorf("unknown media %q (lokasi, foto, suara, stiker, video, dokumen, kontak)", raw)
	}
	return flows.Input{Kind: flows.InputText, Text: raw}, nil
}

func init() {
	// One -update flag for the test binary; another package may have defined it already.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite transcript files with the actual bot messages")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Run plays the transcript at path through d and compares the bot messages;
// with -update it rewrites the file instead.
func Run(t *testing.T, path string, d Driver) {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	tr, err := Parse(src)
	require.NoError(t, err, path)
	ctx := t.Context()
	got := make([][]string, len(tr.Turns))
	var offered []Rendered
	photos := 0
	for i, turn := range tr.Turns {
		switch turn.Who {
		case "clock":
			dur, err := time.ParseDuration(strings.TrimPrefix(turn.Raw, "+"))
			require.NoErrorf(t, err, "%s:%d", path, turn.Line)
			require.NoErrorf(t, d.Advance(ctx, dur), "%s:%d", path, turn.Line)
		default:
			in, err := Input(turn.Raw, offered, photos)
			require.NoErrorf(t, err, "%s:%d", path, turn.Line)
			if in.Kind == flows.InputPhoto {
				photos++
			}
			require.NoErrorf(t, d.Send(ctx, in), "%s:%d", path, turn.Line)
		}
		msgs, err := d.Take(ctx)
		require.NoErrorf(t, err, "%s:%d", path, turn.Line)
		offered = append(offered, msgs...)
		got[i] = []string{}
		for _, m := range msgs {
			got[i] = append(got[i], FormatMessage(m))
		}
	}
	actual := tr.Format(got)
	if updating() {
		require.NoError(t, os.WriteFile(path, []byte(actual), 0o644))
		return
	}
	require.Equal(t, tr.Format(nil), actual, "transcript %s differs (run go test with -update to rewrite it)", path)
}
