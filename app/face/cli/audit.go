package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// auditCommands: the audit log, its verification, archive and retention.
func auditCommands() []command {
	return []command{
		{name: "audit list", summary: "show the audit log (Administrators)", usage: "[--query TEXT] [--limit N] [--offset N] [--json]",
			help: "Shows audit entries, newest first. --query matches actor, action, target or detail.",
			run:  (*run).auditList},
		{name: "audit verify", summary: "check the audit log's hash chain (Administrators)", usage: "[--archive FILE] [--json]",
			help: "Recomputes the hash chain and checks both anchors of its newest entry. Exit status 1\nwhen a row was edited, removed or inserted, or when completeness cannot be proven\n(an anchor is missing). --archive checks an archive file instead: its entries\nchain into its sealed checkpoint.",
			run:  (*run).auditVerify},
		{name: "audit archive", summary: "move old audit entries to a file (Administrators)", usage: "--out FILE [--before YYYY-MM-DD] [--json]",
			help: "Verifies the log, writes the entries older than --before (default: older than the\nretention period) to FILE (JSON lines, 0600; it must not exist) and removes them from\nthe database, leaving a sealed checkpoint as the log's new start (audited as\naudit.archive). Check the file later with 'keysmith audit verify --archive FILE'.",
			run:  (*run).auditArchive},
		{name: "audit retention", summary: "show or set how long audit entries are kept (Administrators)", usage: "[--days N] [--json]",
			help: "Shows the audit retention; --days sets it: 0 keeps entries forever, otherwise 30 to\n3650 days. Entries older than that are archived by 'keysmith audit archive'.",
			run:  (*run).auditRetention},
	}
}

func (r *run) auditList(args []string) error {
	o := options("audit list")
	query := o.String("query", "", "filter text")
	limit, offset := page(o, 50, 500)
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	es, total, err := c.ListAudit(context.Background(), id, audit.Filter{Query: *query, Limit: *limit, Offset: *offset})
	if err != nil {
		return err
	}
	page := views.Audit(es, total)
	return r.output(*asJSON, page, func(w io.Writer) {
		table(w, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tDETAIL", page.Entries, func(e views.AuditEntry) []any {
			return []any{e.Seq, e.At, printable(e.Actor), e.Action, printable(e.Target), printable(e.Detail)}
		})
		fmt.Fprintf(w, "%d of %d entries.\n", len(page.Entries), total)
	})
}

func (r *run) auditVerify(args []string) error {
	o := options("audit verify")
	archive := o.String("archive", "", "archive file to check")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	if *archive != "" {
		return r.auditVerifyArchive(c, id, *archive, *asJSON)
	}
	res, err := c.VerifyAudit(context.Background(), id)
	if err != nil {
		return err
	}
	if err := r.output(*asJSON, views.Verify(res), func(w io.Writer) {
		if res.OK() {
			fmt.Fprintf(w, "Audit chain intact: %d entries checked", res.Checked)
			if res.Start > 1 {
				fmt.Fprintf(w, " (entries before %d are archived)", res.Start)
			}
			fmt.Fprintln(w, ".")
		}
	}); err != nil {
		return err
	}
	switch {
	case res.Tampered():
		return errs.Invalidf("audit", "Audit chain broken: %s", res.Problem)
	case !res.OK():
		return errs.Invalidf("audit", "Audit log completeness cannot be proven: %s No entry was found altered (%d checked).", res.Unproven, res.Checked)
	}
	return nil
}

func (r *run) auditVerifyArchive(c *core.Core, id int64, path string, asJSON bool) error {
	res, err := c.VerifyAuditArchive(context.Background(), id, path)
	if err != nil {
		return err
	}
	v := map[string]any{"ok": res.OK(), "checked": res.Checked, "first": res.First, "last": res.Last,
		"checkpoint": fmt.Sprintf("%x", res.Checkpoint), "badSeq": res.BadSeq, "problem": res.Problem}
	if err := r.output(asJSON, v, func(w io.Writer) {
		if res.OK() {
			fmt.Fprintf(w, "Audit archive intact: entries %d to %d (%d) chain into checkpoint MAC %x.\n", res.First, res.Last, res.Checked, res.Checkpoint)
		}
	}); err != nil {
		return err
	}
	if !res.OK() {
		return errs.Invalidf("archive", "Audit archive broken: %s", res.Problem)
	}
	return nil
}

func (r *run) auditArchive(args []string) error {
	const name = "audit archive"
	o := options(name)
	out := o.String("out", "", "archive file to create")
	beforeText := o.String("before", "", "archive entries older than this date (UTC)")
	asJSON := o.json()
	if err := r.parse(o, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required; run 'keysmith %s --help'", name)
	}
	var before time.Time
	if *beforeText != "" {
		var err error
		if before, err = time.Parse(time.DateOnly, *beforeText); err != nil {
			return usagef("--before must be a date like 2026-01-31")
		}
	}
	c, id, err := r.signIn()
	if err != nil {
		return err
	}
	got, err := c.ArchiveAudit(context.Background(), id, before, *out)
	if err != nil {
		return err
	}
	return r.output(*asJSON, map[string]any{"archived": got.Count, "first": got.First, "last": got.Last, "out": *out}, func(w io.Writer) {
		if got.Count == 0 {
			fmt.Fprintln(w, "No audit entries are old enough to archive; no file was written.")
			return
		}
		fmt.Fprintf(w, "Archived audit entries %d to %d (%d) to %s.\n", got.First, got.Last, got.Count, *out)
	})
}

func (r *run) auditRetention(args []string) error {
	o := options("audit retention")
	days := o.Int("days", -1, "days to keep audit entries (0: forever)")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	if *days >= 0 {
		if err := c.SetAuditKeepDays(context.Background(), id, *days); err != nil {
			return asUsage(err)
		}
	} else if _, err := c.Accounts.RequireAdmin(context.Background(), nil, id); err != nil {
		return err
	}
	n, err := c.AuditKeepDays(context.Background())
	if err != nil {
		return err
	}
	return r.output(*asJSON, map[string]any{"auditKeepDays": n}, func(w io.Writer) {
		if n == 0 {
			fmt.Fprintln(w, "Audit entries are kept forever.")
			return
		}
		fmt.Fprintf(w, "Audit entries older than %d days may be archived ('keysmith audit archive').\n", n)
	})
}
