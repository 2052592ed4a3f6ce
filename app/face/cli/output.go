package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"keysmith/app/core/errs"
)

// printable makes text safe for a terminal: control characters (which could
// drive the terminal) are shown as Go escapes.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// notFound turns errs.ErrNotFound for something the user named into a
// message naming it; other errors pass unchanged.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, errs.ErrNotFound) {
		return errs.Invalidf("not-found", format, args...)
	}
	return err
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

// table writes items as aligned columns under header (tab-separated); row
// gives an item's cells.
func table[T any](w io.Writer, header string, items []T, row func(T) []any) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		for i, cell := range row(it) {
			if i > 0 {
				io.WriteString(tw, "\t")
			}
			fmt.Fprint(tw, cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
