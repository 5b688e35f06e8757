package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/flows/flowtest"
	"github.com/suarawarga/suarawarga/locales"
)

// understandCmd runs a corpus of typed replies through the pure engine with the default flows
// and the sample regency, and prints how many were understood, per kind. It needs no database.
// The exit status is 1 when a no-like reply was read as yes.
func understandCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("understand", flag.ContinueOnError)
	fs.SetOutput(stderr)
	failures := fs.Int("failures", 20, "list at most this many replies not understood")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	src, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	rows, err := flowtest.ParseCorpus(src)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	cat, err := locales.Load()
	if err != nil {
		return err
	}
	rep, err := flowtest.RunCorpus(ctx, &flows.Engine{Texts: cat.WithGlobals(locales.SampleGlobals)}, rows)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	rep.Print(stdout, *failures)
	if _, all := rep.Tallies(); all.YesTaken > 0 {
		return exitCode(1)
	}
	return nil
}
