package core

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/store"
)

// Audit retention bounds: off (0), or between these many days.
const (
	MinAuditKeepDays = 30
	MaxAuditKeepDays = 3650
)

// AuditKeepDays returns how many days audit entries are kept before they may
// be archived (0: kept forever).
func (c *Core) AuditKeepDays(ctx context.Context) (int, error) {
	var days int
	err := c.store.DB.QueryRowContext(ctx, `SELECT audit_keep_days FROM account WHERE id = 1`).Scan(&days)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.ErrNotSetUp
	}
	return days, err
}

// SetAuditKeepDays sets the audit retention (Administrators only; audited
// as audit.retention): 0 keeps entries forever, otherwise 30 to 3650 days.
func (c *Core) SetAuditKeepDays(ctx context.Context, actorID int64, days int) error {
	return store.Tx(ctx, c.store.DB, func(tx *sql.Tx) error {
		by, err := c.Accounts.RequireAdmin(ctx, tx, actorID)
		if err != nil {
			return err
		}
		if days != 0 && (days < MinAuditKeepDays || days > MaxAuditKeepDays) {
			return errs.Invalidf("auditKeepDays", "Audit retention must be off (0) or between %d and %d days.", MinAuditKeepDays, MaxAuditKeepDays)
		}
		var old int
		if err := tx.QueryRowContext(ctx, `SELECT audit_keep_days FROM account WHERE id = 1`).Scan(&old); err != nil {
			return err
		}
		if old == days {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE account SET audit_keep_days = ? WHERE id = 1`, days); err != nil {
			return err
		}
		return c.audit.Append(ctx, tx, audit.Event{ActorID: by.ID, Actor: by.Label(), Action: "audit.retention",
			Target: "account", Detail: fmt.Sprintf("%s -> %s", keepText(old), keepText(days))})
	})
}

func keepText(days int) string {
	if days == 0 {
		return "keep forever"
	}
	return fmt.Sprintf("keep %d days", days)
}

// ArchiveAudit moves audit entries older than before (the zero time: older
// than the retention setting allows) to a new archive file at out
// (Administrators only; see audit.Log.Archive). The file is removed again
// if the database change does not commit.
func (c *Core) ArchiveAudit(ctx context.Context, actorID int64, before time.Time, out string) (audit.Archived, error) {
	if _, err := c.Accounts.RequireAdmin(ctx, nil, actorID); err != nil {
		return audit.Archived{}, err
	}
	if before.IsZero() {
		days, err := c.AuditKeepDays(ctx)
		if err != nil {
			return audit.Archived{}, err
		}
		if days == 0 {
			return audit.Archived{}, errs.Invalidf("before", "Audit retention is off: give the date to archive before, or set a retention period.")
		}
		before = c.Clock().AddDate(0, 0, -days)
	}
	if taken(out) {
		return audit.Archived{}, errs.Invalidf("out", "%s already exists; choose a new file for the archive.", out)
	}
	var got audit.Archived
	err := store.Tx(ctx, c.store.DB, func(tx *sql.Tx) error {
		by, err := c.Accounts.RequireAdmin(ctx, tx, actorID)
		if err != nil {
			return err
		}
		// Credential states name the audit events that made them; the ones
		// that verify now are resealed under the archive's own event, since
		// the events they name may be among those removed.
		sound, err := c.Credentials.Verifying(ctx, tx)
		if err != nil {
			return err
		}
		if got, err = c.audit.Archive(ctx, tx, before, out, audit.Event{ActorID: by.ID, Actor: by.Label()}); err != nil || got.Count == 0 {
			return err
		}
		return c.Credentials.ResealAfterArchive(ctx, tx, sound)
	})
	if err != nil {
		os.Remove(out) // did not exist before: this archive's, if any
		return audit.Archived{}, err
	}
	if got.Count > 0 {
		// The head file follows the new newest entry, the archive event.
		err = c.audit.SaveHead(ctx, c.store.DB)
	}
	return got, err
}

// VerifyAuditArchive checks an archive file against the chain key
// (Administrators only).
func (c *Core) VerifyAuditArchive(ctx context.Context, actorID int64, path string) (audit.ArchiveResult, error) {
	if _, err := c.Accounts.RequireAdmin(ctx, nil, actorID); err != nil {
		return audit.ArchiveResult{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return audit.ArchiveResult{}, errs.Invalidf("archive", "The archive cannot be read: %v", errors.Unwrap(err))
	}
	defer f.Close()
	return c.audit.VerifyArchive(f)
}
