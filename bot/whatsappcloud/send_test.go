package whatsappcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
)

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func choices(labels ...string) []bot.Choice {
	var out []bot.Choice
	for i, l := range labels {
		out = append(out, bot.Choice{ID: fmt.Sprintf("c%d", i+1), Label: l})
	}
	return out
}

func TestShorten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"Jalan & jembatan", 20, "Jalan & jembatan"},
		{"Rahasiakan identitas saya", 24, "Rahasiakan identitas…"},
		{"Pungli / perilaku ASN dan pegawai", 20, "Pungli / perilaku…"},
		{"Supercalifragilisticexpialidocious", 10, "Supercali…"},
		{"Kecamatan Sirah Pulau Padang", 24, "Kecamatan Sirah Pulau…"},
		{"  spasi  ", 20, "spasi"},
	} {
		got := Shorten(tc.in, tc.limit)
		require.Equal(t, tc.want, got, tc.in)
		require.LessOrEqual(t, utf8.RuneCountInString(got), tc.limit)
	}
}

// TestRendering sends every shape of message and checks what the phone shows;
// the fake refuses (and fails the test on) anything over the platform's limits.
func TestRendering(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	const to = "62821"
	r.wrote(to)
	send := func(out bot.Outbound) []graphtest.Message {
		t.Helper()
		before := len(r.fake.Messages(to))
		out.ChatID = to
		_, err := r.send(out)
		require.NoError(t, err)
		return r.fake.Messages(to)[before:]
	}

	ms := send(bot.Outbound{Text: "Kirim laporan?", Choices: choices("✅ Kirim", "✏️ Ubah", "❌ Batal")})
	require.Len(t, ms, 1)
	require.Equal(t, "button", ms[0].Interactive)
	require.Equal(t, []string{"✅ Kirim", "✏️ Ubah", "❌ Batal"}, ms[0].Buttons)
	require.Equal(t, []string{"c1", "c2", "c3"}, ms[0].ButtonIDs)

	ms = send(bot.Outbound{Text: "Identitas?", Choices: choices("Boleh (biasa)", "Rahasiakan identitas saya")})
	require.Equal(t, "list", ms[0].Interactive, "a label over 20 characters goes in a list, whole in its description")
	require.Equal(t, "Rahasiakan identitas…", ms[0].Rows[1].Title)
	require.Equal(t, "Rahasiakan identitas saya", ms[0].Rows[1].Description)
	_, err := r.fake.Press(to, "Rahasiakan identitas saya")
	require.NoError(t, err)
	in := r.next()
	require.Equal(t, "c2", in.ChoiceID)
	require.Equal(t, "Rahasiakan identitas saya", in.Text)

	ms = send(bot.Outbound{Text: "Nilai?", Choices: choices("1", "2", "3", "4", "5")})
	require.Equal(t, "list", ms[0].Interactive)
	require.Len(t, ms[0].Rows, 5)
	require.Equal(t, "Lihat pilihan", ms[0].ListButton)

	var kec []string
	for i := range 18 {
		kec = append(kec, fmt.Sprintf("Kecamatan nomor %d", i+1))
	}
	ms = send(bot.Outbound{Text: "Pilih kecamatan:", Choices: choices(kec...)})
	require.Len(t, ms[0].Rows, 10)
	require.Equal(t, "~p9", ms[0].Rows[9].ID, "18 choices: 9 and a row for the rest")
	_, err = r.fake.Press(to, "➡️ Berikutnya")
	require.NoError(t, err)
	page, err := r.fake.WaitMessages(to, len(r.fake.Messages(to))+1, 5*time.Second)
	require.NoError(t, err)
	p2 := page[len(page)-1]
	require.Len(t, p2.Rows, 9)
	require.Equal(t, "Kecamatan nomor 10", p2.Rows[0].Title)
	_, err = r.fake.Press(to, "Kecamatan nomor 17")
	require.NoError(t, err)
	require.Equal(t, "c17", r.next().ChoiceID, "a choice on the second page reaches the bot")

	ms = send(bot.Outbound{Text: "Di mana lokasinya?", AskLocation: true, Choices: choices("Pilih kecamatan")})
	require.Len(t, ms, 2)
	require.Equal(t, "location_request_message", ms[0].Interactive)
	require.Equal(t, "Di mana lokasinya?", ms[0].Text)
	require.Equal(t, []string{"Pilih kecamatan"}, ms[1].Buttons)

	long := strings.Repeat("Kalimat yang cukup panjang untuk dipotong. ", 220)
	ms = send(bot.Outbound{Text: long, Choices: choices("Ya", "Tidak")})
	require.Greater(t, len(ms), 2)
	for _, m := range ms[:len(ms)-1] {
		require.Equal(t, "text", m.Type)
		require.LessOrEqual(t, utf8.RuneCountInString(m.Text), MaxTextLen)
	}
	require.LessOrEqual(t, utf8.RuneCountInString(ms[len(ms)-1].Text), MaxBodyLen)
	require.Equal(t, strings.Join(strings.Fields(long), " "), strings.Join(strings.Fields(joinTexts(ms)), " "), "nothing of the text is lost")

	photo := filepath.Join(r.ch.opts.DataDir, "foto.png")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	require.NoError(t, os.WriteFile(photo, png, 0o600))
	ms = send(bot.Outbound{Text: strings.Repeat("keterangan ", 150), PhotoPath: "foto.png"})
	require.Equal(t, "image", ms[0].Type)
	require.Equal(t, png, ms[0].Photo)
	require.LessOrEqual(t, utf8.RuneCountInString(ms[0].Text), MaxCaptionLen)
	require.Equal(t, "text", ms[1].Type, "the rest of a long caption follows")
	uploads := r.fake.Count("upload", 0)
	send(bot.Outbound{PhotoPath: "foto.png"})
	require.Equal(t, uploads, r.fake.Count("upload", 0), "a photo is uploaded once")

	ms = send(bot.Outbound{HasLocation: true, Lat: -3.39, Lng: 104.83, Choices: choices("✅ Terima", "💬 Balas", "❓ Minta info", "↪️ Teruskan", "✔️ Selesai", "✖️ Tolak")})
	require.Equal(t, "location", ms[0].Type)
	require.InDelta(t, -3.39, ms[0].Lat, 1e-9)
	require.Equal(t, "list", ms[1].Interactive)
	require.Equal(t, "Silakan pilih:", ms[1].Text)

	longID := strings.Repeat("x", 300)
	ms = send(bot.Outbound{Text: "Pilih", Choices: []bot.Choice{{ID: longID, Label: "Panjang"}, {ID: "~tilde", Label: "Tilde"}}})
	require.NotEqual(t, longID, ms[0].ButtonIDs[0])
	_, err = r.fake.Press(to, "Panjang")
	require.NoError(t, err)
	require.Equal(t, longID, r.next().ChoiceID, "a long id goes as a token and comes back whole")
	_, err = r.fake.Press(to, "Tilde")
	require.NoError(t, err)
	require.Equal(t, "~tilde", r.next().ChoiceID)
	require.Empty(t, r.fake.Violations())
}

func joinTexts(ms []graphtest.Message) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, " ")
}

// TestWindow sends inside the 24-hour window freely and outside it only notices as templates.
func TestWindow(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	const to = "62822"
	_, err := r.send(bot.Outbound{ChatID: to, Text: "Halo!"})
	require.ErrorIs(t, err, bot.ErrRejected, "never a first message to a number that never wrote")
	require.Zero(t, r.fake.Count("send", 0))

	r.wrote(to)
	r.clock.advance(25 * time.Hour)
	_, err = r.send(bot.Outbound{ChatID: to, Text: "Masih di sana?"})
	require.ErrorIs(t, err, bot.ErrRejected, "a conversation message outside the window is not sent")

	notice := &bot.Notice{Key: "notifikasi.tanggapan", Data: map[string]string{
		"kode": "OKI-2611-0001", "opd": "Dinas PUPR", "teks": "Sudah kami\njadwalkan   perbaikan.", "status_teks": "diproses"}}
	_, err = r.send(bot.Outbound{ChatID: to, Text: "📣 Tanggapan...", Notice: notice})
	require.NoError(t, err)
	ms := r.fake.Messages(to)
	m := ms[len(ms)-1]
	require.Equal(t, "template", m.Type)
	require.Equal(t, "suarawarga_tanggapan", m.Template)
	require.Equal(t, "📣 Tanggapan untuk laporan OKI-2611-0001 dari Dinas PUPR:\n\"Sudah kami jadwalkan perbaikan.\"\nStatus: diproses.", m.Text)

	_, err = r.send(bot.Outbound{ChatID: to, Notice: &bot.Notice{Key: "notifikasi.tanggapan"}, PhotoPath: "x.jpg"})
	require.ErrorIs(t, err, bot.ErrAwaitReply, "a notice's photo waits for the person")
	_, err = r.send(bot.Outbound{ChatID: to, Text: "x", Notice: &bot.Notice{Key: "tidak.ada"}})
	require.ErrorIs(t, err, bot.ErrAwaitReply, "a notice without a template waits")

	survey := &bot.Notice{Key: "notifikasi.selesai", Data: map[string]string{"kode": "OKI-2611-0001", "opd": "Dinas PUPR", "batas": "Jumat, 11 Desember 2026"},
		Choices: []bot.Choice{{ID: "ya", Label: "Ya, sudah selesai"}, {ID: "tidak", Label: "Belum"}}}
	_, err = r.send(bot.Outbound{ChatID: to, Text: "📣 selesai", Notice: survey})
	require.NoError(t, err)
	ms = r.fake.Messages(to)
	m = ms[len(ms)-1]
	require.Contains(t, m.Text, "selesai: \"tanpa catatan\"", "an empty parameter takes its fallback")
	require.Equal(t, []string{"ya", "tidak"}, m.ButtonIDs)
	_, err = r.fake.Press(to, "Ya, sudah selesai")
	require.NoError(t, err)
	in := r.next()
	require.Equal(t, bot.KindChoice, in.Kind)
	require.Equal(t, "ya", in.ChoiceID)

	// The person wrote: the window is open again.
	_, err = r.send(bot.Outbound{ChatID: to, Text: "Terima kasih."})
	require.NoError(t, err)
	require.Equal(t, "text", r.fake.Messages(to)[len(r.fake.Messages(to))-1].Type)
	st := r.ch.State()
	require.Equal(t, int64(2), st.TemplatesSent)
	require.Equal(t, int64(2), st.Held)
	require.Equal(t, int64(1), st.Dropped)
}

// TestReEngagementFallsBackToTemplate: Meta's clock says the window closed
// (131047) while the bot's says open: a notice goes as its template at once.
func TestReEngagementFallsBackToTemplate(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	const to = "62823"
	r.wrote(to)
	var once atomic.Bool
	r.fake.SetFaults(func(req graphtest.Request) *graphtest.Fault {
		if req.Kind == "send" && req.Type == "text" && once.CompareAndSwap(false, true) {
			return &graphtest.Fault{Code: CodeReEngagement}
		}
		return nil
	})
	notice := &bot.Notice{Key: "notifikasi.diterima", Data: map[string]string{"kode": "OKI-2611-0002", "opd": "DLH", "batas": "Senin, 7 Desember 2026"}}
	_, err := r.send(bot.Outbound{ChatID: to, Text: "📣 diterima", Notice: notice, Ref: 9})
	require.NoError(t, err)
	ms := r.fake.Messages(to)
	require.Equal(t, "suarawarga_diterima", ms[len(ms)-1].Template)
	_, err = r.send(bot.Outbound{ChatID: to, Text: "Ada lagi?"})
	require.ErrorIs(t, err, bot.ErrRejected, "until the person writes, the window stays closed")
	r.fake.SendText(to, "ya")
	r.next()
	_, err = r.send(bot.Outbound{ChatID: to, Text: "Ada lagi?"})
	require.NoError(t, err)
}

// TestErrorCodes maps each send error to the delivery worker's decision.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault graphtest.Fault
		check func(t *testing.T, r *rig, err error)
	}{
		{"throughput 130429", graphtest.Fault{Code: CodeRateLimit}, func(t *testing.T, r *rig, err error) {
			var ra *bot.RetryAfterError
			require.ErrorAs(t, err, &ra)
			require.Equal(t, time.Second, ra.After, "4^0 s the first time")
			require.Positive(t, r.ch.Limiter().PausedFor(), "every chat waits")
			_, err = r.send(bot.Outbound{ChatID: "62830", Text: "lagi"})
			require.ErrorAs(t, err, &ra)
			require.Equal(t, 4*time.Second, ra.After, "4^1 s the second time")
		}},
		{"pair rate 131056", graphtest.Fault{Code: CodePairRateLimit}, func(t *testing.T, r *rig, err error) {
			var ra *bot.RetryAfterError
			require.ErrorAs(t, err, &ra)
			require.Equal(t, time.Second, ra.After)
			require.Zero(t, r.ch.Limiter().PausedFor(), "only this chat waits")
			require.Positive(t, r.ch.Limiter().ChatWait("62830"))
			_, err = r.send(bot.Outbound{ChatID: "62830", Text: "lagi"})
			require.ErrorAs(t, err, &ra)
			require.Equal(t, 4*time.Second, ra.After, "4^1 s the second time")
		}},
		{"undeliverable 131026", graphtest.Fault{Code: CodeUndeliverable}, func(t *testing.T, _ *rig, err error) {
			require.ErrorIs(t, err, bot.ErrUnreachable)
		}},
		{"token 190", graphtest.Fault{Code: CodeTokenInvalid}, func(t *testing.T, r *rig, err error) {
			var ra *bot.RetryAfterError
			require.ErrorAs(t, err, &ra)
			a := <-r.alerts
			require.Equal(t, "whatsappcloud.token_tidak_berlaku", a.Key)
			require.True(t, r.ch.State().Paused)
			_, err = r.send(bot.Outbound{ChatID: "62830", Text: "lagi"})
			require.ErrorAs(t, err, &ra, "paused: nothing is sent")
			require.Len(t, r.alerts, 0, "the admins are told once")
			require.NotContains(t, r.ch.State().LastError, graphtest.DefaultToken)
		}},
		{"restricted 368", graphtest.Fault{Code: CodeAccountRestricted}, func(t *testing.T, r *rig, err error) {
			var ra *bot.RetryAfterError
			require.ErrorAs(t, err, &ra)
			require.Equal(t, "whatsappcloud.akun_dibatasi", (<-r.alerts).Key)
		}},
		{"5xx", graphtest.Fault{HTTPStatus: http.StatusServiceUnavailable}, func(t *testing.T, _ *rig, err error) {
			requirePlain(t, err)
		}},
		{"generic 131000", graphtest.Fault{Code: CodeGeneric}, func(t *testing.T, _ *rig, err error) { requirePlain(t, err) }},
		{"dropped connection", graphtest.Fault{Drop: true}, func(t *testing.T, _ *rig, err error) { requirePlain(t, err) }},
		{"timeout", graphtest.Fault{Delay: 3 * time.Second}, func(t *testing.T, _ *rig, err error) {
			requirePlain(t, err)
			require.NotContains(t, err.Error(), graphtest.DefaultToken)
		}},
		{"template 132001", graphtest.Fault{Code: 132001}, func(t *testing.T, _ *rig, err error) { require.ErrorIs(t, err, bot.ErrAwaitReply) }},
		{"invalid 131009", graphtest.Fault{Code: 131009}, func(t *testing.T, _ *rig, err error) { require.ErrorIs(t, err, bot.ErrRejected) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.wrote("62830")
			f := tc.fault
			r.fake.SetFaults(func(req graphtest.Request) *graphtest.Fault {
				if req.Kind == "send" {
					return &f
				}
				return nil
			})
			_, err := r.send(bot.Outbound{ChatID: "62830", Text: "Kabar", Ref: 3})
			require.Error(t, err)
			tc.check(t, r, err)
		})
	}
}

func requirePlain(t *testing.T, err error) {
	t.Helper()
	var ra *bot.RetryAfterError
	require.False(t, errors.As(err, &ra))
	for _, e := range []error{bot.ErrRejected, bot.ErrUnreachable, bot.ErrAwaitReply} {
		require.NotErrorIs(t, err, e, "a transient failure is retried by the worker")
	}
}

// TestPauseRecovers probes once the pause is over and tells the admins it works again.
func TestPauseRecovers(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options, _ *graphtest.Options) { o.PauseProbe = 100 * time.Millisecond })
	r.wrote("62831")
	r.fake.ExpireToken()
	_, err := r.send(bot.Outbound{ChatID: "62831", Text: "a"})
	require.Error(t, err)
	require.Equal(t, "whatsappcloud.token_tidak_berlaku", (<-r.alerts).Key)
	r.fake.RenewToken()
	time.Sleep(150 * time.Millisecond)
	_, err = r.send(bot.Outbound{ChatID: "62831", Text: "b"})
	require.NoError(t, err)
	require.Equal(t, "whatsappcloud.pulih", (<-r.alerts).Key)
	require.False(t, r.ch.State().Paused)
}

// testAttempt is the delivery worker's Attempt as a test keeps it: the parts accepted.
type testAttempt struct{ accepted int }

func (a *testAttempt) Resume() int                            { return a.accepted }
func (a *testAttempt) Sending(_ context.Context, _ int) error { return nil }
func (a *testAttempt) Accepted(part int)                      { a.accepted = part + 1 }

// TestResendSkipsSentParts: a message whose second part failed sends only the rest on retry.
func TestResendSkipsSentParts(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	const to = "62832"
	r.wrote(to)
	var n atomic.Int32
	r.fake.SetFaults(func(req graphtest.Request) *graphtest.Fault {
		if req.Kind == "send" && n.Add(1) == 2 {
			return &graphtest.Fault{HTTPStatus: http.StatusBadGateway}
		}
		return nil
	})
	out := bot.Outbound{Channel: Name, ChatID: to, Text: strings.Repeat("a ", 3000), Choices: choices("Ya", "Tidak"), Ref: 77}
	a := &testAttempt{}
	ctx := bot.WithAttempt(context.Background(), a)
	_, err := r.ch.Send(ctx, out)
	require.Error(t, err)
	require.Len(t, r.fake.Messages(to), 1)
	require.Equal(t, 1, a.accepted)
	_, err = r.ch.Send(ctx, out)
	require.NoError(t, err)
	ms := r.fake.Messages(to)
	require.Len(t, ms, 3, "the first part is not sent twice")
	require.Equal(t, "sw:77:3:3", ms[2].Callback)
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	tpls := DefaultTemplates()
	require.NoError(t, tpls.Check())
	require.Len(t, tpls.Keys(), 30)
	tpl, ok := tpls.For("notifikasi.tanggapan")
	require.True(t, ok)
	require.Equal(t, "id", tpl.Language)
	long := strings.Repeat("panjang sekali ", 200)
	vals := tpl.paramValues(map[string]string{"kode": "K", "opd": "O", "teks": long, "status_teks": "s"})
	require.LessOrEqual(t, utf8.RuneCountInString(Render(tpl.Body, vals)), MaxTemplateBody)
	require.True(t, strings.HasSuffix(vals[2], "…"))
	merged := tpls.Merge(&Templates{Language: "en", ByKey: map[string]Template{
		"notifikasi.tanggapan": {Name: "my_reply"}, "notifikasi.ditutup": {}}})
	tpl, _ = merged.For("notifikasi.tanggapan")
	require.Equal(t, "my_reply", tpl.Name)
	require.Equal(t, "en", tpl.Language)
	require.NotEmpty(t, tpl.Params, "an override keeps the default parameters")
	_, ok = merged.For("notifikasi.ditutup")
	require.False(t, ok, "an entry without a name removes the template")
	bad := &Templates{ByKey: map[string]Template{"x": {Name: "Bad-Name"}}}
	require.Error(t, bad.Check())
	bad = &Templates{ByKey: map[string]Template{"x": {Name: "ok", Body: "{{1}} {{2}}", Params: []string{"a"}}}}
	require.Error(t, bad.Check())
}

// TestBSUIDRecipient answers a username-only person at their business-scoped id.
func TestBSUIDRecipient(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	u := r.fake.AddUser(graphtest.User{UserID: "ID.9988776655"})
	r.fake.SendText(u.UserID, "halo")
	in := r.next()
	require.Equal(t, "ID.9988776655", in.ChatID)
	_, err := r.send(bot.Outbound{ChatID: in.ChatID, Text: "Selamat datang"})
	require.NoError(t, err)
	require.Len(t, r.fake.Messages(u.UserID), 1)
	var sent map[string]any
	reqs := r.fake.Requests()
	for _, q := range reqs {
		if q.Kind == "send" {
			require.NoError(t, json.Unmarshal(q.Body, &sent))
		}
	}
	require.Equal(t, "ID.9988776655", sent["recipient"])
	require.Nil(t, sent["to"])
}
