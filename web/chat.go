package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/suarawarga/suarawarga/bot/webchat"
	"github.com/suarawarga/suarawarga/web/assets"
)

//go:embed static templates
var embedded embed.FS

// pageTemplate is the chat page; the text comes from the locales, the script and style from /static/.
var pageTemplate = template.Must(template.ParseFS(embedded, "templates/chat.html"))

// scriptKeys are the webchat locale keys the page's script needs, without the namespace.
// Values may contain {name} placeholders the script fills in.
var scriptKeys = []string{
	"kirim_lokasi", "tombol_foto", "mengambil_lokasi", "lokasi_gagal", "lokasi_anda", "placeholder", "placeholder_alamat",
	"foto", "foto_penuh", "mengirim", "tidak_terkirim", "coba_lagi", "sedang_membalas", "koneksi_terputus", "menyiapkan_foto",
	"peta_petunjuk", "kirim_titik", "batal", "peta_gagal", "membuka_peta", "penanda", "titik_luar", "mencari_tempat",
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
	brand   Brand
	logo    *logo
	tiles   string // the map's tile URL template
}

func newChatPage(tr Translator, wc *webchat.Channel, b Brand) *chatPage {
	return &chatPage{tr: tr, webchat: wc, brand: b, logo: parseLogo(b.Logo)}
}

// pageData feeds templates/chat.html.
type pageData struct {
	Lang, OtherLang  string
	Regency, LogoURL string
	// The map, loaded only when the citizen presses "Kirim lokasi".
	MapScript, MapStyle, MapApp, MapTiles, MapCenter string
	T                                                map[string]string // server-rendered text by short key
	Strings                                          map[string]string // text for the script, by short key
	ScriptURL, StyleURL                              string
	MaxTextRunes, MaxPhotoBytes                      int
	// History is the conversation so far (the welcome, for a new chat), shown before any request.
	History []webchat.Item
}

// openingWait bounds how long the page waits for the welcome of a new conversation.
const openingWait = 1500 * time.Millisecond

// navigates reports whether the request is a browser opening the page (not a link preview or
// a crawler): only then does the page start a conversation itself.
func navigates(r *http.Request) bool {
	dest := r.Header.Get("Sec-Fetch-Dest")
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" && (dest == "document" || dest == "iframe")
}

func (p *chatPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Issue the chat cookie with the page, so the page's first API calls share one chat id.
	chatID := p.webchat.ChatID(w, r)
	lang := p.webchat.Lang(w, r)
	var history []webchat.Item
	if navigates(r) {
		// The welcome and its buttons come with the page: on a slow network they are usable
		// when the script is, not after two more round trips. On an error the script starts.
		history, _ = p.webchat.Opening(r.Context(), chatID, lang, openingWait)
	}
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
			"judul": t("judul", nil), "percakapan": t("percakapan", nil),
			"label_pesan": t("label_pesan", nil), "placeholder": t("placeholder", nil), "kirim_pesan": t("kirim_pesan", nil),
			"kirim_foto": t("kirim_foto", nil), "butuh_javascript": t("butuh_javascript", nil),
			"ganti_bahasa": t("ganti_bahasa", nil),
		},
		Regency:       p.brand.Name,
		MapScript:     static.URL("leaflet.js"),
		MapStyle:      static.URL("leaflet.css"),
		MapApp:        static.URL("map.js"),
		MapTiles:      p.tiles,
		Strings:       map[string]string{},
		ScriptURL:     static.URL("chat.js"),
		StyleURL:      static.URL("chat.css"),
		MaxTextRunes:  maxTextRunes,
		MaxPhotoBytes: maxPhotoMB << 20,
		History:       history,
	}
	// The script fills {placeholders} itself; the template gets them back as literal text.
	ph := map[string]any{"lat": "{lat}", "lng": "{lng}", "max": maxTextRunes, "mb": maxPhotoMB, "pemda": p.brand.Name}
	for _, k := range scriptKeys {
		d.Strings[k] = t(k, ph)
	}
	if b := p.brand; b.CenterLat != nil && b.CenterLng != nil {
		d.MapCenter = strconv.FormatFloat(*b.CenterLat, 'f', -1, 64) + "," + strconv.FormatFloat(*b.CenterLng, 'f', -1, 64)
	}
	if p.logo != nil {
		d.LogoURL = logoPath + "?v=" + p.logo.hash
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Cookie, Accept-Encoding")
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		_, _ = zw.Write(buf.Bytes())
		_ = zw.Close()
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// static is the web chat's files under /static.
var static = assets.New(embedded, "static", "/static")

// Brand is the regency the web chat speaks for: its name and logo in the page's header.
type Brand struct {
	Name string
	// Logo is a data: URL (base64) of an image, "" for none; the page loads it from /logo.
	Logo string
	// CenterLat/CenterLng is where the map opens without the phone's position; nil for none.
	CenterLat, CenterLng *float64
}

// logoPath serves the regency's logo.
const logoPath = "/logo"

type logo struct {
	body        []byte
	contentType string
	hash        string
}

// parseLogo decodes a base64 data: URL; nil when there is none or it is malformed.
func parseLogo(dataURL string) *logo {
	rest, ok := strings.CutPrefix(dataURL, "data:")
	if !ok {
		return nil
	}
	ct, b64, ok := strings.Cut(rest, ";base64,")
	if !ok || !strings.HasPrefix(ct, "image/") {
		return nil
	}
	body, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(body) == 0 {
		return nil
	}
	sum := sha256.Sum256(body)
	return &logo{body: body, contentType: ct, hash: hex.EncodeToString(sum[:6])}
}

func (l *logo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", l.contentType)
	h.Set("ETag", `"`+l.hash+`"`)
	if r.URL.Query().Get("v") == l.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if l.contentType == "image/svg+xml" {
		// An SVG is a document: it may not run script or load anything, even opened directly.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(l.body))
}

// acceptsGzip reports whether the browser takes a gzipped response.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
