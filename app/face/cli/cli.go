// Package cli is Keysmith's command line: the same core as the window, with
// --json output for scripts.
//
// Guarantees: a password is never accepted as an argument (new passwords come
// from standard input, the signed-in user's from KEYSMITH_PASSWORD or a
// terminal prompt); exit status is 0 on success, 1 on failure and 2 on a
// usage error; an error is one sentence on standard error.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/version"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Environment variables read by the command line.
const (
	EnvEmail    = "KEYSMITH_EMAIL"
	EnvPassword = "KEYSMITH_PASSWORD"
)

// Env is what a run of the command line talks to.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	// StdoutFile is Stdout when it is this process's standard output; it is
	// checked before a secret is made (nil: not checked).
	StdoutFile *os.File
	Stderr     io.Writer
	Getenv     func(string) string
	// Terminal reports whether standard input is an interactive terminal.
	Terminal bool
	// ForgetPassword drops KEYSMITH_PASSWORD from the process environment
	// once a long-running command has signed in (nil: nothing to drop).
	ForgetPassword func()
	// ReadSecret reads a line from the terminal without echo.
	ReadSecret func(prompt string) (string, error)
	// OpenWindow opens the window when no command is given.
	OpenWindow func(dataDir string) int
	// Options are passed to app.Open (tests lower the KDF cost).
	Options core.Options
}

// OSEnv returns the Env of this process.
func OSEnv(openWindow func(string) int) Env {
	fd := int(os.Stdin.Fd())
	ignoreSIGPIPE()
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, StdoutFile: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Terminal: term.IsTerminal(fd),
		ReadSecret: func(prompt string) (string, error) {
			fmt.Fprint(os.Stderr, prompt)
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(os.Stderr)
			return string(b), err
		},
		OpenWindow:     openWindow,
		ForgetPassword: func() { forgetEnv(EnvPassword) },
	}
}

// usageError is a mistake in how the command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitStatus ends the program with that status, its reason already told.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// asUsage makes a rejected option value (an *errs.Invalid) a usage error,
// exit status 2; other errors pass unchanged.
func asUsage(err error) error {
	var inv *errs.Invalid
	if errors.As(err, &inv) {
		return &usageError{inv.Message}
	}
	return err
}

// run is the state of one invocation.
type run struct {
	env     Env
	out     *errWriter // env.Stdout, keeping its first write error
	dataDir string
	core    *core.Core
	stdin   *bufio.Reader
}

// command is one leaf command.
type command struct {
	name    string // "users add"
	summary string
	usage   string // flags and arguments after the name
	help    string // what it does, in a few lines
	run     func(r *run, args []string) error
}

// IsCommand reports whether args ask for the command line rather than the
// window (any argument other than --data-dir does).
func IsCommand(args []string) bool {
	rest, _, err := globalFlags(args)
	return err != nil || len(rest) > 0
}

// globalFlags removes --data-dir DIR (anywhere) from args.
func globalFlags(args []string) (rest []string, dataDir string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--data-dir" || a == "-data-dir":
			if i+1 >= len(args) {
				return nil, "", usagef("--data-dir needs a directory")
			}
			dataDir = args[i+1]
			i++
		case strings.HasPrefix(a, "--data-dir=") || strings.HasPrefix(a, "-data-dir="):
			_, dataDir, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	if dataDir == "" && len(args) > 0 && len(rest) < len(args) {
		return nil, "", usagef("--data-dir needs a directory")
	}
	return rest, dataDir, nil
}

// Run executes the command line and returns the exit status.
func Run(args []string, env Env) int {
	out := &errWriter{w: env.Stdout} // every command's output is checked
	env.Stdout = out
	r := &run{env: env, out: out, stdin: bufio.NewReader(env.Stdin)}
	defer func() {
		if r.core != nil {
			r.core.Close()
		}
	}()
	err := r.dispatch(args)
	if err == nil {
		err = unwritten(out.err)
	}
	if err == nil {
		return ExitOK
	}
	var status exitStatus
	if errors.As(err, &status) {
		return int(status)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "keysmith: %s\n", ue.msg)
		return ExitUsage
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "keysmith: %s\n", errs.Message(err))
	return ExitFailure
}

func (r *run) dispatch(args []string) error {
	rest, dataDir, err := globalFlags(args)
	if err != nil {
		return err
	}
	r.dataDir = dataDir
	if len(rest) == 0 {
		if r.env.OpenWindow == nil {
			return usagef("no command given; run 'keysmith help'")
		}
		dir, err := core.DataDir(dataDir)
		if err != nil {
			return err
		}
		if code := r.env.OpenWindow(dir); code != 0 {
			return exitStatus(code) // the window said why
		}
		return nil
	}
	switch rest[0] {
	case "help", "-h", "--help", "-help":
		return r.help(rest[1:])
	case "version", "--version":
		if len(rest) > 1 {
			return usagef("unexpected argument %q; run 'keysmith version'", rest[1])
		}
		fmt.Fprintln(r.env.Stdout, "keysmith", version.Version)
		return nil
	}
	cmd, args, err := find(rest)
	if err != nil {
		return err
	}
	return cmd.run(r, args)
}

// find resolves "users add ..." to its command and remaining arguments.
func find(args []string) (*command, []string, error) {
	if len(args) >= 2 {
		if c := lookup(args[0] + " " + args[1]); c != nil {
			return c, args[2:], nil
		}
	}
	if c := lookup(args[0]); c != nil {
		return c, args[1:], nil
	}
	if group := groupOf(args[0]); group != nil {
		if len(args) == 2 && isHelp(args[1]) {
			return &command{name: args[0], run: func(r *run, _ []string) error { return r.help(args[:1]) }}, nil, nil
		}
		if len(args) == 1 {
			return nil, nil, usagef("%q needs a subcommand: %s", args[0], strings.Join(group, ", "))
		}
		return nil, nil, usagef("unknown command %q; run 'keysmith help %s'", args[0]+" "+args[1], args[0])
	}
	return nil, nil, usagef("unknown command %q; run 'keysmith help'", args[0])
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

func groupOf(name string) []string {
	var subs []string
	for _, c := range commands {
		if g, sub, ok := strings.Cut(c.name, " "); ok && g == name {
			subs = append(subs, sub)
		}
	}
	return subs
}

func (r *run) help(args []string) error {
	w := r.env.Stdout
	if len(args) > 0 {
		name := strings.Join(args, " ")
		if c := lookup(name); c != nil {
			printCommandHelp(w, c)
			return nil
		}
		if subs := groupOf(name); subs != nil {
			fmt.Fprintf(w, "Usage: keysmith %s SUBCOMMAND\n\nSubcommands:\n", name)
			for _, c := range commands {
				if strings.HasPrefix(c.name, name+" ") {
					fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
				}
			}
			return nil
		}
		return usagef("no help for %q; run 'keysmith help'", name)
	}
	fmt.Fprint(w, `Keysmith manages a messaging account's users and API credentials.

Usage:
  keysmith [--data-dir DIR]              open the window
  keysmith [--data-dir DIR] COMMAND ...  run a command

Commands:
`)
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, fmt.Sprintf("  %-22s %s", c.name, c.summary))
	}
	sort.Strings(names)
	fmt.Fprintln(w, strings.Join(names, "\n"))
	fmt.Fprint(w, `
Global flags:
  --data-dir DIR   data directory (default: $KEYSMITH_DATA_DIR, else the user
                   config directory + /Keysmith)

Signing in: commands other than init read KEYSMITH_EMAIL and KEYSMITH_PASSWORD,
or ask on a terminal. New passwords are read from standard input (one line),
or asked twice on a terminal. No password is ever accepted as an argument.

Exit status: 0 success, 1 failure, 2 usage error.
Run 'keysmith COMMAND --help' for a command's flags.
`)
	return nil
}

func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: keysmith %s %s\n\n%s\n", c.name, c.usage, c.help)
}

// flags returns a FlagSet for c whose errors become usage errors.
func newFlags(c string) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// flagProblem says what the flag package's error means, in the options'
// own spelling (--name) and with the kind of value expected.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Sprintf("unknown option --%s", strings.TrimPrefix(name, "-"))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("--%s needs a value", strings.TrimPrefix(name, "-"))
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		value, rest, _ := strings.Cut(rest, " for -")
		name, _, _ := strings.Cut(rest, ":")
		return fmt.Sprintf("--%s: %s is not true or false", name, value)
	}
	rest, ok := strings.CutPrefix(msg, "invalid value ")
	value, rest, found := strings.Cut(rest, " for flag -")
	name, _, _ := strings.Cut(rest, ":")
	f := fs.Lookup(name)
	if !ok || !found || f == nil {
		return msg
	}
	want := "valid"
	switch f.Value.(flag.Getter).Get().(type) {
	case int, int64:
		want = "a whole number"
	case time.Duration:
		want = "a duration with a unit, like 300s or 5m"
	}
	return fmt.Sprintf("--%s: %s is not %s", name, value, want)
}

// repeated returns the name of an option args give twice (the flag package
// would silently keep the last), or "".
func repeated(fs *flag.FlagSet, args []string) string {
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return "" // options end here; Parse reports anything stray
		}
		name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			return "" // Parse reports the unknown option
		}
		if seen[name] {
			return name
		}
		seen[name] = true
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !inline && !(ok && b.IsBoolFlag()) {
			i++ // the next argument is this option's value
		}
	}
	return ""
}

// parse parses args with fs, allowing no positional arguments.
func (r *run) parse(name string, fs *flag.FlagSet, args []string) error {
	if f := repeated(fs, args); f != "" {
		return usagef("--%s is given twice; run 'keysmith %s --help'", f, name)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(r.env.Stdout, lookup(name))
			return flag.ErrHelp
		}
		return usagef("%s; run 'keysmith %s --help'", flagProblem(fs, err), name)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q; run 'keysmith %s --help'", fs.Arg(0), name)
	}
	return nil
}

// jsonOnly parses args for a command whose only flag is --json.
func (r *run) jsonOnly(name string, args []string) (bool, error) {
	fs := newFlags(name)
	asJSON := fs.Bool("json", false, "print JSON")
	err := r.parse(name, fs, args)
	return *asJSON, err
}

// parseRequired parses args for command name with the string flags req,
// all required, and --json.
func (r *run) parseRequired(name string, args []string, req ...string) (map[string]string, bool, error) {
	fs := newFlags(name)
	ptrs := map[string]*string{}
	for _, f := range req {
		ptrs[f] = fs.String(f, "", f)
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if err := r.parse(name, fs, args); err != nil {
		return nil, false, err
	}
	vals := map[string]string{}
	for f, p := range ptrs {
		vals[f] = *p
	}
	return vals, *asJSON, required(name, vals)
}

// required fails with a usage error naming each flag that was not given.
func required(name string, vals map[string]string) error {
	var missing []string
	for k, v := range vals {
		if v == "" {
			missing = append(missing, "--"+k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return usagef("%s requires %s", name, strings.Join(missing, " and "))
	}
	return nil
}

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
	c, err := core.Open(context.Background(), dir, r.env.Options)
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
	if email == "" || password == "" {
		if !r.env.Terminal {
			return nil, 0, errs.Invalidf("auth", "Sign in by setting %s and %s (or run in a terminal to be asked).", EnvEmail, EnvPassword)
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
	line, err := r.stdin.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errs.Invalidf("password", "%s must be given on standard input (one line).", what)
	}
	return line, nil
}

// output prints v as JSON when asJSON, else runs text.
func (r *run) output(asJSON bool, v any, text func(w io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	} else {
		text(r.env.Stdout)
	}
	return unwritten(r.out.err)
}

// unwritten is the error for output that could not be written, or nil.
func unwritten(err error) error {
	if err == nil {
		return nil
	}
	return errs.Invalidf("output", "Could not write to standard output (%s). If the command makes a change, it was made; the list commands show it.", errs.SystemText(err))
}

// errWriter keeps the first write error and drops later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	e.err = err
	return n, err
}
