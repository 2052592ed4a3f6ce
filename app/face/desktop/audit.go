package desktop

import (
	"keysmith/app/core/audit"
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
