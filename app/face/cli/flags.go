package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// targetFlags parses the flag `by` that names what a command acts on, the
// flags extra adds and --json, runs the check extra returns, and signs in.
func (r *run) targetFlags(name, by string, args []string, extra func(fs *flag.FlagSet) func() error) (value string, actor int64, asJSON bool, err error) {
	fs := newFlags(name)
	v := fs.String(by, "", "the "+by+" of what to act on")
	j := fs.Bool("json", false, "print JSON")
	check := func() error { return nil }
	if extra != nil {
		check = extra(fs)
	}
	if err := r.parse(name, fs, args); err != nil {
		return "", 0, false, err
	}
	if err := required(name, map[string]string{by: *v}); err != nil {
		return "", 0, false, err
	}
	if err := check(); err != nil {
		return "", 0, false, err
	}
	_, actor, err = r.signIn()
	return *v, actor, *j, err
}

// confirmYes adds the --yes flag a deletion needs.
func confirmYes(name string) func(fs *flag.FlagSet) func() error {
	return func(fs *flag.FlagSet) func() error {
		yes := fs.Bool("yes", false, "confirm the deletion")
		return func() error {
			if !*yes {
				return usagef("%s needs --yes to confirm", name)
			}
			return nil
		}
	}
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
