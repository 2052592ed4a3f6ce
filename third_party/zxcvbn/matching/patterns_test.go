package matching

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
)

// The regular expressions upstream runs through regexp2; the matchers in
// patterns.go must give the same answers on every input.
var (
	reGreedy        = regexp2.MustCompile(`(.+)\1+`, 0)
	reLazy          = regexp2.MustCompile(`(.+?)\1+`, 0)
	reLazyAnchored  = regexp2.MustCompile(`^(.+?)\1+$`, 0)
	reDateNoSep     = regexp2.MustCompile(`^\d{4,8}$`, 0)
	reDateWithSep   = regexp2.MustCompile(`^(\d{1,4})([\s/\\_.-])(\d{1,2})\2(\d{1,4})$`, 0)
	patternAlphabet = []string{"a", "b", "c", "1", "2", "9", "0", "/", "-", ".", "_", "\\", " ", "\n", "\t",
		"\u00a0", "\u2028", "\u3000", "\u0663", "\u0966", "é", "\xff", "\xfe", "ab", "12", "\u0085", "\u180e"}
)

// samePatterns fails t if any matcher disagrees with regexp2 on s.
func samePatterns(t *testing.T, s string) {
	t.Helper()
	runes := []rune(s)
	for byteStart := 0; byteStart <= len(s)+1; byteStart++ {
		for _, greedy := range []bool{true, false} {
			re := map[bool]*regexp2.Regexp{true: reGreedy, false: reLazy}[greedy]
			want, err := re.FindStringMatchStartingAt(s, byteStart)
			start := runeIndex(s, byteStart)
			got, ok := repetition{}, false
			if start >= 0 {
				got, ok = findRepeat(runes, start, greedy)
			}
			if (err == nil && want != nil) != ok {
				t.Fatalf("%q from byte %d (greedy %v): regexp2 %v/%v, findRepeat %v", s, byteStart, greedy, want, err, ok)
			}
			if ok && (got.index != want.Index || got.length != want.Length || got.base != want.GroupByNumber(1).Length) {
				t.Fatalf("%q from byte %d (greedy %v): regexp2 [%d,+%d) base %d, findRepeat %+v",
					s, byteStart, greedy, want.Index, want.Length, want.GroupByNumber(1).Length, got)
			}
			if ok && greedy {
				token := want.String()
				m, err := reLazyAnchored.FindStringMatch(token)
				if err != nil || m == nil || shortestPeriod([]rune(token)) != m.GroupByNumber(1).Length {
					t.Fatalf("%q: lazy anchored base of %q: regexp2 %v, shortestPeriod %d", s, token, m, shortestPeriod([]rune(token)))
				}
			}
		}
	}
	if want, _ := reDateNoSep.MatchString(s); want != maybeDateNoSeparator(s) {
		t.Fatalf("%q: ^\\d{4,8}$ regexp2 %v, maybeDateNoSeparator %v", s, want, !want)
	}
	m, _ := reDateWithSep.FindStringMatch(s)
	n1, sep, n2, n3, ok := maybeDateWithSeparator(s)
	if (m != nil) != ok {
		t.Fatalf("%q: dated with separator: regexp2 %v, maybeDateWithSeparator %v", s, m, ok)
	}
	if ok {
		want := []string{m.GroupByNumber(1).String(), m.GroupByNumber(2).String(), m.GroupByNumber(3).String(), m.GroupByNumber(4).String()}
		if got := []string{n1, sep, n2, n3}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%q: groups %q, regexp2 %q", s, got, want)
		}
	}
}

var patternSeeds = []string{"", "a", "aa", "aaaaa", "aabaab", "aabaabaabaab", "abcabcabc", "xyzabab", "ab\nab", "a\na\n",
	"1991", "11111991", "19911\n", "1/1/91", "11/11/1991", "1 1 91", "1\u00a01\u00a091", "1\n1\n91\n", "2015_06_04",
	"1-1/91", "12345/1/1", "1/123/1", "\u0663\u0663/1/1991", "\xff\xfe\xff\xfe", "éé", "aa\xffaa", "1/1/12345", "1/1/91\n"}

func TestPatternsAsRegexp2(t *testing.T) {
	t.Parallel()
	for _, s := range patternSeeds {
		samePatterns(t, s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(14) {
			b.WriteString(patternAlphabet[rng.IntN(len(patternAlphabet))])
		}
		samePatterns(t, b.String())
	}
}

func FuzzPatternsAsRegexp2(f *testing.F) {
	for _, s := range patternSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64 {
			return
		}
		samePatterns(t, s)
	})
}
