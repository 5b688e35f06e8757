package bot

import (
	"crypto/sha256"
	"encoding/hex"
)

// LogRef names a chat or a message in logs without writing it: the first 8 hex
// digits of its SHA-256. A web chat's chat id is the browser's sw_chat cookie
// (a message id embeds it), so whoever reads a log line with it could read
// that citizen's conversation and write as them; a phone number is personal
// data. Equal ids give equal refs, so log lines still correlate.
func LogRef(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}
