// Package logfmt writes Keysmith's local logs (the window's, and keysmith
// serve's on stderr) in one shape: the UTC time to the millisecond, an event
// word, then key="value" fields, as in
//
//	2026-11-27T05:26:40.879Z warn msg="request failed" op="keys.create" err="..."
//
// Guarantees: a line is written with a single Write, so concurrent lines
// never interleave; values are quoted in Go syntax, so a line never spans
// two whatever a field holds. Callers never pass a secret: the package
// cannot tell one.
package logfmt

import (
	"io"
	"strconv"
	"sync"
	"time"
)

// Logger writes event lines to a writer. It is safe for concurrent use.
type Logger struct {
	w      io.Writer
	clock  func() time.Time
	fields []string // key, value pairs every line carries
}

// New returns a Logger writing to w, stamping lines with clock (time.Now
// when nil).
func New(w io.Writer, clock func() time.Time) *Logger {
	if clock == nil {
		clock = time.Now
	}
	return &Logger{w: w, clock: clock}
}

// Discard is a Logger that writes nothing.
func Discard() *Logger { return New(io.Discard, nil) }

// With returns a Logger whose lines also carry the key, value pairs kv.
func (l *Logger) With(kv ...string) *Logger {
	c := *l
	c.fields = append(append([]string(nil), l.fields...), kv...)
	return &c
}

// Info, Warn and Error write one line: the level, msg, then the key, value
// pairs kv (a key without a value gets "").
func (l *Logger) Info(msg string, kv ...string)  { l.line("info", msg, kv) }
func (l *Logger) Warn(msg string, kv ...string)  { l.line("warn", msg, kv) }
func (l *Logger) Error(msg string, kv ...string) { l.line("error", msg, kv) }

func (l *Logger) line(level, msg string, kv []string) {
	bp := bufs.Get().(*[]byte)
	b := AppendStamp((*bp)[:0], l.clock())
	b = append(append(b, ' '), level...)
	b = AppendField(b, "msg", msg)
	b = appendFields(b, l.fields)
	b = appendFields(b, kv)
	l.w.Write(append(b, '\n'))
	*bp = b
	bufs.Put(bp)
}

func appendFields(b []byte, kv []string) []byte {
	for i := 0; i < len(kv); i += 2 {
		v := ""
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		b = AppendField(b, kv[i], v)
	}
	return b
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// AppendField appends ` key="value"`, the value quoted in Go syntax.
func AppendField(b []byte, key, value string) []byte {
	b = append(append(append(b, ' '), key...), '=')
	return strconv.AppendQuote(b, value)
}

// AppendStamp appends t in UTC as 2006-01-02T15:04:05.000Z (what
// time.AppendFormat writes for that layout, at a fraction of its cost).
func AppendStamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

// appendDigits appends n (0 <= n < 10^width) zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}
