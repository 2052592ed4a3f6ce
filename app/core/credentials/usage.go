package credentials

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
)

// Use is one accepted request, reported by a verifier.
type Use struct {
	ID   int64
	At   time.Time
	From string // client address
}

// Refusal is a count of refused requests with one reason, key and client.
type Refusal struct {
	Key    string // the key or username the request named, may be empty
	Reason string // never a secret
	From   string
	Count  int
}

// RefusalCategories are the reasons the audit log records refusals under,
// in the order they are written. A reason that matches none is "other".
var RefusalCategories = []string{
	"unknown key",
	"wrong secret or signature",
	"credential disabled or expired",
	"replayed or out-of-date request",
	"malformed or unsupported request",
	"throttled: repeated wrong Legacy passwords",
	"busy: Legacy password checks at their limit",
	"credential state does not verify",
	"other",
}

// categoryPrefixes maps the start of a verifier's reason to its category.
var categoryPrefixes = []struct{ prefix, category string }{
	{ErrUnknownKey.Error(), "unknown key"},
	{ErrWrongSecret.Error(), "wrong secret or signature"},
	{"signature does not match", "wrong secret or signature"},
	{ErrNotActive.Error(), "credential disabled or expired"},
	{"signature already used", "replayed or out-of-date request"},
	{"signature not checked for replays", "replayed or out-of-date request"},
	{"date missing", "replayed or out-of-date request"},
	{ErrNotHMAC.Error(), "malformed or unsupported request"},
	{"no Authorization header", "malformed or unsupported request"},
	{"malformed Authorization header", "malformed or unsupported request"},
	{"unsupported authentication", "malformed or unsupported request"},
	{"body digest", "malformed or unsupported request"},
	{"a required part of the request", "malformed or unsupported request"},
	{"request too large", "malformed or unsupported request"},
	{"more than one Authorization header", "malformed or unsupported request"},
	{"a signed header appears more than once", "malformed or unsupported request"},
	{ErrThrottled.Error(), "throttled: repeated wrong Legacy passwords"},
	{ErrBusy.Error(), "busy: Legacy password checks at their limit"},
	{ErrStateTampered.Error(), "credential state does not verify"},
}

// RefusalCategory is the fixed category a refusal reason is audited under.
func RefusalCategory(reason string) string {
	for _, p := range categoryPrefixes {
		if strings.HasPrefix(reason, p.prefix) {
			return p.category
		}
	}
	return "other"
}

// maxNamedKeys bounds how many credentials one refusal event names.
const maxNamedKeys = 3

// refusalSum is one category's share of a batch.
type refusalSum struct {
	requests int
	keys     map[string]int // claimed key → requests
	clients  map[string]struct{}
}

// Record stores a verifier's batch in one transaction: the uses, merged
// with what every verifier of the account recorded (a use is written only
// when it is newer than the one stored, so the newest time wins with its
// client address, and a batch that comes late never moves it back), and at
// most one audit event (verify.refused) per refusal
// category, whatever keys and clients the refusals name. An event counts
// requests, distinct claimed keys and distinct clients; it names at most
// three keys, and only keys of existing credentials (Target is the key when
// it is the only one the category's refusals claimed). The request log holds
// the detail of each refusal. It is the verifier's own bookkeeping and needs
// no signed-in user.
func (s *Service) Record(ctx context.Context, uses []Use, refusals []Refusal) error {
	if len(uses) == 0 && len(refusals) == 0 {
		return nil
	}
	sums := map[string]*refusalSum{}
	for _, r := range refusals {
		cat := RefusalCategory(r.Reason)
		sum := sums[cat]
		if sum == nil {
			sum = &refusalSum{keys: map[string]int{}, clients: map[string]struct{}{}}
			sums[cat] = sum
		}
		n := max(r.Count, 1)
		sum.requests += n
		sum.keys[r.Key] += n
		sum.clients[r.From] = struct{}{}
	}
	return store.Tx(ctx, s.db, func(tx *sql.Tx) error {
		for _, u := range uses {
			if _, err := tx.ExecContext(ctx, `UPDATE credentials SET last_used_at = ?, last_used_from = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, stamp(u.At), u.From, u.ID, stamp(u.At)); err != nil {
				return err
			}
		}
		for _, cat := range RefusalCategories {
			sum := sums[cat]
			if sum == nil {
				continue
			}
			named, err := namedKeys(ctx, tx, sum.keys)
			if err != nil {
				return err
			}
			detail := fmt.Sprintf("%d request(s) refused (%s) naming %d distinct key(s), from %d client(s)",
				sum.requests, cat, len(sum.keys), len(sum.clients))
			target := ""
			if len(named) > 0 {
				detail += "; credentials: " + strings.Join(named, ", ")
				if len(sum.keys) == 1 {
					target = named[0]
				}
			}
			if err := s.log.Append(ctx, tx, audit.Event{Actor: "verifier", Action: "verify.refused", Target: target, Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
}

// namedKeys returns up to maxNamedKeys of the claimed keys that name an
// existing credential, most refused first: at most that many lookups,
// however many keys were claimed. Fingerprints of unknown keys are never
// looked up or named.
func namedKeys(ctx context.Context, tx *sql.Tx, keys map[string]int) ([]string, error) {
	cands := make([]string, 0, len(keys))
	for k := range keys {
		if k != "" && !strings.HasPrefix(k, "unknown-") {
			cands = append(cands, k)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if keys[cands[i]] != keys[cands[j]] {
			return keys[cands[i]] > keys[cands[j]]
		}
		return cands[i] < cands[j]
	})
	var named []string
	for _, k := range cands[:min(len(cands), maxNamedKeys)] {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials WHERE key = ?`, k).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			named = append(named, k)
		}
	}
	return named, nil
}
