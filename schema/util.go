package schema

import (
	"encoding/json"
	"strings"
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = `"` + s + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }

// hint suggests the closest candidate to a misspelt name, or "".
func hint(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if d < bestD && d < len(c) && d <= len(name)/2 {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return `; did you mean "` + best + `"?`
}

// hintOrList suggests the closest candidate, else lists them all.
func hintOrList(name string, candidates []string) string {
	if h := hint(name, candidates); h != "" {
		return h
	}
	return " (expected one of: " + strings.Join(candidates, ", ") + ")"
}

// distance is the Levenshtein distance of a and b (bytes), capped for long
// inputs so that hints stay cheap.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
