// Package input validates what users type. Each check returns the cleaned
// value or an *errs.Invalid whose message names the field and the rule; a
// rejected value is never echoed back, so a password typed into the wrong
// field cannot leak through an error.
package input

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"keysmith/app/core/errs"
)

// Limits shared by every face.
const (
	MaxName     = 100
	MaxEmail    = 254
	MinPassword = 8
	MaxPassword = 128
)

// Text trims surrounding white space and checks that label is present, at most
// max characters, valid UTF-8 and free of control and line-break characters.
func Text(field, label, s string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.Invalidf(field, "%s contains bytes that are not valid text.", label)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errs.Invalidf(field, "%s is required.", label)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", errs.Invalidf(field, "%s must be at most %d characters (it has %d).", label, max, n)
	}
	if HasControl(s) {
		return "", errs.Invalidf(field, "%s cannot contain control characters or line breaks.", label)
	}
	if HasInvisible(s) {
		return "", errs.Invalidf(field, "%s cannot contain invisible formatting characters (such as direction overrides or zero-width spaces).", label)
	}
	return s, nil
}

// HasInvisible reports whether s holds a format character (Unicode Cf) that
// could disguise text, such as a right-to-left override or a zero-width space.
// The zero-width joiner and non-joiner, which emoji and several scripts need,
// are allowed.
func HasInvisible(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
			return true
		}
	}
	return false
}

// HasControl reports whether s holds a control, line or paragraph separator
// character.
func HasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

// Email checks an email address: a plain addr-spec such as name@example.com,
// at most MaxEmail characters. It returns the address as typed (trimmed).
func Email(field, s string) (string, error) {
	s, err := Text(field, "Email", s, MaxEmail)
	if err != nil {
		return "", err
	}
	bad := errs.Invalidf(field, "Email must be an address like name@example.com.")
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || strings.ContainsAny(s, " \"\\<>()[],;:") {
		return "", bad
	}
	if len(s) > MaxEmail {
		return "", errs.Invalidf(field, "Email must be at most %d bytes long.", MaxEmail)
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || len(local) > 64 || !validDomain(domain) {
		return "", bad
	}
	return s, nil
}

// validDomain accepts host names of two or more labels of letters, digits
// and inner hyphens.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
				return false
			}
		}
	}
	return true
}

// EmailKey is the form under which emails are unique: trimmed and lower case.
// A NUL, which no email holds and PostgreSQL cannot store in text, becomes
// U+FFFD, as invalid UTF-8 does.
func EmailKey(email string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(email)), "\x00", "\uFFFD")
}
