package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
	"github.com/suarawarga/suarawarga/web/console"
)

// seedFlows publishes the default flows as revision 1, as the bot does at start.
func seedFlows(t *testing.T, db *gorm.DB) {
	t.Helper()
	for id, src := range flows.Defaults() {
		_, err := models.SaveFlowRevision(t.Context(), db, id, string(src), "sistem", "")
		require.NoError(t, err)
	}
}

func TestFlowsEditor(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		seedFlows(t, db)
		menu := string(flows.Defaults()["menu"])
		var citizen int64
		require.NoError(t, db.Model(&models.Citizen{}).Select("id").Limit(1).Scan(&citizen).Error)
		require.NoError(t, db.Create(&models.Conversation{CitizenID: citizen, FlowID: "menu", Revision: 1, Node: "pilih",
			Data: "{}", Status: models.ConversationActive, CreatedAt: f.now, UpdatedAt: f.now}).Error)

		// Only admins see the editor.
		for _, who := range []string{"bupati@oki.go.id", "pupr@oki.go.id"} {
			c := f.login(who)
			require.Equal(t, http.StatusForbidden, c.get("/konsol/alur").status)
			require.Equal(t, http.StatusForbidden, c.get("/konsol/alur/menu").status)
			tok := c.token("/konsol/pengaduan")
			r := c.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"terbitkan"}, "sumber": {menu}})
			require.Equal(t, http.StatusForbidden, r.status)
		}
		admin := f.login("admin@oki.go.id")
		r := admin.get("/konsol/alur")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, `href="/konsol/alur/pengaduan"`)
		require.Regexp(t, `<a href="/konsol/alur/menu">menu</a></td><td>1</td><td>1</td>`, r.body)

		r = admin.get("/konsol/alur/menu")
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, "Sunting alur")
		require.Contains(t, r.body, `id="simpul-pilih"`)
		require.Contains(t, r.body, "[pengaduan] → <a href=\"#simpul-ke_pengaduan\">")
		tok := csrfOf(t, r.body)

		// Without the CSRF token nothing happens.
		r = admin.post("/konsol/alur/menu", url.Values{"aksi": {"terbitkan"}, "sumber": {menu}})
		require.Equal(t, http.StatusForbidden, r.status)

		// A choice pointing at a missing node: an error at its line, and publishing is refused.
		broken := strings.Replace(menu, "next: ke_bantuan,", "next: ke_bantuan_x,", 1)
		line := 0
		for i, l := range strings.Split(broken, "\n") {
			if strings.Contains(l, "ke_bantuan_x") {
				line = i + 1
			}
		}
		require.NotZero(t, line)
		r = admin.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"periksa"}, "sumber": {broken}})
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, `data-baris="`+itoa(int64(line))+`"`)
		require.Contains(t, r.body, "Baris "+itoa(int64(line))+" · galat")
		require.Contains(t, r.body, `<mark id="baris-`+itoa(int64(line))+`">`)
		require.Contains(t, r.body, "<ins>+ ")
		require.Contains(t, r.body, "ke_bantuan_x")
		r = admin.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"terbitkan"}, "sumber": {broken}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Contains(t, r.body, "belum dapat diterbitkan")
		var n int64
		require.NoError(t, db.Model(&models.FlowRevision{}).Where("flow_id = ?", "menu").Count(&n).Error)
		require.EqualValues(t, 1, n)

		// The flow id cannot change under its URL.
		r = admin.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"terbitkan"},
			"sumber": {strings.Replace(menu, "flow: menu", "flow: menu2", 1)}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)

		// A valid change: the welcome becomes the help text's key (an existing key), checked, then published.
		fixed := strings.Replace(menu, "{say: menu.sambutan, next: pilih}", "{say: menu.pilih, next: pilih}", 1)
		require.NotEqual(t, menu, fixed)
		r = admin.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"periksa"}, "sumber": {fixed}})
		require.Equal(t, http.StatusOK, r.status)
		require.NotContains(t, r.body, "· galat ·")
		r = admin.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"terbitkan"}, "sumber": {fixed}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, "/konsol/alur/menu?terbit=2", r.header.Get("Location"))
		cur, err := models.LatestFlowRevision(t.Context(), db, "menu")
		require.NoError(t, err)
		require.EqualValues(t, 2, cur.Revision)
		require.Equal(t, fixed, cur.Source)
		require.Equal(t, "admin@oki.go.id", cur.CreatedBy)
		r = admin.get("/konsol/alur/menu?terbit=2")
		require.Contains(t, r.body, "Revisi 2 telah diterbitkan")
		// The conversation in progress stays on revision 1.
		r = admin.get("/konsol/alur")
		require.Regexp(t, `<a href="/konsol/alur/menu">menu</a></td><td>2</td><td>0</td><td>1</td>`, r.body)

		// Publishing the same text again is refused.
		r = admin.post("/konsol/alur/menu", url.Values{"csrf": {tok}, "aksi": {"terbitkan"}, "sumber": {fixed}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)

		// Roll back to revision 1: a new revision 3 with revision 1's source.
		r = admin.post("/konsol/alur/menu/kembalikan", url.Values{"csrf": {tok}, "revisi": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		cur, err = models.LatestFlowRevision(t.Context(), db, "menu")
		require.NoError(t, err)
		require.EqualValues(t, 3, cur.Revision)
		require.Equal(t, menu, cur.Source)
		require.Equal(t, http.StatusNotFound, admin.post("/konsol/alur/menu/kembalikan", url.Values{"csrf": {tok}, "revisi": {"9"}}).status)
		require.Equal(t, http.StatusForbidden, admin.post("/konsol/alur/menu/kembalikan", url.Values{"revisi": {"1"}}).status)

		var audit []models.AuditEntry
		require.NoError(t, db.Where("object = ?", "alur:menu").Order("id").Find(&audit).Error)
		require.Len(t, audit, 2)
		require.Equal(t, "alur.terbitkan", audit[0].Action)
		require.Equal(t, "alur.kembalikan", audit[1].Action)
		require.Contains(t, audit[1].Detail, "revisi 3")

		require.Equal(t, http.StatusNotFound, admin.get("/konsol/alur/tidak_ada").status)
	})
}

var simField = regexp.MustCompile(`name="sim" value="([^"]+)"`)

// simulator drives the flow simulator of one flow page with a draft.
type simulator struct {
	t     *testing.T
	c     *client
	flow  string
	draft string
	csrf  string
	token string
	last  string
}

func (s *simulator) send(form url.Values) string {
	s.t.Helper()
	form.Set("csrf", s.csrf)
	form.Set("sumber", s.draft)
	form.Set("sim", s.token)
	r := s.c.post("/konsol/alur/"+s.flow+"/simulasi", form)
	require.Equal(s.t, http.StatusOK, r.status, r.body)
	m := simField.FindStringSubmatch(r.body)
	require.NotNil(s.t, m, r.body)
	s.token, s.last = m[1], r.body
	return r.body
}

func (s *simulator) choose(id string) string { return s.send(url.Values{"pilih": {id}}) }
func (s *simulator) say(text string) string {
	return s.send(url.Values{"sim_aksi": {"kirim"}, "teks": {text}})
}

func TestFlowsSimulator(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		seedFlows(t, db)
		var complaints, revisions int64
		require.NoError(t, db.Model(&models.Complaint{}).Count(&complaints).Error)
		require.NoError(t, db.Model(&models.FlowRevision{}).Count(&revisions).Error)
		var cat models.Category
		require.NoError(t, db.Order("sort, id").First(&cat).Error)
		var kec models.Region
		require.NoError(t, db.Where("kind = ?", models.RegionKecamatan).Order("name").First(&kec).Error)

		admin := f.login("admin@oki.go.id")
		page := admin.get("/konsol/alur/menu")
		require.Contains(t, page.body, `id="sim-mulai"`)
		// The draft changes the welcome to an existing key; the simulator runs it without publishing.
		draft := strings.Replace(string(flows.Defaults()["menu"]), "{say: menu.sambutan, next: pilih}", "{say: menu.bantuan, next: pilih}", 1)
		s := &simulator{t: t, c: admin, flow: "menu", draft: draft, csrf: csrfOf(t, page.body)}
		body := s.send(url.Values{"sim_aksi": {"mulai"}})
		require.Contains(t, body, `name="pilih" value="pengaduan"`)
		require.Contains(t, body, `id="sim-ingat">+30 menit`)

		// The pengaduan flow (published) with the real categories and kecamatan.
		body = s.choose("pengaduan")
		require.Contains(t, body, `name="pilih" value="`+cat.Code+`"`)
		s.choose(cat.Code)
		body = s.say("Jalan")
		// Under each typed message: how it was read.
		require.Contains(t, body, `<li class="warga">Jalan<br><small class="sim-dibaca">dibaca sebagai: tidak dipahami, ditanya lagi</small></li>`)
		s.say("Jalan di depan pasar berlubang besar dan membahayakan pengendara motor.")
		body = s.choose("pilih_kecamatan")
		require.Contains(t, body, `value="`+kec.Code+`"`)
		s.choose(kec.Code)
		s.say("Jalan Merdeka dekat pasar kalangan")
		body = s.say("gak ada fotonya")
		require.Contains(t, body, `dibaca sebagai: tidak → Lewati`)
		s.choose("biasa")
		body = s.say("iya")
		require.Contains(t, body, `<li class="warga">iya<br><small class="sim-dibaca">dibaca sebagai: ya → ✅ Kirim</small></li>`)
		require.Contains(t, body, console.SimTicket)
		require.Contains(t, body, `id="sim-selesai"`)

		// A reminder and the expiry, as the Wait says.
		s.send(url.Values{"sim_aksi": {"mulai"}})
		body = s.send(url.Values{"sim_aksi": {"ingat"}})
		require.Contains(t, body, `id="sim-habis">+`)
		require.NotContains(t, body, `id="sim-ingat"`)
		body = s.send(url.Values{"sim_aksi": {"habis"}})
		require.Contains(t, body, `id="sim-selesai"`)

		// A forged state starts over instead of being trusted.
		s.token = "eyJzIjp7fX0.00"
		body = s.choose("pengaduan")
		require.Contains(t, body, `name="pilih" value="pengaduan"`)
		require.NotContains(t, body, `value="`+cat.Code+`"`)

		// Another session cannot replay this session's state.
		other := f.login("admin@oki.go.id")
		r := other.post("/konsol/alur/menu/simulasi", url.Values{"csrf": {other.token("/konsol/alur/menu")}, "sumber": {draft},
			"sim": {s.token}, "pilih": {"pengaduan"}})
		require.Equal(t, http.StatusOK, r.status)
		require.NotContains(t, r.body, `value="`+cat.Code+`"`)

		// A broken draft reports that it cannot run.
		s.draft = "flow: menu\nstart: tidak_ada\nnodes: {}\n"
		body = s.send(url.Values{"sim_aksi": {"mulai"}})
		require.Contains(t, body, `id="sim-galat"`)

		// Nothing was written, and non-admins are refused.
		var n int64
		require.NoError(t, db.Model(&models.Complaint{}).Count(&n).Error)
		require.Equal(t, complaints, n)
		require.NoError(t, db.Model(&models.FlowRevision{}).Count(&n).Error)
		require.Equal(t, revisions, n)
		pupr := f.login("pupr@oki.go.id")
		r = pupr.post("/konsol/alur/menu/simulasi", url.Values{"csrf": {pupr.token("/konsol/pengaduan")}, "sumber": {draft}})
		require.Equal(t, http.StatusForbidden, r.status)
	})
}
