package app

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/webtest"
)

// fieldValue reads the value of a form field on the page.
func fieldValue(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, webtest.DefaultWait)
	defer cancel()
	v, err := chromedp.Run(wctx, chromedp.Value(sel))
	require.NoError(t, err)
	return v
}

// TestBrowserFlowsWording is issue 6's last "done when", in Chromium: an admin adds a category
// in the master data page, rewords the story question in the flows editor's Teks panel, tries
// both in the simulator and publishes. A citizen who starts a complaint afterwards sees the new
// category and the new wording from the same running bot; a citizen who was already in the
// middle of a complaint keeps the old wording of that question.
func TestBrowserFlowsWording(t *testing.T) {
	needChromium(t)
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, Options{})
		base := h.serveWeb()
		ctx := t.Context()
		consoleAdmin(t, h)
		published, err := models.LatestFlowRevision(ctx, db, "pengaduan")
		require.NoError(t, err)
		oldRev := published.Revision
		const (
			oldWording = "Ceritakan masalahnya dengan singkat: apa yang terjadi, sejak kapan, dan apa dampaknya."
			newWording = "Ceritakan masalah banjir atau jalan Anda: di mana tepatnya, sejak kapan, dan siapa yang terdampak?"
		)

		// A citizen is at the category question of the published revision.
		first := webtest.Open(t, base+"/")
		first.WaitBot("Selamat datang di layanan pengaduan")
		first.Click("📝 Buat pengaduan")
		first.WaitBot("Laporan Anda tentang apa?")
		require.NotContains(t, first.Buttons(), "Banjir & drainase")
		active := activeConversations(t, db)
		require.Len(t, active, 1)
		require.Equal(t, oldRev, active[0].Revision)
		firstConv := active[0].ID

		// The admin adds a category routed to Dinas PUPR.
		admin := newBrowserContext(t, first.Ctx)
		consoleLogin(t, admin, base, "admin@oki.go.id", consolePassword)
		waitPage(t, admin, "#pengguna", "Admin")
		// The add form is folded under its summary, as the admin finds it.
		browse(t, admin, chromedp.Navigate(base+"/konsol/data"),
			chromedp.Click(chromedp.CSS(`details.add:has(#tambah-kategori) > summary`)),
			chromedp.WaitVisible(chromedp.CSS("#tambah-kategori input[name=kode]")),
			chromedp.SendKeys(chromedp.CSS(`#tambah-kategori input[name=kode]`), "banjir"),
			chromedp.SendKeys(chromedp.CSS(`#tambah-kategori input[name=nama]`), "Banjir & drainase"),
			chromedp.SendKeys(chromedp.CSS(`#tambah-kategori input[name=nama_en]`), "Floods & drainage"),
			chromedp.SetValue(chromedp.CSS(`#tambah-kategori select[name=opd]`), "PUPR"),
			chromedp.Click(chromedp.CSS(`#tambah-kategori button[type=submit]`)))
		waitPage(t, admin, "#pesan", "Kategori sudah disimpan.")
		var banjir models.Category
		require.NoError(t, db.Where("code = ?", "banjir").First(&banjir).Error)
		var pupr models.Agency
		require.NoError(t, db.First(&pupr, banjir.AgencyID).Error)
		require.Equal(t, "PUPR", pupr.Code)

		// The pengaduan flow's Teks panel shows the story question with its current wording.
		browse(t, admin, chromedp.Navigate(base+"/konsol/alur/pengaduan"), chromedp.WaitVisible(chromedp.CSS("#teks")))
		uraian := chromedp.CSS(`textarea[name="teks.pengaduan.tanya_uraian.id"]`)
		require.Equal(t, oldWording, fieldValue(t, admin, uraian))
		waitPage(t, admin, `tr[id="teks-pengaduan.tanya_uraian"]`, "Pertanyaan")

		// New wording, tried in the simulator: the new category is offered, then the new question.
		browse(t, admin, chromedp.SetValue(uraian, newWording), chromedp.Click(chromedp.CSS("#sim-mulai")))
		waitPage(t, admin, "#sim-percakapan", "Laporan Anda tentang apa?")
		waitPage(t, admin, "#sim-pilihan", "Banjir & drainase")
		waitPage(t, admin, "#teks-diterapkan", "1 perubahan teks")
		browse(t, admin, chromedp.Click(chromedp.CSS(`#sim-pilihan button[value="banjir"]`)))
		waitPage(t, admin, "#sim-percakapan", newWording)
		draft := fieldValue(t, admin, chromedp.CSS("#sumber"))
		require.Contains(t, draft, "texts:\n  pengaduan.tanya_uraian:\n    id: \""+newWording+"\"\n")
		require.True(t, strings.HasPrefix(draft, published.Source), "the rest of the flow file is kept as it was")
		cur, err := models.LatestFlowRevision(ctx, db, "pengaduan")
		require.NoError(t, err)
		require.Equal(t, oldRev, cur.Revision, "trying is not publishing")

		// Published, without a restart.
		browse(t, admin, chromedp.Click(chromedp.CSS("#terbitkan")))
		waitPage(t, admin, "#pesan", "Revisi "+strconv.FormatInt(oldRev+1, 10)+" telah diterbitkan")
		cur, err = models.LatestFlowRevision(ctx, db, "pengaduan")
		require.NoError(t, err)
		require.Equal(t, oldRev+1, cur.Revision)
		require.Equal(t, draft, cur.Source)
		var audit models.AuditEntry
		require.NoError(t, db.Where("object = ? AND action = ?", "alur:pengaduan", "alur.terbitkan").First(&audit).Error)
		require.Contains(t, audit.Detail, "revisi "+strconv.FormatInt(oldRev+1, 10))
		// The page now shows the published wording as the flow's own.
		require.Equal(t, newWording, fieldValue(t, admin, uraian))
		waitPage(t, admin, `tr[id="teks-pengaduan.tanya_uraian"]`, "Diubah di alur ini")

		// The citizen who started before goes on with the old wording.
		first.Click("Jalan & jembatan")
		first.WaitBot(oldWording)
		texts, err := webtest.BotTexts(first.Ctx)
		require.NoError(t, err)
		require.NotContains(t, strings.Join(texts, "\n"), newWording)
		var conv models.Conversation
		require.NoError(t, db.First(&conv, firstConv).Error)
		require.Equal(t, oldRev, conv.Revision)

		// A new complaint: the new category, the new wording, and it reaches Dinas PUPR.
		second := webtest.Open(t, base+"/")
		second.WaitBot("Selamat datang di layanan pengaduan")
		second.Click("📝 Buat pengaduan")
		second.WaitBot("Laporan Anda tentang apa?")
		require.Contains(t, second.Buttons(), "Banjir & drainase")
		second.Click("Banjir & drainase")
		second.WaitBot(newWording)
		texts, err = webtest.BotTexts(second.Ctx)
		require.NoError(t, err)
		require.NotContains(t, strings.Join(texts, "\n"), oldWording)
		var convs []models.Conversation
		require.NoError(t, db.Where("status = ? AND id <> ?", models.ConversationActive, firstConv).Find(&convs).Error)
		require.Len(t, convs, 1)
		require.Equal(t, oldRev+1, convs[0].Revision)
		second.Send("Saluran air di depan Pasar Kayuagung tersumbat, jalan banjir setiap hujan sejak seminggu")
		second.WaitBot("Di mana lokasinya?")
		second.Click("Pilih kecamatan")
		second.WaitBot("Di kecamatan mana?")
		second.Click("Kayu Agung")
		second.WaitBot("Ketik nama desa/kelurahan")
		second.Send("Kelurahan Cintaraja, depan Pasar Kayuagung")
		second.WaitBot("Ada foto?")
		second.Click("Lewati")
		second.WaitBot("Apakah Anda ingin mencantumkan nama?")
		second.Click("Tanpa nama")
		second.WaitBot("Banjir & drainase")
		second.Click("✅ Kirim")
		second.WaitBot("Diteruskan ke: Dinas Pekerjaan Umum dan Penataan Ruang")
		var filed models.Complaint
		require.NoError(t, db.Order("id DESC").First(&filed).Error)
		require.Equal(t, banjir.ID, filed.CategoryID)
		require.Equal(t, pupr.ID, filed.AgencyID)
	})
}
