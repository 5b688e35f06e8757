package understand

import (
	"strconv"
	"strings"
)

// numberWords are cardinals up to twenty, Indonesian and English (after the slang table,
// so Palembang "sikok", "duo" are already "satu", "dua").
var numberWords = map[string]int{
	"nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
	"sepuluh": 10, "sebelas": 11, "seratus": 100,
	"zero": 0, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}

// ordinalWords are ordinals that are not "ke" + a cardinal.
var ordinalWords = map[string]int{
	"pertama": 1, "kesatu": 1, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}

// numberLead are words that may stand before a number: "nomor 2", "pilihan ke-2", "yang kedua".
var numberLead = map[string]bool{
	"nomor": true, "no": true, "pilihan": true, "angka": true, "yang": true, "ke": true, "the": true, "option": true,
	"number": true, "saya": true, "mau": true, "ambil": true, "jawab": true, "jawaban": true, "jawabannya": true, "bintang": true,
	"nilai": true, "nilainya": true, "kasih": true, "beri": true, "memilih": true, "milih": true, "pick": true, "choose": true,
	"go": true, "with": true, "i": true, "want": true, "is": true, "it": true, "score": true, "rating": true, "rate": true,
	"untuk": true, "itu": true, "iya": true, "oke": true, "sip": true,
}

// numberTail are words that may follow one: "2 aja", "5 bintang", "3 dari 5", "nomor 1 ya".
var numberTail = map[string]bool{"saja": true, "bintang": true, "star": true, "stars": true, "ya": true, "iya": true,
	"please": true, "deh": true, "dong": true, "nya": true, "itu": true, "poin": true, "point": true, "points": true}

// Number reads a message that is only a number, with its prefixes: "2", "no. 2", "nomor dua",
// "yang kedua", "ke-2", "pilihan 2", "2nd", "lima bintang", "⭐⭐⭐⭐" (4), "3/5" (3). last is set
// for "terakhir" / "last" (the last choice). ok is false when the message says more than a number.
func Number(t Text) (n int, last bool, ok bool) {
	ws := t.Words
	// A trailing "dari N" / "of N" ("3 dari 5") qualifies the number.
	if k := len(ws); k >= 3 && (ws[k-2] == "dari" || ws[k-2] == "of" || ws[k-2] == "per") && isDigits(ws[k-1]) {
		ws = ws[:k-2]
	}
	var rest []string
	for _, w := range ws {
		if !lex.is("filler", w) {
			rest = append(rest, w)
		}
	}
	for len(rest) > 0 && numberTail[rest[len(rest)-1]] {
		rest = rest[:len(rest)-1]
	}
	for len(rest) > 1 && numberLead[rest[0]] {
		rest = rest[1:]
	}
	switch len(rest) {
	case 1:
		return one(rest[0])
	case 2:
		// "dua belas", "ke dua"
		if rest[0] == "dua" && rest[1] == "belas" {
			return 12, false, true
		}
		if rest[1] == "belas" {
			if v, ok := numberWords[rest[0]]; ok && v >= 3 && v <= 9 {
				return 10 + v, false, true
			}
		}
		if rest[0] == "ke" {
			if v, _, ok := one(rest[1]); ok {
				return v, false, true
			}
		}
		if v, ok := ordinalWords[rest[0]]; ok && rest[1] == "satu" {
			return v, false, true // "the second one"
		}
		if rest[0] == "yang" && (rest[1] == "terakhir" || rest[1] == "last") {
			return 0, true, true
		}
	}
	return 0, false, false
}

// one reads a single word as a number.
func one(w string) (int, bool, bool) {
	if isDigits(w) && len(w) <= 3 {
		v, _ := strconv.Atoi(w)
		return v, false, true
	}
	if v, ok := numberWords[w]; ok {
		return v, false, true
	}
	if v, ok := ordinalWords[w]; ok {
		return v, false, true
	}
	switch w {
	case "terakhir", "last", "paling bawah":
		return 0, true, true
	}
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if d, ok := strings.CutSuffix(w, suf); ok && isDigits(d) && len(d) <= 2 {
			v, _ := strconv.Atoi(d)
			return v, false, true
		}
	}
	if rest, ok := strings.CutPrefix(w, "ke"); ok && rest != "" {
		// kedua, ketiga, keempat, ... kesebelas
		if v, ok := numberWords[rest]; ok && v >= 1 {
			return v, false, true
		}
		if rest == "duabelas" {
			return 12, false, true
		}
		if isDigits(rest) {
			v, _ := strconv.Atoi(rest)
			return v, false, true
		}
	}
	return 0, false, false
}
