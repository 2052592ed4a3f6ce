package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/testkit"
	"keysmith/app/testkit/golden"
)

var ctx = context.Background()

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, time.UTC)

// stepClock returns t0, t0+1s, t0+2s, ...
func stepClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return t0.Add(time.Duration(n-1) * time.Second)
	}
}

// openStore opens a new store, on the test engine.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	return openStoreIn(t, t.TempDir())
}

// openStoreIn opens a new store in dir, on the test engine.
func openStoreIn(t testing.TB, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(ctx, testkit.Target(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newLog is a log keyed by test key 1, on stepClock.
func newLog() *audit.Log {
	return keyedLog(1, stepClock())
}

// keyedLog is a log keyed by test key seed, on clock.
func keyedLog(seed byte, clock func() time.Time) *audit.Log {
	return audit.New(keyfile.ForTest(seed).Derive("x"), clock)
}

// appendAll appends events, each in its own transaction.
func appendAll(t testing.TB, s *store.Store, l *audit.Log, events ...audit.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Tx(ctx, func(tx *sql.Tx) error { return l.Append(ctx, tx, e) }); err != nil {
			t.Fatalf("Append %+v: %v", e, err)
		}
	}
}

var sample = []audit.Event{
	{ActorID: 0, Actor: "admin@acme.test", Action: "account.create", Target: "Acme", Detail: "account created"},
	{ActorID: 1, Actor: "Ada <admin@acme.test>", Action: "user.add", Target: "bob@acme.test", Detail: "role Basic"},
	{ActorID: 1, Actor: "Ada <admin@acme.test>", Action: "user.role", Target: "bob@acme.test", Detail: "Basic -> Advanced"},
	{ActorID: 2, Actor: "Bob <bob@acme.test>", Action: "user.theme", Target: "bob@acme.test", Detail: "dark"},
	{ActorID: 0, Actor: "mallory@evil.test", Action: "signin.fail", Target: "mallory@evil.test", Detail: "bad credentials"},
	{ActorID: 1, Actor: "Ada <admin@acme.test>", Action: "user.disable", Target: "bob@acme.test", Detail: "ünïcødé 🔑 detail"},
}

// seeded is a new store holding sample, and its log.
func seeded(t testing.TB) (*store.Store, *audit.Log) {
	t.Helper()
	s := openStore(t)
	l := newLog()
	appendAll(t, s, l, sample...)
	return s, l
}

// verify is l.Verify over s, failing t on an error.
func verify(t *testing.T, s *store.Store, l *audit.Log) audit.Result {
	t.Helper()
	res, err := l.Verify(ctx, s.DB)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

// dropTriggers lifts the triggers that keep the audit table append-only.
func dropTriggers(t *testing.T, db *sql.DB) {
	t.Helper()
	testkit.LiftAppendOnly(t, db)
}

// anchored is a store with n entries whose log is anchored to a head file
// (path) beside the database, saved after the last one.
func anchored(t *testing.T, n int) (*store.Store, *audit.Log, string) {
	t.Helper()
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	l := audit.New(keyfile.ForTest(3).Derive("audit chain v1"), func() time.Time { return time.Unix(1_800_000_000, 0) })
	path := filepath.Join(dir, audit.HeadFileName)
	l.AnchorHead(path)
	// As app.Open does for a new log: the head file exists from the start.
	if err := l.SaveHead(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		appendOne(t, s, l, "event")
	}
	if err := l.SaveHead(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	return s, l, path
}

// appendOne appends an event of action.
func appendOne(t *testing.T, s *store.Store, l *audit.Log, action string) {
	t.Helper()
	appendAll(t, s, l, audit.Event{Actor: "a", Action: action, Target: "t"})
}

func TestVerifyIntact(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := newLog()
	if res := verify(t, s, l); !res.OK() || res.Checked != 0 || res.BadSeq != 0 {
		t.Errorf("empty log: %+v, want OK with 0 checked", res)
	}
	appendAll(t, s, l, sample...)
	res := verify(t, s, l)
	if !res.OK() || res.Checked != len(sample) || res.BadSeq != 0 || res.Problem != "" {
		t.Errorf("Verify = %+v, want OK with %d checked", res, len(sample))
	}
	// A fresh Log with the same key (a restart) verifies the same chain.
	if res := verify(t, s, keyedLog(1, time.Now)); !res.OK() {
		t.Errorf("same key, new Log: %+v", res)
	}
}

func TestListNewestFirstAndFields(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	got, total, err := l.List(ctx, s.DB, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(sample) || len(got) != len(sample) {
		t.Fatalf("List: %d entries, total %d; want %d", len(got), total, len(sample))
	}
	for i, e := range got {
		wantIdx := len(sample) - 1 - i
		if e.Seq != int64(wantIdx+1) {
			t.Errorf("entry %d: seq %d, want %d (newest first)", i, e.Seq, wantIdx+1)
		}
		if e.Event != sample[wantIdx] {
			t.Errorf("entry %d: %+v, want %+v", i, e.Event, sample[wantIdx])
		}
		wantAt := t0.Add(time.Duration(wantIdx) * time.Second).Truncate(time.Millisecond)
		if !e.At.Equal(wantAt) {
			t.Errorf("entry %d: At %v, want %v", i, e.At, wantAt)
		}
	}
}

func TestAppendStoresUTCMillis(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	local := time.FixedZone("UTC+5:30", 5*3600+1800)
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, local)
	l := keyedLog(1, func() time.Time { return at })
	appendAll(t, s, l, sample[0])
	var stored string
	if err := s.DB.QueryRow(`SELECT at FROM audit`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := "2026-01-01T21:34:05.678Z"; stored != want {
		t.Errorf("stored at = %q, want %q", stored, want)
	}
	if !verify(t, s, l).OK() {
		t.Error("chain with a non-UTC clock does not verify")
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := newLog()
	appendAll(t, s, l,
		audit.Event{Actor: "a", Action: "note", Target: "t1", Detail: "100% done"},
		audit.Event{Actor: "a", Action: "note", Target: "t2", Detail: "100 done"},
		audit.Event{Actor: "a", Action: "note", Target: "t1", Detail: "snake_case"},
		audit.Event{Actor: "a", Action: "note", Target: "t3", Detail: "snakeXcase"},
		audit.Event{Actor: "a", Action: "note", Target: "t2", Detail: `back\slash`},
		audit.Event{Actor: "Zoë <zoe@acme.test>", Action: "user.add", Target: "t1", Detail: "plain"},
	)
	tests := []struct {
		name     string
		f        audit.Filter
		wantSeqs []int64
		total    int
	}{
		{"no filter", audit.Filter{}, []int64{6, 5, 4, 3, 2, 1}, 6},
		{"percent literal", audit.Filter{Query: "%"}, []int64{1}, 1},
		{"percent in phrase", audit.Filter{Query: "0% d"}, []int64{1}, 1},
		{"underscore literal", audit.Filter{Query: "_"}, []int64{3}, 1},
		{"underscore in word", audit.Filter{Query: "snake_"}, []int64{3}, 1},
		{"backslash literal", audit.Filter{Query: `\`}, []int64{5}, 1},
		{"substring of detail", audit.Filter{Query: "done"}, []int64{2, 1}, 2},
		{"matches actor", audit.Filter{Query: "zoe@"}, []int64{6}, 1},
		{"matches action", audit.Filter{Query: "user.add"}, []int64{6}, 1},
		{"matches target", audit.Filter{Query: "t3"}, []int64{4}, 1},
		{"no match", audit.Filter{Query: "nothing like this"}, nil, 0},
		{"target exact", audit.Filter{Target: "t1"}, []int64{6, 3, 1}, 3},
		{"target is not a substring match", audit.Filter{Target: "t"}, nil, 0},
		{"target with query", audit.Filter{Target: "t1", Query: "done"}, []int64{1}, 1},
		{"limit", audit.Filter{Limit: 2}, []int64{6, 5}, 6},
		{"limit and offset", audit.Filter{Limit: 2, Offset: 2}, []int64{4, 3}, 6},
		{"offset past end", audit.Filter{Limit: 2, Offset: 10}, nil, 6},
		{"negative offset from start", audit.Filter{Limit: 1, Offset: -5}, []int64{6}, 6},
		{"zero limit means default", audit.Filter{Limit: 0}, []int64{6, 5, 4, 3, 2, 1}, 6},
		{"target with paging", audit.Filter{Target: "t1", Limit: 1, Offset: 1}, []int64{3}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := l.List(ctx, s.DB, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tt.wantSeqs) || total != tt.total {
				t.Errorf("List(%+v) = seqs %v total %d; want %v total %d", tt.f, seqs, total, tt.wantSeqs, tt.total)
			}
		})
	}
}

// The filter finds a part of one column in any case, through the index or
// (for fewer than 3 characters, or a line break) without it, the same on
// both engines; and the index follows entries that archiving removes.
func TestListSearch(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := newLog()
	appendAll(t, s, l,
		audit.Event{Actor: "Zoë <zoe@acme.test>", Action: "credential.create", Target: "Kx7Lm", Detail: `name "Orders" type Basic`},
		audit.Event{Actor: "Ada <ada@acme.test>", Action: "vault.unlock", Target: "vault", Detail: "line one\nline two"},
		audit.Event{Actor: "Ada <ada@acme.test>", Action: "credential.roll", Target: "Kx7Lm", Detail: "generation 2"},
	)
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"ZOE@", []int64{1}},           // case
		{"zoë", []int64{1}},            // beyond ASCII
		{"orders", []int64{1}},         // case
		{`"Orders"`, []int64{1}},       // quotes taken as text
		{"kx7lm", []int64{3, 1}},       // the target
		{"credential.", []int64{3, 1}}, // the action
		{"Ad", []int64{3, 2}},          // 2 characters: no trigram
		{"one\nline", []int64{2}},      // a line break inside one column
		{"test>\ncredential", nil},     // not across columns
		{"Basic Kx7", nil},             // nor across them with a space
		{"generation 3", nil},
	} {
		got, total, err := l.List(context.Background(), s.DB, audit.Filter{Query: tc.q})
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if fmt.Sprint(seqs) != fmt.Sprint(tc.want) || total != len(tc.want) {
			t.Errorf("%q: seqs %v total %d, want %v", tc.q, seqs, total, tc.want)
		}
	}

	// Archiving entries 1 and 2 takes them out of the index as well.
	if _, err := archive(t, s, l, t0.Add(1500*time.Millisecond), filepath.Join(t.TempDir(), "a.jsonl")); err != nil {
		t.Fatal(err)
	}
	if got, _, err := l.List(context.Background(), s.DB, audit.Filter{Query: "Kx7Lm"}); err != nil || len(got) != 1 || got[0].Seq != 3 {
		t.Fatalf("after archiving: %+v, %v", got, err)
	}
	if store.EngineOf(s.DB) == store.SQLite {
		if _, err := s.DB.Exec(`INSERT INTO audit_search (audit_search, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatalf("the index differs from audit after archiving: %v", err)
		}
	}
}

func TestListLimitClamped(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := newLog()
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < 120; i++ {
			if err := l.Append(ctx, tx, audit.Event{Actor: "a", Action: "n", Target: "t", Detail: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{0, -1, 100000} {
		got, total, err := l.List(ctx, s.DB, audit.Filter{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if total != 120 || len(got) == 0 || len(got) > 500 {
			t.Errorf("Limit %d: %d entries, total %d", limit, len(got), total)
		}
	}
	got, _, _ := l.List(ctx, s.DB, audit.Filter{Limit: 500})
	if len(got) != 120 {
		t.Errorf("Limit 500: %d entries, want all 120", len(got))
	}
	if res := verify(t, s, l); !res.OK() || res.Checked != 120 {
		t.Errorf("Verify after a batch in one transaction: %+v", res)
	}
}

func TestTriggersRefuseChanges(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	stmts := []string{
		`UPDATE audit SET detail = 'edited' WHERE seq = 2`,
		`UPDATE audit SET hash = substr(hash, 2) WHERE seq = 1`,
		`DELETE FROM audit WHERE seq = 3`,
		`DELETE FROM audit`,
	}
	for _, q := range stmts {
		if _, err := s.DB.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want refusal by the append-only trigger", q, err)
		}
	}
	if res := verify(t, s, l); !res.OK() || res.Checked != len(sample) {
		t.Errorf("after refused changes: %+v", res)
	}
	var detail string
	s.DB.QueryRow(`SELECT detail FROM audit WHERE seq = 2`).Scan(&detail)
	if detail != sample[1].Detail {
		t.Errorf("detail of row 2 = %q after refused UPDATE", detail)
	}
}

// dropTriggers is what an attacker with the database file does first.
func TestTamperEachColumn(t *testing.T) {
	t.Parallel()
	const row = 3
	tests := []struct {
		column, set string
	}{
		{"at", `'2030-01-01T00:00:00Z'`},
		{"at", `'2026-03-14T15:09:28.536Z'`}, // one millisecond later
		{"at", `'not a time'`},
		{"actor", `actor || ' '`},
		{"actor", `'Bob <bob@acme.test>'`},
		{"action", `'user.remove'`},
		{"target", `upper(target)`},
		{"detail", `''`},
		{"detail", `detail || '.'`},
		{"actor_id", `2`},
		{"actor_id", `NULL`},
		{"prev_hash", `randomblob(32)`},
		{"prev_hash", `substr(prev_hash, 1, 31)`},
		{"prev_hash", `(SELECT hash FROM audit WHERE seq = 1)`},
		{"hash", `randomblob(32)`},
		{"hash", `(SELECT hash FROM audit WHERE seq = 2)`},
		{"hash", `substr(hash, 1, 0)`},
	}
	for _, tt := range tests {
		t.Run(tt.column+"="+tt.set, func(t *testing.T) {
			t.Parallel()
			s, l := seeded(t)
			dropTriggers(t, s.DB)
			res, err := s.DB.Exec(fmt.Sprintf(`UPDATE audit SET %s = %s WHERE seq = %d`, tt.column, tt.set, row))
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("tamper touched %d rows", n)
			}
			got := verify(t, s, l)
			if got.OK() || got.BadSeq != row || got.Problem == "" || got.Checked != row-1 {
				t.Errorf("Verify = %+v, want row %d reported with %d checked", got, row, row-1)
			}
		})
	}
}

// Altering a row's hash also breaks the next row's link: the first break is
// the altered row, never a later one.
func TestTamperLastRow(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	dropTriggers(t, s.DB)
	last := len(sample)
	if _, err := s.DB.Exec(`UPDATE audit SET detail = 'x' WHERE seq = ?`, last); err != nil {
		t.Fatal(err)
	}
	if got := verify(t, s, l); got.OK() || got.BadSeq != int64(last) {
		t.Errorf("Verify = %+v, want row %d", got, last)
	}
}

func TestTamperStructure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sql     string
		wantBad int64
	}{
		{"delete middle row", `DELETE FROM audit WHERE seq = 3`, 4},
		{"delete first row", `DELETE FROM audit WHERE seq = 1`, 2},
		{"delete two middle rows", `DELETE FROM audit WHERE seq IN (2, 3)`, 4},
		{"swap contents of rows 2 and 3", `
			CREATE TEMP TABLE r AS SELECT * FROM audit WHERE seq IN (2, 3);
			UPDATE audit SET (at, actor_id, actor, action, target, detail, prev_hash, hash) =
				(SELECT at, actor_id, actor, action, target, detail, prev_hash, hash FROM r WHERE r.seq = 5 - audit.seq)
				WHERE seq IN (2, 3)`, 2},
		{"renumber rows 2 and 3", `
			UPDATE audit SET seq = 100 WHERE seq = 2;
			UPDATE audit SET seq = 2 WHERE seq = 3;
			UPDATE audit SET seq = 3 WHERE seq = 100`, 2},
		{"insert a forged row in the middle", `
			UPDATE audit SET seq = -seq WHERE seq >= 3;
			UPDATE audit SET seq = -seq + 1 WHERE seq < 0;
			INSERT INTO audit (seq, at, actor, action, target, detail, prev_hash, hash)
				SELECT 3, at, actor, action, target, 'forged', hash, randomblob(32) FROM audit WHERE seq = 2`, 3},
		{"append a forged row", `
			INSERT INTO audit (seq, at, actor, action, target, detail, prev_hash, hash)
				SELECT seq + 1, at, actor, action, target, 'forged', hash, randomblob(32) FROM audit ORDER BY seq DESC LIMIT 1`, int64(len(sample) + 1)},
		{"replay an old row at the end", `
			INSERT INTO audit (seq, at, actor_id, actor, action, target, detail, prev_hash, hash)
				SELECT 7, at, actor_id, actor, action, target, detail, prev_hash, hash FROM audit WHERE seq = 2`, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, l := seeded(t)
			dropTriggers(t, s.DB)
			if _, err := s.DB.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			got := verify(t, s, l)
			if got.OK() || got.BadSeq != tt.wantBad || got.Problem == "" {
				t.Errorf("Verify = %+v, want break at row %d", got, tt.wantBad)
			}
		})
	}
}

// Someone holding only the database cannot rebuild a consistent chain: a
// verifier with another key rejects the very first row.
func TestOtherKeyRejects(t *testing.T) {
	t.Parallel()
	s, _ := seeded(t)
	for _, key := range [][]byte{
		keyfile.ForTest(2).Derive("x"),
		keyfile.ForTest(1).Derive("y"),
		make([]byte, 32),
		nil,
	} {
		got := verify(t, s, audit.New(key, time.Now))
		if got.OK() || got.BadSeq != 1 || got.Checked != 0 {
			t.Errorf("key %x: Verify = %+v, want row 1 broken", key, got)
		}
	}
}

func TestRolledBackEventLeavesNoRow(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	boom := errors.New("the change failed")
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := l.Append(ctx, tx, audit.Event{Actor: "a", Action: "user.add", Target: "ghost@acme.test", Detail: "never happened"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v", err)
	}
	_, total, err := l.List(ctx, s.DB, audit.Filter{Query: "ghost"})
	if err != nil || total != 0 {
		t.Errorf("rolled-back event visible: total %d, err %v", total, err)
	}
	// The chain continues cleanly after the rollback.
	appendAll(t, s, l, audit.Event{Actor: "a", Action: "n", Target: "t", Detail: "after"})
	if res := verify(t, s, l); !res.OK() || res.Checked != len(sample)+1 {
		t.Errorf("Verify after rollback = %+v", res)
	}
}

func TestConcurrentAppendsKeepChain(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := newLog()
	// A second handle on the same file, as a second process would have.
	s2, err := store.Open(ctx, s.Target)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	const per = 15
	var wg sync.WaitGroup
	for w, st := range []*store.Store{s, s2, s} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				err := st.Tx(ctx, func(tx *sql.Tx) error {
					return l.Append(ctx, tx, audit.Event{Actor: "w", Action: "n", Target: fmt.Sprint(w), Detail: fmt.Sprint(i)})
				})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if res := verify(t, s, l); !res.OK() || res.Checked != 3*per {
		t.Errorf("Verify after concurrent appends = %+v, want %d intact", res, 3*per)
	}
}

// Known answer: the first event's hash under ForTest(7).Derive("audit chain v1")
// at a fixed instant. A change here means every existing chain stops verifying.
// The golden value was cross-checked once with an independent Python
// implementation (hmac/hashlib: HKDF-SHA256, then HMAC over 32 zero bytes,
// seq and actor id as big-endian uint64, and length-prefixed fields).
// Regenerate with: go test ./app/audit/ -run KnownAnswer -update
func TestFirstHashKnownAnswer(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	at := time.Date(2026, 11, 26, 9, 0, 0, 123_000_000, time.UTC)
	l := audit.New(keyfile.ForTest(7).Derive("audit chain v1"), func() time.Time { return at })
	appendAll(t, s, l, audit.Event{ActorID: 1, Actor: "Ada <ada@acme.test>", Action: "account.create", Target: "Acme Ltd", Detail: "account created"})
	var prev, hash []byte
	if err := s.DB.QueryRow(`SELECT prev_hash, hash FROM audit WHERE seq = 1`).Scan(&prev, &hash); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(prev, make([]byte, 32)) {
		t.Errorf("first prev_hash = %x, want 32 zero bytes", prev)
	}
	got := hex.EncodeToString(hash) + "\n"
	golden.Check(t, filepath.Join("testdata", "first_event_hash.golden"), got)
}

// AppendAll writes what that many Appends would (the same rows, hashes
// included), across its INSERT batches, and the log verifies; it carries
// on a log that already has entries, and VerifyTx sees it before commit.
func TestAppendAll(t *testing.T) {
	t.Parallel()
	var many []audit.Event
	for i := range 450 { // more than two INSERT batches
		e := sample[i%len(sample)]
		e.Detail = fmt.Sprintf("%s #%d", e.Detail, i)
		many = append(many, e)
	}
	one, l1 := openStore(t), newLog()
	appendAll(t, one, l1, many...)
	all, l2 := openStore(t), newLog()
	appendAll(t, all, l2, many[:1]...)
	err := all.Tx(ctx, func(tx *sql.Tx) error {
		if err := l2.AppendAll(ctx, tx, many[1:]); err != nil {
			return err
		}
		res, err := l2.VerifyTx(ctx, tx)
		if err == nil && (!res.OK() || res.Checked != len(many)) {
			err = fmt.Errorf("VerifyTx before commit: %+v", res)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := func(s *store.Store) string {
		var b strings.Builder
		r, err := s.DB.Query(`SELECT seq, at, COALESCE(actor_id, 0), actor, action, target, detail, prev_hash, hash FROM audit ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			var seq, actor int64
			var at, who, action, target, detail string
			var prev, hash []byte
			r.Scan(&seq, &at, &actor, &who, &action, &target, &detail, &prev, &hash)
			fmt.Fprintf(&b, "%d %s %d %s %s %s %s %x %x\n", seq, at, actor, who, action, target, detail, prev, hash)
		}
		return b.String()
	}
	if a, b := rows(one), rows(all); a != b || strings.Count(a, "\n") != len(many) {
		t.Fatalf("AppendAll wrote other rows than Append:\n%.300s\n%.300s", a, b)
	}
	if res := verify(t, all, l2); !res.OK() || res.Checked != len(many) {
		t.Fatalf("verify after AppendAll: %+v", res)
	}
	if err := all.Tx(ctx, func(tx *sql.Tx) error { return l2.AppendAll(ctx, tx, nil) }); err != nil {
		t.Fatal(err)
	}
}
