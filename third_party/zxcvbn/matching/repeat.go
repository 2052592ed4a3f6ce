package matching

import (
	"keysmith/third_party/zxcvbn/match"
	"keysmith/third_party/zxcvbn/scoring"
)

type repeatMatch struct{}

// runeIndex converts a byte offset into password to a rune offset, or -1
// when it is past the end or inside a rune.
func runeIndex(password string, byteIndex int) int {
	runes := 0
	for i := range password {
		if i == byteIndex {
			return runes
		}
		runes++
	}
	if byteIndex == len(password) {
		return runes
	}
	return -1
}

func runeToStringIndex(index int, password string) int {
	runes := 0
	for i := range password {
		if runes == index {
			return i
		}
		runes++
	}
	//shouldn't really get here
	return len(password)
}

func (repeatMatch) Matches(password string) []*match.Match {
	var matches []*match.Match

	runes := []rune(password)
	lastIndex := 0
	for lastIndex < len(password) {
		start := runeIndex(password, lastIndex)
		if start < 0 {
			break
		}
		greedyMatch, ok := findRepeat(runes, start, true)
		if !ok {
			break
		}
		lazyMatch, _ := findRepeat(runes, start, false)

		var rmatch repetition
		if greedyMatch.length > lazyMatch.length {
			// greedy beats lazy for 'aabaab'
			//   greedy: [aabaab, aab]
			//   lazy:   [aa,     a]
			// greedy's repeated string might itself be repeated, eg.
			// aabaab in aabaabaabaab: its shortest period is the base.
			rmatch = greedyMatch
			rmatch.base = shortestPeriod(runes[rmatch.index : rmatch.index+rmatch.length])
		} else {
			// lazy beats greedy for 'aaaaa'
			//   greedy: [aaaa,  aa]
			//   lazy:   [aaaaa, a]
			rmatch = lazyMatch
		}
		token := string(runes[rmatch.index : rmatch.index+rmatch.length])
		baseToken := string(runes[rmatch.index : rmatch.index+rmatch.base])
		// lastIndex is a byte offset, rmatch's are rune offsets
		i := runeToStringIndex(rmatch.index, password)
		j := runeToStringIndex(rmatch.index+rmatch.length-1, password)

		// recursively match and score the base string
		baseAnalysis := scoring.MostGuessableMatchSequence(
			baseToken,
			Omnimatch(baseToken, nil),
			false,
		)
		matches = append(matches, &match.Match{
			Pattern:     "repeat",
			I:           i,
			J:           j,
			Token:       token,
			BaseToken:   baseToken,
			BaseGuesses: baseAnalysis.Guesses,
			BaseMatches: baseAnalysis.Sequence,
			RepeatCount: rmatch.length / len(baseToken), // runes over bytes, as upstream
		})
		lastIndex = j + 1

	}
	return matches
}
