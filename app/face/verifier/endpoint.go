package verifier

import (
	"context"
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
	// ChangePoll is how often the credential cache rereads the revision
	// while the change feed is down (or, without a feed, on requests): how
	// soon a change made elsewhere applies then.
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
// keysmith serve and the window both build it: a credential cache that
// follows c's change feed (falling back to the revision every ChangePoll
// while the feed is down; its changes of state are logged), a verifier
// with cfg.Verify and the replay window shared with the account's other
// verifiers (on a team database), and bookkeeping started (every
// FlushEvery); Close ends it.
func NewEndpoint(c *core.Core, log *logfmt.Logger, cfg Config) *Server {
	cfg.Verify.Clock = c.Clock
	if cfg.Verify.Skew <= 0 {
		cfg.Verify.Skew = verify.DefaultSkew
	}
	cfg.Verify.Shared = c.Verifiers.SharedReplays(cfg.Verify.Skew)
	cache := c.Credentials.NewCache(ChangePoll)
	s := New(c.Credentials, verify.New(cache, cfg.Verify), log, c.Clock)
	ctx, stop := context.WithCancel(context.Background())
	s.unfollow = stop
	cache.Follow(ctx, c.Watch, func(msg string, err error) {
		if err != nil {
			log.Warn(msg, "err", err.Error())
		} else {
			log.Info(msg)
		}
	})
	s.TrustProxy(cfg.TrustProxy)
	if cfg.RequestLog != nil {
		s.LogRequests(cfg.RequestLog)
	}
	s.Start(FlushEvery)
	return s
}
