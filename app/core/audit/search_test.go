package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
)

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
