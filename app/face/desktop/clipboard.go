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
// copy (with extendable: true for a secret shown once), {held: true} after
// a copy of a secret shown once whose confirmation is still open (no timer
// runs), {kept: true} once the user chose to keep it, and {cleared: true}
// once Keysmith cleared it. It never carries the text.
const EventClipboard = "clipboard"

// OneTimeClear is how long a copy of a secret shown once stays on the
// clipboard after its confirmation closes (until then no timer runs), and
// how much longer each Extend keeps it: time to paste it where it goes,
// which ordinary copies (the account's clipboard delay) would not leave.
const OneTimeClear = 5 * time.Minute

// Holders of a value shown once besides a credential's confirmation (its
// id): the invitation's passphrase and a new recovery code.
const (
	passphraseHolder = -1
	recoveryHolder   = -2
)

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
	mu    sync.Mutex
	board Clipboard
	after func(time.Duration, func())
	emit  func(name string, data ...any)
	clock func() time.Time
	// pending holds the values shown once whose dialogs are open: a new
	// credential's secret (by its id), the invitation's passphrase
	// (passphraseHolder), a new recovery code (recoveryHolder).
	pending map[int64]pending
	ours    *[sha256.Size]byte
	copies  int
	// holder is the confirmation whose open dialog keeps the latest copy
	// on the clipboard (a credential id, passphraseHolder), 0 for none;
	// oneTime marks that copy as a secret shown once (extendable).
	holder  int64
	oneTime bool
	// timer counts the clearings scheduled: a timer clears only while it
	// is the latest (a copy, Extend and Keep each start a new count).
	timer int
}

func newClipKeeper(clock func() time.Time) *clipKeeper {
	return &clipKeeper{clock: clock, pending: map[int64]pending{}, emit: func(string, ...any) {},
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// hold keeps a value shown once while its dialog is open, in place of
// any other of id.
func (k *clipKeeper) hold(id int64, key, secret string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.prune()
	k.wipe(id)
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
}

// wipe overwrites and forgets a held secret; k.mu must be held.
func (k *clipKeeper) wipe(id int64) {
	if p, ok := k.pending[id]; ok {
		clear(p.secret)
		delete(k.pending, id)
	}
}

// drop forgets the secret of a closed confirmation and, if its copy is
// still on the clipboard, starts its clearing (OneTimeClear).
func (k *clipKeeper) drop(id int64) {
	k.mu.Lock()
	k.wipe(id)
	k.mu.Unlock()
	k.release(id)
}

// forget drops every held secret and clears the clipboard if it still holds
// Keysmith's copy (sign-out, quit).
func (k *clipKeeper) forget() {
	k.mu.Lock()
	for id := range k.pending {
		k.wipe(id)
	}
	k.mu.Unlock()
	k.clearIfOurs(-1)
}

// copy puts text on the clipboard and clears it after clearAfter if it
// still holds text then.
func (k *clipKeeper) copy(text string, clearAfter time.Duration) error {
	return k.put(text, 0, clearAfter)
}

// copyHeld puts a secret shown once on the clipboard for the confirmation
// holder: no timer runs while it is open; when it closes (drop), the
// clipboard is cleared after OneTimeClear, which the user may extend
// (Extend) or call off (Keep).
func (k *clipKeeper) copyHeld(text string, holder int64) error {
	return k.put(text, holder, 0)
}

func (k *clipKeeper) put(text string, holder int64, clearAfter time.Duration) error {
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
	k.holder, k.oneTime = holder, holder != 0
	emit := k.emit
	k.mu.Unlock()
	if holder != 0 {
		k.mu.Lock()
		k.timer++ // a clearing of an earlier copy stops here
		k.mu.Unlock()
		emit(EventClipboard, map[string]any{"held": true})
		return nil
	}
	k.schedule(clearAfter, false)
	return nil
}

// schedule starts the clearing of the latest copy after d, in place of any
// other, and tells the window.
func (k *clipKeeper) schedule(d time.Duration, extendable bool) {
	k.mu.Lock()
	k.timer++
	n, t, emit, after := k.copies, k.timer, k.emit, k.after
	k.mu.Unlock()
	news := map[string]any{"clearAfterSeconds": int(d / time.Second)}
	if extendable {
		news["extendable"] = true
	}
	emit(EventClipboard, news)
	after(d, func() {
		k.mu.Lock()
		current := k.timer == t
		k.mu.Unlock()
		if current {
			k.clearIfOurs(n)
		}
	})
}

// release starts the clearing of the copy that holder's confirmation kept
// on the clipboard, now that it closed.
func (k *clipKeeper) release(holder int64) {
	k.mu.Lock()
	mine := k.holder == holder && k.ours != nil
	if mine {
		k.holder = 0
	}
	k.mu.Unlock()
	if mine {
		k.schedule(OneTimeClear, true)
	}
}

// extend keeps the latest copy of a secret shown once for OneTimeClear
// from now; false when there is none on the clipboard any more, or its
// confirmation is still open (no timer runs then).
func (k *clipKeeper) extend() bool {
	k.mu.Lock()
	ok := k.ours != nil && k.oneTime && k.holder == 0
	k.mu.Unlock()
	if ok {
		k.schedule(OneTimeClear, true)
	}
	return ok
}

// keep calls off the clearing of the latest copy of a secret shown once:
// the clipboard becomes the user's, and neither a timer nor sign-out
// clears it. False when there is no such copy on the clipboard.
func (k *clipKeeper) keep() bool {
	k.mu.Lock()
	ok := k.ours != nil && k.oneTime
	if ok {
		k.timer++
		k.ours, k.holder, k.oneTime = nil, 0, false
	}
	emit := k.emit
	k.mu.Unlock()
	if ok {
		emit(EventClipboard, map[string]any{"kept": true})
	}
	return ok
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
		k.ours, k.holder, k.oneTime = nil, 0, false
		k.mu.Unlock()
		emit(EventClipboard, map[string]any{"cleared": true})
	}
}
