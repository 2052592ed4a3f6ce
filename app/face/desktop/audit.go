package desktop

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"

	"keysmith/app/core/agefile"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// ListAudit returns a page of the audit log (Administrators only).
func (a *App) ListAudit(f AuditFilter) (views.AuditPage, error) {
	return asUser(a, "list-audit", func(id int64) (views.AuditPage, error) {
		es, total, err := a.core.ListAudit(a.ctx(), id, audit.Filter{Query: f.Query, Target: f.Target, Limit: f.Limit, Offset: f.Offset})
		if err != nil {
			return views.AuditPage{}, err
		}
		return views.Audit(es, total), nil
	})
}

// VerifyAudit checks the audit chain (Administrators only).
func (a *App) VerifyAudit() (views.AuditVerifyResult, error) {
	return asUser(a, "verify-audit", func(id int64) (views.AuditVerifyResult, error) {
		r, err := a.core.VerifyAudit(a.ctx(), id)
		if err != nil {
			return views.AuditVerifyResult{}, err
		}
		return views.Verify(r), nil
	})
}

// AuditRetention returns how many days audit entries are kept, 0 for
// forever (Administrators only).
func (a *App) AuditRetention() (int, error) {
	id, err := a.session(a.ctx())
	if err == nil {
		_, err = a.core.Accounts.RequireAdmin(a.ctx(), nil, id)
	}
	var days int
	if err == nil {
		days, err = a.core.AuditKeepDays(a.ctx())
	}
	return days, a.fail("audit-retention", err)
}

// SetAuditRetention sets how many days audit entries are kept: 0 for
// forever, otherwise 30 to 3650 (Administrators only; audited).
func (a *App) SetAuditRetention(days int) (int, error) {
	id, err := a.session(a.ctx())
	if err == nil {
		err = a.core.SetAuditKeepDays(a.ctx(), id, days)
	}
	if err != nil {
		return 0, a.fail("set-audit-retention", err)
	}
	return a.AuditRetention()
}

// AuditFilter narrows the audit log; zero values mean "everything".
type AuditFilter struct {
	Query  string `json:"query"`  // matched against actor, action, target and detail
	Target string `json:"target"` // exact target, e.g. one credential's key
	Limit  int    `json:"limit"`  // 1..500, default 100
	Offset int    `json:"offset"` // rows to skip, newest first
}

// MaxAuditExport bounds the entries one export writes (the newest first).
const MaxAuditExport = 200_000

// ExportAudit writes the entries f matches (Query and Target; all of them,
// newest first, up to MaxAuditExport) to a file the user chooses in the
// system's Save dialog: format "csv" (a header row, then seq, time in UTC,
// actor, action code, target, detail) or "json" (an array of entries).
// Administrators only; 0600, never over an existing file.
func (a *App) ExportAudit(f AuditFilter, format string) (ExportResult, error) {
	return asUser(a, "export-audit", func(id int64) (ExportResult, error) {
		// The first page checks the right before anything else.
		first, total, err := a.core.ListAudit(a.ctx(), id, audit.Filter{Query: f.Query, Target: f.Target, Limit: 500})
		if err != nil {
			return ExportResult{}, err
		}
		if format != "csv" && format != "json" {
			return ExportResult{}, errs.Invalidf("format", "Export as csv or json.")
		}
		path, err := a.chooseFile(FileDialog{Save: true, Title: "Export the audit log", Dir: documents(),
			DefaultName: "keysmith-audit-" + a.clock().Format("2006-01-02") + "." + format,
			Filter:      "*." + format, FilterName: strings.ToUpper(format) + " files (*." + format + ")"})
		if err != nil || path == "" {
			return ExportResult{}, err
		}
		entries := first
		for len(entries) < min(total, MaxAuditExport) {
			more, _, err := a.core.ListAudit(a.ctx(), id, audit.Filter{Query: f.Query, Target: f.Target, Limit: 500, Offset: len(entries)})
			if err != nil {
				return ExportResult{}, err
			}
			if len(more) == 0 {
				break
			}
			entries = append(entries, more...)
		}
		entries = entries[:min(len(entries), MaxAuditExport)]
		data, err := auditFile(views.Audit(entries, len(entries)).Entries, format)
		if err != nil {
			return ExportResult{}, err
		}
		if err := agefile.Write(path, data, auditExport); err != nil {
			return ExportResult{}, err
		}
		return ExportResult{Saved: true, Path: path}, nil
	})
}

// auditExport names an audit export in messages about its file.
var auditExport = agefile.Kind{Noun: "audit export", Example: "keysmith-audit.csv"}

// auditFile is entries as a CSV or JSON file.
func auditFile(entries []views.AuditEntry, format string) ([]byte, error) {
	if format == "json" {
		return json.MarshalIndent(entries, "", "  ")
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"seq", "time_utc", "actor", "action", "target", "detail"})
	for _, e := range entries {
		// A cell starting with =, +, - or @ would be a formula to a
		// spreadsheet: a leading apostrophe keeps it text.
		w.Write([]string{strconv.FormatInt(e.Seq, 10), e.At, cell(e.Actor), e.Action, cell(e.Target), cell(e.Detail)})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// cell defuses a CSV cell a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
