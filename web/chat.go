package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/suarawarga/suarawarga/bot/webchat"
)

//go:embed static templates
var assets embed.FS

// pageTemplate is the chat page; the text comes from the locales, the script and style from /static/.
var pageTemplate = template.Must(template.ParseFS(assets, "templates/chat.html"))

// scriptKeys are the webchat locale keys the page's script needs, without the namespace.
// Values may contain {name} placeholders the script fills in.
var scriptKeys = []string{
	"kirim_lokasi", "mengambil_lokasi", "lokasi_gagal", "lokasi_anda", "placeholder", "placeholder_alamat",
	"foto", "mengirim", "tidak_terkirim", "coba_lagi", "sedang_membalas", "koneksi_terputus", "menyiapkan_foto",
	"anda", "layanan", "galat_sibuk", "galat_terlalu_cepat", "galat_terlalu_panjang", "galat_kosong",
	"galat_tidak_valid", "galat_foto_besar",
}

// maxTextRunes mirrors the webchat default so the page refuses long text before sending it.
const maxTextRunes = 4000

// maxPhotoMB mirrors the webchat default photo limit, for the page's own check.
const maxPhotoMB = 10

// chatPage renders the chat page in the browser's language.
type chatPage struct {
	tr      Translator
	webchat *webchat.Channel
}

func newChatPage(tr Translator, wc *webchat.Channel) *chatPage {
	return &chatPage{tr: tr, webchat: wc}
}

// pageData feeds templates/chat.html.
type pageData struct {
	Lang, OtherLang             string
	T                           map[string]string // server-rendered text by short key
	Strings                     map[string]string // text for the script, by short key
	ScriptURL, StyleURL         string
	MaxTextRunes, MaxPhotoBytes int
}

func (p *chatPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Issue the chat cookie with the page, so the page's first API calls share one chat id.
	p.webchat.ChatID(w, r)
	lang := p.webchat.Lang(w, r)
	if lang == "" {
		lang = "id"
	}
	other := "en"
	if lang == "en" {
		other = "id"
	}
	t := func(key string, data map[string]any) string { return p.tr.T(lang, "webchat."+key, data) }
	d := pageData{
		Lang:      lang,
		OtherLang: other,
		T: map[string]string{
			"judul": t("judul", nil), "subjudul": t("subjudul", nil), "percakapan": t("percakapan", nil),
			"label_pesan": t("label_pesan", nil), "placeholder": t("placeholder", nil), "kirim": t("kirim", nil),
			"kirim_foto": t("kirim_foto", nil), "butuh_javascript": t("butuh_javascript", nil),
			"ganti_bahasa": t("ganti_bahasa", nil),
		},
		Strings:       map[string]string{},
		ScriptURL:     staticURL("chat.js"),
		StyleURL:      staticURL("chat.css"),
		MaxTextRunes:  maxTextRunes,
		MaxPhotoBytes: maxPhotoMB << 20,
	}
	// The script fills {placeholders} itself; the template gets them back as literal text.
	ph := map[string]any{"lat": "{lat}", "lng": "{lng}", "max": maxTextRunes, "mb": maxPhotoMB}
	for _, k := range scriptKeys {
		d.Strings[k] = t(k, ph)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Cookie")
	_, _ = w.Write(buf.Bytes())
}

// staticFile is one embedded asset, with its gzip form and content hash.
type staticFile struct {
	body, gz    []byte
	contentType string
	hash        string
}

// staticFiles holds every file under static/, prepared once.
var staticFiles = func() map[string]*staticFile {
	files := map[string]*staticFile{}
	entries, err := fs.ReadDir(assets, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := assets.ReadFile(path.Join("static", e.Name()))
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		files[e.Name()] = &staticFile{body: body, gz: gz.Bytes(), contentType: ct, hash: hex.EncodeToString(sum[:6])}
	}
	return files
}()

// staticURL is a file's address with its content hash, so browsers may cache it for long.
func staticURL(name string) string {
	f := staticFiles[name]
	if f == nil {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

// staticHandler serves the embedded files, gzipped when the browser accepts it.
func staticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := staticFiles[r.PathValue("file")]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		body, etag := f.body, `"`+f.hash+`"`
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gz, `"`+f.hash+`-gz"`
		}
		h.Set("ETag", etag)
		h.Set("Vary", "Accept-Encoding")
		if r.URL.Query().Get("v") == f.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if r.Header.Get("If-None-Match") == etag {
			h.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", f.contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if q, err := strconv.ParseFloat(v, 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}
