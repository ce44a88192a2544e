// Package suggest finds the word a misspelt name was probably meant to be:
// the one place that decides what "did you mean" offers, for commands,
// flags, tables, columns, fields, users, organizations, roles and actions.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the candidate nearest to word, or "" when none is near
// enough to be a likely typo. Case is ignored when comparing; a candidate
// equal to word is never offered (it would not be a correction). Ties go to
// the earlier candidate, so callers control the order.
func Closest(word string, candidates []string) string {
	if len(word) > maxLen {
		return ""
	}
	w := strings.ToLower(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == word || c == "" {
			continue
		}
		if len(c) > maxLen {
			continue
		}
		lc := strings.ToLower(c)
		d := distance(w, lc)
		limit := threshold(max(utf8.RuneCountInString(w), utf8.RuneCountInString(lc)))
		// A word that is a prefix of a longer candidate ("adv" for
		// "advanceStage") is a likely abbreviation.
		if len(w) >= 3 && strings.HasPrefix(lc, w) {
			d = min(d, 1)
		}
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// maxLen is the longest name (in bytes) compared: longer input is no
// typo of a name, and the comparison stays cheap on hostile input.
const maxLen = 64

// threshold is how many edits still count as a typo for a word of n runes:
// one for short words, two from five runes, three from nine.
func threshold(n int) int {
	switch {
	case n >= 9:
		return 3
	case n >= 5:
		return 2
	case n >= 2:
		return 1
	}
	return 0
}

// distance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent runes each cost
// one ("jbos" is one edit from "jobs").
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Hint is the clause appended to an error message, `; did you mean "x"?`,
// or "" when there is nothing to suggest.
func Hint(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return "; did you mean \"" + c + "\"?"
	}
	return ""
}
