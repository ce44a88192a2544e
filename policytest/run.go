package policytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
)

// Failure is one expectation a test did not meet.
type Failure struct {
	// Expectation is the key of expect that failed ("error", "count", ...).
	Expectation string `json:"expectation"`
	Expected    string `json:"expected"`
	Got         string `json:"got"`
}

func (f Failure) String() string {
	return fmt.Sprintf("expected %s, got %s", f.Expected, f.Got)
}

// Result is the outcome of one test.
type Result struct {
	Test     *Test
	Failures []Failure
	// Duration is how long the operation took, its copy's opening
	// included.
	Duration time.Duration
}

// OK reports whether the test met every expectation.
func (r Result) OK() bool { return len(r.Failures) == 0 }

// Run runs tests in order, each on a copy of the scratch snapshot that no
// earlier test has written to: a test that may have written (a create,
// update, delete, upsert or action that succeeded) gets the next test a
// fresh copy. Before the first test runs, every test's identity is
// resolved; one that does not resolve is reported with the others as a
// *schema.Problems at its `as`, and nothing runs. Each result goes to
// report as it comes (nil: none).
func Run(ctx context.Context, s *engine.Scratch, tests []*Test, report func(Result)) ([]Result, error) {
	e, err := s.Open(engine.Options{})
	if err != nil {
		return nil, err
	}
	closeCopy := func() error {
		err := e.Close()
		s.Discard(e)
		e = nil
		return err
	}
	defer func() {
		if e != nil {
			closeCopy()
		}
	}()
	ids := make([]engine.Identity, len(tests))
	var probs schema.Problems
	for i, t := range tests {
		id, err := resolve(ctx, e, t.As)
		if err != nil {
			var ie *engine.IdentityError
			if !errors.As(err, &ie) {
				return nil, err
			}
			probs = append(probs, schema.Problem{File: t.File, Line: t.AsLine, Path: t.asPath, Message: ie.Error()})
		}
		ids[i] = id
	}
	if len(probs) > 0 {
		return nil, &probs
	}
	var results []Result
	for i, t := range tests {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		start := time.Now()
		if e == nil {
			if e, err = s.Open(engine.Options{}); err != nil {
				return results, err
			}
		}
		out, err := perform(ctx, e, ids[i], t.Op)
		if err != nil {
			return results, fmt.Errorf("%s: %s: %w", t.Where(), t.Name, err)
		}
		if out.wrote {
			if err := closeCopy(); err != nil {
				return results, err
			}
		}
		r := Result{Test: t, Failures: check(t.Expect, out), Duration: time.Since(start)}
		results = append(results, r)
		if report != nil {
			report(r)
		}
	}
	return results, nil
}

// resolve turns an As into an identity as the command line's identity
// flags would.
func resolve(ctx context.Context, e *engine.Engine, a As) (engine.Identity, error) {
	user := a.User
	if a.Anonymous {
		user = "anonymous"
	}
	return e.ResolveIdentity(ctx, user, a.Org, a.Role)
}

// outcome is what an operation returned.
type outcome struct {
	err *engine.Error
	// rows are the rows returned as the identity sees them; ids their ids
	// (or the deleted or withheld rows' ids).
	rows []engine.Row
	ids  []string
	// changed are the fields a write changed.
	changed []string
	// wrote is set when the copy may hold the operation's effects.
	wrote bool
}

// perform runs op as id. A refusal is the outcome's err; the error returned
// is anything else (the copy failing).
func perform(ctx context.Context, e *engine.Engine, id engine.Identity, op Operation) (outcome, error) {
	var out outcome
	err := func() error {
		switch op.Kind {
		case OpList:
			q := engine.ListQuery{Search: op.Search, Limit: engine.MaxLimit}
			for _, f := range op.Filter {
				pf, err := engine.ParseFilter(f)
				if err != nil {
					return err
				}
				q.Filters = append(q.Filters, pf)
			}
			for _, s := range op.Sort {
				q.Sort = append(q.Sort, schema.ParseSortKey(s))
			}
			for {
				p, err := e.List(ctx, id, op.Table, q)
				if err != nil {
					return err
				}
				out.rows = append(out.rows, p.Rows...)
				if p.Next == "" {
					return nil
				}
				q.Cursor = p.Next
			}
		case OpGet:
			row, err := e.Get(ctx, id, op.Table, op.ID)
			if err != nil {
				return err
			}
			out.rows = []engine.Row{*row}
			return nil
		case OpRun:
			res, err := e.Run(ctx, id, op.Table, op.Action, op.ID, op.Data, engine.WriteOptions{})
			if err != nil {
				return err
			}
			out.wrote = true
			if res.Row != nil {
				out.rows = append(out.rows, *res.Row)
			}
			out.rows = append(out.rows, res.Inserted...)
			for _, w := range res.Withheld {
				out.ids = append(out.ids, w.ID)
				out.changed = append(out.changed, w.Fields...)
			}
			for _, c := range res.Changes {
				out.changed = append(out.changed, c.Field)
			}
			return nil
		}
		var res *engine.WriteResult
		var err error
		switch op.Kind {
		case OpCreate:
			res, err = e.Create(ctx, id, op.Table, op.Data, engine.WriteOptions{})
		case OpUpdate:
			res, err = e.Update(ctx, id, op.Table, op.ID, op.Data, engine.WriteOptions{})
		case OpDelete:
			res, err = e.Delete(ctx, id, op.Table, op.ID, engine.WriteOptions{})
		case OpUpsert:
			res, err = e.Upsert(ctx, id, op.Table, op.Data, engine.WriteOptions{})
		default:
			return fmt.Errorf("unknown operation %q", op.Kind)
		}
		if err != nil {
			return err
		}
		out.wrote = true
		switch {
		case res.Row != nil:
			out.rows = []engine.Row{*res.Row}
		default:
			out.ids = []string{res.ID}
		}
		for _, c := range res.Changes {
			out.changed = append(out.changed, c.Field)
		}
		if res.Withheld != nil {
			out.changed = append(out.changed, res.Withheld.Fields...)
		}
		return nil
	}()
	if err != nil {
		ee, ok := engine.AsError(err)
		if !ok {
			return out, err
		}
		out.err = ee
		out.wrote = false
		return out, nil
	}
	for _, r := range out.rows {
		out.ids = append(out.ids, r.ID())
	}
	return out, nil
}

// check compares an outcome with the expectations.
func check(x Expect, out outcome) []Failure {
	var fs []Failure
	fail := func(what, expected, got string) {
		fs = append(fs, Failure{Expectation: what, Expected: expected, Got: got})
	}
	if out.err != nil {
		got := string(out.err.Code) + " (" + firstLine(out.err.Message) + ")"
		if x.Error == "" {
			fail("error", "ok", got)
			return fs
		}
		if string(out.err.Code) != x.Error {
			fail("error", "error "+x.Error, got)
		}
		if x.Set["fields"] {
			if got := errorFields(out.err); !sameSet(got, x.Fields) {
				fail("fields", "fields "+quoteList(sortedCopy(x.Fields)), "fields "+quoteList(sortedCopy(got)))
			}
		}
		return fs
	}
	if x.Error != "" {
		fail("error", "error "+x.Error, "ok")
		return fs
	}
	if x.Set["fields"] && !sameSet(out.changed, x.Fields) {
		fail("fields", "changed fields "+quoteList(sortedCopy(x.Fields)), "changed fields "+quoteList(sortedCopy(out.changed)))
	}
	if x.Count != nil && len(out.ids) != *x.Count {
		fail("count", fmt.Sprintf("count %d", *x.Count), fmt.Sprintf("count %d", len(out.ids)))
	}
	if x.Set["ids"] && !sameSet(out.ids, x.IDs) {
		missing, extra := difference(x.IDs, out.ids), difference(out.ids, x.IDs)
		var got []string
		if len(missing) > 0 {
			got = append(got, "missing "+quoteList(missing))
		}
		if len(extra) > 0 {
			got = append(got, "unexpected "+quoteList(extra))
		}
		fail("ids", fmt.Sprintf("ids %s", quoteList(sortedCopy(x.IDs))), strings.Join(got, " and "))
	}
	// A column is masked (raw) when no row shows its value raw (masked);
	// a null value reveals nothing either way.
	visibility := func(what string, cols []string, masked bool) {
		if len(cols) == 0 {
			return
		}
		if len(out.rows) == 0 {
			fail(what, fmt.Sprintf("%s %s", what, quoteList(cols)), "no rows to check")
			return
		}
		for _, c := range cols {
			for _, r := range out.rows {
				if r.Table.Column(c) == nil {
					fail(what, fmt.Sprintf("%s %s", c, what), fmt.Sprintf("no column %s in %s", c, r.Table.Name))
					break
				}
				if r.Get(c) == nil {
					continue // null stays null: neither masked nor raw
				}
				if r.IsMasked(c) != masked {
					state := "raw"
					if !masked {
						state = "masked"
					}
					fail(what, fmt.Sprintf("%s %s", c, what), fmt.Sprintf("%s on %s", state, r.ID()))
					break
				}
			}
		}
	}
	visibility("masked", x.Masked, true)
	visibility("raw", x.Raw, false)
	if len(x.Values) > 0 && len(out.rows) == 0 {
		fail("values", "values "+render(x.Values), "no rows to check")
	}
	for _, c := range sortedKeys(x.Values) {
		want := render(x.Values[c])
		for _, r := range out.rows {
			if r.Table.Column(c) == nil {
				fail("values", fmt.Sprintf("%s = %s", c, want), fmt.Sprintf("no column %s in %s", c, r.Table.Name))
				break
			}
			if got := render(r.Get(c)); got != want {
				fail("values", fmt.Sprintf("%s = %s", c, want), fmt.Sprintf("%s = %s on %s", c, got, r.ID()))
				break
			}
		}
	}
	return fs
}

// errorFields are the fields a refusal names: details.fields (each an
// offending field, or the columns of a unique key), else details.field
// (a transition) or details.column (a masked query column).
func errorFields(e *engine.Error) []string {
	var out []string
	switch fs := e.Details["fields"].(type) {
	case []engine.FieldProblem:
		for _, f := range fs {
			out = append(out, f.Field)
		}
	case []string:
		out = append(out, fs...)
	}
	if len(out) == 0 {
		for _, k := range []string{"field", "column"} {
			if s, ok := e.Details[k].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	return slices.Equal(dedupe(a), dedupe(b))
}

func dedupe(names []string) []string {
	return slices.Compact(sortedCopy(names))
}

// difference is the names of a not in b.
func difference(a, b []string) []string {
	var out []string
	for _, n := range dedupe(a) {
		if !slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

// render writes a value as JSON, so that a TOML value and the engine's
// compare by what they are (5 and 5.0 alike; "5" apart).
func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return sortedCopy(out)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
