package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/flows"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/regency"
	"github.com/suarawarga/suarawarga/web"
)

func serve(ctx context.Context, cfg app.Config, log *slog.Logger, stdout io.Writer) error {
	if gc := app.TuneGC(); len(gc) > 0 {
		log.Debug("garbage collector tuned", slog.Any("settings", gc))
	}
	// Listen first: while the database is unreachable /healthz answers, /readyz
	// says not ready and everything else asks to come back shortly.
	front, err := web.Listen(ctx, cfg.HTTPAddr, log)
	if err != nil {
		return err
	}
	a, err := startApp(ctx, cfg, log, front)
	if err != nil || a == nil {
		_ = front.Wait(canceled(ctx))
		return err
	}
	defer a.Close()
	fmt.Fprintf(stdout, "Suara Warga berjalan. Buka %s di peramban untuk mencoba web chat. (Ctrl+C untuk berhenti)\n", localURL(front.Addr().String()))
	return a.Run(ctx)
}

// startApp builds the app, retrying with backoff (0.5 s doubling to 30 s) while
// the database is unreachable. It returns nil, nil when ctx ends first.
func startApp(ctx context.Context, cfg app.Config, log *slog.Logger, front *web.Front) (*app.App, error) {
	backoff := 500 * time.Millisecond
	for tries := 1; ; tries++ {
		a, err := app.New(ctx, cfg, log, app.Options{Front: front})
		if err == nil {
			if tries > 1 {
				log.Info("database reachable; starting", slog.Int("tries", tries))
			}
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		if !app.Unavailable(err) {
			return nil, err
		}
		front.Starting("database unreachable")
		log.Warn("database unreachable at start; retrying", slog.Int("tries", tries), slog.Duration("backoff", backoff), slog.Any("error", err))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-t.C:
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// canceled is an already cancelled ctx, for shutting the front server down now.
func canceled(ctx context.Context) context.Context {
	c, cancel := context.WithCancel(ctx)
	cancel()
	return c
}

// localURL is the address a person on this machine opens.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

func openDB(ctx context.Context, cfg app.Config) (*app.DBHandle, error) {
	return app.OpenDB(ctx, cfg.DatabaseURL, true)
}

func migrate(ctx context.Context, cfg app.Config, stdout io.Writer) error {
	h, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func seed(ctx context.Context, cfg app.Config, path string, stdout io.Writer) error {
	f, err := regency.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	h, err := app.OpenDB(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := regency.Load(ctx, h.DB, f); err != nil {
		return err
	}
	placed, err := complaint.PlaceUnplaced(ctx, h.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %s (%d boundaries)\n", path, len(f.Shapes))
	if placed > 0 {
		fmt.Fprintf(stdout, "placed %d complaints in their desa from their map point\n", placed)
	}
	return nil
}

func flowsCmd(ctx context.Context, cfg app.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	h, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	loc, err := locales.Load()
	if err != nil {
		return err
	}
	switch args[0] {
	case "check":
		failed := false
		for _, path := range args[1:] {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			id := ""
			if f, err := flows.Parse(src); err == nil {
				id = f.ID
			}
			chk, err := app.Checker(ctx, h.DB, loc, id)
			if err != nil {
				return err
			}
			errs, warns := printIssues(stdout, path, chk.Check(src))
			if errs > 0 {
				failed = true
			}
			fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", path, errs, warns)
		}
		if failed {
			return exitCode(1)
		}
		return nil
	case "import":
		src, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		rev, issues, err := app.ImportFlow(ctx, h.DB, loc, src, "cli")
		printIssues(stdout, args[1], issues)
		if errors.Is(err, app.ErrFlowInvalid) {
			fmt.Fprintf(stdout, "%s: not published\n", args[1])
			return exitCode(1)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "published flow %s revision %d\n", rev.FlowID, rev.Revision)
		return nil
	case "export":
		rev, err := app.ExportFlow(ctx, h.DB, args[1])
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("flow %q does not exist", args[1])
		}
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, rev.Source)
		return err
	}
	fmt.Fprint(stderr, usage)
	return errUsage
}

func printIssues(w io.Writer, path string, issues []flows.Issue) (errs, warns int) {
	for _, is := range issues {
		level := "warning"
		if is.Severity == flows.Error {
			level = "error"
			errs++
		} else {
			warns++
		}
		line := ""
		if is.Line > 0 {
			line = fmt.Sprintf("%d:", is.Line)
		}
		fmt.Fprintf(w, "%s:%s %s: %s\n", path, line, level, strings.TrimSpace(is.String()))
	}
	return errs, warns
}
