package verifier

import (
	"io"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/verify"
	"keysmith/app/face/logfmt"
)

// The endpoint's defaults, for every face that runs it.
const (
	DefaultPort   = 8787
	DefaultListen = "127.0.0.1:8787"
	// ChangePoll is how soon a credential change made by any process
	// applies: the credential cache rechecks the revision this often.
	ChangePoll = 250 * time.Millisecond
	// FlushEvery is how often last uses and refusals are recorded.
	FlushEvery = time.Second
)

// Config is what a face chooses of the endpoint; the zero value is the
// default (verify's defaults, the peer's address, no request log).
type Config struct {
	Verify     verify.Options // its Clock and Shared are set by NewEndpoint
	TrustProxy bool           // see Server.TrustProxy
	RequestLog io.Writer      // one line per request, or nil
}

// NewEndpoint assembles the verification endpoint over c, the one way
// keysmith serve and the window both build it: a credential cache polled
// every ChangePoll, a verifier with cfg.Verify and the replay window shared
// with the account's other verifiers (on a team database), and bookkeeping
// started (every FlushEvery); Close ends it.
func NewEndpoint(c *core.Core, log *logfmt.Logger, cfg Config) *Server {
	cfg.Verify.Clock = c.Clock
	cfg.Verify.Shared = c.Verifiers.SharedReplays()
	s := New(c.Credentials, verify.New(c.Credentials.NewCache(ChangePoll), cfg.Verify), log, c.Clock)
	s.TrustProxy(cfg.TrustProxy)
	if cfg.RequestLog != nil {
		s.LogRequests(cfg.RequestLog)
	}
	s.Start(FlushEvery)
	return s
}
