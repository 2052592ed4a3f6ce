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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/team"
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
	// EnvPasswordFile names a file holding the password instead (a server's
	// systemd credential); only its owner may read it.
	EnvPasswordFile = "KEYSMITH_PASSWORD_FILE"
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
	// ForgetPassword drops KEYSMITH_PASSWORD and KEYSMITH_DATABASE_PASSWORD
	// from the process environment once a long-running command has signed
	// in and opened its database (nil: nothing to drop).
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
		ForgetPassword: func() { forgetEnv(EnvPassword); forgetEnv(team.EnvDatabasePassword) },
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
