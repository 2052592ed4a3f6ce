// Package team carries an account to another machine. An administrator
// issues an invitation: the team database's address (and, optionally, its
// password) and the account key, sealed in the age format to a one-time
// passphrase. A machine joins with the file and the passphrase.
//
// Guarantees:
//   - The account key and the database password leave a machine only inside
//     an invitation, sealed to a passphrase of at least 120 bits when
//     Keysmith draws it (NewPassphrase), or one that passes the vault's
//     passphrase rules when the administrator gives it.
//   - Opening an invitation costs at most maxWork of scrypt (2^18, the work
//     Seal writes: about 256 MiB and a second) and
//     64 KiB of memory for its contents, whatever the file.
//   - An invitation names its expiry (InvitationLifetime after it is issued)
//     and its id; Open refuses an expired one, and core.Join one whose id
//     already joined. These are Keysmith's checks, not cryptography: the
//     file and its passphrase together hold the account key itself, which
//     whoever has both can take out with age -d. Keep them apart, and delete
//     the file once the machine has joined.
//   - The database address of an invitation passes CheckDatabaseURL.
package team

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"keysmith/app/core/agefile"
	"keysmith/app/core/errs"
	"keysmith/app/core/input"
	"keysmith/app/core/vault"
)

// InvitationLifetime is how long an invitation may be used.
const InvitationLifetime = 7 * 24 * time.Hour

// MaxInvitationFile bounds an invitation file (they hold well under 2 KiB).
const MaxInvitationFile = 64 << 10

const (
	format   = "keysmith-team-invitation"
	maxPlain = 16 << 10
	maxWork  = 18 // what Seal (age's default) writes; a file asking more is refused unopened
	keySize  = 32
)

// FileKind names invitation files in messages.
var FileKind = agefile.Kind{Noun: "invitation", Example: "keysmith-invitation.age"}

// Invitation is what a machine needs to join the account.
type Invitation struct {
	ID       string    `json:"id"`      // 128 random bits, hex
	Account  string    `json:"account"` // the account's name, to show before joining
	By       string    `json:"by"`      // who issued it
	Database string    `json:"database"`
	Password string    `json:"password,omitempty"` // the database password, when the joiner is to use it
	Key      []byte    `json:"key"`                // the account key (keyfile.Key.Export)
	Issued   time.Time `json:"issued"`
	Expires  time.Time `json:"expires"`
}

// document is the sealed JSON: the invitation and its format.
type document struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Invitation
}

// New returns an invitation to the account for database, issued now by by,
// with a fresh id.
func New(account, by, database, password string, key []byte, now time.Time) (Invitation, error) {
	clean, inURL, err := CheckDatabaseURL(database)
	if err != nil {
		return Invitation{}, err
	}
	if inURL != "" {
		password = inURL
	}
	if len(key) != keySize {
		return Invitation{}, errors.New("team: the account key must be 32 bytes")
	}
	id := make([]byte, 16)
	rand.Read(id)
	return Invitation{ID: hex.EncodeToString(id), Account: account, By: by, Database: clean, Password: password,
		Key: append([]byte(nil), key...), Issued: now.UTC(), Expires: now.UTC().Add(InvitationLifetime)}, nil
}

// Seal encrypts inv to passphrase, which must pass the vault's passphrase
// rules (vault.CheckPassphrase); NewPassphrase draws one that does.
func Seal(inv Invitation, passphrase string) ([]byte, error) {
	if err := vault.CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	plain, err := json.Marshal(document{Format: format, Version: 1, Invitation: inv})
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return agefile.Seal(plain, passphrase)
}

// Open decrypts an invitation with passphrase and checks it: its format, its
// key, its database address, and that it has not expired at now.
func Open(data []byte, passphrase string, now time.Time) (Invitation, error) {
	plain, err := agefile.Open(data, passphrase, maxWork, maxPlain)
	switch {
	case errors.Is(err, agefile.ErrWrongPassphrase):
		return Invitation{}, errs.Invalidf("passphrase", "The invitation's passphrase is wrong.")
	case err != nil:
		return Invitation{}, errs.Invalidf("invitation", "The file is not a Keysmith invitation, or it is damaged; ask for a new one.")
	}
	defer clear(plain)
	return decode(plain, now)
}

// decode parses and checks an opened invitation.
func decode(plain []byte, now time.Time) (Invitation, error) {
	var doc document
	if err := json.Unmarshal(plain, &doc); err != nil || doc.Format != format {
		return Invitation{}, errs.Invalidf("invitation", "The file is not a Keysmith invitation, or it is damaged; ask for a new one.")
	}
	if doc.Version != 1 {
		return Invitation{}, errs.Invalidf("invitation", "This invitation was made by a newer version of Keysmith; update Keysmith to join.")
	}
	inv := doc.Invitation
	id, err := hex.DecodeString(inv.ID)
	switch {
	case err != nil || len(id) != 16 || len(inv.Key) != keySize || inv.Issued.IsZero() || !inv.Expires.After(inv.Issued),
		!shown(inv.Account) || !shown(inv.By):
		return Invitation{}, errs.Invalidf("invitation", "The file is not a Keysmith invitation, or it is damaged; ask for a new one.")
	case !now.Before(inv.Expires):
		return Invitation{}, errs.Invalidf("invitation", "This invitation expired on %s; ask for a new one.", inv.Expires.Format(time.DateOnly))
	}
	if _, _, err := CheckDatabaseURL(inv.Database); err != nil {
		return Invitation{}, err
	}
	return inv, nil
}

// shown reports whether s may be shown and audited as a name: 1 to 300
// bytes of text without control characters.
func shown(s string) bool {
	return s != "" && len(s) <= 300 && utf8.ValidString(s) && !input.HasControl(s)
}

// crockford is Crockford's base32 alphabet: no I, L, O or U to misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewPassphrase draws a passphrase from crypto/rand: 6 groups of 5
// characters of Crockford's base32 (150 bits), such as
// "7KQ2M-X9D4R-…", easy to read aloud and to type.
func NewPassphrase() string {
	b := make([]byte, 30)
	rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(crockford[c&31])
	}
	return sb.String()
}
