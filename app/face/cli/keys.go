package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// keyCommands: API keys and Legacy credentials.
func keyCommands() []command {
	return []command{
		{name: "keys create", summary: "create a Basic or HMAC API key (Administrators)",
			usage: "--type basic|hmac --name NAME [--expires never|30d|90d|365d|YYYY-MM-DD] [--json]",
			help: "Creates an API key and secret and prints them. This is the only time the secret is\n" +
				"shown: store it now. If you lose it, roll the key or create a new one.",
			run: (*run).keysCreate},
		{name: "keys list", summary: "list API credentials (Administrators)", usage: "[--type basic|hmac|legacy] [--query TEXT] [--limit N] [--offset N] [--json]",
			help: "Lists credentials, newest first. Secrets are never shown.", run: (*run).keysList},
		{name: "keys verify", summary: "check every credential's stored state (Administrators)", usage: "[--json]",
			help: "Checks that each credential's stored state (type, key, status, expiry, secrets) is\n" +
				"what Keysmith last wrote, under keysmith.key, and lists those that are not. A\n" +
				"tampered credential authenticates nothing; delete it and issue a new one.\n" +
				"Exits 1 when any is tampered.",
			run: (*run).keysVerify},
		{name: "keys rename", summary: "rename a Basic or HMAC key (Administrators)", usage: "--key KEY --name NAME [--json]",
			help: "Changes the descriptive name of a key.", run: (*run).keysRename},
		{name: "keys disable", summary: "disable a credential (Administrators)", usage: "--key KEY [--json]",
			help: "Disables a credential: it stops working until enabled.",
			run:  func(r *run, a []string) error { return r.keysSetDisabled("keys disable", a, true) }},
		{name: "keys enable", summary: "enable a credential (Administrators)", usage: "--key KEY [--json]",
			help: "Enables a disabled credential.",
			run:  func(r *run, a []string) error { return r.keysSetDisabled("keys enable", a, false) }},
		{name: "keys delete", summary: "delete a credential (Administrators)", usage: "--key KEY --yes",
			help: "Deletes a credential and its secrets. --yes confirms.",
			run:  func(r *run, a []string) error { return r.credDelete("keys delete", "key", a) }},
		{name: "keys roll", summary: "give a key a new secret (Administrators)", usage: "--key KEY --grace 0|1h|24h|7d [--json]",
			help: "Creates a new secret for the key and prints it once. Earlier secrets keep working\nfor the grace period at most (0: they stop at once).",
			run:  (*run).keysRoll},
		{name: "legacy create", summary: "create a Legacy username and password (Administrators)",
			usage: "--username NAME [--expires never|30d|90d|365d|YYYY-MM-DD] [--json] < password",
			help: "Creates a Legacy credential. Username: 5 to 50 lowercase letters or digits.\n" +
				"Password (standard input, or asked twice on a terminal): 6-50 letters and digits\nwith at least one upper-case letter.",
			run: (*run).legacyCreate},
		{name: "legacy set-password", summary: "change a Legacy password (Administrators)", usage: "--username NAME [--json] < password",
			help: "Changes a Legacy credential's password, read from standard input (one line), or\nasked twice on a terminal.",
			run:  (*run).legacySetPassword},
		{name: "legacy list", summary: "list Legacy credentials (Administrators)", usage: "[--query TEXT] [--json]",
			help: "Lists Legacy usernames. Passwords are never shown.", run: (*run).legacyList},
		{name: "legacy delete", summary: "delete a Legacy credential (Administrators)", usage: "--username NAME --yes",
			help: "Deletes a Legacy credential. --yes confirms.",
			run:  func(r *run, a []string) error { return r.credDelete("legacy delete", "username", a) }},
	}
}

// secretJSON is what create and roll print with --json.
type secretJSON struct {
	views.CredentialView
	Secret string `json:"secret"`
}

// printSecret prints a new secret once. When it cannot be written the
// change stands, so the error says how to get another secret: roll with
// grace (for a roll, the grace the user chose, so the secrets in use keep
// working).
func (r *run) printSecret(asJSON bool, c credentials.Credential, secret, verb, grace string) error {
	v := views.Credential(c, r.core.Clock())
	err := r.output(asJSON, secretJSON{v, secret}, func(w io.Writer) {
		fmt.Fprintf(w, "%s %s key %q.\n\nAPI Key:    %s\nAPI Secret: %s\n\n", verb, v.TypeLabel, printable(v.Name), v.Key, secret)
		fmt.Fprintln(w, "This is the only time the API Secret is shown. Store it now; if you lose it,\nroll the key or create a new key/secret pair.")
	})
	if err != nil {
		// The change is committed and the secret cannot be shown again.
		return errs.Invalidf("output", "%s %s key %q (%s), but its API Secret could not be written to standard output, so it is lost. Roll the key to get a new one: keysmith keys roll --key %s --grace %s",
			verb, v.TypeLabel, printable(v.Name), v.Key, v.Key, grace)
	}
	return nil
}

func (r *run) keysCreate(args []string) error {
	const name = "keys create"
	o := options(name)
	typ := o.need("type", "basic or hmac")
	label := o.need("name", "descriptive name")
	expires := o.String("expires", "", "expiry")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	t, err := credentials.ParseType(*typ)
	if err != nil {
		return usagef("Type must be basic or hmac (Legacy credentials: keysmith legacy create).")
	}
	exp, err := credentials.ParseExpiry(*expires, c.Clock())
	if err != nil {
		return asUsage(err)
	}
	if err := r.checkSecretOutput(); err != nil {
		return err
	}
	cred, secret, err := c.Credentials.Create(context.Background(), id, t, *label, exp)
	if err != nil {
		return err
	}
	return r.printSecret(*asJSON, cred, secret, "Created", "0") // nothing uses it yet
}

func (r *run) listCredentials(name string, args []string, fixed credentials.Type) error {
	o := options(name)
	typ := new(string)
	if fixed == "" {
		typ = o.String("type", "", "basic, hmac or legacy")
	}
	query := o.String("query", "", "filter text")
	limit, offset := page(o, 100, 1000)
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	t := fixed
	if t == "" && *typ != "" {
		if t, err = credentials.ParseType(*typ); err != nil {
			return asUsage(err)
		}
	}
	cs, total, err := c.Credentials.List(context.Background(), id, credentials.Filter{Type: t, Query: *query, Limit: *limit, Offset: *offset})
	if err != nil {
		return err
	}
	page := views.CredentialPage{Items: []views.CredentialView{}, Total: total}
	for _, cr := range cs {
		page.Items = append(page.Items, views.Credential(cr, c.Clock()))
	}
	err = r.output(*asJSON, page, func(w io.Writer) {
		table(w, "TYPE\tNAME\tKEY\tSTATUS\tCREATED\tLAST USED\tEXPIRES", page.Items, func(v views.CredentialView) []any {
			return []any{v.TypeLabel, printable(v.Name), v.Key, v.Status, v.CreatedAt, orText(v.LastUsedAt, "never"), orText(v.ExpiresAt, "never")}
		})
		fmt.Fprintf(w, "%d of %d credentials.\n", len(page.Items), total)
	})
	if err == nil {
		r.warnTampered(cs)
	}
	return err
}

// warnTampered says on standard error which listed credentials are
// tampered and what to do.
func (r *run) warnTampered(cs []credentials.Credential) {
	for _, c := range cs {
		if c.Tampered {
			fmt.Fprintf(r.env.Stderr, "Warning: the stored state of %s does not verify: it was changed outside Keysmith. It authenticates nothing; delete it and issue a new credential.\n", c.Key)
		}
	}
}

// warnWeak says on standard error when a Legacy password just set is easy
// to guess.
func (r *run) warnWeak(username, password string) {
	if w := credentials.LegacyPasswordWarning(username, password); w != "" {
		fmt.Fprintln(r.env.Stderr, "Warning: "+w)
	}
}

// tamperedJSON is what keys verify prints with --json.
type tamperedJSON struct {
	Checked  int                    `json:"checked"`
	Tampered []views.CredentialView `json:"tampered"`
}

func (r *run) keysVerify(args []string) error {
	o := options("keys verify")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	checked, bad, err := c.Credentials.VerifyAll(context.Background(), id)
	if err != nil {
		return err
	}
	out := tamperedJSON{Checked: checked, Tampered: []views.CredentialView{}}
	for _, cr := range bad {
		out.Tampered = append(out.Tampered, views.Credential(cr, c.Clock()))
	}
	if err := r.output(*asJSON, out, func(w io.Writer) {
		if len(bad) == 0 {
			fmt.Fprintf(w, "Credential state intact: %d credentials checked.\n", checked)
		}
	}); err != nil {
		return err
	}
	if len(bad) > 0 {
		keys := make([]string, len(bad))
		for i, cr := range bad {
			keys[i] = cr.Key
		}
		return errs.Invalidf("state", "%d of %d credentials have a stored state that does not verify (changed outside Keysmith): %s. They authenticate nothing; delete them and issue new ones.",
			len(bad), checked, strings.Join(keys, ", "))
	}
	return nil
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func (r *run) keysList(args []string) error { return r.listCredentials("keys list", args, "") }
func (r *run) legacyList(args []string) error {
	return r.listCredentials("legacy list", args, credentials.Legacy)
}

// credTarget parses args into o with --json and the option by (key or
// username), signs in and finds the credential it names.
func (r *run) credTarget(o *opts, by string, args []string) (c credentials.Credential, id int64, asJSON bool, err error) {
	v, j := o.need(by, "the "+by+" of what to act on"), o.json()
	if _, id, err = r.signedIn(o, args); err != nil {
		return c, 0, false, err
	}
	key, asJSON := *v, *j
	c, err = r.core.Credentials.ByKey(context.Background(), id, key)
	if by == "username" {
		err = notFound(err, "No Legacy credential has the username %s (legacy list shows them).", printable(key))
	} else {
		err = notFound(err, "No credential has the key %s (keys list shows them).", printable(key))
	}
	if err == nil && by == "username" && c.Type != credentials.Legacy {
		// legacy commands touch Legacy credentials only.
		return c, id, asJSON, errs.Invalidf("username", "%s is a %s key, not a Legacy username; the keys commands manage it.", c.Key, c.Type.Label())
	}
	return c, id, asJSON, err
}

func (r *run) printCredential(asJSON bool, c credentials.Credential, verb string) error {
	v := views.Credential(c, r.core.Clock())
	return r.output(asJSON, v, func(w io.Writer) {
		fmt.Fprintf(w, "%s %s %q (%s, %s).\n", verb, v.TypeLabel, printable(v.Name), v.Key, v.Status)
	})
}

func (r *run) keysRename(args []string) error {
	o := options("keys rename")
	label := o.need("name", "new name")
	c, id, asJSON, err := r.credTarget(o, "key", args)
	if err != nil {
		return err
	}
	c, err = r.core.Credentials.Rename(context.Background(), id, c.ID, *label)
	if err != nil {
		return err
	}
	return r.printCredential(asJSON, c, "Renamed")
}

func (r *run) keysSetDisabled(name string, args []string, disabled bool) error {
	c, id, asJSON, err := r.credTarget(options(name), "key", args)
	if err != nil {
		return err
	}
	c, err = r.core.Credentials.SetDisabled(context.Background(), id, c.ID, disabled)
	if err != nil {
		return err
	}
	verb := "Enabled"
	if disabled {
		verb = "Disabled"
	}
	return r.printCredential(asJSON, c, verb)
}

func (r *run) credDelete(name, by string, args []string) error {
	o := options(name)
	o.confirm()
	c, id, _, err := r.credTarget(o, by, args)
	if err != nil {
		return err
	}
	if err := r.core.Credentials.Delete(context.Background(), id, c.ID); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "Deleted %s %q (%s).\n", c.Type.Label(), printable(c.Name), c.Key)
	return nil
}

func (r *run) keysRoll(args []string) error {
	o := options("keys roll")
	var g time.Duration
	grace := o.need("grace", "how long earlier secrets keep working: 0, 1h, 24h or 7d")
	o.then(func() (err error) {
		g, err = credentials.ParseGrace(*grace)
		return asUsage(err)
	})
	c, id, asJSON, err := r.credTarget(o, "key", args)
	if err != nil {
		return err
	}
	if err := r.checkSecretOutput(); err != nil {
		return err
	}
	c, secret, err := r.core.Credentials.Roll(context.Background(), id, c.ID, g)
	if err != nil {
		return err
	}
	return r.printSecret(asJSON, c, secret, "Rolled", *grace)
}

func (r *run) legacyCreate(args []string) error {
	o := options("legacy create")
	username := o.need("username", "username")
	expires := o.String("expires", "", "expiry")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	if _, err := c.Accounts.RequireAdmin(context.Background(), nil, id); err != nil {
		return err
	}
	if err := credentials.CheckUsername(*username); err != nil {
		return err
	}
	exp, err := credentials.ParseExpiry(*expires, c.Clock())
	if err != nil {
		return asUsage(err)
	}
	pw, err := r.newPassword("Password")
	if err != nil {
		return err
	}
	cred, err := c.Credentials.CreateLegacy(context.Background(), id, *username, pw, exp)
	if err != nil {
		return err
	}
	r.warnWeak(*username, pw)
	return r.printCredential(*asJSON, cred, "Created")
}

func (r *run) legacySetPassword(args []string) error {
	c, id, asJSON, err := r.credTarget(options("legacy set-password"), "username", args)
	if err != nil {
		return err
	}
	pw, err := r.newPassword("New password")
	if err != nil {
		return err
	}
	c, err = r.core.Credentials.SetLegacyPassword(context.Background(), id, c.ID, pw)
	if err != nil {
		return err
	}
	r.warnWeak(c.Key, pw)
	return r.printCredential(asJSON, c, "Changed the password of")
}
