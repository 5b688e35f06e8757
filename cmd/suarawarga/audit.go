package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/app"
	"github.com/suarawarga/suarawarga/models"
)

// auditCmd is "audit access --officer EMAIL [--since DATE]": for a breach notice (UU 27/2022,
// 3 × 24 h), what a console account could see (complaints, and the citizens whose identity
// it could read) and what it opened, changed or exported, from the audit log.
func auditCmd(ctx context.Context, cfg app.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "access" {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	fs := flag.NewFlagSet("audit access", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("officer", "", "the console account's e-mail")
	since := fs.String("since", "", "only audit entries from this date (YYYY-MM-DD)")
	if err := fs.Parse(args[1:]); err != nil || *email == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	var from time.Time
	if *since != "" {
		t, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			fmt.Fprintf(stderr, "--since %q: want YYYY-MM-DD\n", *since)
			return errUsage
		}
		from = t
	}
	h, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	db := h.DB.WithContext(ctx)
	var u models.User
	err = db.Where("LOWER(email) = ?", strings.ToLower(strings.TrimSpace(*email))).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		fmt.Fprintf(stderr, "no console account %s\n", *email)
		return exitCode(1)
	}
	if err != nil {
		return err
	}
	scope := "every OPD"
	q := db.Table("complaints").Select("complaints.code, complaints.citizen_id, complaints.confidential, complaints.status, agencies.code AS agency").
		Joins("JOIN agencies ON agencies.id = complaints.agency_id").Order("complaints.id")
	if u.Role == models.UserPetugas {
		if u.AgencyID == nil {
			q = q.Where("1 = 0")
			scope = "no OPD"
		} else {
			q = q.Where("complaints.agency_id = ?", *u.AgencyID)
			var a models.Agency
			if err := db.Take(&a, *u.AgencyID).Error; err == nil {
				scope = "OPD " + a.Code
			}
		}
	}
	var rows []struct {
		Code         string
		CitizenID    int64
		Confidential bool
		Status       string
		Agency       string
	}
	if err := q.Scan(&rows).Error; err != nil {
		return fmt.Errorf("complaints in scope: %w", err)
	}
	citizens, visible := map[int64]bool{}, map[int64]bool{}
	for _, r := range rows {
		citizens[r.CitizenID] = true
		if !r.Confidential || u.Role == models.UserAdmin {
			visible[r.CitizenID] = true
		}
	}
	state := "active"
	if !u.Active {
		state = "inactive"
	}
	fmt.Fprintf(stdout, "account %s (%s, %s, %s)\n", u.Email, u.Name, u.Role, state)
	fmt.Fprintf(stdout, "could see %d complaints of %s, from %d citizens; the identity of %d of them\n", len(rows), scope, len(citizens), len(visible))
	for _, r := range rows {
		who := fmt.Sprintf("citizen %d", r.CitizenID)
		if r.Confidential && u.Role != models.UserAdmin {
			who += " (identity hidden: confidential)"
		}
		fmt.Fprintf(stdout, "  %s  %s  %s  %s\n", r.Code, r.Agency, r.Status, who)
	}
	aq := db.Where("user_id = ?", u.ID).Order("created_at, id")
	if !from.IsZero() {
		aq = aq.Where("created_at >= ?", from.UTC())
	}
	var entries []models.AuditEntry
	if err := aq.Find(&entries).Error; err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	fmt.Fprintf(stdout, "opened, changed or exported (%d audit entries):\n", len(entries))
	for _, e := range entries {
		fmt.Fprintf(stdout, "  %s  %s  %s  %s  %s\n", e.CreatedAt.UTC().Format(time.RFC3339), e.Action, e.Object, e.Detail, e.IP)
	}
	return nil
}
