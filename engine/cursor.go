package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"quickback.dev/qb/schema"
)

// Keyset paging: the condition "after the last row of the page", and the
// opaque cursor carrying that row's sort values, bound to its query's
// signature.

// keysetAfter is the condition "strictly after the row with these sort
// values" in the order of keys. Non-null keys of one direction use a row
// value comparison, which SQLite answers with an index seek.
func keysetAfter(t *schema.Table, keys []sortCol, vals []any) (string, []any) {
	uniform := true
	for _, k := range keys {
		if k.desc != keys[0].desc || !notNull(t, k.col) {
			uniform = false
		}
	}
	if uniform {
		var cols, marks []string
		for _, k := range keys {
			cols = append(cols, k.expr())
			marks = append(marks, "?")
		}
		op := ">"
		if keys[0].desc {
			op = "<"
		}
		return "(" + strings.Join(cols, ", ") + ") " + op + " (" + strings.Join(marks, ", ") + ")", vals
	}
	var ors []string
	var args []any
	for i, k := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			c := keys[j].expr()
			if vals[j] == nil {
				ands = append(ands, c+" IS NULL")
			} else {
				ands = append(ands, c+" = ?")
				args = append(args, vals[j])
			}
		}
		c := k.expr()
		switch {
		case !k.desc && vals[i] == nil:
			ands = append(ands, c+" IS NOT NULL")
		case !k.desc:
			ands = append(ands, c+" > ?")
			args = append(args, vals[i])
		case vals[i] == nil:
			ands = append(ands, sqlFalse)
		default:
			ands = append(ands, "("+c+" < ? OR "+c+" IS NULL)")
			args = append(args, vals[i])
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

type cursorBody struct {
	K string `json:"k"`
	V []any  `json:"v"`
}

func encodeCursor(sig string, vals []any) string {
	b, _ := json.Marshal(cursorBody{K: sig, V: vals})
	return base64.RawURLEncoding.EncodeToString(b)
}

// badCursor is decodeCursor's refusal, built only when a cursor is refused
// (paging through a list decodes one per page).
func badCursor() error {
	return Errf(ValidationFailed, map[string]any{"cursor": "invalid"}, "invalid cursor: it does not belong to this query")
}

func decodeCursor(s, sig string, n int) ([]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, badCursor()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var c cursorBody
	if err := dec.Decode(&c); err != nil || c.K != sig || len(c.V) != n {
		return nil, badCursor()
	}
	for i, v := range c.V {
		switch x := v.(type) {
		case nil, string:
		case json.Number:
			if iv, err := x.Int64(); err == nil {
				c.V[i] = iv
			} else if f, err := x.Float64(); err == nil {
				c.V[i] = f
			} else {
				return nil, badCursor()
			}
		case bool:
			if x {
				c.V[i] = int64(1)
			} else {
				c.V[i] = int64(0)
			}
		default:
			return nil, badCursor()
		}
	}
	return c.V, nil
}
