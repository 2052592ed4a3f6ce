package team

import (
	"net"
	"net/url"
	"strings"

	"keysmith/app/core/errs"
	"keysmith/app/core/input"
)

// CheckDatabaseURL checks the address of a team database: a postgres:// (or
// postgresql://) URL with a host and a database name. It returns the URL
// without its password, and the password apart, so that neither a file nor
// a log line holds it in the address. A database on another machine must be
// reached over TLS that checks its certificate (sslmode verify-full or
// verify-ca): the connection carries the database password and every
// credential's sealed state. A host on this machine, or a Unix socket, may
// use any sslmode.
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
	q := u.Query()
	host := u.Hostname()
	if host == "" {
		host = q.Get("host") // a Unix socket directory, or a host given as a parameter
	}
	if host == "" {
		return bad("names no host")
	}
	if name := strings.TrimPrefix(u.Path, "/"); name == "" || strings.Contains(name, "/") {
		return bad("names no database (the path after the host)")
	}
	if q.Has("password") {
		password = q.Get("password")
		q.Del("password")
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
