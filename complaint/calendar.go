package complaint

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/suarawarga/suarawarga/models"
)

// Calendar knows which days are working days for OPDs in the regency's
// timezone: not Saturday or Sunday, not a national holiday, not cuti bersama.
type Calendar struct {
	loc  *time.Location
	days map[string]string // YYYY-MM-DD -> holiday kind
}

// NewCalendar builds a calendar for loc from the holiday list.
func NewCalendar(loc *time.Location, holidays []models.Holiday) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	days := make(map[string]string, len(holidays))
	for _, h := range holidays {
		days[h.Date] = h.Kind
	}
	return &Calendar{loc: loc, days: days}
}

// LoadCalendar builds the calendar from the regency's timezone and the holidays in db.
func LoadCalendar(ctx context.Context, db *gorm.DB) (*Calendar, error) {
	reg, err := models.RegencyProfile(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("load calendar: %w", err)
	}
	loc, err := time.LoadLocation(reg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("load calendar: timezone %q: %w", reg.Timezone, err)
	}
	return loadCalendar(ctx, db, loc)
}

func loadCalendar(ctx context.Context, db *gorm.DB, loc *time.Location) (*Calendar, error) {
	hs, err := models.Holidays(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("load calendar: %w", err)
	}
	return NewCalendar(loc, hs), nil
}

// Location is the calendar's timezone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkingDay reports whether the day t falls on, in the calendar's timezone, is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	d := t.In(c.loc)
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, off := c.days[d.Format(time.DateOnly)]
	return !off
}

// AddWorkingDays returns the deadline n working days after t: the last second
// (23:59:59 local) of the n-th working day after t's own day. With n <= 0 it is
// the end of t's own day.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	d := t.In(c.loc)
	day := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, c.loc) // noon: safe across DST shifts
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			n--
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, c.loc)
}

// WorkingDaysBetween counts the working days after from's day up to and including to's day.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	f := from.In(c.loc)
	t := to.In(c.loc)
	day := time.Date(f.Year(), f.Month(), f.Day(), 12, 0, 0, 0, c.loc)
	end := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, c.loc)
	n := 0
	for day.Before(end) {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			n++
		}
	}
	return n
}

// WorkingDayBefore returns hour:00 local on the last working day before t's own day:
// when a reminder of a deadline at the end of t's day goes out.
func (c *Calendar) WorkingDayBefore(t time.Time, hour int) time.Time {
	d := t.In(c.loc)
	day := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, c.loc)
	for {
		day = day.AddDate(0, 0, -1)
		if c.IsWorkingDay(day) {
			return time.Date(day.Year(), day.Month(), day.Day(), hour, 0, 0, 0, c.loc)
		}
	}
}
