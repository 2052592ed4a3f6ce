package desktop

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"
)

// Clipboard is the system clipboard; the window wires Wails' runtime.
type Clipboard interface {
	SetText(text string) error
	Text() (string, error)
}

// EventClipboard tells the window about copies: {clearAfterSeconds} after a
// copy, {cleared: true} once Keysmith cleared it. It never carries the text.
const EventClipboard = "clipboard"

// pendingTTL bounds how long an unconfirmed secret stays in memory.
const pendingTTL = 15 * time.Minute

type pending struct {
	key    string
	secret []byte
	at     time.Time
}

// clipKeeper holds secrets of open confirmations and owns what Keysmith puts
// on the clipboard: it remembers only a digest of the copied text, and
// clears the clipboard only if it still holds exactly that.
type clipKeeper struct {
	mu      sync.Mutex
	board   Clipboard
	after   func(time.Duration, func())
	emit    func(name string, data ...any)
	clock   func() time.Time
	pending map[int64]pending
	// passphrase is the passphrase of the invitation just written, held
	// like a secret while its dialog is open (with at zero when none).
	passphrase pending
	ours       *[sha256.Size]byte
	copies     int
}

func newClipKeeper(clock func() time.Time) *clipKeeper {
	return &clipKeeper{clock: clock, pending: map[int64]pending{}, emit: func(string, ...any) {},
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

func (k *clipKeeper) hold(id int64, key, secret string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.prune()
	k.pending[id] = pending{key: key, secret: []byte(secret), at: k.clock()}
}

func (k *clipKeeper) held(id int64) (key, secret string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.prune()
	p, ok := k.pending[id]
	return p.key, string(p.secret), ok
}

func (k *clipKeeper) prune() {
	for id, p := range k.pending {
		if k.clock().Sub(p.at) > pendingTTL {
			k.wipe(id)
		}
	}
	if k.clock().Sub(k.passphrase.at) > pendingTTL {
		k.wipePassphrase()
	}
}

// holdPassphrase keeps an invitation's passphrase for copying, in place of
// any other.
func (k *clipKeeper) holdPassphrase(pass string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.wipePassphrase()
	k.passphrase = pending{secret: []byte(pass), at: k.clock()}
}

// heldPassphrase returns the held passphrase, if any.
func (k *clipKeeper) heldPassphrase() (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.prune()
	return string(k.passphrase.secret), k.passphrase.secret != nil
}

func (k *clipKeeper) dropPassphrase() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.wipePassphrase()
}

// wipePassphrase overwrites and forgets the held passphrase; k.mu must be
// held.
func (k *clipKeeper) wipePassphrase() {
	clear(k.passphrase.secret)
	k.passphrase = pending{}
}

// wipe overwrites and forgets a held secret; k.mu must be held.
func (k *clipKeeper) wipe(id int64) {
	if p, ok := k.pending[id]; ok {
		clear(p.secret)
		delete(k.pending, id)
	}
}

func (k *clipKeeper) drop(id int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.wipe(id)
}

// forget drops every held secret and clears the clipboard if it still holds
// Keysmith's copy (sign-out, quit).
func (k *clipKeeper) forget() {
	k.mu.Lock()
	for id := range k.pending {
		k.wipe(id)
	}
	k.wipePassphrase()
	k.mu.Unlock()
	k.clearIfOurs(-1)
}

func (k *clipKeeper) copy(text string, clearAfter time.Duration) error {
	k.mu.Lock()
	board := k.board
	k.mu.Unlock()
	if board == nil {
		return errNoClipboard
	}
	if err := board.SetText(text); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(text))
	k.mu.Lock()
	k.ours = &sum
	k.copies++
	n := k.copies
	emit := k.emit
	k.mu.Unlock()
	emit(EventClipboard, map[string]any{"clearAfterSeconds": int(clearAfter / time.Second)})
	k.after(clearAfter, func() { k.clearIfOurs(n) })
	return nil
}

// clearIfOurs empties the clipboard if it still holds the text of copy n
// (-1: of any copy of Keysmith's).
func (k *clipKeeper) clearIfOurs(n int) {
	k.mu.Lock()
	board, ours, latest, emit := k.board, k.ours, k.copies, k.emit
	k.mu.Unlock()
	if board == nil || ours == nil || (n >= 0 && n != latest) {
		return // a later copy has its own timer
	}
	text, err := board.Text()
	if err != nil {
		return
	}
	now := sha256.Sum256([]byte(text))
	if subtle.ConstantTimeCompare(now[:], ours[:]) != 1 {
		return // the user copied something else since: leave it
	}
	if board.SetText("") == nil {
		k.mu.Lock()
		k.ours = nil
		k.mu.Unlock()
		emit(EventClipboard, map[string]any{"cleared": true})
	}
}
