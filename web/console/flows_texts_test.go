package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

var (
	textareaField = regexp.MustCompile(`(?s)<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>`)
	hiddenField   = regexp.MustCompile(`<input type="hidden" name="(teks_kunci|teks_asal\.[^"]+)" value="([^"]*)">`)
)

// editorForm is the flows editor's form as the page fills it: the YAML and the Teks panel.
func editorForm(t *testing.T, body string) url.Values {
	t.Helper()
	form := url.Values{"csrf": {csrfOf(t, body)}}
	for _, m := range textareaField.FindAllStringSubmatch(body, -1) {
		form.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		form.Add(m[1], html.UnescapeString(m[2]))
	}
	require.NotEmpty(t, form.Get("sumber"), body)
	return form
}

func TestFlowsTextsPanel(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		seedFlows(t, db)
		cat, err := locales.Load()
		require.NoError(t, err)
		src := string(flows.Defaults()["pengaduan"])
		idText := func(key string) string { s, _ := cat.Source("id", key); return s }
		enText := func(key string) string { s, _ := cat.Source("en", key); return s }

		admin := f.login("admin@oki.go.id")
		page := admin.get("/konsol/alur/pengaduan")
		require.Equal(t, http.StatusOK, page.status)
		require.Contains(t, page.body, `<section id="teks">`)
		form := editorForm(t, page.body)
		// Every key the flow names, questions first, with the catalog's wording in both languages.
		keys := form["teks_kunci"]
		require.Equal(t, []string{"pengaduan.betul_kategori", "pengaduan.tanya_kategori", "pengaduan.tanya_uraian"}, keys[:3])
		require.Contains(t, keys, "pengaduan.identitas_biasa")
		require.Contains(t, keys, "umum.masih_di_sana")
		require.Equal(t, idText("pengaduan.tanya_uraian"), form.Get("teks.pengaduan.tanya_uraian.id"))
		require.Equal(t, enText("pengaduan.tanya_uraian"), form.Get("teks.pengaduan.tanya_uraian.en"))
		require.Equal(t, form.Get("teks.pengaduan.tanya_uraian.id"), form.Get("teks_asal.pengaduan.tanya_uraian.id"))
		require.Contains(t, page.body, "<label>Bahasa Inggris\n  <textarea name=\"teks.pengaduan.tanya_uraian.en\"")

		// Posting the page as it is changes nothing.
		form.Set("aksi", "periksa")
		r := admin.post("/konsol/alur/pengaduan", form)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, src, editorForm(t, r.body).Get("sumber"))
		require.NotContains(t, r.body, `id="teks-diterapkan"`)

		// A new wording of one question: a texts section is added at the end, holding only that
		// key, with the catalog's English so English keeps its wording; the rest of the file,
		// comments included, is untouched.
		const wording = "Ceritakan masalahnya: apa, di mana tepatnya, sejak kapan? (minimal 15 huruf) 📝"
		form.Set("teks.pengaduan.tanya_uraian.id", wording)
		r = admin.post("/konsol/alur/pengaduan", form)
		require.Equal(t, http.StatusOK, r.status)
		got := editorForm(t, r.body)
		want := src + "\ntexts:\n  pengaduan.tanya_uraian:\n    id: \"" + wording + "\"\n    en: \"" + enText("pengaduan.tanya_uraian") + "\"\n"
		require.Equal(t, want, got.Get("sumber"))
		require.Contains(t, got.Get("sumber"), "# A shared map point, a typed address, or a district picked from the list.\n")
		require.Contains(t, r.body, `id="teks-diterapkan"`)
		require.Contains(t, r.body, "1 perubahan teks dimasukkan ke YAML draf.")
		require.Contains(t, r.body, `id="tanpa-masalah"`, "checked, and nothing is wrong")
		require.Contains(t, r.body, "<ins>+ texts:</ins>")
		require.Equal(t, wording, got.Get("teks.pengaduan.tanya_uraian.id"))
		require.Equal(t, wording, got.Get("teks_asal.pengaduan.tanya_uraian.id"))
		require.Contains(t, r.body, "Diubah di alur ini")

		// Posting that page again writes nothing more.
		got.Set("aksi", "periksa")
		r = admin.post("/konsol/alur/pengaduan", got)
		require.Equal(t, want, editorForm(t, r.body).Get("sumber"))
		require.NotContains(t, r.body, `id="teks-diterapkan"`)

		// The English of another key; the existing entry and a comment in the section stay as written.
		commented := src + "\n# Wording of this flow.\ntexts:\n  # The story question.\n  pengaduan.tanya_uraian:   # asked once\n    id: 'Ceritakan!'\n    en: Tell us!\n"
		form = editorForm(t, admin.post("/konsol/alur/pengaduan", url.Values{"csrf": {got.Get("csrf")}, "aksi": {"periksa"}, "sumber": {commented}}).body)
		require.Equal(t, "Ceritakan!", form.Get("teks.pengaduan.tanya_uraian.id"))
		form.Set("teks.pengaduan.tanya_foto.en", "Any photo? Send it, or skip.")
		r = admin.post("/konsol/alur/pengaduan", form)
		require.Equal(t, commented+"  pengaduan.tanya_foto:\n    id: \""+idText("pengaduan.tanya_foto")+"\"\n    en: \"Any photo? Send it, or skip.\"\n",
			editorForm(t, r.body).Get("sumber"))

		// Changing an entry that has comments rewrites that entry alone and keeps its line comment.
		form = editorForm(t, r.body)
		form.Set("teks.pengaduan.tanya_uraian.en", "Tell us what happened.")
		r = admin.post("/konsol/alur/pengaduan", form)
		require.Equal(t, src+"\n# Wording of this flow.\ntexts:\n  # The story question.\n  pengaduan.tanya_uraian: # asked once\n    id: \"Ceritakan!\"\n    en: \"Tell us what happened.\"\n"+
			"  pengaduan.tanya_foto:\n    id: \""+idText("pengaduan.tanya_foto")+"\"\n    en: \"Any photo? Send it, or skip.\"\n",
			editorForm(t, r.body).Get("sumber"))

		// The same text changed in the YAML and in the panel: the YAML wins, and the page says so.
		form = editorForm(t, r.body)
		form.Set("sumber", strings.Replace(form.Get("sumber"), `id: "Ceritakan!"`, `id: "Ceritakan dari YAML!"`, 1))
		form.Set("teks.pengaduan.tanya_uraian.id", "Ceritakan dari panel!")
		form.Set("teks.pengaduan.tanya_rahasia.id", "Boleh nama Anda kami sebut?")
		r = admin.post("/konsol/alur/pengaduan", form)
		got = editorForm(t, r.body)
		require.Contains(t, got.Get("sumber"), `id: "Ceritakan dari YAML!"`)
		require.NotContains(t, got.Get("sumber"), "dari panel")
		require.Contains(t, got.Get("sumber"), "  pengaduan.tanya_rahasia:\n    id: \"Boleh nama Anda kami sebut?\"\n", "other panel changes still apply")
		require.Equal(t, "Ceritakan dari YAML!", got.Get("teks.pengaduan.tanya_uraian.id"))
		require.Contains(t, r.body, `data-kunci="pengaduan.tanya_uraian"`)
		require.Contains(t, r.body, "Teks pengaduan.tanya_uraian juga diubah langsung di YAML")

		// Back to the catalog's wording: the entries go, and with the last one the section.
		for _, k := range []string{"pengaduan.tanya_uraian", "pengaduan.tanya_foto", "pengaduan.tanya_rahasia"} {
			got.Set("teks."+k+".id", idText(k))
			got.Set("teks."+k+".en", enText(k))
		}
		r = admin.post("/konsol/alur/pengaduan", got)
		require.Equal(t, src+"\n# Wording of this flow.\n", editorForm(t, r.body).Get("sumber"))

		// A draft that cannot be read keeps the panel's change waiting, and the YAML as it was.
		form = editorForm(t, page.body)
		form.Set("sumber", src+"\nnodes: [\n")
		form.Set("teks.pengaduan.tanya_uraian.id", wording)
		form.Set("aksi", "periksa")
		r = admin.post("/konsol/alur/pengaduan", form)
		require.Contains(t, r.body, `id="teks-tertunda"`)
		got = editorForm(t, r.body)
		require.Equal(t, src+"\nnodes: [\n", got.Get("sumber"))
		require.Equal(t, wording, got.Get("teks.pengaduan.tanya_uraian.id"))
		require.Equal(t, idText("pengaduan.tanya_uraian"), got.Get("teks_asal.pengaduan.tanya_uraian.id"))
		// Fixed, the waiting change goes in.
		got.Set("sumber", src)
		r = admin.post("/konsol/alur/pengaduan", got)
		require.Equal(t, want, editorForm(t, r.body).Get("sumber"))
		// An unreadable draft without panel changes says nothing about texts.
		got = editorForm(t, r.body)
		got.Set("sumber", src+"\nnodes: [\n")
		require.NotContains(t, admin.post("/konsol/alur/pengaduan", got).body, `id="teks-tertunda"`)
		// A texts section of another shape cannot take the change: it waits, and the page says why.
		form = editorForm(t, page.body)
		form.Set("sumber", src+"texts: [pengaduan.tanya_uraian]\n")
		form.Set("teks.pengaduan.tanya_uraian.id", wording)
		form.Set("aksi", "periksa")
		r = admin.post("/konsol/alur/pengaduan", form)
		require.Contains(t, r.body, `id="teks-gagal"`)
		got = editorForm(t, r.body)
		require.Equal(t, src+"texts: [pengaduan.tanya_uraian]\n", got.Get("sumber"))
		require.Equal(t, wording, got.Get("teks.pengaduan.tanya_uraian.id"))
		require.Contains(t, r.body, "pengaduan › texts › want a map of locale key")

		// The simulator speaks the panel's wording of the first question without publishing.
		form = editorForm(t, page.body)
		form.Set("teks.pengaduan.tanya_kategori.id", "Apa jenis masalahnya?")
		form.Set("sim_aksi", "mulai")
		r = admin.post("/konsol/alur/pengaduan/simulasi", form)
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, `<li class="bot">Apa jenis masalahnya?</li>`)
		cur, err := models.LatestFlowRevision(t.Context(), db, "pengaduan")
		require.NoError(t, err)
		require.Equal(t, src, cur.Source)

		// Publishing takes the panel's change along, and is audited.
		form = editorForm(t, page.body)
		form.Set("teks.pengaduan.tanya_uraian.id", wording)
		form.Set("aksi", "terbitkan")
		r = admin.post("/konsol/alur/pengaduan", form)
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		cur, err = models.LatestFlowRevision(t.Context(), db, "pengaduan")
		require.NoError(t, err)
		require.Equal(t, want, cur.Source)
		var audit []models.AuditEntry
		require.NoError(t, db.Where("object = ?", "alur:pengaduan").Find(&audit).Error)
		require.Len(t, audit, 1)
		require.Equal(t, "alur.terbitkan", audit[0].Action)
	})
}
