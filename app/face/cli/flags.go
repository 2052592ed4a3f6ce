package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"keysmith/app/core"
)

// opts declares one command's options: a flag set whose errors become
// usage errors, the string options the command requires and the checks
// that run once the options are parsed.
type opts struct {
	*flag.FlagSet
	name   string
	needed map[string]*string
	checks []func() error
	arg    string  // the name of the one operand the command takes, if any
	argVal *string // where it goes
}

// options starts the options of command name.
func options(name string) *opts {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &opts{FlagSet: fs, name: name, needed: map[string]*string{}}
}

// need declares a string option the command requires.
func (o *opts) need(flag, usage string) *string {
	p := o.String(flag, "", usage)
	o.needed[flag] = p
	return p
}

// operand declares the one operand the command takes after its options
// (name, such as FILE, is how usage errors call it).
func (o *opts) operand(name string) *string {
	o.arg, o.argVal = name, new(string)
	return o.argVal
}

// json declares --json.
func (o *opts) json() *bool { return o.Bool("json", false, "print JSON") }

// confirm declares --yes, which the command requires.
func (o *opts) confirm() {
	yes := o.Bool("yes", false, "confirm")
	o.then(func() error {
		if !*yes {
			return usagef("%s needs --yes to confirm", o.name)
		}
		return nil
	})
}

// page declares --limit (def by default, 1..max) and --offset (0 or more).
func page(o *opts, def, max int) (limit, offset *int) {
	limit = o.Int("limit", def, fmt.Sprintf("rows (1..%d)", max))
	offset = o.Int("offset", 0, "rows to skip")
	o.then(func() error {
		if *limit < 1 || *limit > max || *offset < 0 {
			return usagef("--limit must be 1..%d and --offset 0 or more", max)
		}
		return nil
	})
	return limit, offset
}

// then adds a check to run, in order, once the options are parsed and the
// required ones are present.
func (o *opts) then(check func() error) { o.checks = append(o.checks, check) }

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

// parse parses args into o, allowing no positional arguments, then checks
// that the required options are given and runs o's checks.
func (r *run) parse(o *opts, args []string) error {
	if f := repeated(o.FlagSet, args); f != "" {
		return usagef("--%s is given twice; run 'keysmith %s --help'", f, o.name)
	}
	if err := o.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(r.env.Stdout, lookup(o.name))
			return flag.ErrHelp
		}
		return usagef("%s; run 'keysmith %s --help'", flagProblem(o.FlagSet, err), o.name)
	}
	switch {
	case o.arg != "" && o.NArg() == 0:
		return usagef("%s needs %s; run 'keysmith %s --help'", o.name, o.arg, o.name)
	case o.arg != "" && o.NArg() == 1:
		*o.argVal = o.Arg(0)
	case o.arg != "" && o.NArg() > 1:
		return usagef("unexpected argument %q; run 'keysmith %s --help'", o.Arg(1), o.name)
	case o.NArg() > 0:
		return usagef("unexpected argument %q; run 'keysmith %s --help'", o.Arg(0), o.name)
	}
	var missing []string
	for k, v := range o.needed {
		if *v == "" {
			missing = append(missing, "--"+k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return usagef("%s requires %s", o.name, strings.Join(missing, " and "))
	}
	for _, check := range o.checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// signedIn parses args into o, then signs in.
func (r *run) signedIn(o *opts, args []string) (*core.Core, int64, error) {
	if err := r.parse(o, args); err != nil {
		return nil, 0, err
	}
	return r.signIn()
}
