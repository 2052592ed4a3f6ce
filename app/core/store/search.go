package store

import (
	"database/sql"
	"strings"
	"unicode/utf8"
)

// AuditMatch returns the condition on audit's rows (and its arguments)
// that keeps those whose actor, action, target or detail contains q, in
// any case: the one place where the engines' text search differs.
//
// On SQLite a q of 3 characters or more is looked up in audit_search, an
// FTS5 trigram index over those columns; on PostgreSQL ILIKE uses a
// pg_trgm index of the columns joined by line breaks (migration 0010), for
// a q without one. A shorter q has no trigram to look up, and one with a
// line break would match across columns: they are matched column by
// column, reading the entries.
func AuditMatch(db *sql.DB, q string) (string, []any) {
	if EngineOf(db) == SQLite && utf8.RuneCountInString(q) >= 3 {
		return `seq IN (SELECT rowid FROM audit_search WHERE audit_search MATCH ?)`,
			[]any{`"` + strings.ReplaceAll(q, `"`, `""`) + `"`}
	}
	like := "%" + likeEscaper.Replace(q) + "%"
	if EngineOf(db) == Postgres && !strings.Contains(q, "\n") {
		return `(actor || chr(10) || action || chr(10) || target || chr(10) || detail) ILIKE ? ESCAPE '\'`, []any{like}
	}
	op := "LIKE" // SQLite's LIKE ignores the case of ASCII letters
	if EngineOf(db) == Postgres {
		op = "ILIKE"
	}
	var parts []string
	for _, col := range []string{"actor", "action", "target", "detail"} {
		parts = append(parts, col+" "+op+` ? ESCAPE '\'`)
	}
	return "(" + strings.Join(parts, " OR ") + ")", []any{like, like, like, like}
}

// likeEscaper makes a text a LIKE pattern that matches it literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
