package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"keysmith/app/core/errs"
	"keysmith/app/core/vault"
	"keysmith/app/face/views"
)

// Environment variables the vault commands read.
const (
	EnvVaultPassphrase  = "KEYSMITH_VAULT_PASSPHRASE"
	EnvVaultRecovery    = "KEYSMITH_VAULT_RECOVERY"
	EnvExportPassphrase = "KEYSMITH_EXPORT_PASSPHRASE"
)

// vaultCommands: your own encrypted vault.
func vaultCommands() []command {
	secretNote := "\nThe vault passphrase comes from " + EnvVaultPassphrase + " or a terminal prompt; with a\nforgotten passphrase, " + EnvVaultRecovery + " holds the recovery code instead."
	return []command{
		{name: "vault init", summary: "set up your encrypted vault", usage: "[--recovery] [--json] < passphrase",
			help: "Creates your vault. The passphrase (10+ characters, common ones refused) is read from\n" +
				"standard input, or asked twice on a terminal. Keysmith cannot recover it; --recovery also\n" +
				"prints a one-time recovery code that opens the vault. Store it safely.",
			run: (*run).vaultInit},
		{name: "vault status", summary: "show whether you have a vault", usage: "[--json]",
			help: "Shows whether your vault exists, its item count and whether it has a recovery code.", run: (*run).vaultStatus},
		{name: "vault list", summary: "list vault items (no secrets)", usage: "[--query TEXT] [--json]",
			help: "Lists your vault's items by title, without secrets." + secretNote, run: (*run).vaultList},
		{name: "vault add", summary: "add a vault item", usage: "--title TITLE [--username U] [--url URL] [--notes TEXT] [--json] < secret",
			help: "Adds an item; its secret is read from standard input (a trailing newline is dropped)." + secretNote, run: (*run).vaultAdd},
		{name: "vault get", summary: "show a vault item", usage: "--id N [--show-secret] [--json]",
			help: "Shows an item; the secret is printed only with --show-secret." + secretNote, run: (*run).vaultGet},
		{name: "vault edit", summary: "change a vault item", usage: "--id N [--title T] [--username U] [--url URL] [--notes TEXT] [--secret-from-stdin]",
			help: "Changes the given fields of an item; --secret-from-stdin replaces its secret." + secretNote, run: (*run).vaultEdit},
		{name: "vault delete", summary: "delete a vault item", usage: "--id N --yes",
			help: "Deletes an item. --yes confirms." + secretNote, run: (*run).vaultDelete},
		{name: "vault passwd", summary: "change your vault passphrase", usage: "< new-passphrase",
			help: "Changes the vault passphrase (" + EnvVaultPassphrase + " holds the current one); the new one is\n" +
				"read from standard input, or asked twice on a terminal. Items are not re-encrypted.", run: (*run).vaultPasswd},
		{name: "vault recovery", summary: "replace or remove your vault recovery code", usage: "--new | --remove [--json]",
			help: "--new prints a new recovery code (the old one stops working); --remove deletes it." + secretNote, run: (*run).vaultRecovery},
		{name: "vault rotate-key", summary: "replace your vault's data key", usage: "[--json]",
			help: "Replaces the key your vault's items are encrypted under with a new random one and\n" +
				"re-encrypts every item, in one step that either completes or changes nothing. Your\n" +
				"passphrase and recovery code keep working. Do this if the vault may have been open on a\n" +
				"machine you no longer trust." + secretNote, run: (*run).vaultRotateKey},
		{name: "vault export", summary: "export your vault to an age file", usage: "--out FILE",
			help: "Writes every item to FILE (never overwritten), encrypted in the age format to an export\n" +
				"passphrase from " + EnvExportPassphrase + " or standard input; `age -d FILE` opens it." + secretNote, run: (*run).vaultExport},
		{name: "vault import", summary: "import an age vault export", usage: "--in FILE [--json]",
			help: "Merges an export into your vault, skipping exact duplicates. The export passphrase comes\n" +
				"from " + EnvExportPassphrase + " or standard input. A wrong passphrase or damaged file changes nothing." + secretNote,
			run: (*run).vaultImport},
	}
}

// secretInput reads a passphrase: env, else terminal prompt, else a line of
// standard input.
func (r *run) secretInput(env, prompt string) (string, error) {
	if v := r.env.Getenv(env); v != "" {
		return v, nil
	}
	if r.env.Terminal {
		v, err := r.env.ReadSecret(prompt + ": ")
		if err != nil || v == "" {
			return "", errs.Invalidf("passphrase", "No passphrase was entered.")
		}
		return v, nil
	}
	return r.stdinLine(errs.Invalidf("passphrase", "Give the passphrase in %s or on standard input.", env))
}

// inVault signs in, unlocks the user's vault, runs do on it and locks it
// again, whatever do returns.
func (r *run) inVault(o *opts, args []string, do func(v *vault.Session, id int64) error) error {
	v, id, err := r.openVault(o, args)
	if err != nil {
		return err
	}
	defer v.Lock()
	return do(v, id)
}

// openVault signs in and unlocks the user's vault.
func (r *run) openVault(o *opts, args []string) (*vault.Session, int64, error) {
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return nil, 0, err
	}
	if st, err := c.Vault.Status(context.Background(), id); err != nil {
		return nil, 0, err
	} else if !st.Exists {
		return nil, 0, errs.ErrNoVault
	}
	// A forgotten passphrase: the recovery code opens the vault instead
	// (vault passwd then sets a new passphrase).
	if code := r.env.Getenv(EnvVaultRecovery); code != "" { // it wins over a passphrase
		v, err := c.Vault.Unlock(context.Background(), id, code, true)
		if errors.Is(err, errs.ErrWrongPassphrase) {
			err = errs.Invalidf("recovery", "The recovery code in %s is wrong, or was replaced or removed.", EnvVaultRecovery)
		}
		return v, id, err
	}
	p, err := r.secretInput(EnvVaultPassphrase, "Vault passphrase")
	if err != nil {
		return nil, 0, err
	}
	v, err := c.Vault.Unlock(context.Background(), id, p, false)
	if errors.Is(err, errs.ErrWrongPassphrase) {
		err = errs.Invalidf("passphrase", "The vault passphrase is wrong. If you forgot it, give your recovery code in %s instead.", EnvVaultRecovery)
	}
	return v, id, err
}

func (r *run) vaultInit(args []string) error {
	o := options("vault init")
	recovery := o.Bool("recovery", false, "also create a recovery code")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	p := r.env.Getenv(EnvVaultPassphrase)
	if p == "" {
		if p, err = r.newPassword("Vault passphrase"); err != nil {
			return err
		}
	}
	if *recovery {
		if err := r.checkSecretOutput(); err != nil {
			return err
		}
	}
	v, code, err := c.Vault.Setup(context.Background(), id, p, *recovery)
	if err != nil {
		return err
	}
	v.Lock()
	err = r.output(*asJSON, map[string]any{"created": true, "recoveryCode": code}, func(w io.Writer) {
		fmt.Fprintln(w, "Vault created. Keysmith cannot recover a forgotten passphrase.")
		if code != "" {
			fmt.Fprintf(w, "\nRecovery code (shown once; store it apart from the passphrase):\n\n    %s\n", code)
		}
	})
	if err != nil && code != "" {
		return errRecoveryLost("The vault was created")
	}
	return err
}

// noItem names a vault item id that does not exist.
func noItem(err error, id int64) error {
	return notFound(err, "Your vault has no item %d (vault list shows the ids).", id)
}

// errRecoveryLost says a recovery code was made but could not be shown.
func errRecoveryLost(done string) error {
	return errs.Invalidf("output", "%s, but its recovery code could not be written to standard output, so it is lost. Make a new one: keysmith vault recovery --new", done)
}

func (r *run) vaultStatus(args []string) error {
	o := options("vault status")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	st, err := c.Vault.Status(context.Background(), id)
	if err != nil {
		return err
	}
	return r.output(*asJSON, map[string]any{"exists": st.Exists, "items": st.Items, "hasRecovery": st.HasRecovery}, func(w io.Writer) {
		if !st.Exists {
			fmt.Fprintln(w, "No vault. Create one with 'keysmith vault init'.")
			return
		}
		fmt.Fprintf(w, "Vault with %d item(s); recovery code: %v.\n", st.Items, map[bool]string{true: "yes", false: "no"}[st.HasRecovery])
	})
}

func (r *run) vaultList(args []string) error {
	o := options("vault list")
	query := o.String("query", "", "filter text")
	asJSON := o.json()
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		items, err := v.List(context.Background(), id, *query)
		if err != nil {
			return err
		}
		out := []views.VaultSummary{}
		for _, it := range items {
			out = append(out, views.VaultSummary{ID: it.ID, Kind: it.Kind, Title: it.Title, Username: it.Username, URL: it.URL, Type: it.Type,
				UpdatedAt: it.UpdatedAt.UTC().Format(time.RFC3339)})
		}
		return r.output(*asJSON, out, func(w io.Writer) {
			table(w, "ID\tTITLE\tUSERNAME\tURL", out, func(it views.VaultSummary) []any {
				return []any{it.ID, printable(it.Title), printable(it.Username), printable(it.URL)}
			})
		})
	})
}

// readAllSecret reads a secret from standard input, dropping one trailing
// newline.
func (r *run) readAllSecret() (string, error) {
	b, err := io.ReadAll(io.LimitReader(r.stdin, vault.MaxSecret+2))
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	return s, nil
}

func (r *run) vaultAdd(args []string) error {
	const name = "vault add"
	o := options(name)
	title := o.need("title", "title")
	user := o.String("username", "", "username or key")
	url := o.String("url", "", "URL")
	notes := o.String("notes", "", "notes")
	asJSON := o.json()
	o.then(func() error {
		if r.env.Getenv(EnvVaultPassphrase) == "" && !r.env.Terminal {
			return usagef("%s reads the secret from standard input, so give the passphrase in %s", name, EnvVaultPassphrase)
		}
		return nil
	})
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		secret, err := r.readAllSecret()
		if err != nil {
			return err
		}
		itemID, err := v.Add(context.Background(), id, vault.Item{Kind: vault.KindLogin, Title: *title, Username: *user, URL: *url, Notes: *notes, Secret: secret})
		if err != nil {
			return err
		}
		return r.output(*asJSON, map[string]any{"id": itemID}, func(w io.Writer) { fmt.Fprintf(w, "Added item %d.\n", itemID) })
	})
}

// itemID declares --id, an item number, checked once parsed.
func itemID(o *opts) *int64 {
	text, id := o.String("id", "", "item id"), new(int64)
	o.then(func() (err error) {
		if *id, err = strconv.ParseInt(*text, 10, 64); err != nil || *id < 1 {
			return usagef("%s needs --id with an item number from 'keysmith vault list'", o.name)
		}
		return nil
	})
	return id
}

func (r *run) vaultGet(args []string) error {
	o := options("vault get")
	item := itemID(o)
	show := o.Bool("show-secret", false, "print the secret")
	asJSON := o.json()
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		it, err := v.Get(context.Background(), id, *item)
		if err != nil {
			return noItem(err, *item)
		}
		if !*show {
			it.Secret = ""
		}
		out := map[string]any{"id": it.ID, "kind": it.Kind, "title": it.Title, "username": it.Username, "url": it.URL, "notes": it.Notes, "type": it.Type}
		if *show {
			out["secret"] = it.Secret
		}
		return r.output(*asJSON, out, func(w io.Writer) {
			fmt.Fprintf(w, "Title:    %s\nUsername: %s\nURL:      %s\nNotes:    %s\n", printable(it.Title), printable(it.Username), printable(it.URL), printable(it.Notes))
			if *show {
				fmt.Fprintf(w, "Secret:   %s\n", it.Secret)
			} else {
				fmt.Fprintln(w, "Secret:   (hidden; add --show-secret to print it)")
			}
		})
	})
}

func (r *run) vaultEdit(args []string) error {
	o := options("vault edit")
	item := itemID(o)
	set := map[string]*string{}
	for _, f := range []string{"title", "username", "url", "notes"} {
		set[f] = o.String(f, "\x00", f)
	}
	fromStdin := o.Bool("secret-from-stdin", false, "replace the secret from standard input")
	o.then(func() error {
		changes := *fromStdin
		for _, p := range set {
			changes = changes || *p != "\x00"
		}
		if !changes {
			return usagef("nothing to change: give --title, --username, --url, --notes or --secret-from-stdin")
		}
		if *fromStdin && r.env.Getenv(EnvVaultPassphrase) == "" && !r.env.Terminal {
			return usagef("--secret-from-stdin needs the passphrase in %s", EnvVaultPassphrase)
		}
		return nil
	})
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		it, err := v.Get(context.Background(), id, *item)
		if err != nil {
			return noItem(err, *item)
		}
		for f, p := range set {
			if *p == "\x00" {
				continue
			}
			switch f {
			case "title":
				it.Title = *p
			case "username":
				it.Username = *p
			case "url":
				it.URL = *p
			case "notes":
				it.Notes = *p
			}
		}
		if *fromStdin {
			if it.Secret, err = r.readAllSecret(); err != nil {
				return err
			}
		}
		if err := v.Edit(context.Background(), id, *item, it); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "Updated item %d.\n", *item)
		return nil
	})
}

func (r *run) vaultDelete(args []string) error {
	o := options("vault delete")
	item := itemID(o)
	o.confirm()
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		if err := v.Delete(context.Background(), id, *item); err != nil {
			return noItem(err, *item)
		}
		fmt.Fprintf(r.env.Stdout, "Deleted item %d.\n", *item)
		return nil
	})
}

func (r *run) vaultPasswd(args []string) error {
	return r.inVault(options("vault passwd"), args, func(v *vault.Session, id int64) error {
		next, err := r.newPassword("New vault passphrase")
		if err != nil {
			return err
		}
		if cur := r.env.Getenv(EnvVaultPassphrase); cur != "" && r.env.Getenv(EnvVaultRecovery) == "" && vault.NormalizePassphrase(next) == vault.NormalizePassphrase(cur) {
			return errs.Invalidf("password", "New passphrase must differ from the current one.")
		}
		if err := v.ChangePassphrase(context.Background(), id, next); err != nil {
			return err
		}
		fmt.Fprintln(r.env.Stdout, "Vault passphrase changed.")
		return nil
	})
}

func (r *run) vaultRecovery(args []string) error {
	const name = "vault recovery"
	o := options(name)
	renew := o.Bool("new", false, "create a new recovery code")
	remove := o.Bool("remove", false, "remove the recovery code")
	asJSON := o.json()
	o.then(func() error {
		if *renew == *remove {
			return usagef("%s needs exactly one of --new and --remove", name)
		}
		return nil
	})
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		if *remove {
			if err := v.RemoveRecoveryCode(context.Background(), id); err != nil {
				return err
			}
			fmt.Fprintln(r.env.Stdout, "Recovery code removed.")
			return nil
		}
		if err := r.checkSecretOutput(); err != nil {
			return err
		}
		code, err := v.NewRecoveryCode(context.Background(), id)
		if err != nil {
			return err
		}
		if err := r.output(*asJSON, map[string]string{"recoveryCode": code}, func(w io.Writer) {
			fmt.Fprintf(w, "New recovery code (shown once; the old one no longer works):\n\n    %s\n", code)
		}); err != nil {
			return errRecoveryLost("A new recovery code replaced the old one")
		}
		return nil
	})
}

func (r *run) vaultRotateKey(args []string) error {
	o := options("vault rotate-key")
	asJSON := o.json()
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		n, err := v.RotateKey(context.Background(), id)
		if err != nil {
			return err
		}
		return r.output(*asJSON, map[string]any{"rotated": true, "items": n}, func(w io.Writer) {
			fmt.Fprintf(w, "Vault key replaced; %d item(s) re-encrypted. Your passphrase and recovery code still work.\n", n)
		})
	})
}

func (r *run) vaultExport(args []string) error {
	o := options("vault export")
	out := o.need("out", "file to write")
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		p, err := r.secretInput(EnvExportPassphrase, "Export passphrase")
		if err != nil {
			return err
		}
		data, err := v.Export(context.Background(), id, p)
		if err != nil {
			return err
		}
		if err := vault.WriteFile(*out, data); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "Exported to %s (open it with: age -d %s).\n", *out, *out)
		return nil
	})
}

func (r *run) vaultImport(args []string) error {
	o := options("vault import")
	in := o.need("in", "file to read")
	asJSON := o.json()
	var data []byte
	o.then(func() (err error) { data, err = vault.ReadExport(*in); return err })
	return r.inVault(o, args, func(v *vault.Session, id int64) error {
		p, err := r.secretInput(EnvExportPassphrase, "Export passphrase")
		if err != nil {
			return err
		}
		rep, err := v.Import(context.Background(), id, data, p)
		if err != nil {
			return err
		}
		return r.output(*asJSON, map[string]int{"added": rep.Added, "skipped": rep.Skipped}, func(w io.Writer) {
			fmt.Fprintf(w, "Imported %d item(s); skipped %d exact duplicate(s).\n", rep.Added, rep.Skipped)
		})
	})
}
