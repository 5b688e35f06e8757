package bot

import (
	"strings"
	"unicode/utf8"
)

// SplitText cuts s into parts no longer than limit as measured by size (a rune's
// length in the platform's units: 1 per rune, or UTF-16 units for Telegram),
// preferring a paragraph break, then a line break, then a sentence end, then a
// space, so a long message reads naturally in several bubbles.
func SplitText(s string, limit int, size func(rune) int) []string {
	length := func(s string) int {
		n := 0
		for _, r := range s {
			n += size(r)
		}
		return n
	}
	var out []string
	s = strings.TrimSpace(s)
	for length(s) > limit {
		// The longest prefix within the limit, on a rune boundary.
		end, n := 0, 0
		for i, r := range s {
			if n+size(r) > limit {
				break
			}
			n += size(r)
			end = i + utf8.RuneLen(r)
		}
		head := s[:end]
		cut := -1
		for _, sep := range []string{"\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "} {
			if i := strings.LastIndex(head, sep); i >= len(head)/3 {
				cut = i + len(sep)
				break
			}
		}
		if cut <= 0 {
			cut = end
		}
		if chunk := strings.TrimSpace(s[:cut]); chunk != "" {
			out = append(out, chunk)
		}
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" {
		out = append(out, s)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// RuneSize counts every rune as one character.
func RuneSize(rune) int { return 1 }

// CleanText makes platform text safe for every database: valid UTF-8 and no NUL
// bytes (PostgreSQL refuses them); with maxRunes > 0 it also keeps at most that
// many runes. Adapters bound what they accept; the handler cleans whatever arrives.
func CleanText(s string, maxRunes int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "")
	if maxRunes > 0 && utf8.RuneCountInString(s) > maxRunes {
		n := 0
		for i := range s {
			if n == maxRunes {
				return s[:i]
			}
			n++
		}
	}
	return s
}
