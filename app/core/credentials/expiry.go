package credentials

import (
	"strconv"
	"strings"
	"time"

	"keysmith/app/core/errs"
)

// ParseExpiry reads an expiry choice: "" or "never"; "Nd" for N days from now
// (1..3650; the window offers 30d, 90d and 365d); or a date "YYYY-MM-DD",
// meaning the credential works through that day (UTC), or through that day
// in the time zone a UTC offset follows it with, "YYYY-MM-DD+01:00" (the
// window sends the offset of the user's own day).
func ParseExpiry(s string, now time.Time) (*time.Time, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "never" {
		return nil, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 3650 || strconv.Itoa(days) != n {
			return nil, errs.Invalidf("expires", "Expiry in days must be a whole number from 1 to 3650, like 30d.")
		}
		t := now.UTC().AddDate(0, 0, days)
		return &t, nil
	}
	layout := time.DateOnly
	if len(s) == len("2006-01-02+01:00") {
		layout = "2006-01-02-07:00"
	}
	d, err := time.Parse(layout, s)
	if err == nil && d.Year() < 2000 {
		err = strconv.ErrRange
	}
	if err != nil {
		return nil, errs.Invalidf("expires", "Expiry must be never, a number of days like 30d, or a date like 2027-01-31.")
	}
	t := d.AddDate(0, 0, 1).UTC() // through the end of that day, in its zone
	if !t.After(now) {
		return nil, errs.Invalidf("expires", "Expiry date must be today or later.")
	}
	return &t, nil
}

// ParseGrace reads a roll grace period: 0, 1h, 24h or 7d.
func ParseGrace(s string) (time.Duration, error) {
	switch strings.TrimSpace(strings.ToLower(s)) {
	case "0", "0s", "none", "immediately":
		return 0, nil
	case "1h":
		return time.Hour, nil
	case "24h", "1d":
		return 24 * time.Hour, nil
	case "7d", "168h":
		return 7 * 24 * time.Hour, nil
	}
	return 0, errs.Invalidf("grace", "Grace period must be 0, 1h, 24h or 7d.")
}
