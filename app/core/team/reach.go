package team

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"keysmith/app/core/errs"
)

// Explain returns err, a failure to open the team database, as a face can
// explain it: errs.ErrUnreachable when the server could not be reached (no
// route, no answer, a name that does not resolve, a connection refused or
// cut, too long a wait); an *errs.Invalid for the password field when the
// server refused the user name or password (SQLSTATE class 28), and for
// the database field when it has no such database (3D000) or its TLS
// certificate did not verify. Anything else is returned as it is.
// SQLSTATE codes are the SQL standard's, not one driver's: the error is
// asked for them through the SQLState method drivers give their server
// errors.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var state interface{ SQLState() string }
	if errors.As(err, &state) {
		switch code := state.SQLState(); {
		case strings.HasPrefix(code, "28"):
			return errs.Invalidf("password", "The team database refused its user name or password; check the database password and try again.")
		case code == "3D000":
			return errs.Invalidf("database", "The team database server has no database of that name; ask an Administrator to check the address.")
		}
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return errs.Invalidf("database", "The team database server's certificate could not be verified (sslmode verify-full or verify-ca); ask an Administrator to check the address and the server's certificate.")
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", errs.ErrUnreachable, err)
	}
	return err
}

// Address is what a face shows of a team database's address: never its
// password.
type Address struct {
	Host     string // a host name or address, or a Unix socket directory
	Port     string // "" for the default, 5432
	Database string
	User     string // "" for the operating system user's name
	SSLMode  string // as given; "" means the driver's default, prefer
}

// Describe splits a database address that passed CheckDatabaseURL into
// what a face shows; a password in it is dropped.
func Describe(address string) (Address, error) {
	clean, _, err := CheckDatabaseURL(address)
	if err != nil {
		return Address{}, err
	}
	u, err := url.Parse(clean)
	if err != nil {
		return Address{}, err
	}
	q := u.Query()
	a := Address{Host: u.Hostname(), Port: u.Port(), Database: strings.TrimPrefix(u.Path, "/"), User: u.User.Username(), SSLMode: q.Get("sslmode")}
	if a.Host == "" {
		a.Host = q.Get("host")
	}
	return a, nil
}
