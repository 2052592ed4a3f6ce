package matching

import "unicode"

// The matchers below stand in for the regular expressions upstream runs
// through github.com/dlclark/regexp2 (a .NET-compatible backtracking
// engine), with the same results: they work on the runes of the string (an
// invalid UTF-8 byte is one U+FFFD), `.` is any rune but '\n', `\d` any
// Unicode decimal digit, `\s` any Unicode space, and `$` matches at the end
// or before a final '\n'. patterns_test.go checks them against regexp2.

// repetition is a match of `(.+)\1+` or `(.+?)\1+`: the runes
// [index, index+length) repeat base runes of it.
type repetition struct {
	index, length, base int
}

// findRepeat finds the leftmost repetition starting at rune startAt or
// later, with the longest base that repeats (greedy, `(.+)\1+`) or the
// shortest (lazy, `(.+?)\1+`), repeated as often as it does. ok is false
// when there is none or startAt is past the end.
func findRepeat(r []rune, startAt int, greedy bool) (m repetition, ok bool) {
	if startAt > len(r) {
		return m, false
	}
	for s := startAt; s < len(r); s++ {
		run := 0 // runes a `.` can take from s
		for s+run < len(r) && r[s+run] != '\n' {
			run++
		}
		for i := 1; i <= run; i++ {
			l := i
			if greedy {
				l = run + 1 - i
			}
			if k := repeats(r[s:], l); k >= 2 {
				return repetition{index: s, length: k * l, base: l}, true
			}
		}
	}
	return m, false
}

// repeats returns how many times r's first l runes occur back to back at
// its start.
func repeats(r []rune, l int) int {
	k := 1
	for (k+1)*l <= len(r) && equalRunes(r[:l], r[k*l:(k+1)*l]) {
		k++
	}
	return k
}

func equalRunes(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// shortestPeriod is `^(.+?)\1+$` on a string that has no '\n': the length of
// the shortest base that s is two or more copies of, or 0.
func shortestPeriod(r []rune) int {
	for l := 1; 2*l <= len(r); l++ {
		if len(r)%l == 0 && repeats(r, l) == len(r)/l {
			return l
		}
	}
	return 0
}

// digits returns how many of r's first runes are decimal digits.
func digits(r []rune) int {
	n := 0
	for n < len(r) && unicode.IsDigit(r[n]) {
		n++
	}
	return n
}

// maybeDateNoSeparator is `^\d{4,8}$`.
func maybeDateNoSeparator(token string) bool {
	r := []rune(token)
	if n := digits(r); n >= 4 && n <= 8 && (n == len(r) || n == len(r)-1 && r[n] == '\n') {
		return true
	}
	return false
}

// maybeDateWithSeparator is
// `^(\d{1,4})([\s/\\_.-])(\d{1,2})\2(\d{1,4})$`: the three numbers and the
// separator, or ok false. (A separator is never a digit, so each group has
// exactly one way to match.)
func maybeDateWithSeparator(token string) (n1, sep, n2, n3 string, ok bool) {
	r := []rune(token)
	a := digits(r)
	if a < 1 || a > 4 || a == len(r) || !isDateSeparator(r[a]) {
		return
	}
	b := digits(r[a+1:])
	c := a + 1 + b
	if b < 1 || b > 2 || c == len(r) || r[c] != r[a] {
		return
	}
	rest := r[c+1:]
	d := digits(rest)
	if d < 1 || d > 4 || d != len(rest) && (d != len(rest)-1 || rest[d] != '\n') {
		return
	}
	return string(r[:a]), string(r[a]), string(r[a+1 : c]), string(rest[:d]), true
}

func isDateSeparator(c rune) bool {
	switch c {
	case '/', '\\', '_', '.', '-':
		return true
	}
	return unicode.IsSpace(c)
}
