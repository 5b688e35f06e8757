package console_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/media/mediatest"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/models/modeltest"
)

// TestPhotoRoutesServeNoMetadata: every photo the console serves, preview and
// original, of a plain and of a confidential complaint, holds none of the
// identity its sender's phone wrote into it, and stays upright; a confidential
// complaint's photos are never cached.
func TestPhotoRoutesServeNoMetadata(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		ctx := t.Context()
		attach := func(code string, data []byte, mime string) int64 {
			a, err := models.SaveAttachment(ctx, db, f.dataDir, data, mime, 10<<20)
			require.NoError(t, err)
			var c models.Complaint
			require.NoError(t, db.Where("code = ?", code).Take(&c).Error)
			require.NoError(t, db.Create(&models.ComplaintAttachment{ComplaintID: c.ID, AttachmentID: a.ID, Kind: models.AttachmentFoto}).Error)
			return a.ID
		}
		// A photo stored byte for byte before cleaning existed: the route cleans it first.
		legacy := mediatest.Fixtures(t)[0]
		rel := "attachments/ff/legacy.jpg"
		require.NoError(t, os.MkdirAll(filepath.Join(f.dataDir, "attachments", "ff"), 0o750))
		require.NoError(t, os.WriteFile(filepath.Join(f.dataDir, filepath.FromSlash(rel)), legacy.Data, 0o600))
		old := models.Attachment{SHA256: "legacy", Path: rel, MIME: "image/jpeg", Size: int64(len(legacy.Data))}
		require.NoError(t, db.Create(&old).Error)
		var sampah models.Complaint
		require.NoError(t, db.Where("code = ?", f.codes["sampah"]).Take(&sampah).Error)
		require.NoError(t, db.Create(&models.ComplaintAttachment{ComplaintID: sampah.ID, AttachmentID: old.ID, Kind: models.AttachmentFoto}).Error)

		type photo struct {
			name, code string
			id         int64
			viewer     string
			cache      string
		}
		var photos []photo
		for _, fx := range mediatest.Fixtures(t) {
			photos = append(photos,
				photo{fx.Name + " plain", f.codes["jalan"], attach(f.codes["jalan"], fx.Data, fx.MIME), "pupr@oki.go.id", "private, no-cache"},
				photo{fx.Name + " confidential", f.codes["sampah"], attach(f.codes["sampah"], fx.Data, fx.MIME), "dlh@oki.go.id", "no-store"})
		}
		photos = append(photos, photo{"legacy confidential", f.codes["sampah"], old.ID, "dlh@oki.go.id", "no-store"})
		clients := map[string]*client{}
		for _, p := range photos {
			if clients[p.viewer] == nil {
				clients[p.viewer] = f.login(p.viewer)
			}
			for _, q := range []string{"", "?asli=1"} {
				what := p.name + " " + q
				r := clients[p.viewer].get("/konsol/pengaduan/" + p.code + "/foto/" + itoa(p.id) + q)
				require.Equal(t, http.StatusOK, r.status, what)
				require.Equal(t, p.cache, r.header.Get("Cache-Control"), what)
				mediatest.AssertClean(t, what, []byte(r.body))
				mediatest.AssertUpright(t, what, []byte(r.body))
			}
			// The detail page links the preview and the original.
			page := clients[p.viewer].get("/konsol/pengaduan/" + p.code)
			require.Contains(t, page.body, "/foto/"+itoa(p.id)+`?asli=1"`)
		}
		require.NoFileExists(t, filepath.Join(f.dataDir, filepath.FromSlash(rel)+".tmp"))
	})
}

// TestRefusedProofWritesNoFile: an officer of another OPD finishing a complaint
// with a proof photo is refused, and nothing reaches the data directory; the
// complaint's own officer's proof is stored cleaned.
func TestRefusedProofWritesNoFile(t *testing.T) {
	t.Parallel()
	modeltest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := setup(t, db)
		jalan := f.codes["jalan"]
		files := func() []string {
			var out []string
			_ = filepath.WalkDir(f.dataDir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					out = append(out, p)
				}
				return nil
			})
			sort.Strings(out)
			return out
		}
		before := files()
		proof := mediatest.Fixtures(t)[0].Data
		post := func(c *client, tok string) int {
			var body bytes.Buffer
			mw := newMultipart(&body, map[string]string{"csrf": tok, "teks": "Sudah ditambal.", "konfirmasi": "1"}, "bukti", "bukti.jpg", proof)
			resp, err := c.http.Post(f.url+"/konsol/pengaduan/"+jalan+"/selesai", mw, &body)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		dlh := f.login("dlh@oki.go.id")
		require.Equal(t, http.StatusForbidden, post(dlh, dlh.token("/konsol/pengaduan")))
		require.Equal(t, before, files(), "a refused upload writes no file")
		var n int64
		require.NoError(t, db.Model(&models.Attachment{}).Count(&n).Error)
		require.EqualValues(t, 1, n)

		// The complaint's own OPD, but in a status that cannot be finished yet: still no file.
		pupr := f.login("pupr@oki.go.id")
		tok := pupr.token("/konsol/pengaduan/" + jalan)
		var c models.Complaint
		require.NoError(t, db.Where("code = ?", jalan).Take(&c).Error)
		require.NoError(t, db.Model(&c).Update("status", complaint.StatusDitolak).Error)
		require.Equal(t, http.StatusConflict, post(pupr, tok))
		require.Equal(t, before, files(), "a refused transition writes no file")
		require.NoError(t, db.Model(&c).Update("status", complaint.StatusDiproses).Error)

		require.Equal(t, http.StatusSeeOther, post(pupr, tok))
		var ca models.ComplaintAttachment
		require.NoError(t, db.Where("complaint_id = ? AND kind = ?", c.ID, models.AttachmentBukti).Take(&ca).Error)
		r := pupr.get("/konsol/pengaduan/" + jalan + "/foto/" + itoa(ca.AttachmentID) + "?asli=1")
		require.Equal(t, http.StatusOK, r.status)
		mediatest.AssertClean(t, "proof", []byte(r.body))
		for _, p := range files() {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			mediatest.AssertClean(t, p, data)
		}
	})
}
