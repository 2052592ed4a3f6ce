// Package views holds what the faces show of the core: the shapes the
// window receives over the Wails bridge and the CLI prints with --json, and
// the functions that make them from core values. One definition serves
// both faces; the window's TypeScript models are generated from it.
//
// Guarantees: a view never carries a password hash, a secret or an internal
// error, only what the signed-in user may see.
package views

import (
	"time"

	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/credentials"
	"keysmith/app/core/verifiers"
)

// UserView is a user as shown in the Users page.
type UserView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Role      string `json:"role"` // "Administrator", "Advanced" or "Basic"
	Disabled  bool   `json:"disabled"`
	CreatedAt string `json:"createdAt"` // RFC 3339, UTC
	IsSelf    bool   `json:"isSelf"`
}

// AuditEntry is one audit row.
type AuditEntry struct {
	Seq    int64  `json:"seq"`
	At     string `json:"at"` // RFC 3339, UTC
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail string `json:"detail"`
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Total   int          `json:"total"`
}

// AuditVerifyResult is the outcome of checking the hash chain.
type AuditVerifyResult struct {
	OK      bool   `json:"ok"`
	Status  string `json:"status"` // "intact", "unproven" (an anchor is missing) or "tampered"
	Checked int    `json:"checked"`
	Start   int64  `json:"start"`   // first entry in the database; earlier ones are archived
	BadSeq  int64  `json:"badSeq"`  // first row that fails, 0 when none does
	Problem string `json:"problem"` // one sentence, empty when intact
}

// CredentialView is an API credential as listed. It never carries a secret.
type CredentialView struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`      // "basic", "hmac" or "legacy"
	TypeLabel string `json:"typeLabel"` // "Basic", "HMAC" or "Legacy"
	Name      string `json:"name"`      // label, or the legacy username
	Key       string `json:"key"`       // API key, or the legacy username
	Status    string `json:"status"`    // "active", "disabled" or "expired"
	CreatedAt string `json:"createdAt"` // RFC 3339, UTC
	CreatedBy string `json:"createdBy"`
	// LastUsedAt is RFC 3339, or empty for never.
	LastUsedAt string `json:"lastUsedAt"`
	// LastUsedFrom is the client address of the last accepted request.
	LastUsedFrom string `json:"lastUsedFrom"`
	// ExpiresAt is RFC 3339, or empty for never.
	ExpiresAt string `json:"expiresAt"`
	// PreviousUntil is when the secret replaced by the last roll stops
	// working (RFC 3339), or empty.
	PreviousUntil string `json:"previousUntil"`
}

// CredentialPage is one page of credentials, newest first.
type CredentialPage struct {
	Items []CredentialView `json:"items"`
	Total int              `json:"total"`
}

// VaultSummary is a vault item as listed: no secret, no notes.
type VaultSummary struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"` // "credential" or "login"
	Title     string `json:"title"`
	Username  string `json:"username"`
	URL       string `json:"url"`
	Type      string `json:"type"` // basic, hmac, legacy for credentials
	UpdatedAt string `json:"updatedAt"`
}

// VerifierView is a verification endpoint of the account as listed in
// Settings > Verification.
type VerifierView struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`    // "serve" (keysmith serve) or "window" (a Keysmith window's own)
	Host    string `json:"host"`    // the machine's host name
	Address string `json:"address"` // where it listens, host:port
	Version string `json:"version"` // Keysmith's version
	// Health is "live" (seen within the last heartbeats), "stopped" (it
	// stopped cleanly) or "silent" (not seen since LastSeenAt).
	Health     string `json:"health"`
	StartedAt  string `json:"startedAt"`  // RFC 3339, UTC
	LastSeenAt string `json:"lastSeenAt"` // RFC 3339, UTC
	StoppedAt  string `json:"stoppedAt"`  // RFC 3339, or empty
	// This is the window's own endpoint, on this computer.
	This bool `json:"this"`
}

// Verifiers are the endpoints as listed; this is the id of the window's
// own ("" when it does not run).
func Verifiers(vs []verifiers.Verifier, this string) []VerifierView {
	out := make([]VerifierView, 0, len(vs))
	for _, v := range vs {
		out = append(out, VerifierView{ID: v.ID, Kind: string(v.Kind), Host: v.Host, Address: v.Address, Version: v.Version,
			Health: string(v.Health), StartedAt: v.StartedAt.UTC().Format(time.RFC3339), LastSeenAt: v.LastSeen.UTC().Format(time.RFC3339),
			StoppedAt: optTime(v.StoppedAt), This: this != "" && v.ID == this})
	}
	return out
}

// optTime is t in RFC 3339, UTC, or "" for nil.
func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Credential is c as listed at now.
func Credential(c credentials.Credential, now time.Time) CredentialView {
	return CredentialView{ID: c.ID, Type: string(c.Type), TypeLabel: c.Type.Label(), Name: c.Name, Key: c.Key,
		Status: c.Status(now), CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339), CreatedBy: c.CreatedBy,
		LastUsedAt: optTime(c.LastUsedAt), LastUsedFrom: c.LastUsedFrom, ExpiresAt: optTime(c.ExpiresAt), PreviousUntil: optTime(c.PreviousUntil)}
}

// User is u as shown to the user with id self.
func User(u accounts.User, self int64) UserView {
	return UserView{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Disabled: u.Disabled,
		CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339), IsSelf: u.ID == self}
}

// Audit is a page of audit entries as shown to an Administrator.
func Audit(es []audit.Entry, total int) AuditPage {
	page := AuditPage{Entries: make([]AuditEntry, 0, len(es)), Total: total}
	for _, e := range es {
		page.Entries = append(page.Entries, AuditEntry{Seq: e.Seq, At: e.At.Format(time.RFC3339), Actor: e.Actor,
			Action: e.Action, Target: e.Target, Detail: e.Detail})
	}
	return page
}

// Verify is an audit verification result.
func Verify(r audit.Result) AuditVerifyResult {
	v := AuditVerifyResult{OK: r.OK(), Status: "intact", Checked: r.Checked, Start: r.Start, BadSeq: r.BadSeq, Problem: r.Problem}
	switch {
	case r.Tampered():
		v.Status = "tampered"
	case !r.OK():
		v.Status, v.Problem = "unproven", r.Unproven
	}
	return v
}
