package team

import (
	"net"
	"net/url"
	"strings"

	"keysmith/app/core/errs"
	"keysmith/app/core/input"
)

// allowedParams are the only query parameters an address may carry, each
// once: the driver reads others (service files, password files, client
// keys, a host that overrides the address's own) that would let an address
// point elsewhere than it shows.
var allowedParams = map[string]bool{"sslmode": true, "sslrootcert": true, "connect_timeout": true, "application_name": true, "host": true}

// CheckDatabaseURL checks the address of a team database: a postgres:// (or
// postgresql://) URL with one host and a database name, and only the query
// parameters sslmode, sslrootcert, connect_timeout, application_name and
// (for a Unix socket directory, when the URL names no host) host, each at
// most once. It returns the URL without its password, and the password
// apart, so that neither a file nor a log line holds it in the address. A
// database on another machine must be reached over TLS that checks its
// certificate (sslmode verify-full, or verify-ca with the team's own
// authority in sslrootcert): the connection carries the database password
// and every credential's sealed state. A host on
// this machine, or a Unix socket, may use any sslmode.
func CheckDatabaseURL(s string) (clean, password string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", errs.Invalidf("database", "The database address %s; give one like postgres://keysmith@db.example.com/keysmith?sslmode=verify-full.", why)
	}
	if strings.TrimSpace(s) == "" {
		return bad("is empty")
	}
	if input.HasControl(s) || len(s) > 2048 {
		return bad("contains a control character or is too long")
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("is not a URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return bad("must start with postgres://")
	}
	if u.Opaque != "" || u.Fragment != "" {
		return bad("is not a URL")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("has a malformed query")
	}
	if q.Has("password") {
		if len(q["password"]) > 1 {
			return bad("gives password more than once")
		}
		password = q.Get("password")
		q.Del("password")
	}
	for k, vs := range q {
		if !allowedParams[k] {
			return bad("has the parameter " + k + ", which Keysmith does not take")
		}
		if len(vs) > 1 {
			return bad("gives " + k + " more than once")
		}
	}
	host := u.Hostname()
	if strings.Contains(u.Host, ",") {
		return bad("names several hosts")
	}
	if q.Has("host") {
		if host != "" || !strings.HasPrefix(q.Get("host"), "/") {
			return bad("gives a host parameter; put the host after postgres://")
		}
		host = q.Get("host") // a Unix socket directory
		if strings.Contains(host, ",") {
			return bad("names several hosts")
		}
	}
	if host == "" {
		return bad("names no host")
	}
	if name := strings.TrimPrefix(u.Path, "/"); name == "" || strings.Contains(name, "/") {
		return bad("names no database (the path after the host)")
	}
	if p, ok := u.User.Password(); ok {
		password = p
		u.User = url.User(u.User.Username())
	}
	mode := q.Get("sslmode")
	switch mode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return bad("has an unknown sslmode " + mode)
	}
	if !local(host) && mode != "verify-full" && mode != "verify-ca" {
		return bad("reaches another machine without checking its certificate: add sslmode=verify-full")
	}
	// verify-ca checks the chain but not the name: against the system's
	// authorities, any site with a public certificate would pass for the
	// database. It needs the team's own authority.
	if !local(host) && mode == "verify-ca" && (q.Get("sslrootcert") == "" || q.Get("sslrootcert") == "system") {
		return bad("uses sslmode=verify-ca without sslrootcert (the file of the authority that signed the database's certificate); add it, or use sslmode=verify-full")
	}
	u.RawQuery = q.Encode()
	return u.String(), password, nil
}

// local reports whether host is this machine: a loopback name or address,
// or a Unix socket directory.
func local(host string) bool {
	if strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
