package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/models"
)

// retentionCmd is "retention [--dry-run]": apply the retention rule now (serve runs it
// every few hours): complaints closed more than RETENTION_YEARS ago lose their personal
// data and photo originals. --dry-run counts and changes nothing.
func retentionCmd(ctx context.Context, cfg app.Config, args []string, now func() time.Time, stdout, stderr io.Writer) error {
	dry := false
	switch {
	case len(args) == 0:
	case len(args) == 1 && args[0] == "--dry-run":
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
	t := now()
	cutoff := complaint.RetentionCutoff(t, cfg.Retention())
	rep, err := models.ApplyRetention(ctx, h.DB, cfg.DataDir, cutoff, t, dry)
	if err != nil {
		return err
	}
	verb := "anonymized"
	if dry {
		verb = "dry run: would anonymize"
	}
	fmt.Fprintf(stdout, "%s %d complaints closed before %s (%d years), removing %d photo originals; %d citizens erased; %d leftover messages removed\n",
		verb, rep.Complaints, cutoff.Format(time.DateOnly), cfg.Retention(), rep.Originals, rep.Citizens, rep.Leftovers)
	return nil
}
