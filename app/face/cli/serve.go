package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/verifiers"
	"keysmith/app/core/verify"
	"keysmith/app/face/logfmt"
	"keysmith/app/face/verifier"
)

// serveCommands: the verifier, online and offline.
func serveCommands() []command {
	return []command{
		{name: "serve", summary: "run the credential verification endpoint (Administrators)",
			usage: "[--listen " + verifier.DefaultListen + "] [--tls-cert FILE --tls-key FILE] [--skew 300s] [--reject-bodyless-replays] [--strict-method] [--trust-proxy]",
			help: "Answers every request: 200 with the credential's id, type, name and key when its\n" +
				"Authorization is valid (Basic, Legacy or HMAC as the MessageMedia SDKs send it), 401\n" +
				"otherwise. Works as an nginx auth_request target (X-Original-Method/-URI). Health:\n" +
				verifier.HealthPath + ". Stops cleanly on SIGINT or SIGTERM.",
			run: (*run).serve},
		{name: "verify", summary: "check one HTTP request's credentials offline (Administrators)",
			usage: "[--request FILE] [--skew 300s] [--strict-method] [--json]",
			help: "Reads one raw HTTP/1.1 request (request line, headers, blank line, body) from FILE or\n" +
				"standard input, with the same rules as serve, and prints whether its credentials are\n" +
				"accepted and, if not, why.\n" +
				"Exit status 1 when refused.",
			run: (*run).verifyRequest},
	}
}

func (r *run) serve(args []string) error {
	o := options("serve")
	listen := o.String("listen", verifier.DefaultListen, "address")
	cert := o.String("tls-cert", "", "TLS certificate file")
	key := o.String("tls-key", "", "TLS key file")
	skew := o.Duration("skew", verify.DefaultSkew, "allowed date difference for HMAC")
	strict := o.Bool("reject-bodyless-replays", false, "refuse a repeated signature even without a body")
	strictMethod := o.Bool("strict-method", false, strictMethodHelp)
	proxy := o.Bool("trust-proxy", false, "record X-Real-IP from a reverse proxy on this machine as the client address")
	if err := r.parse(o, args); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if err := checkSkew(*skew); err != nil {
		return err
	}
	if err := verifier.CheckListen(*listen, *cert != ""); err != nil {
		return usagef("%s", err.Error())
	}
	c, admin, err := r.signInAdmin()
	// A team database that is down as serve starts (a server booting
	// before it, a restart): serve waits for it rather than exit.
	for pause := time.Second; errors.Is(err, errs.ErrUnreachable); pause = min(2*pause, 30*time.Second) {
		fmt.Fprintf(r.env.Stderr, "keysmith serve: cannot reach the team database; trying again in %s\n", pause)
		wait, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		select {
		case <-time.After(pause):
		case <-wait.Done():
			stop()
			return err
		}
		stop()
		c, admin, err = r.signInAdmin()
	}
	if err != nil {
		return err
	}
	if r.env.ForgetPassword != nil {
		r.env.ForgetPassword() // serve runs for days: the password is not needed again
	}
	// The request log is buffered and flushed every 100 ms (and on exit), so
	// logging stays off the request path's critical section.
	logw := newFlushWriter(r.env.Stderr, 100*time.Millisecond)
	defer logw.Close()
	log := logfmt.New(logw, c.Clock)
	srv := verifier.NewEndpoint(c, log, verifier.Config{
		Verify:     verify.Options{Skew: *skew, RejectBodylessReplays: *strict, StrictMethod: *strictMethod},
		TrustProxy: *proxy, RequestLog: logw,
	})
	// Requests allocate little and briefly: collecting less often costs a
	// few MB and buys throughput.
	debug.SetGCPercent(400)
	// Legacy checks allocate argon2id buffers, which that percent would let
	// pile up: a soft heap limit keeps them near the guard's bound.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128<<20 + c.Credentials.LegacyMemory())
	}
	defer srv.Close()
	// The audit head file follows the log while serve runs, not only at exit.
	headCtx, stopHead := context.WithCancel(context.Background())
	defer stopHead()
	go c.KeepHeadSaved(headCtx, func(err error) { log.Warn("audit head not saved", "err", err.Error()) })

	var pair *tls.Certificate
	if *cert != "" {
		if pair, err = loadTLS(*cert, *key, c.Clock()); err != nil {
			return err
		}
		if fi, err := os.Stat(*key); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the --tls-key file can be read or changed by other users; make it private (chmod 600)", "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return errs.Invalidf("listen", "Cannot listen on %s: %s.", *listen, verifier.Unlistenable(err))
	}
	if pair != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}})
	}
	// Listed in the window's Settings > Verification until it stops.
	if err := srv.Announce(context.Background(), c.Verifiers, admin, verifiers.Serve, ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(r.env.Stdout, "Keysmith verifier listening on %s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
	return nil
}

// strictMethodHelp describes --strict-method of serve and verify.
const strictMethodHelp = "accept an HMAC signature only for the method it names (refuses the SDKs' PUT signed as POST)"

// signInAdmin signs in and requires an Administrator.
func (r *run) signInAdmin() (c *core.Core, id int64, err error) {
	c, id, err = r.signIn()
	if err != nil {
		return nil, 0, err
	}
	if _, err := c.Accounts.RequireAdmin(context.Background(), nil, id); err != nil {
		return nil, 0, err
	}
	return c, id, nil
}

// loadTLS reads the certificate chain and private key for serve, and says
// plainly what is wrong with them: a file that cannot be read, no PEM
// data, a key of another certificate, a certificate outside its dates.
func loadTLS(certFile, keyFile string, now time.Time) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, errs.Invalidf("tls-cert", "Cannot read --tls-cert %s: %s.", certFile, errs.SystemText(err))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, errs.Invalidf("tls-key", "Cannot read --tls-key %s: %s.", keyFile, errs.SystemText(err))
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	clear(keyPEM)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "tls: ")
		switch {
		case strings.Contains(msg, "switched"):
			return nil, errs.Invalidf("tls", "--tls-cert and --tls-key look swapped: %s holds a private key, not a certificate.", certFile)
		case strings.Contains(msg, "PEM data in certificate input"):
			return nil, errs.Invalidf("tls-cert", "--tls-cert %s holds no PEM certificate (-----BEGIN CERTIFICATE-----).", certFile)
		case strings.Contains(msg, "PEM data in key input"):
			return nil, errs.Invalidf("tls-key", "--tls-key %s holds no PEM private key (-----BEGIN ... PRIVATE KEY-----).", keyFile)
		case strings.Contains(msg, "does not match"):
			return nil, errs.Invalidf("tls-key", "The private key in %s does not belong to the certificate in %s.", keyFile, certFile)
		}
		return nil, errs.Invalidf("tls", "Cannot use --tls-cert %s with --tls-key %s: %s.", certFile, keyFile, msg)
	}
	if leaf := pair.Leaf; leaf != nil && (now.After(leaf.NotAfter) || now.Before(leaf.NotBefore)) {
		return nil, errs.Invalidf("tls-cert", "The certificate in %s is valid only from %s to %s UTC; clients would refuse it.",
			certFile, leaf.NotBefore.UTC().Format("2006-01-02"), leaf.NotAfter.UTC().Format("2006-01-02"))
	}
	return &pair, nil
}

// checkSkew bounds --skew: HMAC dates may differ by 1 second to 1 hour.
func checkSkew(d time.Duration) error {
	if d < time.Second || d > verify.MaxSkew {
		return usagef("--skew must be between 1s and 1h, like 300s")
	}
	return nil
}

func (r *run) verifyRequest(args []string) error {
	const name = "verify"
	o := options(name)
	file := o.String("request", "-", "raw HTTP request file, - for standard input")
	skew := o.Duration("skew", verify.DefaultSkew, "allowed date difference for HMAC")
	strictMethod := o.Bool("strict-method", false, strictMethodHelp)
	asJSON := o.json()
	if err := r.parse(o, args); err != nil {
		return err
	}
	if err := checkSkew(*skew); err != nil {
		return err
	}
	c, _, err := r.signInAdmin()
	if err != nil {
		return err
	}
	var in io.Reader = r.stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return usagef("cannot read %s", *file)
		}
		defer f.Close()
		in = f
	}
	req, err := verifier.ReadRequest(bufio.NewReader(in))
	if err != nil {
		return usagef("the input is not an HTTP/1.1 request: %s", err.Error())
	}
	ver := verify.New(c.Credentials.NewCache(0), verify.Options{Skew: *skew, StrictMethod: *strictMethod, Clock: c.Clock})
	cred, verr := ver.Verify(context.Background(), req)
	type verdict struct {
		Accepted bool   `json:"accepted"`
		Key      string `json:"key,omitempty"`
		Type     string `json:"type,omitempty"`
		Name     string `json:"name,omitempty"`
		Reason   string `json:"reason,omitempty"`
	}
	v := verdict{Accepted: verr == nil}
	if verr == nil {
		v.Key, v.Type, v.Name = cred.Key, string(cred.Type), cred.Name
	} else {
		v.Reason = verify.Reason(verr)
	}
	if err := r.output(*asJSON, v, func(w io.Writer) {
		if v.Accepted {
			fmt.Fprintf(w, "Accepted: %s key %s (%s).\n", cred.Type.Label(), v.Key, printable(v.Name))
		} else {
			fmt.Fprintf(w, "Refused: %s.\n", v.Reason)
		}
	}); err != nil {
		return err
	}
	if verr != nil {
		return errs.Invalidf("request", "The request's credentials were refused.")
	}
	return nil
}

// flushWriter buffers writes and flushes them every interval.
type flushWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newFlushWriter(w io.Writer, every time.Duration) *flushWriter {
	f := &flushWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f.mu.Lock()
				f.w.Flush()
				f.mu.Unlock()
			case <-f.stop:
				return
			}
		}
	}()
	return f
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Write(p)
}

// Close stops the ticker and flushes what is left.
func (f *flushWriter) Close() error {
	close(f.stop)
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Flush()
}
