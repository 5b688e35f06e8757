package complaint

import (
	"strconv"
	"sync"
	"time"

	"github.com/suarawarga/suarawarga/locales"
)

// catalog is the embedded locale catalog, loaded once; it is read-only.
var catalog = sync.OnceValues(locales.Load)

var dayKeys = [...]string{"minggu", "senin", "selasa", "rabu", "kamis", "jumat", "sabtu"}

var monthKeys = [...]string{"januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus",
	"september", "oktober", "november", "desember"}

// FormatDate writes the date of t, in t's own location, the way a letter does:
// "Jumat, 4 Desember 2026" (id) or "Friday, 4 December 2026" (en).
// Convert t to the regency's timezone first.
func FormatDate(t time.Time, lang string) string {
	cat, err := catalog()
	if err != nil {
		return t.Format(time.DateOnly)
	}
	return formatDate(cat, t, lang)
}

func formatDate(cat *locales.Catalog, t time.Time, lang string) string {
	return cat.T(lang, "tanggal.format", map[string]any{
		"hari":    cat.T(lang, "tanggal.hari."+dayKeys[t.Weekday()], nil),
		"tanggal": strconv.Itoa(t.Day()),
		"bulan":   cat.T(lang, "tanggal.bulan."+monthKeys[t.Month()-1], nil),
		"tahun":   strconv.Itoa(t.Year()),
	})
}

// FormatShortDate writes the day and the month's first three letters, in t's own location:
// "7 Sep", "4 Des" (id) or "4 Dec" (en), for chart labels.
func FormatShortDate(t time.Time, lang string) string {
	month := []rune(FormatMonth(t, lang))
	return strconv.Itoa(t.Day()) + " " + string(month[:min(3, len(month))])
}

// FormatMonth is the name of t's month: "Desember" (id), "December" (en).
func FormatMonth(t time.Time, lang string) string {
	cat, err := catalog()
	if err != nil {
		return t.Format("January")
	}
	return cat.T(lang, "tanggal.bulan."+monthKeys[t.Month()-1], nil)
}
