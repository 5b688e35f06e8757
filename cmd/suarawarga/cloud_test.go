package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suarawarga/suarawarga/bot/whatsappcloud"
	"github.com/suarawarga/suarawarga/bot/whatsappcloud/graphtest"
)

// TestServeOnTheCloudAPI runs serve as the README starts it for a regency's
// number (PUBLIC_URL and the five WHATSAPP_CLOUD_* settings, the Graph API
// pointed at the fake), verifies the webhook as Meta does, and has a citizen
// and an officer use it: the citizen files a complaint with buttons, a list,
// a shared location and a photo; the OPD's officer registers, takes it and
// answers it with the buttons they are sent. No secret appears in the output.
func TestServeOnTheCloudAPI(t *testing.T) {
	tpls := whatsappcloud.DefaultTemplates()
	var approved []graphtest.Template
	for _, k := range tpls.Keys() {
		tpl, _ := tpls.For(k)
		approved = append(approved, graphtest.Template{Name: tpl.Name, Language: tpl.Language, Body: tpl.Body, Buttons: tpl.Buttons})
	}
	fake := graphtest.New(t, graphtest.Options{Templates: approved})
	addr := freeAddr(t)
	dbFile := filepath.Join(t.TempDir(), "sw.db")
	_, done, out := serving(t, map[string]string{
		"HTTP_ADDR":    addr,
		"PUBLIC_URL":   "http://" + addr,
		"DATABASE_URL": "sqlite:" + dbFile,
		// The README's five settings, and the Graph API of the fake.
		"WHATSAPP_CLOUD_TOKEN": fake.Token, "WHATSAPP_CLOUD_PHONE_NUMBER_ID": fake.PhoneNumberID,
		"WHATSAPP_CLOUD_APP_SECRET": fake.AppSecret, "WHATSAPP_CLOUD_VERIFY_TOKEN": fake.VerifyToken,
		"WHATSAPP_GRAPH_URL": fake.URL,
	})
	base := "http://" + addr // serve listens on HTTP_ADDR, the address PUBLIC_URL names
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body := get(base + "/readyz")
		if code == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "/readyz: %d %s", code, body)
	}
	require.Error(t, fake.Subscribe(base+whatsappcloud.WebhookPath, "not-the-token"), "a wrong verify token is refused")
	require.NoError(t, fake.Subscribe(base+whatsappcloud.WebhookPath, fake.VerifyToken), "Meta's verification of the callback URL")

	const citizen, officer = "6281234500001", "6281234500002"
	seen := map[string]int{}
	wait := func(who string, n int) []graphtest.Message {
		t.Helper()
		ms, err := fake.WaitMessages(who, seen[who]+n, 30*time.Second)
		require.NoError(t, err, "%s got %d messages", who, len(ms))
		got := ms[seen[who]:]
		seen[who] = len(ms)
		return got
	}
	// waitFor waits for the first new message to who that ok accepts.
	waitFor := func(who string, ok func(graphtest.Message) bool) graphtest.Message {
		t.Helper()
		for {
			for _, m := range wait(who, 1) {
				if ok(m) {
					return m
				}
			}
		}
	}
	say := func(who, text string, n int) graphtest.Message {
		t.Helper()
		fake.SendText(who, text)
		ms := wait(who, n)
		return ms[len(ms)-1]
	}
	press := func(who, label string, n int) graphtest.Message {
		t.Helper()
		_, err := fake.Press(who, label)
		require.NoError(t, err, "%s: no button %q", who, label)
		ms := wait(who, n)
		return ms[len(ms)-1]
	}

	m := say(citizen, "/start", 1)
	require.Contains(t, m.Text, "Selamat datang")
	require.NotEmpty(t, m.Interactive, "the menu comes with buttons or a list")
	m = press(citizen, "📝 Buat pengaduan", 1)
	require.Equal(t, "list", m.Interactive, "the categories come as a list")
	m = press(citizen, "Jalan & jembatan", 1)
	require.Contains(t, m.Text, "Ceritakan masalahnya")
	ms := func() []graphtest.Message {
		fake.SendText(citizen, "Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh")
		return wait(citizen, 2)
	}()
	require.Equal(t, "location_request_message", ms[0].Interactive, "the location question as a location request")
	fake.ShareLocation(citizen, -3.3937, 104.8306, "Pasar Kayuagung", "")
	require.Contains(t, wait(citizen, 1)[0].Text, "Ada foto?")
	fake.SendPhoto(citizen, pngBytes(), "image/png", "lubangnya")
	require.Contains(t, wait(citizen, 1)[0].Text, "identitas")
	press(citizen, "Boleh (biasa)", 1)
	m = press(citizen, "✅ Kirim", 1)
	code := ticketRE.FindString(m.Text)
	require.NotEmpty(t, code, m.Text)

	// The OPD's officer, invited by an admin on the command line, registers on WhatsApp.
	var invite strings.Builder
	require.NoError(t, run(t.Context(), []string{"officer", "invite", "--agency", "PUPR", "--name", "Budi (PUPR)"}, &invite, &invite))
	inviteCode := inviteRE.FindString(invite.String())
	require.NotEmpty(t, inviteCode, invite.String())
	m = say(officer, "/daftar "+inviteCode, 1)
	require.Contains(t, m.Text, "Budi")
	fake.SendText(officer, "/lihat "+code)
	m = waitFor(officer, func(m graphtest.Message) bool {
		return strings.Contains(rowTitles(m)+strings.Join(m.Buttons, " "), "Terima")
	})
	require.Contains(t, m.Text, code, "the complaint with its actions")
	press(officer, "✅ Terima", 1)
	require.Contains(t, wait(citizen, 1)[0].Text, "sudah diterima")
	press(officer, "💬 Balas", 1)
	say(officer, "Tim kami akan meninjau lokasi besok pagi.", 1)
	require.Contains(t, wait(citizen, 1)[0].Text, "Tim kami akan meninjau lokasi besok pagi.")

	require.Empty(t, fake.Violations())
	for _, secret := range []string{fake.Token, fake.AppSecret, fake.VerifyToken} {
		require.NotContains(t, out.String(), secret, "a secret in the output")
	}
	select {
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	default:
	}
}

var (
	ticketRE = regexp.MustCompile(`OKI-\d{4}-\d{4}`)
	inviteRE = regexp.MustCompile(`[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}`)
)

// pngBytes is a small real photo.
func pngBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{120, uint8(x * 30), uint8(y * 30), 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// rowTitles are a list message's row titles, in one line.
func rowTitles(m graphtest.Message) string {
	var out []string
	for _, r := range m.Rows {
		out = append(out, r.Title)
	}
	return strings.Join(out, " ")
}
