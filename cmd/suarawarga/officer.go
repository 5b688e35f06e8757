package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/complaint"
	"github.com/suarawarga/suarawarga/locales"
	"github.com/suarawarga/suarawarga/models"
)

const officerUsage = `Usage:
  suarawarga officer invite --agency CODE --name NAME [--kepala] [--ttl 72h]
  suarawarga officer invite --admin --name NAME [--ttl 72h]

Prints a one-time code the officer sends to the bot as /daftar CODE, and the Telegram link
when TELEGRAM_BOT_USERNAME is set.
`

// officerCmd runs "suarawarga officer ...": for now, inviting an officer.
func officerCmd(ctx context.Context, cfg app.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "invite" {
		fmt.Fprint(stderr, officerUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("officer invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, officerUsage) }
	agency := fs.String("agency", "", "the OPD's code, e.g. PUPR")
	name := fs.String("name", "", "the officer's name")
	kepala := fs.Bool("kepala", false, "the officer is the OPD's head (receives escalations)")
	admin := fs.Bool("admin", false, "a regency-wide admin, with no OPD")
	ttl := fs.Duration("ttl", complaint.DefaultInviteTTL, "how long the code works")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	role := models.RolePetugas
	switch {
	case *kepala && *admin:
		fmt.Fprintln(stderr, "choose one of --kepala and --admin")
		return errUsage
	case *kepala:
		role = models.RoleKepala
	case *admin:
		role = models.RoleAdmin
	}
	if strings.TrimSpace(*name) == "" || (role != models.RoleAdmin && strings.TrimSpace(*agency) == "") || fs.NArg() > 0 {
		fmt.Fprint(stderr, officerUsage)
		return errUsage
	}

	h, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	svc := &complaint.Service{DB: h.DB}
	code, err := svc.Invite(ctx, h.DB, *agency, *name, role, *ttl)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no OPD with code %q", strings.ToUpper(*agency))
	}
	if err != nil {
		return err
	}
	cat, err := locales.Load()
	if err != nil {
		return err
	}
	expires := time.Now().Add(*ttl).In(cfg.Location())
	opd := ""
	if role != models.RoleAdmin {
		a, err := models.AgencyByCode(ctx, h.DB, strings.ToUpper(strings.TrimSpace(*agency)))
		if err != nil {
			return err
		}
		opd = a.Name
	}
	fmt.Fprintln(stdout, cat.T(locales.Default, "petugas.undangan_dibuat", map[string]any{
		"nama": strings.TrimSpace(*name), "peran": cat.T(locales.Default, "petugas.peran_"+role, nil), "opd": opd,
		"kode": code, "batas": complaint.FormatDate(expires, locales.Default), "jam": expires.Format("15.04"),
	}))
	if bot := strings.TrimPrefix(strings.TrimSpace(os.Getenv("TELEGRAM_BOT_USERNAME")), "@"); bot != "" {
		fmt.Fprintln(stdout, cat.T(locales.Default, "petugas.undangan_tautan", map[string]any{
			"tautan": "https://t.me/" + bot + "?start=daftar_" + code,
		}))
	}
	return nil
}
