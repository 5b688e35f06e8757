package app

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/bot"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// fakePairClient stands in for whatsmeow when a device is linked from the console:
// it offers QR codes and reports success when the test says the phone scanned one.
type fakePairClient struct {
	codes   chan whatsmeow.QRChannelItem
	scanned chan struct{}
	once    sync.Once
	closed  chan struct{}
}

func newFakePairClient() *fakePairClient {
	return &fakePairClient{codes: make(chan whatsmeow.QRChannelItem, 4), scanned: make(chan struct{}), closed: make(chan struct{})}
}

func (f *fakePairClient) GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	go func() {
		defer close(f.codes)
		f.codes <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@FakeRef1,FakeNoiseKey,FakeIdentity,FakeAdv", Timeout: time.Minute}
		select {
		case <-f.scanned:
			f.codes <- whatsmeow.QRChannelSuccess
		case <-ctx.Done():
		case <-f.closed:
		}
	}()
	return f.codes, nil
}

func (f *fakePairClient) ConnectContext(context.Context) error { return nil }
func (f *fakePairClient) Disconnect()                          { f.once.Do(func() { close(f.closed) }) }
func (f *fakePairClient) Account() string                      { return "6281100002222" }

// TestBrowserWhatsAppPage: an admin opens the console's WhatsApp page in
// Chromium, sees the Cloud API number's state and figures, and links a device
// by scanning the QR code the page shows; an officer may not open it. The
// complaint page shows that the reporter's news reached the phone and was read.
func TestBrowserWhatsAppPage(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		b := startCloud(t, db, cloudOptions{})
		h := b.h
		base := h.app.Config.PublicURL
		pair := newFakePairClient()
		h.app.NewPairClient = func(context.Context) (PairClient, error) { return pair, nil }
		ctx := t.Context()
		for _, u := range []console.NewUser{
			{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin},
			{Email: "pupr@oki.go.id", Name: "Rahmat (PUPR)", Role: models.UserPetugas, AgencyCode: "PUPR"},
		} {
			u.Password = consolePassword
			_, err := console.CreateUser(ctx, db, u, cheapArgon2, nil, h.clock.Now())
			require.NoError(t, err)
		}
		c := &cloudCitizen{t: t, b: b, phone: "6281377700009"}
		code := c.file()
		registerWebOfficer(t, h, "PUPR", models.RolePetugas, "web-petugas3")
		h.send("web-petugas3", bot.Inbound{Kind: bot.KindChoice, ChoiceID: "aksi:balas:" + code})
		h.send("web-petugas3", bot.Inbound{Kind: bot.KindText, Text: "Tim kami meninjau lokasi besok pagi."})
		m := c.replies(1)[0]
		require.Contains(t, m.Text, "Tanggapan")
		c.say("terima kasih") // the reporter read it
		b.settle()

		admin := webtest.Browser(t)
		consoleLogin(t, admin, base, "admin@oki.go.id", consolePassword)
		waitPage(t, admin, "#pengguna", "Admin")
		browse(t, admin, chromedp.Navigate(base+"/konsol/whatsapp"))
		waitPage(t, admin, "#cloud-nomor", "+6281100001111")
		waitPage(t, admin, "#cloud-status", "berjalan")
		require.NotContains(t, pageText(admin, "#cloud-webhook"), "belum ada", "the last webhook is shown")
		angka := pageText(admin, "#cloud-angka")
		require.Contains(t, angka, "Warga dengan jendela 24 jam terbuka")
		require.Contains(t, pageText(admin, "#cloud-templat"), "suarawarga_tanggapan")
		require.Contains(t, pageText(admin, "#tertaut-status"), "tidak diaktifkan")
		webtest.RequireAxe(t, admin, "the WhatsApp page")

		browse(t, admin, chromedp.Click(chromedp.CSS("#tautkan")))
		waitPage(t, admin, "#pairing", "pindai kode QR")
		require.Eventually(t, func() bool {
			paths, err := chromedp.Run(admin, chromedp.Evaluate[int](`document.querySelectorAll('#qr path').length`))
			return err == nil && paths == 1
		}, webtest.DefaultWait, 50*time.Millisecond, "the QR code is drawn in the page")
		close(pair.scanned)
		waitPage(t, admin, "#pairing", "berhasil ditautkan") // the page refreshes itself
		waitPage(t, admin, "#tertaut-perangkat", "6281100002222")
		var audit int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action = ?", "whatsapp.tautkan").Count(&audit).Error)
		require.Equal(t, int64(1), audit)

		browse(t, admin, chromedp.Navigate(base+"/konsol/pengaduan/"+code))
		waitPage(t, admin, "#utas", "✓✓ dibaca")

		officer := newBrowserContext(t, admin)
		consoleLogin(t, officer, base, "pupr@oki.go.id", consolePassword)
		waitPage(t, officer, "#pengguna", "Rahmat")
		browse(t, officer, chromedp.Navigate(base+"/konsol/whatsapp"))
		waitPage(t, officer, "body", "tidak")
		require.False(t, strings.Contains(pageText(officer, "body"), "suarawarga_tanggapan"), "an officer does not see the page")
		resp, err := http.Get(base + "/konsol/whatsapp")
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "a stranger is sent to the sign-in")
		require.Contains(t, resp.Request.URL.Path, "/konsol/masuk")
	})
}
