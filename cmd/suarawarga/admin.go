package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
	"github.com/suarawarga/suarawarga/web/console"
)

const adminUsage = `Usage:
  suarawarga admin create --email EMAIL [--name NAME] [--role admin|pimpinan|petugas] [--agency CODE]

Creates a web console account (role admin by default; a petugas needs --agency). On a terminal
it asks for the password twice; otherwise it generates one and prints it once.
`

// adminCmd runs "suarawarga admin ...": creating a console account.
func adminCmd(ctx context.Context, cfg app.Config, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	email := fs.String("email", "", "the account's e-mail address (its sign-in name)")
	name := fs.String("name", "", "the person's name")
	role := fs.String("role", models.UserAdmin, "admin, pimpinan or petugas")
	agency := fs.String("agency", "", "the OPD's code, for a petugas, e.g. PUPR")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if strings.TrimSpace(*email) == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	switch *role {
	case models.UserAdmin, models.UserPimpinan:
		if *agency != "" {
			fmt.Fprintln(stderr, "--agency is only for --role petugas")
			return errUsage
		}
	case models.UserPetugas:
		if strings.TrimSpace(*agency) == "" {
			fmt.Fprintln(stderr, "--role petugas needs --agency CODE")
			return errUsage
		}
	default:
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	cat, err := locales.Load()
	if err != nil {
		return err
	}
	t := func(key string, data map[string]any) string { return cat.T(locales.Default, key, data) }

	password, generated := "", false
	if stdin != nil && term.IsTerminal(int(stdin.Fd())) {
		if password, err = askPassword(stdin, stderr, t); err != nil {
			return err
		}
	} else {
		password, generated = console.GeneratePassword(), true
	}

	h, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	u, err := console.CreateUser(ctx, h.DB, console.NewUser{Email: *email, Name: *name, Role: *role, AgencyCode: *agency,
		Password: password}, console.DefaultArgon2, nil, time.Now())
	switch {
	case errors.Is(err, console.ErrUserExists):
		return errors.New(t("konsol.cli.sudah_ada", map[string]any{"email": models.NormalizeEmail(*email)}))
	case err != nil:
		return err
	}
	opd := ""
	if u.AgencyID != nil {
		a, err := models.AgencyByID(ctx, h.DB, *u.AgencyID)
		if err != nil {
			return err
		}
		opd = a.Name
	}
	fmt.Fprintln(stdout, t("konsol.cli.akun_dibuat", map[string]any{"email": u.Email, "peran": t("konsol.peran."+u.Role, nil),
		"opd": opd, "tautan": consoleURL(cfg)}))
	if generated {
		fmt.Fprintln(stdout, t("konsol.cli.sandi_dibuat", map[string]any{"sandi": password}))
	}
	return nil
}

// askPassword reads a new password twice from the terminal without echoing it.
func askPassword(in *os.File, out io.Writer, t func(string, map[string]any) string) (string, error) {
	lim := map[string]any{"min": console.MinPasswordLen}
	for range 3 {
		fmt.Fprint(out, t("konsol.cli.minta_sandi", lim))
		a, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if len([]rune(string(a))) < console.MinPasswordLen {
			fmt.Fprintln(out, t("konsol.cli.sandi_pendek", lim))
			continue
		}
		fmt.Fprint(out, t("konsol.cli.ulangi_sandi", nil))
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			fmt.Fprintln(out, t("konsol.cli.sandi_beda", nil))
			continue
		}
		return string(a), nil
	}
	return "", errors.New("no password given")
}

// consoleURL is where the console can be opened: PUBLIC_URL, or this machine's HTTP_ADDR.
func consoleURL(cfg app.Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL + console.Prefix + "/"
	}
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return console.Prefix + "/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + console.Prefix + "/"
}
