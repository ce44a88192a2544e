package engine

import (
	"slices"
	"strings"

	"quickback.dev/qb/schema"
)

// The list query language: filters (SPEC §5 EXPR), sort keys and search.

// Filter is one list filter: COL OP VALUE (SPEC §5 EXPR).
type Filter struct {
	Column string
	Op     string // = != < <= > >= ~ in
	Value  string
}

// ParseFilter parses "COL=V", "COL!=V", "COL<V", "COL<=V", "COL>V", "COL>=V",
// "COL~V" and "COL in V1,V2".
func ParseFilter(expr string) (Filter, error) {
	i := 0
	for i < len(expr) && (isIdentByte(expr[i])) {
		i++
	}
	if i == 0 {
		return Filter{}, Errf(ValidationFailed, map[string]any{"filter": expr}, "filter %q: expected COLUMN OPERATOR VALUE", expr)
	}
	col := expr[:i]
	rest := expr[i:]
	trimmed := strings.TrimLeft(rest, " ")
	if strings.HasPrefix(trimmed, "in ") {
		return Filter{Column: col, Op: "in", Value: strings.TrimSpace(trimmed[3:])}, nil
	}
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">", "~"} {
		if strings.HasPrefix(trimmed, op) {
			// "==", "<>", "=>", "=~" are no operators of ours: an operator
			// character right after the operator is refused, not taken as
			// the start of the value (a value that starts with one is
			// written after a space: "title= =x").
			if rest := trimmed[len(op):]; rest != "" && strings.ContainsRune("=<>!~", rune(rest[0])) {
				return Filter{}, Errf(ValidationFailed, map[string]any{"filter": expr, "operator": op + rest[:1]},
					"filter %q: unknown operator %q (use = != < <= > >= ~ in; a value that starts with %q goes after a space)", expr, op+rest[:1], rest[:1])
			}
			return Filter{Column: col, Op: op, Value: strings.TrimPrefix(trimmed[len(op):], " ")}, nil
		}
	}
	return Filter{}, Errf(ValidationFailed, map[string]any{"filter": expr}, "filter %q: unknown operator (use = != < <= > >= ~ in)", expr)
}

// filterLiteral is a filter's value as the column stores it; a value the
// column cannot hold (not a number, not one of an enum's values) is
// VALIDATION_FAILED, never a filter that silently matches nothing.
func filterLiteral(c *schema.Column, s string) (any, error) {
	if c.Type == schema.TypeEnum && !slices.Contains(c.Values, s) {
		return nil, Errf(ValidationFailed, suggest(map[string]any{"column": c.Name, "value": s, "values": c.Values}, s, c.Values),
			"filter on %s: %q is not one of %s", c.Name, s, strings.Join(c.Values, ", "))
	}
	v, msg := parseLiteral(c, s)
	if msg != "" {
		return nil, Errf(ValidationFailed, map[string]any{"column": c.Name, "value": s}, "filter on %s: %s", c.Name, msg)
	}
	return v, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
