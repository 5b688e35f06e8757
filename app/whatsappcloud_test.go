package app

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// cloudFast paces tests that are not about pacing, with the fake enforcing the same.
var cloudFast = graphtest.Limits{PerSecond: 400, PairGap: 5 * time.Millisecond, PairBurst: 10, Slack: 20 * time.Millisecond}

// cloudTemplates are the default templates, approved in the fake.
func cloudTemplates() []graphtest.Template {
	tpls := whatsappcloud.DefaultTemplates()
	var out []graphtest.Template
	for _, k := range tpls.Keys() {
		tpl, _ := tpls.For(k)
		out = append(out, graphtest.Template{Name: tpl.Name, Language: tpl.Language, Body: tpl.Body, Buttons: tpl.Buttons})
	}
	return out
}

type cloudOptions struct {
	clock  *testClock
	limits graphtest.Limits
	fake   *graphtest.Server // an existing fake (a restart)
	fakeOp func(*graphtest.Options)
	cfg    func(*Config)
	// start, when set, holds App.Run back until it is closed (a benchmark fills the queue first).
	start chan struct{}
}

// cloudBot is the whole bot with the WhatsApp Cloud API channel against the
// fake Graph API, run by App.Run, its webhook served over HTTP.
type cloudBot struct {
	h      *harness
	fake   *graphtest.Server
	cancel context.CancelFunc
	done   chan error
}

func startCloud(t *testing.T, db *gorm.DB, o cloudOptions) *cloudBot {
	t.Helper()
	if o.clock == nil {
		o.clock = newTestClock()
	}
	a, fake, cancel, done := runCloud(t, db, o)
	b := &cloudBot{h: &harness{t: t, db: db, app: a, clock: o.clock}, fake: fake, cancel: cancel, done: done}
	t.Cleanup(b.stop)
	return b
}

// runCloud builds an App on db with the Cloud API channel talking to a fake
// (o.fake, or a new one), runs it and subscribes its webhook.
func runCloud(tb testing.TB, db *gorm.DB, o cloudOptions) (*App, *graphtest.Server, context.CancelFunc, chan error) {
	tb.Helper()
	if o.clock == nil {
		o.clock = newTestClock()
	}
	if o.limits == (graphtest.Limits{}) {
		o.limits = cloudFast
	}
	fake := o.fake
	if fake == nil {
		fo := graphtest.Options{Limits: o.limits, Templates: cloudTemplates(), Now: o.clock.Now}
		if o.fakeOp != nil {
			o.fakeOp(&fo)
		}
		fake = graphtest.New(tb, fo)
	}
	cfg := Config{DatabaseURL: "test", HTTPAddr: "127.0.0.1:0", DataDir: tb.TempDir(), TZ: "Asia/Jakarta", MaxPhotoSize: 1 << 20}
	cfg.WhatsAppCloud = WhatsAppCloudConfig{Token: fake.Token, PhoneNumberID: fake.PhoneNumberID, AppSecret: fake.AppSecret,
		VerifyToken: fake.VerifyToken, GraphURL: fake.URL, Rate: o.limits.PerSecond, PairGap: o.limits.PairGap, PairBurst: o.limits.PairBurst}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	var handler atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := handler.Load().(http.Handler)
		if h == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	cfg.PublicURL = srv.URL
	a, err := New(context.Background(), cfg, quietLogger(), Options{DB: db, Now: o.clock.Now, PollInterval: 20 * time.Millisecond})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = a.Close() })
	require.NotNil(tb, a.Cloud)
	handler.Store(a.Web.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel) // a test that failed half-way stops the app before its database closes
	done := make(chan error, 1)
	go func() {
		if o.start != nil {
			<-o.start
		}
		done <- a.Run(ctx)
	}()
	require.NoError(tb, fake.Subscribe(srv.URL+whatsappcloud.WebhookPath, fake.VerifyToken))
	return a, fake, cancel, done
}

// stop cancels the app's context, as a killed process would stop taking work, and waits for Run.
func (b *cloudBot) stop() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	b.cancel = nil
	select {
	case err := <-b.done:
		require.NoError(b.h.t, err)
	case <-time.After(30 * time.Second):
		b.h.t.Error("the app did not stop")
	}
}

// settle waits until every webhook call was committed and every queued message sent.
func (b *cloudBot) settle() {
	b.h.t.Helper()
	require.NoError(b.h.t, b.fake.WaitIdle(30*time.Second))
	b.h.waitDelivered("")
	require.NoError(b.h.t, b.fake.WaitIdle(30*time.Second))
}

// cloudRunner plays transcripts through the Cloud API adapter: people tap the
// buttons and list rows they are shown (paging a long list when they must);
// the expected output is what their phones show, kept in testdata/whatsappcloud.
type cloudRunner struct {
	t      *testing.T
	b      *cloudBot
	phones map[string]string // person -> phone number
	seen   map[string]int    // phone -> fake messages already collected
	photos int
}

func newCloudRunner(t *testing.T, db *gorm.DB) *cloudRunner {
	r := &cloudRunner{t: t, b: startCloud(t, db, cloudOptions{}), phones: map[string]string{}, seen: map[string]int{}}
	for i, p := range []string{"warga", "warga2", "petugas", "kepala", "petugas_dlh", "admin"} {
		r.phones[p] = fmt.Sprintf("6281300000%03d", i+1)
	}
	return r
}

// registerOfficers invites the party transcripts' officers and has each send /daftar from WhatsApp.
func (r *cloudRunner) registerOfficers() {
	for _, o := range partyOfficers {
		code, err := r.b.h.app.Complaints.Invite(r.t.Context(), r.b.h.db, o.agency, o.display, o.role, 72*time.Hour)
		require.NoError(r.t, err)
		r.b.fake.AddUser(graphtest.User{Phone: r.phones[o.name], Name: o.display})
		r.b.fake.SendText(r.phones[o.name], "/daftar "+code)
		r.b.settle() // one after the other: the officers' order is the transcripts'
	}
	r.collect("")
}

// partyOfficers are the officers of the party transcripts.
var partyOfficers = []struct{ name, agency, role, display string }{
	{"petugas", "PUPR", models.RolePetugas, "Budi (PUPR)"},
	{"kepala", "PUPR", models.RoleKepala, "Ir. Siti (Kepala PUPR)"},
	{"petugas_dlh", "DLH", models.RolePetugas, "Rina (DLH)"},
	{"admin", "", models.RoleAdmin, "Admin Diskominfo"},
}

// send turns a transcript turn into what a person does on WhatsApp; it returns
// the pages of a long list the person opened on the way, in format.
func (r *cloudRunner) send(who, raw, format string) (pages []string) {
	r.t.Helper()
	phone, ok := r.phones[who]
	require.Truef(r.t, ok, "unknown person %q", who)
	fake := r.b.fake
	switch {
	case strings.HasPrefix(raw, "[") && strings.HasSuffix(raw, "]"):
		label := raw[1 : len(raw)-1]
		for range 4 {
			if _, err := fake.Press(phone, label); err == nil {
				return pages
			}
			// Not on this page of a long list: open the next one, as a person would.
			_, err := fake.Press(phone, "➡️ Berikutnya")
			require.NoErrorf(r.t, err, "no button [%s] shown to %s", label, who)
			r.b.settle()
			pages = append(pages, r.collect(format)...)
		}
		r.t.Fatalf("no button [%s] shown to %s", label, who)
	case strings.HasPrefix(raw, "<lokasi "):
		var lat, lng float64
		_, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(raw, "<lokasi "), ">"), "%g,%g", &lat, &lng)
		require.NoError(r.t, err)
		fake.ShareLocation(phone, lat, lng, "", "")
	case raw == "<foto>":
		r.photos++
		fake.SendPhoto(phone, testPNG(r.photos), "image/png", "")
	case strings.HasPrefix(raw, "<") && strings.HasSuffix(raw, ">"):
		kinds := map[string]string{"suara": "audio", "stiker": "sticker", "video": "video", "dokumen": "document", "kontak": "contacts"}
		kind, ok := kinds[raw[1:len(raw)-1]]
		require.Truef(r.t, ok, "unknown media %s", raw)
		fake.SendKind(phone, kind)
	default:
		fake.SendText(phone, raw)
	}
	return nil
}

var callbackRE = regexp.MustCompile(`^sw:(\d+):(\d+):\d+$`)

// collect formats every message sent since the last call, in the order the bot
// queued them (by outbound row and part); format "party" names the recipient.
func (r *cloudRunner) collect(format string) []string {
	byPhone := map[string]string{}
	for p, ph := range r.phones {
		byPhone[ph] = p
	}
	type item struct {
		who       string
		m         graphtest.Message
		row, part int64
	}
	var batch []item
	for who, ph := range r.phones {
		ms := r.b.fake.Messages(ph)
		for i, m := range ms[r.seen[ph]:] {
			it := item{who: who, m: m, row: math.MaxInt64, part: int64(i)}
			if g := callbackRE.FindStringSubmatch(m.Callback); g != nil {
				it.row, _ = strconv.ParseInt(g[1], 10, 64)
				it.part, _ = strconv.ParseInt(g[2], 10, 64)
			}
			batch = append(batch, it)
		}
		r.seen[ph] = len(ms)
	}
	sort.SliceStable(batch, func(i, j int) bool {
		if batch[i].row != batch[j].row {
			return batch[i].row < batch[j].row
		}
		if batch[i].part != batch[j].part {
			return batch[i].part < batch[j].part
		}
		return batch[i].m.At.Before(batch[j].m.At)
	})
	var lines []string
	for _, it := range batch {
		head := "bot: "
		if format == "party" {
			head = "bot > " + it.who + ": "
		}
		body := strings.ReplaceAll(strings.TrimRight(cloudText(it.m), "\n"), "\n", "\n  ")
		// The test server's address changes every run: the transcript names it PUBLIC_URL.
		body = strings.ReplaceAll(body, r.b.h.app.Config.PublicURL, "PUBLIC_URL")
		lines = append(lines, strings.TrimRight(head+body, " "))
	}
	return lines
}

// cloudText is what a phone shows of one Cloud API message.
func cloudText(m graphtest.Message) string {
	var b strings.Builder
	switch m.Type {
	case "image":
		b.WriteString(strings.TrimSpace("(foto) " + m.Text))
	case "location":
		fmt.Fprintf(&b, "(titik peta %.4f, %.4f)", m.Lat, m.Lng)
	case "template":
		b.WriteString("(templat " + m.Template + ") " + m.Text)
	default:
		b.WriteString(m.Text)
	}
	switch {
	case m.Interactive == "location_request_message":
		b.WriteString("\n[📍 Kirim lokasi]")
	case m.Interactive == "list":
		b.WriteString("\n☰ " + m.ListButton)
		for _, row := range m.Rows {
			line := "\n  · " + row.Title
			if row.Description != "" {
				line += " — " + row.Description
			}
			b.WriteString(line)
		}
	case len(m.Buttons) > 0:
		var bs []string
		for _, t := range m.Buttons {
			bs = append(bs, "["+t+"]")
		}
		b.WriteString("\n" + strings.Join(bs, " "))
	}
	return b.String()
}

// play runs the turns of src (its expected bot lines are ignored) and compares
// the Cloud API output with want, or rewrites want with -update.
func (r *cloudRunner) play(src, want, format string) {
	t := r.t
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var out strings.Builder
	first := true
	var comments []string
	updating := flag.Lookup("update") != nil && flag.Lookup("update").Value.String() == "true"
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			comments = append(comments, line)
			continue
		case strings.TrimSpace(line) == "", strings.HasPrefix(line, "bot"), strings.HasPrefix(line, "  "):
			continue
		}
		if updating {
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
			r.b.h.advance(d)
		} else {
			for _, l := range r.send(m[1], m[2], format) {
				out.WriteString(l + "\n")
			}
		}
		r.b.settle()
		for _, l := range r.collect(format) {
			out.WriteString(l + "\n")
		}
	}
	got := out.String()
	if updating {
		require.NoError(t, os.MkdirAll(filepath.Dir(want), 0o755))
		require.NoError(t, os.WriteFile(want, []byte(got), 0o644))
		return
	}
	exp, err := os.ReadFile(want)
	require.NoError(t, err, "run go test ./app -run TestWhatsAppCloud -update to create it")
	require.Equal(t, string(exp), got, "WhatsApp Cloud API transcript %s differs (run with -update to rewrite it)", want)
}

// TestWhatsAppCloudTranscripts plays every default flow's transcript through
// the Cloud API adapter: choices arrive as reply buttons and lists and are tapped.
func TestWhatsAppCloudTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				newCloudRunner(t, db).play(f, filepath.Join("testdata", "whatsappcloud", name+".txt"), "")
			})
		})
	}
}

// TestWhatsAppCloudParties plays the officer transcripts with everyone on the
// Cloud API: officers act with buttons, lists and commands, another OPD's
// officer is refused, and after the clock jumps notices go as templates.
func TestWhatsAppCloudParties(t *testing.T) {
	files, err := filepath.Glob("testdata/parties/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
				r := newCloudRunner(t, db)
				r.registerOfficers()
				r.play(f, filepath.Join("testdata", "whatsappcloud", "party_"+name+".txt"), "party")
			})
		})
	}
}
