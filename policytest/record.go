package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// MaxRecordedIDs is how many row ids a recorded list keeps; a longer list
// is recorded by its count alone.
const MaxRecordedIDs = 1000

// Recording is what Record writes: the test file and how many tests it
// holds.
type Recording struct {
	File  []byte
	Tests int
}

// Record writes, as a test file, what each identity gets on each table
// now: its list (the ids, the count, the columns masked and raw in every
// row) or the list's refusal, and the outcome of an attempt at every other
// operation — a create with no data, an update with no data and a delete of
// the first row it lists, and each action with no input (on that row, for
// a record action) — with the refusal's code and fields. An operation that
// needs a row is left out for an identity that lists none. Every attempt
// runs on a fresh copy, so that running the file on the same snapshot
// passes: it is a policy snapshot to review and commit.
func Record(ctx context.Context, s *engine.Scratch, cfg *schema.Config, ids []engine.Identity, tables []string, heading string) (*Recording, error) {
	var w recordWriter
	w.heading(heading, ids, tables)
	reads, err := s.Open(engine.Options{})
	if err != nil {
		return nil, err
	}
	defer func() {
		reads.Close()
		s.Discard(reads)
	}()
	for _, id := range ids {
		for _, name := range tables {
			t := cfg.Table(name)
			if t == nil {
				return nil, fmt.Errorf("unknown table %q", name)
			}
			who := label(id)
			as := asOf(id)
			list := Operation{Kind: OpList, Table: t.Name}
			out, err := perform(ctx, reads, id, list)
			if err != nil {
				return nil, err
			}
			w.test(fmt.Sprintf("%s: list %s", who, t.Name), as, list, listExpect(t, out))
			if t.Internal {
				continue
			}
			first := ""
			if out.err == nil && len(out.ids) > 0 {
				first = out.ids[0]
			}
			ops := []Operation{{Kind: OpCreate, Table: t.Name, Data: map[string]any{}}}
			if first != "" {
				ops = append(ops,
					Operation{Kind: OpUpdate, Table: t.Name, ID: first, Data: map[string]any{}},
					Operation{Kind: OpDelete, Table: t.Name, ID: first})
			}
			for _, a := range t.Actions {
				op := Operation{Kind: OpRun, Table: t.Name, Action: a.Name, Data: map[string]any{}}
				if a.Type == "record" {
					if first == "" {
						continue
					}
					op.ID = first
				}
				ops = append(ops, op)
			}
			if first == "" {
				w.comment(fmt.Sprintf("%s lists no %s: the operations on a row are not recorded", who, t.Name))
			}
			for _, op := range ops {
				out, err := performOnCopy(ctx, s, id, op)
				if err != nil {
					return nil, err
				}
				x := Expect{Set: map[string]bool{}}
				if out.err != nil {
					x.Error = string(out.err.Code)
					if f := errorFields(out.err); len(f) > 0 {
						x.Fields, x.Set["fields"] = f, true
					}
				}
				w.test(opName(who, op), as, op, x)
			}
		}
	}
	return &Recording{File: w.b.Bytes(), Tests: w.n}, nil
}

// performOnCopy runs op on a fresh copy of the snapshot.
func performOnCopy(ctx context.Context, s *engine.Scratch, id engine.Identity, op Operation) (outcome, error) {
	e, err := s.Open(engine.Options{})
	if err != nil {
		return outcome{}, err
	}
	out, err := perform(ctx, e, id, op)
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	s.Discard(e)
	return out, err
}

// listExpect is what a recorded list expects: its refusal, or its rows.
func listExpect(t *schema.Table, out outcome) Expect {
	x := Expect{Set: map[string]bool{}}
	if out.err != nil {
		x.Error = string(out.err.Code)
		return x
	}
	n := len(out.ids)
	x.Count = &n
	if n <= MaxRecordedIDs {
		x.IDs, x.Set["ids"] = sortedCopy(out.ids), true
	}
	if n == 0 {
		return x
	}
	for i, c := range t.Columns {
		masked, raw, values := true, true, false
		for _, r := range out.rows {
			switch {
			case r.Values[i] == nil:
				continue // null stays null: neither masked nor raw
			case r.Masked[i]:
				raw = false
			default:
				masked = false
			}
			values = true
		}
		switch {
		case !values:
		case masked:
			x.Masked = append(x.Masked, c.Name)
		case raw:
			x.Raw = append(x.Raw, c.Name)
		}
	}
	return x
}

// label names an identity in a test's name.
func label(id engine.Identity) string {
	switch {
	case id.Anonymous && id.OrgID == "":
		return "anonymous"
	case id.Anonymous, id.Synthetic:
		return id.String()
	case id.RealRole != "":
		return fmt.Sprintf("%s@%s as %s", id.UserID, id.OrgID, id.Role)
	}
	return id.String()
}

// asOf is the As that resolves to id.
func asOf(id engine.Identity) As {
	switch {
	case id.Anonymous:
		return As{Anonymous: true, Org: id.OrgID}
	case id.Synthetic:
		return As{Role: id.Role, Org: id.OrgID}
	case id.RealRole != "":
		return As{User: id.UserID, Org: id.OrgID, Role: id.Role}
	}
	return As{User: id.UserID, Org: id.OrgID}
}

func opName(who string, op Operation) string {
	switch op.Kind {
	case OpCreate:
		return fmt.Sprintf("%s: create %s with no data", who, op.Table)
	case OpUpdate:
		return fmt.Sprintf("%s: update %s %s with no data", who, op.Table, op.ID)
	case OpDelete:
		return fmt.Sprintf("%s: delete %s %s", who, op.Table, op.ID)
	case OpRun:
		if op.ID == "" {
			return fmt.Sprintf("%s: run %s.%s with no input", who, op.Table, op.Action)
		}
		return fmt.Sprintf("%s: run %s.%s on %s with no input", who, op.Table, op.Action, op.ID)
	}
	return fmt.Sprintf("%s: %s %s", who, op.Kind, op.Table)
}

// recordWriter writes a test file.
type recordWriter struct {
	b bytes.Buffer
	n int
}

func (w *recordWriter) heading(heading string, ids []engine.Identity, tables []string) {
	for _, line := range strings.Split(heading, "\n") {
		w.comment(line)
	}
	var who []string
	for _, id := range ids {
		who = append(who, label(id))
	}
	w.comment("Identities: " + strings.Join(who, ", "))
	w.comment("Tables: " + strings.Join(tables, ", "))
	w.comment("A test without expect expects the operation to succeed.")
}

// comment writes a comment line; controls and bidi characters (in ids
// and names read from the database) are blanked.
func (w *recordWriter) comment(s string) {
	fmt.Fprintf(&w.b, "# %s\n", termsafe.Sanitize(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)))
}

func (w *recordWriter) test(name string, as As, op Operation, x Expect) {
	w.n++
	fmt.Fprintf(&w.b, "\n[[test]]\nname = %s\n", tomlString(name))
	var parts []string
	if as.Anonymous {
		parts = append(parts, "anonymous = true")
	}
	for _, kv := range [][2]string{{"user", as.User}, {"org", as.Org}, {"role", as.Role}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" = "+tomlString(kv[1]))
		}
	}
	fmt.Fprintf(&w.b, "as = { %s }\n", strings.Join(parts, ", "))
	parts = []string{"table = " + tomlString(op.Table)}
	if op.Action != "" {
		parts = append(parts, "action = "+tomlString(op.Action))
	}
	if op.ID != "" {
		parts = append(parts, "id = "+tomlString(op.ID))
	}
	switch op.Kind {
	case OpCreate, OpUpdate, OpUpsert:
		parts = append(parts, "data = {}")
	case OpRun:
		parts = append(parts, "input = {}")
	}
	fmt.Fprintf(&w.b, "%s = { %s }\n", op.Kind, strings.Join(parts, ", "))
	var lines []string
	if x.Error != "" {
		lines = append(lines, "error = "+tomlString(x.Error))
	}
	if x.Set["fields"] {
		lines = append(lines, "fields = "+tomlStrings(x.Fields, ""))
	}
	if x.Count != nil {
		lines = append(lines, fmt.Sprintf("count = %d", *x.Count))
	}
	if x.Set["ids"] {
		lines = append(lines, "ids = "+tomlStrings(x.IDs, "  "))
	}
	if x.Masked != nil {
		lines = append(lines, "masked = "+tomlStrings(x.Masked, ""))
	}
	if x.Raw != nil {
		lines = append(lines, "raw = "+tomlStrings(x.Raw, ""))
	}
	if len(lines) > 0 {
		fmt.Fprintf(&w.b, "[test.expect]\n%s\n", strings.Join(lines, "\n"))
	}
}

// tomlString is s as a TOML basic string: JSON's escapes are TOML's, and
// every control, bidi and line-separator character is escaped (\uXXXX),
// so the file prints safely.
func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return string(termsafe.EscapeJSON(bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
}

// tomlStrings is names as a TOML array: on one line, or, with indent, one
// wrapped line of items per 80 columns or so.
func tomlStrings(names []string, indent string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = tomlString(n)
	}
	if indent == "" || len(strings.Join(q, ", ")) < 70 {
		return "[" + strings.Join(q, ", ") + "]"
	}
	var b strings.Builder
	b.WriteString("[\n")
	line := indent
	for _, s := range q {
		if len(line)+len(s) > 78 && line != indent {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += s + ", "
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n]")
	return b.String()
}
