package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/secretfile"
	"keysmith/app/core/team"
)

// open opens the core once.
func (r *run) open(create bool) (*core.Core, error) {
	if r.core != nil {
		return r.core, nil
	}
	dir, err := core.DataDir(r.dataDir)
	if err != nil {
		return nil, err
	}
	// Only init makes a data directory; other commands say it is missing.
	switch fi, err := os.Stat(dir); {
	case err == nil && !fi.IsDir():
		return nil, errs.Invalidf("data-dir", "%s is not a directory; choose the data directory with --data-dir.", dir)
	case errors.Is(err, fs.ErrNotExist) && !create:
		return nil, errs.Invalidf("data-dir", "There is no Keysmith data in %s yet: create the account with keysmith init, or choose the data directory with --data-dir.", dir)
	}
	opt := r.env.Options
	if opt.Getenv == nil {
		opt.Getenv = r.env.Getenv
	}
	c, err := core.Open(context.Background(), dir, opt)
	if err != nil {
		return nil, err
	}
	r.core = c
	return c, nil
}

// openNew opens the data directory for init: on this computer, or on the
// team database at address (its password from the environment), which the
// directory's team settings then remember.
func (r *run) openNew(address string) (*core.Core, error) {
	if address == "" {
		return r.open(true)
	}
	dir, err := core.DataDir(r.dataDir)
	if err != nil {
		return nil, err
	}
	opt := r.env.Options
	opt.Getenv = r.env.Getenv
	c, err := core.OpenTeam(context.Background(), dir, address, r.env.Getenv(team.EnvDatabasePassword), opt)
	if err != nil {
		return nil, err
	}
	r.core = c
	return c, nil
}

// signIn authenticates from the environment or a terminal prompt.
func (r *run) signIn() (*core.Core, int64, error) {
	c, err := r.open(false)
	if err != nil {
		return nil, 0, err
	}
	if _, err := c.Accounts.Account(context.Background()); err != nil {
		return nil, 0, err
	}
	email, password := r.env.Getenv(EnvEmail), r.env.Getenv(EnvPassword)
	if file := r.env.Getenv(EnvPasswordFile); password == "" && file != "" {
		if password, err = secretfile.Read(file, EnvPasswordFile, "auth"); err != nil {
			return nil, 0, err
		}
	}
	if email == "" || password == "" {
		if !r.env.Terminal {
			return nil, 0, errs.Invalidf("auth", "Sign in by setting %s and %s or %s (or run in a terminal to be asked).", EnvEmail, EnvPassword, EnvPasswordFile)
		}
		if email == "" {
			fmt.Fprint(r.env.Stderr, "Email: ")
			line, err := r.stdin.ReadString('\n')
			if err != nil && line == "" {
				return nil, 0, errs.Invalidf("auth", "No email was entered.")
			}
			email = strings.TrimSpace(line)
		}
		if password == "" {
			if password, err = r.env.ReadSecret("Password: "); err != nil {
				return nil, 0, errs.Invalidf("auth", "No password was entered.")
			}
		}
	}
	u, err := c.Accounts.SignIn(context.Background(), email, password, "cli")
	if err != nil {
		return nil, 0, err
	}
	return c, u.ID, nil
}

// newPassword reads a new password: asked twice on a terminal, otherwise the
// first line of standard input.
func (r *run) newPassword(what string) (string, error) {
	if r.env.Terminal {
		p1, err := r.env.ReadSecret(what + ": ")
		if err != nil || p1 == "" {
			return "", errs.Invalidf("password", "No %s was entered.", strings.ToLower(what))
		}
		p2, err := r.env.ReadSecret("Confirm " + strings.ToLower(what[:1]) + what[1:] + ": ")
		if err != nil || p1 != p2 {
			return "", errs.Invalidf("confirm", "%s and confirmation do not match.", what)
		}
		return p1, nil
	}
	return r.stdinLine(errs.Invalidf("password", "%s must be given on standard input (one line).", what))
}

// stdinLine reads a secret from the first line of standard input (without
// its line end), or returns missing when there is none.
func (r *run) stdinLine(missing error) (string, error) {
	line, err := r.stdin.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", missing
	}
	return line, nil
}
