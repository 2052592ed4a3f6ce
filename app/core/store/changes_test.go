package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"keysmith/app/core/errs"
	"keysmith/app/testkit/pgtest"
)

// deadline bounds every wait for a change: the promise is about a second,
// the margin is for a loaded machine under the race detector.
const deadline = 15 * time.Second

func TestWrittenTopics(t *testing.T) {
	creds, users, settings, audit := topicNamed("credentials"), topicNamed("users"), topicNamed("settings"), topicNamed("audit")
	for _, tt := range []struct {
		query string
		want  topicSet
	}{
		{`UPDATE credential_revision SET n = n + 1 WHERE id = 1`, creds},
		{`update public.credential_revision set n = n + 1`, creds},
		{`INSERT INTO users (name) VALUES (?) RETURNING id`, users},
		{`DELETE FROM users WHERE id = ?`, users},
		{`UPDATE account SET idle_minutes = ? WHERE id = 1`, settings},
		{`INSERT INTO audit (seq) VALUES (?)`, audit},
		{`TRUNCATE TABLE audit`, audit},
		{`UPDATE ONLY users SET name = ?`, users},
		{`WITH x AS (UPDATE users SET role = ? RETURNING id) INSERT INTO audit SELECT * FROM x`, users | audit},
		// Reads, other tables, and the words in strings, names and comments.
		{`SELECT * FROM users`, 0},
		{`SELECT n FROM credential_revision FOR UPDATE`, 0},
		{`UPDATE credentials SET last_used_at = ? WHERE id = ?`, 0},
		{`INSERT INTO sign_in_failures (email_key) VALUES (?) ON CONFLICT (email_key) DO UPDATE SET failures = 1`, 0},
		{`INSERT INTO vault_items (title) VALUES ('UPDATE users')`, 0},
		{`SELECT 1 -- DELETE FROM users`, 0},
		{`SELECT "update users" FROM t`, 0},
		{`CREATE TRIGGER t AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()`, 0},
	} {
		if got := writtenTopics(tt.query); got != tt.want {
			t.Errorf("writtenTopics(%q) = %v, want %v", tt.query, got.list(), tt.want.list())
		}
	}
}

// watcher collects what Watch reports on s, until the test ends.
type watchLog struct {
	t  *testing.T
	ch chan Change
}

func watchT(t *testing.T, s *Store) *watchLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchLog{t: t, ch: make(chan Change, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Watch(ctx, func(c Change) { w.ch <- c })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// next waits for a change that ok accepts and returns it with the changes
// seen before it.
func (w *watchLog) next(what string, ok func(Change) bool) (Change, []Change) {
	w.t.Helper()
	var before []Change
	timeout := time.After(deadline)
	for {
		select {
		case c := <-w.ch:
			if ok(c) {
				return c, before
			}
			before = append(before, c)
		case <-timeout:
			w.t.Fatalf("no %s within %v (saw %+v)", what, deadline, before)
		}
	}
}

func names(topic Topic) func(Change) bool {
	return func(c Change) bool { return slices.Contains(c.Topics, topic) }
}

func allNamed(c Change) bool { return len(c.Topics) == len(topics) }

// seedAccount writes what the topic tests change: the account row.
func seedAccount(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.DB.Exec(`INSERT INTO account (id, name, created_at) VALUES (1, 'Acme', 'then')`); err != nil {
		t.Fatal(err)
	}
}

// A change committed through one Store reaches a watcher on another Store
// of the same database, for every topic and every way of writing.
func TestWatchSeesOtherStores(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		ctx := context.Background()
		a, b := openT(t, target), openT(t, target)
		seedAccount(t, a)
		w := watchT(t, b)
		w.next("first report of every topic", allNamed)
		seq := 0
		audit := func() string {
			seq++
			return fmt.Sprintf(`INSERT INTO audit (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (%d, 'now', 'a', 'x', 'y', 'z', x'00', x'01')`, seq)
		}
		if a.Engine == Postgres {
			audit = func() string {
				seq++
				return fmt.Sprintf(`INSERT INTO audit (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (%d, 'now', 'a', 'x', 'y', 'z', '\x00', '\x01')`, seq)
			}
		}
		user := 0
		addUser := func() string {
			user++
			return fmt.Sprintf(`INSERT INTO users (name, email, email_key, role, password_hash, created_at, updated_at) VALUES ('u', 'u%d@x', 'u%[1]d@x', 'Basic', 'h', 'now', 'now')`, user)
		}
		bump := `UPDATE credential_revision SET n = n + 1 WHERE id = 1`
		idle := 10
		setIdle := func() string { idle++; return fmt.Sprintf(`UPDATE account SET idle_minutes = %d WHERE id = 1`, idle) }
		ways := []struct {
			name  string
			write func(q string) error
		}{
			{"in a transaction", func(q string) error {
				return a.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err })
			}},
			{"outside a transaction", func(q string) error { _, err := a.DB.ExecContext(ctx, q); return err }},
			{"as a query outside a transaction", func(q string) error {
				rows, err := a.DB.QueryContext(ctx, q+` RETURNING 1`)
				if err != nil {
					return err
				}
				return rows.Close()
			}},
			{"prepared, in a transaction", func(q string) error {
				return a.Tx(ctx, func(tx *sql.Tx) error {
					st, err := tx.PrepareContext(ctx, q)
					if err != nil {
						return err
					}
					defer st.Close()
					_, err = st.ExecContext(ctx)
					return err
				})
			}},
		}
		for _, way := range ways {
			for _, tt := range []struct {
				topic Topic
				query func() string
			}{
				{TopicCredentials, func() string { return bump }},
				{TopicUsers, addUser},
				{TopicSettings, setIdle},
				{TopicAudit, audit},
			} {
				if err := way.write(tt.query()); err != nil {
					t.Fatalf("%s, %s: %v", tt.topic, way.name, err)
				}
				w.next(fmt.Sprintf("%s change written %s", tt.topic, way.name), names(tt.topic))
			}
		}
	})
}

// A transaction that rolls back announces nothing: a later committed
// change arrives without the rolled-back topic before it.
func TestWatchIgnoresRolledBack(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		ctx := context.Background()
		a, b := openT(t, target), openT(t, target)
		w := watchT(t, b)
		w.next("first report of every topic", allNamed)
		refused := errors.New("changed my mind")
		err := a.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (name, email, email_key, role, password_hash, created_at, updated_at)
				VALUES ('u', 'u@x', 'u@x', 'Basic', 'h', 'now', 'now')`); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatal(err)
		}
		if err := a.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE credential_revision SET n = n + 1 WHERE id = 1`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c, before := w.next("credentials change", names(TopicCredentials))
		for _, x := range append(before, c) {
			if slices.Contains(x.Topics, TopicUsers) {
				t.Errorf("a rolled-back user insert was announced: %+v", x)
			}
		}
	})
}

// pgListeners returns the backends listening for the feed on s's database.
func pgListeners(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.DB.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN ` + notifyChannel + `'`)
	out, err := Collect(rows, err, func(r *sql.Rows, pid *int) error { return r.Scan(pid) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The feed's connection killed by the server (pg_terminate_backend): the
// watcher is told every topic once the feed is back, and sees changes
// again.
func TestWatchReconnects(t *testing.T) {
	target := newTarget(t, Postgres)
	ctx := context.Background()
	a, b := openT(t, target), openT(t, target)
	w := watchT(t, b)
	w.next("first report of every topic", allNamed)
	old := pgListeners(t, a)
	if len(old) != 1 {
		t.Fatalf("%d listening backends, want 1", len(old))
	}
	if _, err := a.DB.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, old[0]); err != nil {
		t.Fatal(err)
	}
	w.next("every topic after reconnecting", allNamed)
	for deadline := time.Now().Add(deadline); ; time.Sleep(20 * time.Millisecond) {
		now := pgListeners(t, a)
		if len(now) == 1 && now[0] != old[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listening backends %v after terminating %d", now, old[0])
		}
	}
	if _, err := a.DB.ExecContext(ctx, `UPDATE credential_revision SET n = n + 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	w.next("a change after reconnecting", names(TopicCredentials))
}

// The whole server stopped and started again: calls fail as unreachable
// meanwhile, the watcher is told so once, then every topic once the server
// is back, and changes flow again. Nothing is restarted on Keysmith's side.
func TestWatchSurvivesServerRestart(t *testing.T) {
	srv := pgtest.Own(t)
	ctx := context.Background()
	target := srv.DB(t)
	a, b := openT(t, target), openT(t, target)
	w := watchT(t, b)
	w.next("first report of every topic", allNamed)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	c, _ := w.next("the database reported unreachable", func(c Change) bool { return c.Err != nil })
	if !errors.Is(c.Err, errs.ErrUnreachable) || len(c.Topics) != 0 {
		t.Errorf("change while down = %+v, want errs.ErrUnreachable and no topics", c)
	}
	_, err := a.DB.ExecContext(ctx, `UPDATE credential_revision SET n = n + 1 WHERE id = 1`)
	if !errors.Is(err, errs.ErrUnreachable) {
		t.Errorf("a write while the server is down: %v, want errs.ErrUnreachable", err)
	}
	if err := a.DB.PingContext(ctx); !errors.Is(err, errs.ErrUnreachable) {
		t.Errorf("a ping while the server is down: %v, want errs.ErrUnreachable", err)
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	w.next("every topic after the restart", allNamed)
	if _, err := a.DB.ExecContext(ctx, `UPDATE credential_revision SET n = n + 1 WHERE id = 1`); err != nil {
		t.Fatalf("a write after the restart: %v", err)
	}
	w.next("a change after the restart", names(TopicCredentials))
}

// A statement's own failure is not a lost database.
func TestStatementErrorsAreNotUnreachable(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		s := openT(t, target)
		_, err := s.DB.Exec(`INSERT INTO no_such_table VALUES (1)`)
		if err == nil || errors.Is(err, errs.ErrUnreachable) {
			t.Errorf("a bad statement: %v, want an error that is not errs.ErrUnreachable", err)
		}
	})
}
