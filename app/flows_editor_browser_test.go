package app

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// activeConversations lists the conversations in progress, oldest first.
func activeConversations(t *testing.T, db *gorm.DB) []models.Conversation {
	t.Helper()
	var cs []models.Conversation
	require.NoError(t, db.Where("status = ?", models.ConversationActive).Order("id").Find(&cs).Error)
	return cs
}

// consoleAdmin creates the console admin admin@oki.go.id with consolePassword.
func consoleAdmin(t *testing.T, h *harness) {
	t.Helper()
	_, err := console.CreateUser(t.Context(), h.db, console.NewUser{Email: "admin@oki.go.id", Name: "Admin", Role: models.UserAdmin,
		Password: consolePassword}, cheapArgon2, nil, h.clock.Now())
	require.NoError(t, err)
}

// TestBrowserFlowsEditor: an admin edits the pengaduan flow in the console in Chromium, sees a
// validation error at its line, fixes it, tries the draft in the simulator and publishes it. A
// citizen who was mid-conversation finishes on the old revision; a new conversation uses the new one.
func TestBrowserFlowsEditor(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		ctx := t.Context()
		consoleAdmin(t, h)
		published, err := models.LatestFlowRevision(ctx, db, "pengaduan")
		require.NoError(t, err)
		oldRev := published.Revision

		// A citizen starts a complaint on the published revision.
		first := webtest.Open(t, base+"/")
		first.WaitBot("Selamat datang di layanan pengaduan")
		first.Click("📝 Buat pengaduan")
		first.WaitBot("Laporan Anda tentang apa?")
		active := activeConversations(t, db)
		require.Len(t, active, 1)
		require.Equal(t, "pengaduan", active[0].FlowID)
		require.Equal(t, oldRev, active[0].Revision)
		firstConv := active[0].ID

		// The admin opens the flow; the list counts that conversation.
		admin := newBrowserContext(t, first.Ctx)
		consoleLogin(t, admin, base, "admin@oki.go.id", consolePassword)
		waitPage(t, admin, "#pengguna", "Admin")
		browse(t, admin, chromedp.Navigate(base+"/konsol/alur"), chromedp.WaitVisible(chromedp.CSS("#alur")))
		waitPage(t, admin, "#alur", "pengaduan\t"+strconv.FormatInt(oldRev, 10)+"\t1")
		browse(t, admin, chromedp.Click(chromedp.CSS(`#alur a[href="/konsol/alur/pengaduan"]`)), chromedp.WaitVisible(chromedp.CSS("#sumber")))
		waitPage(t, admin, "#diagram", "tanya_uraian")

		// The question about the story refers to a key that does not exist: an error at its line.
		const question = "text: pengaduan.tanya_uraian\n"
		src := published.Source
		require.Contains(t, src, question)
		line := strings.Count(src[:strings.Index(src, question)], "\n") + 1
		edit := func(from, to string) {
			t.Helper()
			f, err := json.Marshal(from)
			require.NoError(t, err)
			t2, err := json.Marshal(to)
			require.NoError(t, err)
			browse(t, admin, chromedp.Evaluate[chromedp.Void](`(function () { var e = document.querySelector('#sumber'); e.value = e.value.replace(`+
				string(f)+`, `+string(t2)+`); })()`))
		}
		edit("text: pengaduan.tanya_uraian\n", "text: pengaduan.tanya_uraian_baru\n")
		browse(t, admin, chromedp.Click(chromedp.CSS("#periksa")))
		waitPage(t, admin, "#masalah", "Baris "+strconv.Itoa(line)+" · galat")
		waitPage(t, admin, "#baris-"+strconv.Itoa(line), "pengaduan.tanya_uraian_baru")

		// Fixed: it asks with an existing, more detailed text instead.
		edit("text: pengaduan.tanya_uraian_baru\n", "text: pengaduan.uraian_pendek\n")
		browse(t, admin, chromedp.Click(chromedp.CSS("#periksa")))
		waitPage(t, admin, "#tanpa-masalah", "Tidak ada masalah")
		waitPage(t, admin, "#diff", "+     text: pengaduan.uraian_pendek")

		// The simulator runs the draft.
		browse(t, admin, chromedp.Click(chromedp.CSS("#sim-mulai")))
		waitPage(t, admin, "#sim-percakapan", "Laporan Anda tentang apa?")
		browse(t, admin, chromedp.Click(chromedp.CSS(`#sim-pilihan button[value="jalan"]`)))
		waitPage(t, admin, "#sim-percakapan", "minimal 15 huruf")
		browse(t, admin, chromedp.Click(chromedp.CSS("#sim-ingat")))
		waitPage(t, admin, "#sim-percakapan", "Mohon sedikit lebih rinci")

		// Published as a new revision.
		browse(t, admin, chromedp.Click(chromedp.CSS("#terbitkan")))
		waitPage(t, admin, "#pesan", "Revisi "+strconv.FormatInt(oldRev+1, 10)+" telah diterbitkan")
		cur, err := models.LatestFlowRevision(ctx, db, "pengaduan")
		require.NoError(t, err)
		require.Equal(t, oldRev+1, cur.Revision)
		require.Contains(t, cur.Source, "text: pengaduan.uraian_pendek\n")

		// The first citizen goes on with the old wording and files the complaint on the old revision.
		first.Click("Jalan & jembatan")
		first.WaitBot("Ceritakan masalahnya")
		texts, err := webtest.BotTexts(first.Ctx)
		require.NoError(t, err)
		require.NotContains(t, strings.Join(texts, "\n"), "minimal 15 huruf")
		var conv models.Conversation
		require.NoError(t, db.First(&conv, firstConv).Error)
		require.Equal(t, oldRev, conv.Revision)
		first.Send("Jalan di depan Pasar Kayuagung berlubang besar sejak 3 bulan, sudah 2 motor jatuh")
		first.WaitBot("Di mana lokasinya?")
		first.Click("Pilih kecamatan")
		first.WaitBot("Di kecamatan mana?")
		first.Click("Kayu Agung")
		first.WaitBot("Ketik nama desa/kelurahan")
		first.Send("Kelurahan Cintaraja, depan Pasar Kayuagung")
		first.WaitBot("Ada foto?")
		first.Click("Lewati")
		first.WaitBot("Apakah Anda ingin mencantumkan nama?")
		first.Click("Tanpa nama")
		first.WaitBot("Mohon periksa laporan Anda")
		first.Click("✅ Kirim")
		first.WaitBot("Nomor laporan: OKI-")
		require.NoError(t, db.First(&conv, firstConv).Error)
		require.Equal(t, oldRev, conv.Revision)

		// A new citizen gets the new wording.
		second := webtest.Open(t, base+"/")
		second.WaitBot("Selamat datang di layanan pengaduan")
		second.Click("📝 Buat pengaduan")
		second.WaitBot("Laporan Anda tentang apa?")
		second.Click("Jalan & jembatan")
		second.WaitBot("minimal 15 huruf")
		active = activeConversations(t, db)
		require.Len(t, active, 1)
		require.NotEqual(t, firstConv, active[0].ID)
		require.Equal(t, "pengaduan", active[0].FlowID)
		require.Equal(t, oldRev+1, active[0].Revision)
	})
}
