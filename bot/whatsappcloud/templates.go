package whatsappcloud

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/suarawarga/suarawarga/bot"
)

// Template is one approved template message: what the bot sends in place of a
// notice outside the 24-hour window. An admin submits Body (category Utility)
// in WhatsApp Manager under Name and Language; Params name the notice's data
// that fill {{1}}, {{2}}... in order ("teks|(foto)" gives a fallback for an
// empty value, since Meta refuses empty parameters), and Buttons are the
// template's quick replies, whose payloads the bot sets to the answers that
// follow the notice (the survey's yes/no, an officer's "open the complaint").
type Template struct {
	Name     string   `json:"name" yaml:"name"`
	Language string   `json:"language,omitempty" yaml:"language,omitempty"`
	Params   []string `json:"params,omitempty" yaml:"params,omitempty"`
	Body     string   `json:"body,omitempty" yaml:"body,omitempty"`
	Buttons  []string `json:"buttons,omitempty" yaml:"buttons,omitempty"`
}

// Templates are the channel's templates by notice kind (the notification's locale key).
type Templates struct {
	// Language is the template language code used when a template names none (default "id").
	Language string `json:"language,omitempty" yaml:"language,omitempty"`
	// ByKey maps a notice kind, e.g. "notifikasi.tanggapan", to its template.
	ByKey map[string]Template `json:"templates" yaml:"templates"`
}

// For returns the template of a notice kind, with its language filled in.
func (t *Templates) For(key string) (Template, bool) {
	if t == nil {
		return Template{}, false
	}
	tpl, ok := t.ByKey[key]
	if !ok || tpl.Name == "" {
		return Template{}, false
	}
	if tpl.Language == "" {
		tpl.Language = t.Language
	}
	if tpl.Language == "" {
		tpl.Language = "id"
	}
	return tpl, true
}

// Keys lists the notice kinds that have a template, sorted.
func (t *Templates) Keys() []string {
	var keys []string
	for k, tpl := range t.ByKey {
		if tpl.Name != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Merge returns t with the entries of over replacing or adding to it (an entry
// without a name removes that kind's template); over's language wins when set.
func (t *Templates) Merge(over *Templates) *Templates {
	out := &Templates{Language: t.Language, ByKey: map[string]Template{}}
	for k, v := range t.ByKey {
		out.ByKey[k] = v
	}
	if over == nil {
		return out
	}
	if over.Language != "" {
		out.Language = over.Language
	}
	for k, v := range over.ByKey {
		if v.Name == "" {
			delete(out.ByKey, k)
			continue
		}
		base := out.ByKey[k]
		if v.Body == "" {
			v.Body = base.Body
		}
		if v.Params == nil {
			v.Params = base.Params
		}
		if v.Buttons == nil {
			v.Buttons = base.Buttons
		}
		out.ByKey[k] = v
	}
	return out
}

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	placeholderRE  = regexp.MustCompile(`\{\{(\d+)\}\}`)
)

// Check reports the first problem of the set: a bad name, a body whose
// placeholders do not match its parameters, too many or too long quick replies.
func (t *Templates) Check() error {
	for _, key := range t.Keys() {
		tpl := t.ByKey[key]
		if !templateNameRE.MatchString(tpl.Name) {
			return fmt.Errorf("template of %s: name %q: lowercase letters, digits and _ only", key, tpl.Name)
		}
		if tpl.Body != "" {
			if n := placeholders(tpl.Body); n != len(tpl.Params) {
				return fmt.Errorf("template %s: its body has %d placeholders, its params name %d values", tpl.Name, n, len(tpl.Params))
			}
		}
		if len(tpl.Buttons) > MaxButtons*3 {
			return fmt.Errorf("template %s: at most %d quick replies", tpl.Name, MaxButtons*3)
		}
		for _, b := range tpl.Buttons {
			if utf8.RuneCountInString(b) > MaxButtonTitle {
				return fmt.Errorf("template %s: quick reply %q is longer than %d characters", tpl.Name, b, MaxButtonTitle)
			}
		}
	}
	return nil
}

// placeholders is the highest {{n}} of a template body.
func placeholders(body string) int {
	n := 0
	for _, m := range placeholderRE.FindAllStringSubmatch(body, -1) {
		if v, _ := strconv.Atoi(m[1]); v > n {
			n = v
		}
	}
	return n
}

// Render fills a body's placeholders with params, as WhatsApp shows it.
func Render(body string, params []string) string {
	return placeholderRE.ReplaceAllStringFunc(body, func(s string) string {
		i, _ := strconv.Atoi(s[2 : len(s)-2])
		if i >= 1 && i <= len(params) {
			return params[i-1]
		}
		return s
	})
}

// paramValues are the template's parameters from a notice's data: one line
// each (Meta refuses new lines, tabs and runs of spaces in a parameter), never
// empty, and shortened with an ellipsis, longest first, until the body fits
// MaxTemplateBody characters.
func (tpl Template) paramValues(data map[string]string) []string {
	vals := make([]string, len(tpl.Params))
	for i, p := range tpl.Params {
		name, fallback, _ := strings.Cut(p, "|")
		v := oneLine(data[strings.TrimSpace(name)])
		if v == "" {
			v = cmpOr(fallback, "-")
		}
		vals[i] = v
	}
	fixed := utf8.RuneCountInString(placeholderRE.ReplaceAllString(tpl.Body, ""))
	for {
		total, longest := fixed, -1
		for i, v := range vals {
			n := utf8.RuneCountInString(v)
			total += n
			if longest < 0 || n > utf8.RuneCountInString(vals[longest]) {
				longest = i
			}
		}
		if total <= MaxTemplateBody || longest < 0 {
			return vals
		}
		n := utf8.RuneCountInString(vals[longest])
		cut := max(1, n-(total-MaxTemplateBody))
		if cut >= n {
			return vals
		}
		vals[longest] = Shorten(vals[longest], cut)
	}
}

// oneLine joins a text's lines with spaces and collapses runs of white space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// templateMessage is the "template" object of a send.
func (tpl Template) templateMessage(n *bot.Notice) map[string]any {
	msg := map[string]any{"name": tpl.Name, "language": map[string]any{"code": tpl.Language}}
	var comps []any
	if len(tpl.Params) > 0 {
		var params []any
		for _, v := range tpl.paramValues(n.Data) {
			params = append(params, map[string]any{"type": "text", "text": v})
		}
		comps = append(comps, map[string]any{"type": "body", "parameters": params})
	}
	for i := range tpl.Buttons {
		if i >= len(n.Choices) {
			break
		}
		comps = append(comps, map[string]any{
			"type": "button", "sub_type": "quick_reply", "index": strconv.Itoa(i),
			"parameters": []any{map[string]any{"type": "payload", "payload": n.Choices[i].ID}},
		})
	}
	if len(comps) > 0 {
		msg["components"] = comps
	}
	return msg
}

// Quick replies shared by several templates.
const (
	buttonView = "🔎 Lihat laporan"
	buttonYes  = "Ya, sudah selesai"
	buttonNo   = "Belum"
)

// DefaultTemplates are the templates the README asks an admin to submit, in
// Indonesian (language code "id", category Utility), one per notice kind.
func DefaultTemplates() *Templates {
	t := func(name, body string, params []string, buttons ...string) Template {
		return Template{Name: name, Params: params, Body: body, Buttons: buttons}
	}
	return &Templates{Language: "id", ByKey: map[string]Template{
		// To the citizen.
		"notifikasi.diterima": t("suarawarga_diterima",
			"📣 Laporan {{1}} sudah diterima {{2}} dan sedang diproses. Target selesai: {{3}}.",
			[]string{"kode", "opd", "batas"}),
		"notifikasi.tanggapan": t("suarawarga_tanggapan",
			"📣 Tanggapan untuk laporan {{1}} dari {{2}}:\n\"{{3}}\"\nStatus: {{4}}.",
			[]string{"kode", "opd", "teks", "status_teks"}),
		"notifikasi.minta_info": t("suarawarga_minta_info",
			"📣 {{1}} memerlukan keterangan tambahan untuk laporan {{2}}:\n\"{{3}}\"\nMohon balas pesan ini dengan keterangan atau foto.",
			[]string{"opd", "kode", "teks"}),
		"notifikasi.info_diterima": t("suarawarga_info_diterima",
			"Terima kasih, keterangan Anda untuk laporan {{1}} sudah kami teruskan ke {{2}}.",
			[]string{"kode", "opd"}),
		"notifikasi.dialihkan": t("suarawarga_dialihkan",
			"📣 Laporan {{1}} dialihkan dari {{2}} ke {{3}}, dengan alasan: \"{{4}}\"\nDinas wajib menanggapi paling lambat {{5}}.",
			[]string{"kode", "opd_lama", "opd_nama", "alasan", "batas"}),
		"notifikasi.selesai": t("suarawarga_selesai",
			"📣 {{1}} menandai laporan {{2}} selesai: \"{{3}}\"\nJika tidak ada keberatan, laporan ditutup otomatis pada {{4}}.\nApakah masalah Anda sudah benar-benar selesai?",
			[]string{"opd", "kode", "teks|tanpa catatan", "batas"}, buttonYes, buttonNo),
		"notifikasi.ditolak": t("suarawarga_ditolak",
			"📣 Mohon maaf, laporan {{1}} tidak dapat ditindaklanjuti oleh {{2}}, dengan alasan: \"{{3}}\"\nAnda dapat membuat laporan baru bila ada keterangan tambahan.",
			[]string{"kode", "opd", "alasan"}),
		"notifikasi.ditutup": t("suarawarga_ditutup",
			"Terima kasih atas konfirmasinya. Laporan {{1}} kami tutup.",
			[]string{"kode"}),
		"notifikasi.dibuka_kembali": t("suarawarga_dibuka_kembali",
			"Baik, laporan {{1}} kami buka kembali dan kami sampaikan ke {{2}}. Target selesai yang baru: {{3}}.",
			[]string{"kode", "opd", "batas"}),
		"notifikasi.ditutup_otomatis": t("suarawarga_ditutup_otomatis",
			"Laporan {{1}} kami tutup karena tidak ada keberatan dalam 10 hari kerja setelah dinyatakan selesai. Terima kasih telah melapor.",
			[]string{"kode"}),
		"notifikasi.duplikat": t("suarawarga_duplikat",
			"📣 Laporan {{1}} ternyata sama dengan laporan {{2}} yang ditangani {{3}}, jadi kami gabungkan. Anda kini mendukung laporan {{2}} dan tetap menerima kabar perkembangannya di sini.",
			[]string{"kode", "asli", "opd_asli"}),
		"dukungan.ditutup": t("suarawarga_dukungan_ditutup",
			"📣 Laporan {{1}} yang Anda dukung sudah ditutup: pelapor mengonfirmasi masalahnya selesai. Terima kasih.",
			[]string{"kode"}),
		"dukungan.dibuka_kembali": t("suarawarga_dukungan_dibuka_kembali",
			"📣 Laporan {{1}} yang Anda dukung dibuka kembali karena masalahnya belum selesai. Target selesai yang baru: {{2}}.",
			[]string{"kode", "batas"}),
		"dukungan.belum_diterima": t("suarawarga_dukungan_belum",
			"Baik, kami sampaikan kepada {{1}} bahwa menurut Anda masalah pada laporan {{2}} belum selesai.",
			[]string{"opd", "kode"}),
		// To officers, heads of OPD and admins.
		"petugas.dukungan_baru": t("suarawarga_dukungan_baru",
			"👥 Laporan {{1}} didukung warga lain: kini {{2}} pendukung.",
			[]string{"kode", "jumlah"}, buttonView),
		"petugas.pendukung_belum": t("suarawarga_pendukung_belum",
			"↩️ Seorang pendukung laporan {{1}} menyatakan masalahnya belum selesai.",
			[]string{"kode"}, buttonView),
		"petugas.hotspot": t("suarawarga_titik_rawan",
			"🔥 Titik rawan: {{1}} laporan {{2}} dalam {{3}} jam terakhir di {{4}}.\n{{5}}\nLaporan-laporan ini didahulukan di /tugas.",
			[]string{"jumlah", "kategori", "jam", "tempat_rawan", "daftar"}),
		"petugas.laporan_baru": t("suarawarga_laporan_baru",
			"🆕 Laporan baru untuk {{1}} — {{2}}\nKategori: {{3}}\n\"{{4}}\"\nBatas tanggapan: {{5}}.",
			[]string{"opd", "kode", "kategori", "uraian", "batas"}, buttonView),
		"petugas.info_warga": t("suarawarga_info_warga",
			"💬 Keterangan tambahan dari pelapor untuk laporan {{1}}:\n\"{{2}}\"\nBuka laporan untuk menindaklanjuti.",
			[]string{"kode", "teks|(foto)"}, buttonView),
		"petugas.ditugaskan": t("suarawarga_ditugaskan",
			"👤 {{1}} menugaskan laporan {{2}} kepada Anda:\n\"{{3}}\"\nMohon diselesaikan paling lambat {{4}}.",
			[]string{"oleh", "kode", "uraian", "batas"}, buttonView),
		"petugas.ditutup_warga": t("suarawarga_ditutup_warga",
			"✅ Pelapor mengonfirmasi masalah pada laporan {{1}} sudah selesai. Laporan ditutup. Terima kasih.",
			[]string{"kode"}),
		"petugas.dibuka_kembali": t("suarawarga_dibuka_kembali_petugas",
			"↩️ Pelapor menyatakan masalah pada laporan {{1}} belum selesai. Laporan dibuka kembali; mohon diselesaikan paling lambat {{2}}.",
			[]string{"kode", "batas"}, buttonView),
		"petugas.pengingat_route": t("suarawarga_pengingat_penerusan",
			"⏰ Pengingat: laporan {{1}} belum diteruskan ke dinas yang berwenang. Batasnya {{2}}.",
			[]string{"kode", "batas"}, buttonView),
		"petugas.pengingat_respond": t("suarawarga_pengingat_tanggapan",
			"⏰ Pengingat: laporan {{1}} belum ditanggapi. Mohon tanggapi paling lambat {{2}}.",
			[]string{"kode", "batas"}, buttonView),
		"petugas.pengingat_resolve": t("suarawarga_pengingat_penyelesaian",
			"⏰ Pengingat: laporan {{1}} harus selesai ditangani paling lambat {{2}}.",
			[]string{"kode", "batas"}, buttonView),
		"petugas.eskalasi_route": t("suarawarga_eskalasi_penerusan",
			"⚠️ Laporan {{1}} di {{2}} melewati batas penerusan ({{3}}) dan belum diteruskan ke dinas yang berwenang. Mohon segera ditindaklanjuti.",
			[]string{"kode", "opd", "batas"}, buttonView),
		"petugas.eskalasi_respond": t("suarawarga_eskalasi_tanggapan",
			"⚠️ Laporan {{1}} di {{2}} melewati batas tanggapan ({{3}}) tanpa tanggapan. Mohon segera ditindaklanjuti.",
			[]string{"kode", "opd", "batas"}, buttonView),
		"petugas.eskalasi_resolve": t("suarawarga_eskalasi_penyelesaian",
			"⚠️ Laporan {{1}} di {{2}} melewati batas penyelesaian ({{3}}) dan belum selesai (status: {{4}}). Mohon segera ditindaklanjuti.",
			[]string{"kode", "opd", "batas", "status_teks"}, buttonView),
		// To admins and pimpinan: a surge of reports (complaint.CheckSurges).
		"petugas.lonjakan": t("suarawarga_lonjakan",
			"📈 Lonjakan laporan {{1}} di Kec. {{2}}: {{3}} laporan dalam 24 jam terakhir, padahal biasanya sekitar {{4}} pada hari dan jam yang sama (rata-rata 8 minggu terakhir).\nLihat laporannya di konsol: {{5}}",
			[]string{"kategori", "kecamatan", "jumlah", "biasa", "tautan|/konsol"}),
		// To admins, about the service itself.
		"whatsapp.perangkat_keluar": t("suarawarga_perangkat_keluar",
			"⚠️ Nomor WhatsApp layanan pengaduan (perangkat tertaut) terputus. Warga tidak dapat dilayani lewat nomor itu sampai ditautkan kembali dari halaman WhatsApp di konsol.",
			nil),
	}}
}
