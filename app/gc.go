package app

import (
	"os"
	"runtime/debug"
)

// GC defaults for a long-running bot: the collector runs when the heap has grown
// by 400 % rather than 100 %, which saves about a tenth of the CPU spent per
// inbound message (BENCHMARKS.md), and a soft memory limit makes it collect
// sooner than that before the process nears it, so RSS stays well under 200 MB.
const (
	gcPercent   = 400
	memoryLimit = 150 << 20
)

// TuneGC applies the defaults above unless GOGC or GOMEMLIMIT is set, so an
// operator can still choose. It returns what it changed, for the start-up log.
func TuneGC() (changed []string) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		changed = append(changed, "GOGC=400")
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		changed = append(changed, "GOMEMLIMIT=150MiB")
	}
	return changed
}
