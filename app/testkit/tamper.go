package testkit

import (
	"database/sql"
	"fmt"
	"testing"

	"keysmith/app/core/store"
)

// What an attacker with write access to the database does, spelled for
// each engine, so that the tamper tests run on both.

// LiftAppendOnly removes the guards of the audit log and its checkpoint
// from db (the first thing someone holding the database does) and returns
// what puts them back. On PostgreSQL it also gives the attacker SQLite's
// randomblob(n), which the tamper statements use.
func LiftAppendOnly(t testing.TB, db *sql.DB) (restore func()) {
	t.Helper()
	if store.EngineOf(db) == store.Postgres {
		Exec(t, db, `ALTER TABLE audit DISABLE TRIGGER USER; ALTER TABLE audit_checkpoint DISABLE TRIGGER USER;
			CREATE OR REPLACE FUNCTION randomblob(n integer) RETURNS bytea LANGUAGE sql AS $$
				SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex') FROM generate_series(1, n) $$`)
		return func() {
			Exec(t, db, `ALTER TABLE audit ENABLE TRIGGER USER; ALTER TABLE audit_checkpoint ENABLE TRIGGER USER`)
		}
	}
	Exec(t, db, `DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;
		DROP TRIGGER IF EXISTS audit_checkpoint_forward; DROP TRIGGER IF EXISTS audit_checkpoint_no_delete`)
	return func() { // as migrations 1 and 5 left them
		Exec(t, db, `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
			BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
			CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
			WHEN OLD.seq > COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0)
			BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
			CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
			WHEN NEW.seq <= OLD.seq
			BEGIN SELECT RAISE(ABORT, 'the audit checkpoint only moves forward'); END;
			CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
			BEGIN SELECT RAISE(ABORT, 'the audit checkpoint cannot be removed'); END`)
	}
}

// FailOn makes every op ("INSERT", "UPDATE" or "DELETE") on table fail with
// the message "injected" until the returned function is called: a write
// that fails midway through a change.
func FailOn(t testing.TB, db *sql.DB, table, op string) (remove func()) {
	t.Helper()
	name := "keysmith_test_fail_" + table
	if store.EngineOf(db) == store.Postgres {
		Exec(t, db, fmt.Sprintf(`CREATE FUNCTION %[1]s() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'injected'; END $$;
			CREATE TRIGGER %[1]s BEFORE %[2]s ON %[3]s FOR EACH ROW EXECUTE FUNCTION %[1]s()`, name, op, table))
		return func() {
			Exec(t, db, fmt.Sprintf(`DROP TRIGGER %[1]s ON %[2]s; DROP FUNCTION %[1]s()`, name, table))
		}
	}
	Exec(t, db, fmt.Sprintf(`CREATE TRIGGER %s BEFORE %s ON %s BEGIN SELECT RAISE(ABORT, 'injected'); END`, name, op, table))
	return func() { Exec(t, db, `DROP TRIGGER `+name) }
}

// SetSchemaVersion records v as db's schema version.
func SetSchemaVersion(t testing.TB, db *sql.DB, v int) {
	t.Helper()
	if store.EngineOf(db) == store.Postgres {
		Exec(t, db, fmt.Sprintf(`UPDATE schema_version SET version = %d`, v))
		return
	}
	Exec(t, db, fmt.Sprintf(`PRAGMA user_version = %d`, v))
}

// IntegrityCheck returns SQLite's integrity_check verdict on db ("ok" when
// whole). PostgreSQL checks its own pages: "ok".
func IntegrityCheck(t testing.TB, db *sql.DB) string {
	t.Helper()
	if store.EngineOf(db) == store.Postgres {
		return "ok"
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil {
		t.Fatal(err)
	}
	return check
}

// SyncIDs moves PostgreSQL's identity sequences past the ids a test
// inserted by hand, as SQLite numbers a new row after the largest id
// present; on SQLite it does nothing.
func SyncIDs(t testing.TB, db *sql.DB) {
	t.Helper()
	if store.EngineOf(db) != store.Postgres {
		return
	}
	Exec(t, db, `DO $$ DECLARE r record; BEGIN
		FOR r IN SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES' LOOP
			EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), COALESCE((SELECT max(id) FROM %I), 0) + 1, false)',
				r.table_name, r.table_name);
		END LOOP; END $$`)
}
