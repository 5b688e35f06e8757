package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// PrivacyPath is the full privacy policy, public and without sign-in (UU 27/2022):
// the short notice the bot shows in the chat links here.
const PrivacyPath = "/privasi"

var privacyTemplate = template.Must(template.ParseFS(embedded, "templates/privasi.html"))

// privacySections are the policy's parts, each a locale key pair privasi.halaman.X_judul / X.
var privacySections = []string{"apa", "untuk", "siapa", "lama", "hak", "kebocoran"}

type privacySection struct{ Title, Text string }

type privacyPart struct {
	Lang, Title, Intro, Other, Version string
	Sections                           []privacySection
}

// PrivacyPage serves the privacy policy in Indonesian, with English below it.
func PrivacyPage(tr Translator, version int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d struct {
			Parts    []privacyPart
			StyleURL string
		}
		d.StyleURL = static.URL("privasi.css")
		for _, lang := range []string{"id", "en"} {
			t := func(key string) string {
				return tr.T(lang, "privasi.halaman."+key, map[string]any{"versi": strconv.Itoa(version)})
			}
			p := privacyPart{Lang: lang, Title: t("judul"), Intro: t("pembuka"), Other: t("bahasa_lain"), Version: t("versi")}
			for _, s := range privacySections {
				p.Sections = append(p.Sections, privacySection{Title: t(s + "_judul"), Text: t(s)})
			}
			d.Parts = append(d.Parts, p)
		}
		var buf bytes.Buffer
		if err := privacyTemplate.Execute(&buf, d); err != nil {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(buf.Bytes())
	})
}
