package main

import (
	"context"
	"fmt"
	"io"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/models"
)

// photosCmd is "photos clean [--dry-run]": re-encode every photo stored before
// the bot cleaned photos of their metadata (EXIF, XMP, comments), and remove
// the old files. serve does the same in the background at start-up.
func photosCmd(ctx context.Context, cfg app.Config, args []string, stdout, stderr io.Writer) error {
	dry := false
	switch {
	case len(args) == 1 && args[0] == "clean":
	case len(args) == 2 && args[0] == "clean" && args[1] == "--dry-run":
		dry = true
	default:
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	h, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	last := -1
	rep, err := models.CleanAll(ctx, h.DB, cfg.DataDir, dry, func(done, total int) {
		if pct := done * 100 / max(total, 1); pct/10 != last/10 || done == total {
			last = pct
			fmt.Fprintf(stdout, "cleaned %d of %d photos\n", done, total)
		}
	})
	if err != nil {
		return err
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(stdout, "not cleaned (never served): attachment %s\n", f)
	}
	if dry {
		fmt.Fprintf(stdout, "dry run: %d photos to clean, %d unused files to remove under %s\n", rep.Uncleaned, rep.Removed, cfg.DataDir)
		return nil
	}
	fmt.Fprintf(stdout, "%d of %d photos cleaned, %d could not be, %d unused files removed\n", rep.Cleaned, rep.Uncleaned, len(rep.Failed), rep.Removed)
	if len(rep.Failed) > 0 {
		return exitCode(1)
	}
	return nil
}
