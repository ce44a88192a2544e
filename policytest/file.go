// Package policytest reads, runs and records policy tests (SPEC §10):
// declarative expectations of what an identity sees and may do, each run on
// a throwaway copy of the database (engine.Scratch), never on the database
// itself. Test files are read like the config: every problem of every file
// is reported at once, as file:line: key path: message.
package policytest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/suggest"
	"quickback.dev/qb/schema"
)

// The operations a test may run.
const (
	OpList   = "list"
	OpGet    = "get"
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
	OpUpsert = "upsert"
	OpRun    = "run"
)

// Ops lists the operations in the order the SPEC names them.
var Ops = []string{OpList, OpGet, OpCreate, OpUpdate, OpDelete, OpUpsert, OpRun}

// Test is one [[test]] of a file.
type Test struct {
	Name string
	// File and Line locate the test's [[test]] header.
	File string
	Line int
	As   As
	// AsLine is the line of its `as`, where an identity that does not
	// resolve is reported.
	AsLine int
	asPath string
	Op     Operation
	Expect Expect
}

// Where is the test's location, FILE:LINE.
func (t *Test) Where() string { return fmt.Sprintf("%s:%d", t.File, t.Line) }

// As names the identity a test runs as: a user (id or email; Org for a
// user of several organizations, Role to override the membership's), a
// role alone (any user of that role in Org), or an anonymous caller.
type As struct {
	User      string
	Org       string
	Role      string
	Anonymous bool
}

// Operation is what a test does: Kind is one of Ops.
type Operation struct {
	Kind   string
	Table  string
	ID     string
	Action string
	// Filter, Sort and Search are a list's query, as the command line
	// takes them (parsed when the test runs, so that a test may expect
	// the refusal of a bad one).
	Filter []string
	Sort   []string
	Search string
	// Data is a write's data or an action's input.
	Data map[string]any
}

// Expect is what a test expects. A nil or unset field is not checked.
type Expect struct {
	// Error is the code of the refusal expected; "" expects success.
	Error string
	// IDs are the ids of the rows the operation returns (a list's every
	// page; the written, deleted or action's rows), in any order.
	IDs []string
	// Count is how many rows it returns.
	Count *int
	// Masked and Raw are columns masked, and shown raw, in every row it
	// returns.
	Masked, Raw []string
	// Values are column values every row it returns has, as the identity
	// sees them (masked values as masked).
	Values map[string]any
	// Fields are the fields a refusal names (details.fields), or, on
	// success, the fields a write or action changed.
	Fields []string
	// Set records which of IDs, Fields and Values were given (an empty
	// list is an expectation too).
	Set map[string]bool
}

// DefaultDir is where `qb test` looks for test files beside the config.
const DefaultDir = "tests"

// Files expands paths (files, or directories whose *.toml files are read)
// into test files; no paths means DefaultDir beside the config.
func Files(cfg *schema.Config, paths []string) ([]string, error) {
	if len(paths) == 0 {
		dir := filepath.Join(cfg.Dir, DefaultDir)
		files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no test files: %s holds no *.toml file; write tests there (README, \"Policy tests in CI\") or give FILE", Relative(dir))
		}
		for i, f := range files {
			files[i] = Relative(f)
		}
		return files, nil
	}
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("test file %s: %w", p, err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(p, "*.toml"))
		if len(files) == 0 {
			return nil, fmt.Errorf("no test files: directory %s holds no *.toml file", p)
		}
		out = append(out, files...)
	}
	return out, nil
}

// Relative is path relative to the working directory when it lies under
// it (how FILE:LINE reads best), else path.
func Relative(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// Load reads test files against cfg. Every problem of every file — TOML
// syntax, unknown keys, a missing name or operation, an unknown table,
// action, column or error code, expectations that cannot hold together,
// a name used twice — is reported in one *schema.Problems.
func Load(cfg *schema.Config, files []string) ([]*Test, error) {
	l := &loader{cfg: cfg, names: map[string]string{}}
	var tests []*Test
	for _, f := range files {
		tests = append(tests, l.file(f)...)
	}
	if len(l.probs) > 0 {
		return nil, &l.probs
	}
	return tests, nil
}

type loader struct {
	cfg   *schema.Config
	probs schema.Problems
	// names maps each test name to where it was first declared.
	names map[string]string

	file_ string
	lines map[string]int
}

func (l *loader) add(path string, format string, args ...any) {
	l.probs = append(l.probs, schema.Problem{File: l.file_, Line: l.line(path), Path: path, Message: fmt.Sprintf(format, args...)})
}

// line is the line of path, else of its nearest parent the scanner knows.
func (l *loader) line(path string) int {
	for p := path; p != ""; {
		if n, ok := l.lines[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 1
}

// Parse reads one test file's source, as Load reads each file.
func Parse(cfg *schema.Config, path string, src []byte) ([]*Test, error) {
	l := &loader{cfg: cfg, names: map[string]string{}}
	tests := l.source(path, string(src))
	if len(l.probs) > 0 {
		return nil, &l.probs
	}
	return tests, nil
}

func (l *loader) file(path string) []*Test {
	b, err := os.ReadFile(path)
	if err != nil {
		l.probs = append(l.probs, schema.Problem{File: path, Message: err.Error(), Err: err})
		return nil
	}
	return l.source(path, string(b))
}

func (l *loader) source(path, src string) []*Test {
	l.file_, l.lines = path, nil
	var m map[string]any
	if _, err := toml.Decode(src, &m); err != nil {
		p := schema.Problem{File: path, Line: 1, Message: "syntax error: " + err.Error()}
		if pe, ok := err.(toml.ParseError); ok {
			p.Line, p.Message = pe.Position.Line, "syntax error: "+pe.Message
		}
		l.probs = append(l.probs, p)
		return nil
	}
	l.lines = schema.KeyLines(src)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "test" {
			l.add(k, "unknown key%s (a test file holds [[test]] entries)", hint(k, []string{"test"}))
		}
	}
	raw, ok := m["test"]
	if !ok {
		l.add("", "no [[test]] entries")
		return nil
	}
	entries, ok := raw.([]map[string]any)
	if !ok {
		l.add("test", "must be an array of tables ([[test]])")
		return nil
	}
	var out []*Test
	from := len(l.probs)
	for i, e := range entries {
		if t := l.test(fmt.Sprintf("test[%d]", i), e); t != nil {
			out = append(out, t)
		}
	}
	mine := l.probs[from:]
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Line < mine[j].Line })
	return out
}

// hint is `; did you mean "x"?` for a near candidate.
func hint(word string, candidates []string) string {
	if s := suggest.Closest(word, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

var testKeys = append([]string{"name", "as", "expect"}, Ops...)

func (l *loader) test(p string, e map[string]any) *Test {
	t := &Test{File: l.file_, Line: l.line(p)}
	n := len(l.probs)
	for _, k := range slices.Sorted(maps.Keys(e)) {
		if !slices.Contains(testKeys, k) {
			l.add(p+"."+k, "unknown key%s (a test has name, as, one operation of %s, and expect)", hint(k, testKeys), strings.Join(Ops, ", "))
		}
	}
	switch name, ok := e["name"].(string); {
	case e["name"] == nil:
		l.add(p, "a test needs a name")
	case !ok || strings.TrimSpace(name) == "":
		l.add(p+".name", "must be a non-empty string")
	default:
		t.Name = name
		if first, dup := l.names[name]; dup {
			l.add(p+".name", "test %q is already declared at %s", name, first)
		} else {
			l.names[name] = fmt.Sprintf("%s:%d", l.file_, l.line(p))
		}
	}
	t.As, t.AsLine = l.as(p+".as", e["as"])
	t.asPath = p + ".as"
	var ops []string
	for _, op := range Ops {
		if _, ok := e[op]; ok {
			ops = append(ops, op)
		}
	}
	var table *schema.Table
	switch len(ops) {
	case 0:
		l.add(p, "a test needs one operation: %s", strings.Join(Ops, ", "))
	case 1:
		t.Op, table = l.operation(p+"."+ops[0], ops[0], e[ops[0]])
	default:
		l.add(p+"."+ops[1], "a test runs one operation; this one has %s", strings.Join(ops, " and "))
	}
	t.Expect = l.expect(p+".expect", e["expect"], t.Op, table)
	if len(l.probs) > n {
		return nil
	}
	return t
}

func (l *loader) as(p string, v any) (As, int) {
	line := l.line(p)
	if v == nil {
		l.add(p[:strings.LastIndex(p, ".")], "a test needs `as`: { user = \"u-ivan\" }, { role = \"interviewer\", org = \"acme\" } or { anonymous = true, org = \"acme\" }")
		return As{}, line
	}
	m, ok := v.(map[string]any)
	if !ok {
		l.add(p, "must be a table such as { user = \"u-ivan\" }")
		return As{}, line
	}
	var a As
	n := len(l.probs)
	keys := []string{"user", "org", "role", "anonymous"}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(keys, k) {
			l.add(p+"."+k, "unknown key%s (as takes user, org, role and anonymous)", hint(k, keys))
			continue
		}
		if k == "anonymous" {
			b, ok := m[k].(bool)
			if !ok {
				l.add(p+"."+k, "must be true or false")
			}
			a.Anonymous = b
			continue
		}
		s, ok := m[k].(string)
		if !ok || s == "" {
			l.add(p+"."+k, "must be a non-empty string")
			continue
		}
		switch k {
		case "user":
			a.User = s
		case "org":
			a.Org = s
		case "role":
			a.Role = s
			if l.cfg.RoleIndex(s) < 0 {
				l.add(p+"."+k, "unknown role %q%s (roles: %s)", s, hint(s, l.cfg.Auth.Roles), strings.Join(l.cfg.Auth.Roles, ", "))
			}
		}
	}
	switch {
	case len(l.probs) > n:
		// Its keys are wrong already: whom it names is moot.
	case a.Anonymous && (a.User != "" || a.Role != ""):
		l.add(p, "an anonymous caller has no user or role: give { anonymous = true, org = \"...\" }")
	case !a.Anonymous && a.User == "" && a.Role == "":
		l.add(p, "names no one: give user, role (with org), or anonymous = true")
	case a.User == "anonymous":
		l.add(p+".user", "write { anonymous = true, org = \"...\" } for an anonymous caller")
	}
	return a, line
}

// opKeys are the keys each operation takes besides table.
var opKeys = map[string][]string{
	OpList:   {"filter", "sort", "search"},
	OpGet:    {"id"},
	OpCreate: {"data"},
	OpUpdate: {"id", "data"},
	OpDelete: {"id"},
	OpUpsert: {"data"},
	OpRun:    {"action", "id", "input"},
}

func (l *loader) operation(p, kind string, v any) (Operation, *schema.Table) {
	op := Operation{Kind: kind}
	m, ok := v.(map[string]any)
	if !ok {
		l.add(p, "must be a table such as { table = \"candidates\" }")
		return op, nil
	}
	allowed := append([]string{"table"}, opKeys[kind]...)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(allowed, k) {
			l.add(p+"."+k, "unknown key%s (%s takes %s)", hint(k, allowed), kind, strings.Join(allowed, ", "))
		}
	}
	str := func(k string) string {
		v, present := m[k]
		if !present {
			return ""
		}
		s, ok := v.(string)
		if !ok || s == "" {
			l.add(p+"."+k, "must be a non-empty string")
		}
		return s
	}
	strs := func(k string) []string {
		switch v := m[k].(type) {
		case nil:
			return nil
		case string:
			return []string{v}
		case []any:
			out := make([]string, 0, len(v))
			for i, x := range v {
				s, ok := x.(string)
				if !ok {
					l.add(fmt.Sprintf("%s.%s[%d]", p, k, i), "must be a string")
				}
				out = append(out, s)
			}
			return out
		}
		l.add(p+"."+k, "must be a string or an array of strings")
		return nil
	}
	object := func(k string) map[string]any {
		v, present := m[k]
		if !present {
			return nil
		}
		o, ok := v.(map[string]any)
		if !ok {
			l.add(p+"."+k, "must be a table such as { name = \"x\" }")
		}
		return o
	}
	op.Table = str("table")
	var t *schema.Table
	switch {
	case op.Table == "" && m["table"] == nil:
		l.add(p, "%s needs a table", kind)
	case op.Table != "":
		if t = l.cfg.Table(op.Table); t == nil {
			l.add(p+".table", "unknown table %q%s", op.Table, hint(op.Table, l.cfg.TableNames()))
		}
	}
	op.ID = str("id")
	op.Action = str("action")
	op.Search = str("search")
	op.Filter = strs("filter")
	op.Sort = strs("sort")
	switch kind {
	case OpCreate, OpUpdate, OpUpsert:
		op.Data = object("data")
		if m["data"] == nil {
			l.add(p, "%s needs data = { ... }", kind)
		}
	case OpRun:
		op.Data = object("input")
		if op.Data == nil {
			op.Data = map[string]any{}
		}
	}
	needID := kind == OpGet || kind == OpUpdate || kind == OpDelete
	if kind == OpRun && t != nil {
		switch a := t.Action(op.Action); {
		case op.Action == "" && m["action"] == nil:
			l.add(p, "run needs an action")
		case a == nil && op.Action != "":
			l.add(p+".action", "table %s has no action %q%s", t.Name, op.Action, hint(op.Action, t.ActionNames()))
		case a != nil && a.Type == "record":
			needID = true
		case a != nil && op.ID != "":
			l.add(p+".id", "%s is a standalone action: it takes no id", a.Name)
		}
	}
	if needID && op.ID == "" && m["id"] == nil {
		l.add(p, "%s needs the id of a record", kind)
	}
	return op, t
}

var expectKeys = []string{"error", "fields", "ids", "count", "masked", "raw", "values"}

func (l *loader) expect(p string, v any, op Operation, t *schema.Table) Expect {
	x := Expect{Set: map[string]bool{}}
	if v == nil {
		return x
	}
	m, ok := v.(map[string]any)
	if !ok {
		l.add(p, "must be a table such as { count = 3 }")
		return x
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(expectKeys, k) {
			l.add(p+"."+k, "unknown expectation%s (expect takes %s)", hint(k, expectKeys), strings.Join(expectKeys, ", "))
			continue
		}
		x.Set[k] = true
	}
	strs := func(k string) []string {
		v, present := m[k]
		if !present {
			return nil
		}
		a, ok := v.([]any)
		if !ok {
			l.add(p+"."+k, "must be an array of strings")
			return nil
		}
		out := make([]string, 0, len(a))
		for i, e := range a {
			s, ok := e.(string)
			if !ok {
				l.add(fmt.Sprintf("%s.%s[%d]", p, k, i), "must be a string")
				continue
			}
			out = append(out, s)
		}
		return out
	}
	if c, present := m["error"]; present {
		s, _ := c.(string)
		var codes []string
		for _, code := range engine.Codes() {
			codes = append(codes, string(code))
		}
		if !slices.Contains(codes, s) {
			l.add(p+".error", "unknown error code %q%s (codes: SPEC §6, e.g. ACCESS_ROLE_REQUIRED)", s, hint(s, codes))
		}
		x.Error = s
	}
	x.Fields = strs("fields")
	x.IDs = strs("ids")
	x.Masked = strs("masked")
	x.Raw = strs("raw")
	if c, present := m["count"]; present {
		n, ok := c.(int64)
		if !ok || n < 0 {
			l.add(p+".count", "must be a whole number, at least 0")
		}
		i := int(n)
		x.Count = &i
	}
	if v, present := m["values"]; present {
		o, ok := v.(map[string]any)
		if !ok {
			l.add(p+".values", "must be a table such as { stage = \"offer\" }")
		}
		x.Values = o
	}
	if x.Error != "" {
		for _, k := range []string{"ids", "count", "masked", "raw", "values"} {
			if x.Set[k] {
				l.add(p+"."+k, "a refused operation returns no rows: %s cannot be checked with error", k)
			}
		}
	}
	if x.Set["fields"] && x.Error == "" && (op.Kind == OpList || op.Kind == OpGet) {
		l.add(p+".fields", "fields are the fields a refusal names or a write changes: a %s changes none (give error too)", op.Kind)
	}
	if op.Kind == OpDelete {
		for _, k := range []string{"masked", "raw", "values"} {
			if x.Set[k] {
				l.add(p+"."+k, "a delete returns no row to check %s on", k)
			}
		}
	}
	if t != nil && op.Kind != OpRun {
		cols := t.ColumnNames()
		check := func(k string, names []string) {
			for i, c := range names {
				if t.Column(c) == nil {
					l.add(fmt.Sprintf("%s.%s[%d]", p, k, i), "unknown column %q of %s%s", c, t.Name, hint(c, cols))
				}
			}
		}
		check("masked", x.Masked)
		check("raw", x.Raw)
		for _, c := range slices.Sorted(maps.Keys(x.Values)) {
			if t.Column(c) == nil {
				l.add(p+".values."+c, "unknown column %q of %s%s", c, t.Name, hint(c, cols))
			}
		}
		for _, c := range x.Masked {
			if slices.Contains(x.Raw, c) {
				l.add(p+".raw", "%s is expected both masked and raw", c)
			}
		}
	}
	return x
}

// sortedCopy is names sorted, for comparing as sets.
func sortedCopy(names []string) []string {
	out := slices.Clone(names)
	sort.Strings(out)
	return out
}

// quoteList writes names as ["a", "b"].
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
