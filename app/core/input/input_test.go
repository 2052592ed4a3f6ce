package input

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"keysmith/app/core/errs"
)

func asInvalid(t *testing.T, err error) *errs.Invalid {
	t.Helper()
	var inv *errs.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T) is not an *errs.Invalid", err, err)
	}
	return inv
}

func TestText(t *testing.T) {
	t.Parallel()
	emoji100 := strings.Repeat("🔑", 100)
	tests := []struct {
		name    string
		in      string
		max     int
		want    string // when accepted
		wantMsg string // substring of the message when refused
	}{
		{"plain", "Acme Ltd", MaxName, "Acme Ltd", ""},
		{"trimmed", "  \t Acme Ltd \r\n ", MaxName, "Acme Ltd", ""},
		{"inner spaces kept", "Acme   Ltd", MaxName, "Acme   Ltd", ""},
		{"unicode", "Zoë Ångström 日本", MaxName, "Zoë Ångström 日本", ""},
		{"empty", "", MaxName, "", "Name is required."},
		{"only spaces", "   ", MaxName, "", "Name is required."},
		{"only line breaks", "\n\r\n", MaxName, "", "Name is required."},
		{"only U+2028", "\u2028", MaxName, "", "Name is required."},
		{"exactly max ASCII", strings.Repeat("a", MaxName), MaxName, strings.Repeat("a", MaxName), ""},
		{"max+1 ASCII", strings.Repeat("a", MaxName+1), MaxName, "", "at most 100 characters"},
		{"100 emoji counted as 100", emoji100, MaxName, emoji100, ""},
		{"101 emoji refused", emoji100 + "🔑", MaxName, "", "at most 100 characters (it has 101)"},
		{"100 accented runes", strings.Repeat("é", 100), MaxName, strings.Repeat("é", 100), ""},
		{"max counts after trimming", "  " + strings.Repeat("b", 10) + "  ", 10, strings.Repeat("b", 10), ""},
		{"NUL", "Acme\x00Ltd", MaxName, "", "control characters"},
		{"inner newline", "Acme\nLtd", MaxName, "", "line breaks"},
		{"inner carriage return", "Acme\rLtd", MaxName, "", "control characters"},
		{"inner tab", "Acme\tLtd", MaxName, "", "control characters"},
		{"DEL", "Acme\x7fLtd", MaxName, "", "control characters"},
		{"escape sequence", "Acme\x1b[31mLtd", MaxName, "", "control characters"},
		{"C1 control NEL", "Acme\u0085Ltd", MaxName, "", "control characters"},
		{"C1 control CSI", "Acme\u009bLtd", MaxName, "", "control characters"},
		{"line separator", "Acme\u2028Ltd", MaxName, "", "line breaks"},
		{"paragraph separator", "Acme\u2029Ltd", MaxName, "", "line breaks"},
		{"invalid byte", "Acme\xffLtd", MaxName, "", "not valid text"},
		{"truncated sequence", "Acme\xc3", MaxName, "", "not valid text"},
		{"overlong slash", "\xc0\xaf", MaxName, "", "not valid text"},
		{"surrogate half", "\xed\xa0\x80", MaxName, "", "not valid text"},
		{"invalid byte in trimmed space", " \xff ", MaxName, "", "not valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Text("name", "Name", tt.in, tt.max)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Text(%q) refused: %v", tt.in, err)
				}
				if got != tt.want {
					t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Text(%q) = %q, want refusal", tt.in, got)
			}
			if got != "" {
				t.Errorf("refused Text returned %q", got)
			}
			inv := asInvalid(t, err)
			if inv.Field != "name" {
				t.Errorf("Field = %q, want name", inv.Field)
			}
			if !strings.Contains(inv.Message, tt.wantMsg) || !strings.HasPrefix(inv.Message, "Name ") {
				t.Errorf("message %q: want it to name the field and contain %q", inv.Message, tt.wantMsg)
			}
			if errs.Message(err) != inv.Message {
				t.Errorf("errs.Message = %q, want %q", errs.Message(err), inv.Message)
			}
		})
	}
}

// A secret typed into the wrong field never comes back in the error.
func TestTextDoesNotEcho(t *testing.T) {
	t.Parallel()
	secret := "hunter2-Secret-Value"
	for _, in := range []string{
		secret + "\x00",
		secret + "\n" + secret,
		strings.Repeat(secret, 10),
		secret + "\xff",
	} {
		_, err := Text("name", "Name", in, MaxName)
		if err == nil {
			t.Fatalf("Text(%q) accepted", in)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q echoes the input", err)
		}
	}
	_, err := Email("email", secret+" in email")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Email error %v: want refusal without echo", err)
	}
}

func TestHasControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"", false}, {"plain text", false}, {"ünï 🔑", false}, {"a\u00a0b", false},
		{"\x00", true}, {"\t", true}, {"\n", true}, {"\x7f", true}, {"\u0085", true}, {"\u009f", true},
		{"\u2028", true}, {"\u2029", true}, {"end\x01", true},
	}
	for _, tt := range tests {
		if got := HasControl(tt.in); got != tt.want {
			t.Errorf("HasControl(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEmail(t *testing.T) {
	t.Parallel()
	long := func(local, domainLabel int) string {
		// The domain is labels of at most 60 letters: DNS allows 63 per label.
		d := strings.Repeat("b", domainLabel)
		var labels []string
		for len(d) > 60 {
			labels = append(labels, d[:59])
			d = d[60:]
		}
		labels = append(labels, d)
		return strings.Repeat("a", local) + "@" + strings.Join(labels, ".") + ".co"
	}
	tests := []struct {
		name string
		in   string
		want string // "" means refused
	}{
		{"simple", "ada@example.com", "ada@example.com"},
		{"case kept as typed", "Ada@Example.COM", "Ada@Example.COM"},
		{"trimmed", "  ada@example.com\n", "ada@example.com"},
		{"plus tag", "ada+keys@example.com", "ada+keys@example.com"},
		{"dots in local part", "ada.lovelace@example.co.uk", "ada.lovelace@example.co.uk"},
		{"apostrophe", "o'brien@example.ie", "o'brien@example.ie"},
		{"subdomain", "a@mail.example.com", "a@mail.example.com"},
		{"64-char local part", long(64, 10), long(64, 10)},
		{"254 chars", long(64, 254-64-1-3), long(64, 254-64-1-3)},
		{"unicode domain accepted as typed", "ada@münchen.de", "ada@münchen.de"},
		{"unicode local part accepted", "jörg@example.de", "jörg@example.de"},

		{"empty", "", ""},
		{"no at", "ada.example.com", ""},
		{"two at", "ada@home@example.com", ""},
		{"double at", "ada@@example.com", ""},
		{"nothing before at", "@example.com", ""},
		{"nothing after at", "ada@", ""},
		{"space in local part", "ada lovelace@example.com", ""},
		{"space in domain", "ada@exam ple.com", ""},
		{"display-name form", "A <a@b.co>", ""},
		{"quoted display name", `"Ada" <ada@example.com>`, ""},
		{"angle brackets only", "<ada@example.com>", ""},
		{"quoted local part", `"ada lovelace"@example.com`, ""},
		{"quoted simple local part", `"ada"@example.com`, ""},
		{"comment", "ada(work)@example.com", ""},
		{"trailing dot in domain", "ada@example.com.", ""},
		{"leading dot in domain", "ada@.example.com", ""},
		{"double dot in domain", "ada@example..com", ""},
		{"trailing dot in local part", "ada.@example.com", ""},
		{"leading dot in local part", ".ada@example.com", ""},
		{"double dot in local part", "ada..l@example.com", ""},
		{"no dot in domain", "ada@localhost", ""},
		{"IP literal", "ada@[192.0.2.1]", ""},
		{"list of two", "a@b.co,c@d.co", ""},
		{"semicolon", "a@b.co;", ""},
		{"65-char local part", long(65, 10), ""},
		{"255 chars", long(64, 255-64-1-3), ""},
		{"300 chars", long(10, 300), ""},
		{"inner newline", "ada@exa\nmple.com", ""},
		{"NUL", "ada@example.com\x00", ""},
		{"invalid UTF-8", "ada@exa\xffmple.com", ""},
		{"line separator inside", "ada\u2028@example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Email("email", tt.in)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Errorf("Email(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Email(%q) = %q, want refusal", tt.in, got)
			}
			inv := asInvalid(t, err)
			if inv.Field != "email" || !strings.HasPrefix(inv.Message, "Email ") {
				t.Errorf("refusal %+v: want field email and a message naming Email", inv)
			}
		})
	}
}

func TestEmailKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ada@example.com", "ada@example.com"},
		{"Ada@Example.COM", "ada@example.com"},
		{"  ADA@EXAMPLE.COM \n", "ada@example.com"},
		{"ÄDA@MÜNCHEN.DE", "äda@münchen.de"},
	}
	for _, tt := range tests {
		got := EmailKey(tt.in)
		if got != tt.want {
			t.Errorf("EmailKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if EmailKey(got) != got {
			t.Errorf("EmailKey not idempotent on %q", got)
		}
	}
	if EmailKey("Bob@x.co") != EmailKey("bob@X.CO") {
		t.Error("differently cased emails have different keys: duplicates would be allowed")
	}
}

func checkTextInvariants(t *testing.T, in, out string, max int) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("accepted %q is not valid UTF-8", out)
	}
	if HasControl(out) {
		t.Errorf("accepted %q contains a control character", out)
	}
	if out == "" || out != strings.TrimSpace(out) {
		t.Errorf("accepted %q is empty or untrimmed", out)
	}
	if out != strings.TrimSpace(in) {
		t.Errorf("accepted %q is not the trimmed input %q", out, in)
	}
	if n := utf8.RuneCountInString(out); n > max {
		t.Errorf("accepted %q has %d characters, limit %d", out, n, max)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{
		"", " ", "Acme", " Acme \n", "a\x00b", "a\nb", "\u2028", "a\u2029b", "\xff", "\xed\xa0\x80",
		strings.Repeat("🔑", 100), strings.Repeat("🔑", 101), strings.Repeat("x", 101), "\u0085x\u0085",
		"\u200b", "\ufeffAcme", "\u202eevil", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗", "'; DROP TABLE users; --", "%s%n",
	} {
		f.Add(s, uint8(MaxName))
	}
	f.Add("abc", uint8(0))
	f.Add("abc", uint8(3))
	f.Fuzz(func(t *testing.T, s string, max uint8) {
		out, err := Text("f", "Field", s, int(max))
		if err != nil {
			inv := asInvalid(t, err)
			if inv.Field != "f" || !strings.HasPrefix(inv.Message, "Field ") {
				t.Errorf("refusal %+v does not name the field", inv)
			}
			if out != "" {
				t.Errorf("refused input returned %q", out)
			}
			return
		}
		checkTextInvariants(t, s, out, int(max))
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"a@b.co", " A@B.CO ", "a@b", "a@@b.co", "A <a@b.co>", `"a b"@c.co`, "a@b.co.", "a@münchen.de",
		"a@b.co\u2028", "a@b.co\x00", strings.Repeat("a", 65) + "@b.co", "a@" + strings.Repeat("b", 260) + ".co",
		"=?utf-8?q?a?=@b.co", "a@b.co (comment)", "a\\@b.co", "a@b.co>", "@", "a@.", "a.b@c.d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Email("email", s)
		if err != nil {
			inv := asInvalid(t, err)
			if inv.Field != "email" {
				t.Errorf("refusal field %q", inv.Field)
			}
			return
		}
		checkTextInvariants(t, s, out, MaxEmail)
		if strings.Count(out, "@") != 1 {
			t.Fatalf("accepted %q does not have exactly one @", out)
		}
		local, domain, _ := strings.Cut(out, "@")
		if local == "" || len(local) > 64 || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
			t.Errorf("accepted %q: bad local part or domain", out)
		}
		if strings.ContainsAny(out, " <>\"(),;:[]\\") {
			t.Errorf("accepted %q contains a character outside a plain address", out)
		}
		a, err := mail.ParseAddress(out)
		if err != nil || a.Address != out || a.Name != "" {
			t.Errorf("accepted %q does not round-trip through net/mail: %v", out, err)
		}
		if k := EmailKey(out); k != strings.ToLower(out) || EmailKey(k) != k {
			t.Errorf("EmailKey(%q) = %q", out, k)
		}
	})
}

func TestInvisibleAndDomainRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"right-to-left override", "Ada\u202eevil", false},
		{"zero-width space", "A\u200bda", false},
		{"byte order mark", "\ufeffAda", false},
		{"soft hyphen", "Ad\u00ada", false},
		{"emoji with joiner", "👩\u200d💻 Ada", true},
		{"persian non-joiner", "می\u200cخواهم", true},
	} {
		_, err := Text("name", "Name", tc.in, MaxName)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "invisible formatting characters") {
			t.Errorf("%s: message %q", tc.name, err)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"a@-b.co", false}, {"a@b-.co", false}, {"a@b_c.co", false}, {"a@b.c%o", false},
		{"a@" + strings.Repeat("b", 64) + ".co", false}, {"a@b-c.co", true}, {"a@bücher.de", true},
		{"a@" + strings.Repeat("é", 120) + ".co", false}, // 254 characters but over 254 bytes
	} {
		if _, err := Email("email", tc.in); (err == nil) != tc.ok {
			t.Errorf("Email(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}
