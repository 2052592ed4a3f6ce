package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"keysmith/app/core/keyfile"
)

// The one-time upgrades of a data directory written by an older Keysmith:
// password hashes wrapped in the pepper (accounts.Pepper), credential states
// sealed as found (credentials.Service.SealExisting), and the audit log's
// database anchor made over the entries present (audit.Log.SealUpgrade).
// Each of them trusts what the database holds, so each runs only while the
// upgrade marker beside the database says it has not run yet: someone who
// can write the database alone can make it look old (a lower schema
// version, older rows), but cannot write the marker, a MAC under a key
// derived from keysmith.key. A new data directory gets the marker at once.
//
// The marker is the file keysmith.upgraded: the level reached and its MAC.
// Residual: a directory copied without this file (only the database and
// the key file) runs the upgrades again; they then change only rows that do
// not already carry a pepper, a state MAC or an anchor, which a legitimate
// database of this version no longer has.
const (
	markerName   = "keysmith.upgraded"
	upgradeLevel = 1 // pepper, credential state, audit anchor
)

func markerMAC(key *keyfile.Key, level int) string {
	m := hmac.New(sha256.New, key.Derive("upgrade marker v1"))
	fmt.Fprintf(m, "keysmith data upgraded to level %d", level)
	return hex.EncodeToString(m.Sum(nil))
}

// upgraded is the level the marker in dir records under key: 0 when there
// is none, or when it does not verify (then the upgrades run again, which
// is safe as said above).
func upgraded(dir string, key *keyfile.Key) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, nil
	}
	level, err := strconv.Atoi(f[0])
	if err != nil || level < 1 || !hmac.Equal([]byte(f[1]), []byte(markerMAC(key, level))) {
		return 0, nil
	}
	return level, nil
}

// markUpgraded records level in dir's marker (0600, written whole under a
// temporary name, then renamed).
func markUpgraded(dir string, key *keyfile.Key, level int) error {
	tmp, err := os.CreateTemp(dir, ".keysmith-upgraded-*")
	if err != nil {
		return fmt.Errorf("upgrade marker: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = fmt.Fprintf(tmp, "%d %s\n", level, markerMAC(key, level))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, markerName))
	}
	if err != nil {
		return fmt.Errorf("upgrade marker: %w", err)
	}
	return nil
}

// finishUpgrade runs the upgrades that write through the services (after
// the whole-database check, when it was deferred), then records the marker.
func (c *Core) finishUpgrade(ctx context.Context) error {
	if !c.upgrading {
		return nil
	}
	if err := c.Credentials.SealExisting(ctx); err != nil {
		return fmt.Errorf("seal credential state: %w", err)
	}
	if err := c.audit.SealUpgrade(ctx, c.store.DB); err != nil {
		return fmt.Errorf("audit anchor: %w", err)
	}
	if err := markUpgraded(c.Dir, c.key, upgradeLevel); err != nil {
		return err
	}
	c.upgrading = false
	c.audit.Upgrading(false)
	return nil
}
