package verifier

import (
	"context"
	"io"
	"time"

	"keysmith/app/core/credentials"
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
	Verify     verify.Options // its Clock is set to the endpoint's
	TrustProxy bool           // see Server.TrustProxy
	RequestLog io.Writer      // one line per request, or nil
	// Watch is the database's change feed (core.Core.Watch): the cache
	// follows it (credentials.Cache.Follow). Without it the cache rereads the
	// revision on requests, at most every ChangePoll.
	Watch credentials.Watch
}

// NewEndpoint assembles the verification endpoint over creds, the one way
// keysmith serve and the window both build it: a credential cache that
// follows cfg.Watch (falling back to the revision every ChangePoll; its
// changes of state are logged), a verifier with cfg.Verify, and
// bookkeeping started (every FlushEvery); Close ends it.
func NewEndpoint(creds *credentials.Service, log *logfmt.Logger, clock func() time.Time, cfg Config) *Server {
	cfg.Verify.Clock = clock
	cache := creds.NewCache(ChangePoll)
	s := New(creds, verify.New(cache, cfg.Verify), log, clock)
	if cfg.Watch != nil {
		ctx, stop := context.WithCancel(context.Background())
		s.unfollow = stop
		cache.Follow(ctx, cfg.Watch, func(msg string, err error) {
			if err != nil {
				log.Warn(msg, "err", err.Error())
			} else {
				log.Info(msg)
			}
		})
	}
	s.TrustProxy(cfg.TrustProxy)
	if cfg.RequestLog != nil {
		s.LogRequests(cfg.RequestLog)
	}
	s.Start(FlushEvery)
	return s
}
