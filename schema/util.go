package schema

import (
	"encoding/json"
	"strings"

	"quickback.dev/qb/internal/suggest"
)

// quoted is each name in double quotes.
func quoted(list []string) []string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = `"` + s + `"`
	}
	return q
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = `"` + s + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }

// hint is `; did you mean "x"?` for the candidate nearest to a misspelt
// name, or "" (the one did-you-mean of the project: internal/suggest).
func hint(name string, candidates []string) string {
	return suggest.Hint(name, candidates)
}

// hintOrList suggests the closest candidate, else lists them all.
func hintOrList(name string, candidates []string) string {
	if h := hint(name, candidates); h != "" {
		return h
	}
	return " (expected one of: " + strings.Join(candidates, ", ") + ")"
}
