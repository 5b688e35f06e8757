package understand

import (
	"regexp"
	"slices"
	"strings"
)

// globalPhrases are the cancel, menu and help phrases of the tables in their core form.
var globalPhrases = func() map[Kind][][]string {
	out := map[Kind][][]string{}
	for k, sec := range map[Kind]string{Cancel: "cancel", Menu: "menu", Help: "help"} {
		seen := map[string]bool{}
		for _, p := range lex.phrases[sec] {
			c := globalCore(canonWords(p))
			if key := strings.Join(c, " "); !seen[key] {
				seen[key] = true
				out[k] = append(out[k], c)
			}
		}
	}
	return out
}()

// globalCore is coreWords without the person and their wanting: "saya mau batal" is "batal",
// "saya bingung" is "bingung".
func globalCore(ws []string) []string {
	c := coreWords(ws)
	var out []string
	for _, w := range c {
		switch w {
		case "saya", "mau", "minta", "tolong", "anda", "ingin":
		default:
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return c
	}
	return out
}

// maxGlobalWords bounds a reply that is only a cancel, menu or help phrase.
const maxGlobalWords = 6

// Global reads a reply that is only a cancel phrase ("gak jadi", "batalkan saja", "stop"), a
// menu phrase ("kembali ke menu") or a help phrase ("bingung", "caranya gimana"), at any
// question; None for anything else, so "tidak jadi datang petugasnya" is never a cancel.
func Global(t Text) Kind {
	core := globalCore(t.Words)
	if len(core) == 0 || len(core) > maxGlobalWords {
		return None
	}
	for _, k := range []Kind{Cancel, Menu, Help} {
		for _, p := range globalPhrases[k] {
			if equalWords(core, p) {
				return k
			}
		}
	}
	if menuOnly(core) {
		// "ke menu utama", "balik ke menu awal".
		return Menu
	}
	if helpOnly(core) {
		// "cara pakainya gimana", "maksudnya apa ya".
		return Help
	}
	if len(core) >= 2 && lex.is("cancel", core[0]) && reportOnly(core[1:]) {
		// A cancel word and what it cancels: "batalkan pengaduan", "stop laporannya".
		return Cancel
	}
	if len(core) == 1 {
		// One word with a typo: "btal", "cancle", "mneu".
		for _, k := range []Kind{Cancel, Menu, Help} {
			for _, p := range globalPhrases[k] {
				if len(p) == 1 {
					if _, ok := typoOf(core[0], p[0]); ok && polar(core[0]) == 0 {
						return k
					}
				}
			}
		}
	}
	return None
}

// menuWords may stand around "menu" in a menu phrase.
var menuWords = []string{"ke", "kembali", "balik", "buka", "lihat", "tampilkan", "utama", "awal", "main", "back", "to", "go",
	"the", "open", "show", "home", "pilihan", "halaman"}

// menuOnly reports "menu" with only words of going to it.
func menuOnly(core []string) bool {
	if !slices.Contains(core, "menu") {
		return false
	}
	for _, w := range core {
		if w != "menu" && !slices.Contains(menuWords, w) && !lex.is("filler", w) {
			return false
		}
	}
	return true
}

// helpHeads and helpWords make a help phrase: how to use it, what it means.
var (
	helpHeads = []string{"cara", "caranya", "maksud", "maksudnya", "gunanya"}
	helpWords = []string{"bagaimana", "apa", "ini", "itu", "pakai", "pakainya", "memakai", "menggunakan", "gunakan", "pakenya",
		"pake", "jawab", "menjawab", "isi", "mengisi", "pilih", "memilih", "how", "what", "use", "to", "is", "this"}
)

// helpOnly reports a short question about how to answer: "cara pakainya gimana".
func helpOnly(core []string) bool {
	head := false
	for _, w := range core {
		switch {
		case slices.Contains(helpHeads, w):
			head = true
		case slices.Contains(helpWords, w), lex.is("filler", w):
		default:
			return false
		}
	}
	return head && len(core) >= 2
}

// reportOnly reports words that only name the report being made: "pengaduan", "laporan ini".
func reportOnly(ws []string) bool {
	for _, w := range ws {
		if !lex.is("reportnoun", w) && !lex.is("reportverb", w) && !lex.is("function", w) && !lex.is("filler", w) {
			return false
		}
	}
	return true
}

// Intents of free text at the start of a conversation.
const (
	IntentComplaint = "keluhan"      // a problem described: a complaint starts with it
	IntentReport    = "lapor"        // "mau lapor": a complaint starts, nothing described yet
	IntentStatus    = "status"       // how a report is going
	IntentGreeting  = "salam"        // only a greeting
	IntentThanks    = "terima_kasih" // only thanks
)

// IntentNames lists the intents a flow question may name.
func IntentNames() []string {
	return []string{IntentComplaint, IntentReport, IntentStatus, IntentGreeting, IntentThanks}
}

// Intent is what a free message wants.
type Intent struct {
	Name string
	// Code is a ticket code written anywhere in the message ("OKI-2611-0042").
	Code string
	// Category is the index of the category the description is about, -1 when none is clear;
	// Candidates are the categories that fit about equally.
	Category   int
	Candidates []int
}

// DetectIntent reads a free message (the first one, one at the menu, one after a conversation
// ended) against the complaint categories and their vocabulary.
func DetectIntent(raw string, categories []Option) Intent {
	t := Parse(raw)
	in := Intent{Category: -1}
	if code := TicketCode(raw); code != "" {
		in.Name, in.Code = IntentStatus, code
		return in
	}
	ws := t.Words
	if len(ws) == 0 {
		return in
	}
	if only(ws, "greeting") {
		in.Name = IntentGreeting
		return in
	}
	if isThanks(ws) {
		in.Name = IntentThanks
		return in
	}
	status, want := isStatusQuestion(ws), wantsToReport(ws)
	if status && !want {
		in.Name = IntentStatus
		return in
	}
	best, tied := classify(ws, categories)
	problem := hasProblem(ws)
	switch {
	case best >= 0 && (problem || want || len(contentOf(ws)) >= 1):
		in.Name, in.Category = IntentComplaint, best
	case len(tied) > 1:
		in.Name, in.Candidates = IntentComplaint, tied
	case problem && len(contentOf(ws)) >= 2:
		in.Name = IntentComplaint
	case want:
		in.Name = IntentReport
	case status:
		in.Name = IntentStatus
	}
	return in
}

// Classify picks the category a description is about: best is -1 when none reaches the
// threshold or two fit about equally (then tied lists them).
func Classify(raw string, categories []Option) (best int, tied []int) {
	return classify(Parse(raw).Words, categories)
}

// classify scores a description without the words of where it happened ("pungli di jembatan
// timbang" is about pungli); when that decides nothing it scores all words alike.
func classify(ws []string, categories []Option) (best int, tied []int) {
	best, tied = settle(scoreWith(ws, nil, categories, descriptionTypoWeight, true).pick(1, 1.5))(categories)
	if best < 0 && len(tied) == 0 {
		best, tied = settle(scoreWith(ws, nil, categories, descriptionTypoWeight, false).pick(1, 1.5))(categories)
	}
	return best, tied
}

// descriptionTypoWeight weighs a typo match in a free description: two or three misspelt
// keywords still make a category, one word merely close to a keyword does not.
const descriptionTypoWeight = 0.5

// only reports whether every word is of the section (or a filler), at least one of the section.
func only(ws []string, section string) bool {
	seen := false
	for _, w := range ws {
		switch {
		case lex.is(section, w):
			seen = true
		case lex.is("filler", w):
		default:
			return false
		}
	}
	return seen
}

// isThanks: thanks, with nothing but polite words around it ("oke makasih banyak pak").
func isThanks(ws []string) bool {
	thanked := false
	for _, w := range ws {
		switch {
		case w == "terimakasih":
			thanked = true
		case lex.is("thanks", w), lex.is("filler", w), lex.is("greeting", w), lex.is("yes", w):
		default:
			return false
		}
	}
	return thanked
}

func has(ws []string, section string) bool {
	for _, w := range ws {
		if lex.is(section, w) {
			return true
		}
	}
	return false
}

func hasAny(ws []string, words ...string) bool {
	for _, w := range ws {
		for _, x := range words {
			if w == x {
				return true
			}
		}
	}
	return false
}

// hasRun reports whether the words contain run in order, next to each other.
func hasRun(ws []string, run ...string) bool {
	for i := 0; i+len(run) <= len(ws); i++ {
		if equalWords(ws[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// strongStatus are words that make a message about an existing report even with "mau".
var strongStatus = []string{"status", "cek", "lacak", "pantau", "perkembangan", "progres", "progress", "kabar", "kabarnya",
	"update", "tanggapan", "tanggapannya", "tanya", "menanyakan", "nanya", "tanyakan", "track", "check"}

// isStatusQuestion: "cek status", "laporan saya gimana", "sudah sampai mana", "kok belum ada tanggapan".
func isStatusQuestion(ws []string) bool {
	switch {
	case hasAny(ws, "status"):
		return true
	case hasRun(ws, "sampai", "mana"):
		return true
	case has(ws, "reportnoun") && (has(ws, "statuscue") || has(ws, "pastref") || hasAny(ws, strongStatus...)):
		return true
	case has(ws, "response") && hasAny(ws, "belum", "kapan", "kok", "bagaimana", "sudah", "apa", "kenapa", "lama", "tidak", "any", "when", "why", "how"):
		return true
	}
	return false
}

// desire are the words of wanting to report: "mau lapor", "bagaimana cara mengadu".
var desire = []string{"mau", "bisa", "boleh", "buat", "bikin", "membuat", "ajukan", "mengajukan", "cara", "caranya", "want",
	"would", "like", "need", "perlu", "hendak", "akan", "sampaikan", "menyampaikan", "kirim", "make", "file", "submit"}

// wantsToReport: the person wants to file a report ("mau lapor", "bikin pengaduan", "lapor pak").
func wantsToReport(ws []string) bool {
	if !has(ws, "reportverb") || hasAny(ws, strongStatus...) {
		return false
	}
	if hasAny(ws, desire...) {
		return true
	}
	// "lapor", "pengaduan pak", "komplain": only the word, politely.
	for _, w := range ws {
		if !lex.is("reportverb", w) && !lex.is("filler", w) && !lex.is("greeting", w) && w != "saya" {
			return false
		}
	}
	return true
}

// hasProblem reports a word of trouble ("rusak", "mati", "dipersulit", "tidak berfungsi").
func hasProblem(ws []string) bool {
	for _, p := range lex.phrases["problem"] {
		if len(p) > 1 {
			if hasRun(ws, canonWords(p)...) {
				return true
			}
			continue
		}
		for _, w := range ws {
			if w == p[0] || (!lex.is("function", w) && wordMatch(w, p[0]) > 0) {
				return true
			}
		}
	}
	return false
}

// contentOf drops the words that do not describe anything: fillers, greetings, report words,
// wanting, common words, yes/no.
func contentOf(ws []string) []string {
	var out []string
	for _, w := range ws {
		switch {
		case lex.is("filler", w), lex.is("greeting", w), lex.is("reportverb", w), lex.is("want", w), lex.is("function", w),
			polar(w) != 0, isNegator(w), isDigits(w):
		default:
			out = append(out, w)
		}
	}
	return out
}

// ticketRe finds a ticket code: PREFIX-YYMM-NNNN, with dashes, spaces, dots or nothing between
// the parts ("OKI-2611-0042", "oki 2611 0042", "OKI26110042").
var ticketRe = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])([a-z]{2,6})[-. ]?(\d{2}(?:0[1-9]|1[0-2]))[-. ]?(\d{4})(?:$|[^\p{L}\p{N}])`)

// notTicketPrefix are words that come before other numbers: a phone, an RT, an ID card.
var notTicketPrefix = map[string]bool{"hp": true, "wa": true, "no": true, "nomor": true, "nmr": true, "tel": true, "telp": true,
	"telepon": true, "rt": true, "rw": true, "nik": true, "kk": true, "npwp": true, "tahun": true, "thn": true, "tgl": true,
	"jam": true, "pukul": true, "km": true, "rp": true, "ktp": true, "bpjs": true, "pin": true, "kode": true, "pos": true}

// TicketCode finds a ticket code anywhere in s and returns it upper case with dashes
// ("OKI-2611-0042"); "" when there is none.
func TicketCode(s string) string {
	for _, m := range ticketRe.FindAllStringSubmatch(s, -1) {
		if notTicketPrefix[strings.ToLower(m[1])] {
			continue
		}
		return strings.ToUpper(m[1]) + "-" + m[2] + "-" + m[3]
	}
	return ""
}
