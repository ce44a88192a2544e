package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Load reads and parses the config at path. See Parse.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Problems{{File: path, Message: "cannot read config: " + msg, Err: err}}
	}
	return Parse(path, src)
}

// Parse parses and validates config source; file names it in problems and
// in Config.File, and its directory becomes Config.Dir. On any problem it
// returns a nil Config and a *Problems holding every problem found, sorted
// by line.
func Parse(file string, src []byte) (*Config, error) {
	cfg := &Config{File: file, Dir: filepath.Dir(file)}
	if abs, err := filepath.Abs(file); err == nil && file != "" {
		cfg.Dir = filepath.Dir(abs)
	}
	raw, md, perr := decode(file, src)
	if perr != nil {
		return nil, &Problems{*perr}
	}
	l := &loader{file: file, cfg: cfg, src: src, order: map[string]int{}, brokenCols: map[*Table]bool{}, brokenProt: map[string]bool{}}
	for i, k := range md.Keys() {
		// Every prefix of the key, joined by NUL, is a slice of the whole.
		full := strings.Join(k, "\x00")
		end := 0
		for j, seg := range k {
			if j > 0 {
				end++
			}
			end += len(seg)
			if _, ok := l.order[full[:end]]; !ok {
				l.order[full[:end]] = i
			}
		}
	}
	l.load(raw)
	if len(l.probs) > 0 {
		l.probs.sort()
		return nil, &l.probs
	}
	cfg.index()
	l.warnings()
	return cfg, nil
}

// decode runs the TOML parser, turning a syntax error (or a panic inside
// the parser) into a Problem.
func decode(file string, src []byte) (raw map[string]any, md toml.MetaData, prob *Problem) {
	defer func() {
		if r := recover(); r != nil {
			prob = &Problem{File: file, Line: 1, Message: fmt.Sprintf("syntax error: %v", r)}
		}
	}()
	md, err := toml.Decode(string(src), &raw)
	if err != nil {
		p := Problem{File: file, Line: 1, Message: "syntax error: " + err.Error()}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			p.Message = "syntax error: " + pe.Message
			if pe.Position.Line > 0 {
				p.Line = pe.Position.Line
			}
		}
		return nil, md, &p
	}
	if raw == nil {
		raw = map[string]any{}
	}
	return raw, md, nil
}

// loader carries the state of one Parse.
type loader struct {
	file string
	cfg  *Config
	src  []byte
	// lines is built from src when a problem or a warning first needs a
	// line (a config without either never pays for it).
	lines   lineIndex
	order   map[string]int // meta key → first position in the file
	probs   Problems
	rolesOK bool // [auth].roles is usable for checking role names
	// brokenCols marks tables whose columns could not be read, so that
	// references to their columns are not reported as unknown.
	brokenCols map[*Table]bool
	// brokenProt marks protected-map entries (table NUL column) that name
	// an unknown action, so actions are not blamed for them again.
	brokenProt map[string]bool
	tables     map[string]*Table
}

func (l *loader) errf(p *kpath, format string, args ...any) {
	l.probs = append(l.probs, Problem{File: l.file, Line: l.lineOf(p), Path: p.disp(), Message: fmt.Sprintf(format, args...)})
}

func (l *loader) lineOf(p *kpath) int {
	if l.lines == nil {
		l.lines = indexLines(string(l.src))
	}
	for q := p; q != nil; q = q.parent {
		if n, ok := l.lines[q.disp()]; ok {
			return n
		}
	}
	return 1
}

// keysOf returns the keys of m in file order.
func (l *loader) keysOf(m map[string]any, p *kpath) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	pos := func(k string) int {
		mk := k
		if p.meta != "" {
			mk = p.meta + "\x00" + k
		}
		if n, ok := l.order[mk]; ok {
			return n
		}
		return math.MaxInt
	}
	sort.SliceStable(keys, func(i, j int) bool {
		pi, pj := pos(keys[i]), pos(keys[j])
		if pi != pj {
			return pi < pj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// known returns the keys of m in file order and reports those not allowed.
func (l *loader) known(m map[string]any, p *kpath, allowed ...string) []string {
	keys := l.keysOf(m, p)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			l.errf(p.key(k), "unknown key %q%s", k, hintOrList(k, allowed))
		}
	}
	return keys
}

func (l *loader) asTable(v any, p *kpath) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	}
	l.errf(p, "must be a table")
	return nil, false
}

func (l *loader) asString(v any, p *kpath) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	l.errf(p, "must be a string")
	return "", false
}

func (l *loader) asBool(v any, p *kpath) (bool, bool) {
	if b, ok := v.(bool); ok {
		return b, true
	}
	l.errf(p, "must be true or false")
	return false, false
}

// asList accepts an inline array or an array of tables.
func (l *loader) asList(v any, p *kpath, what string) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out, true
	}
	l.errf(p, "must be an array of %s", what)
	return nil, false
}

// asStrings reads an array of strings; ok is false when any element is not
// a string (each such element is reported).
func (l *loader) asStrings(v any, p *kpath) ([]string, bool) {
	list, ok := l.asList(v, p, "strings")
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, isStr := e.(string)
		if !isStr {
			l.errf(p.idx(i), "must be a string")
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

func (l *loader) asNumber(v any, p *kpath) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			l.errf(p, "must be a finite number")
			return 0, false
		}
		return n, true
	}
	l.errf(p, "must be a number")
	return 0, false
}

var (
	tableNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	// sqlNameRE is a table or column name as Quickback's migrations may
	// spell it (snake_case or camelCase).
	sqlNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	configName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ctxFields are the fields of a context that "$ctx.<field>" may name.
var ctxFields = []string{"userId", "orgId", "role", "userRole", "email"}

// maskTypes are the mask types of SPEC §3.4.
var maskTypes = []string{"email", "phone", "ssn", "creditCard", "name", "redact"}

var columnTypes = []string{"id", "text", "integer", "real", "boolean", "timestamp", "enum", "json"}

func (l *loader) load(raw map[string]any) {
	root := rootPath
	l.known(raw, root, "project", "auth", "audit", "tables")
	l.project(raw["project"], root.key("project"))
	l.auth(raw["auth"], root.key("auth"))
	l.audit(raw["audit"], root.key("audit"))
	l.loadTables(raw["tables"], root.key("tables"))
}

func (l *loader) project(v any, p *kpath) {
	if v == nil {
		l.errf(p, "missing [project] section (name and database)")
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	l.known(m, p, "name", "database", "fixtures")
	req := func(k string, dst *string) {
		x, present := m[k]
		if !present {
			l.errf(p, "missing %q", k)
			return
		}
		if s, ok := l.asString(x, p.key(k)); ok {
			if strings.TrimSpace(s) == "" {
				l.errf(p.key(k), "must not be empty")
			}
			*dst = s
		}
	}
	req("name", &l.cfg.Project.Name)
	req("database", &l.cfg.Project.Database)
	if x, present := m["fixtures"]; present {
		if s, ok := l.asString(x, p.key("fixtures")); ok {
			l.cfg.Project.Fixtures = s
		}
	}
}

// audit reads the optional [audit] section.
func (l *loader) audit(v any, p *kpath) {
	l.cfg.Audit.Reads = ReadsGroup
	if v == nil {
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	l.known(m, p, "reads", "requireReason", "witness", "inspectInternal")
	if x, present := m["inspectInternal"]; present {
		l.cfg.Audit.InspectInternal, _ = l.roleList(x, p.key("inspectInternal"), false, true)
	}
	if x, present := m["reads"]; present {
		if s, ok := l.asString(x, p.key("reads")); ok {
			if s != ReadsGroup && s != ReadsSync {
				l.errf(p.key("reads"), "must be %q or %q%s", ReadsGroup, ReadsSync, hint(s, []string{ReadsGroup, ReadsSync}))
			} else {
				l.cfg.Audit.Reads = s
			}
		}
	}
	if x, present := m["requireReason"]; present {
		l.cfg.Audit.RequireReason, _ = l.asBool(x, p.key("requireReason"))
	}
	if x, present := m["witness"]; present {
		if s, ok := l.asString(x, p.key("witness")); ok {
			if strings.TrimSpace(s) == "" {
				l.errf(p.key("witness"), "must not be empty (leave it out for the user's state directory)")
			}
			l.cfg.Audit.Witness = s
		}
	}
}

func (l *loader) auth(v any, p *kpath) {
	if v == nil {
		l.errf(p, "missing [auth] section (roles)")
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	l.known(m, p, "roles", "admins", "source")
	l.cfg.Auth.Source = SourceQB
	if x, present := m["source"]; present {
		sources := []string{SourceQB, SourceBetterAuth}
		if s, ok := l.asString(x, p.key("source")); ok {
			if !slices.Contains(sources, s) {
				l.errf(p.key("source"), "must be %q or %q%s", SourceQB, SourceBetterAuth, hint(s, sources))
			} else {
				l.cfg.Auth.Source = s
			}
		}
	}
	rv, present := m["roles"]
	if !present {
		l.errf(p, "missing %q", "roles")
		return
	}
	rp := p.key("roles")
	roles, ok := l.asStrings(rv, rp)
	if !ok {
		return
	}
	if len(roles) == 0 {
		l.errf(rp, "must list at least one role")
		return
	}
	good := true
	for i, r := range roles {
		ep := rp.idx(i)
		switch {
		case strings.TrimSpace(r) == "":
			l.errf(ep, "a role name must not be empty")
		case r == "PUBLIC":
			l.errf(ep, `"PUBLIC" is reserved for anonymous access and cannot be a role`)
		case strings.HasSuffix(r, "+"):
			l.errf(ep, `a role name cannot end in "+" (that suffix means "and higher")`)
		case slices.Contains(roles[:i], r):
			l.errf(ep, "role %q is listed twice", r)
		default:
			continue
		}
		good = false
	}
	l.cfg.Auth.Roles = roles
	l.rolesOK = good
	if av, present := m["admins"]; present {
		l.cfg.Auth.Admins, _ = l.roleList(av, p.key("admins"), false, true)
	}
}

// roleList reads and expands a role list: "x+" becomes x and every higher
// role; "PUBLIC" (when allowed) sets public and stays out of the list.
func (l *loader) roleList(v any, p *kpath, allowPublic, allowEmpty bool) (roles []string, public bool) {
	list, ok := l.asStrings(v, p)
	if !ok {
		return nil, false
	}
	if len(list) == 0 && !allowEmpty {
		l.errf(p, "must list at least one role")
		return nil, false
	}
	all := l.cfg.Auth.Roles
	add := func(r string) {
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	for i, r := range list {
		ep := p.idx(i)
		if r == "PUBLIC" {
			if allowPublic {
				public = true
			} else {
				l.errf(ep, `"PUBLIC" is not allowed here`)
			}
			continue
		}
		base := strings.TrimSuffix(r, "+")
		idx := l.cfg.RoleIndex(base)
		if idx < 0 {
			if l.rolesOK {
				l.errf(ep, "unknown role %q%s", base, hint(base, all))
			}
			add(r)
			continue
		}
		if strings.HasSuffix(r, "+") {
			for _, x := range all[idx:] {
				add(x)
			}
		} else {
			add(r)
		}
	}
	return roles, public
}

// literal checks a literal value against a column or input type and its
// options; it returns the value normalised (float64 for real, the stored
// string for TOML datetimes). allowNow admits "now" for timestamps.
func (l *loader) literal(f *fieldSpec, v any, p *kpath, allowNow bool) (any, bool) {
	bad := func(what string) (any, bool) {
		l.errf(p, "must be %s (type %s)", what, f.typ)
		return nil, false
	}
	switch f.typ {
	case TypeID, TypeText, TypeEnum, TypeJSON:
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if f.typ == TypeEnum && f.values != nil && !slices.Contains(f.values, s) {
			l.errf(p, "%q is not one of the values %s", s, quoteList(f.values))
			return nil, false
		}
		if f.typ == TypeJSON && !jsonValid(s) {
			l.errf(p, "must be a string holding valid JSON")
			return nil, false
		}
		if f.maxLength != nil && len([]rune(s)) > *f.maxLength {
			l.errf(p, "is longer than maxLength %d", *f.maxLength)
			return nil, false
		}
		return s, true
	case TypeInteger:
		n, ok := v.(int64)
		if !ok {
			return bad("an integer")
		}
		return n, l.inRange(f, float64(n), p)
	case TypeReal:
		var x float64
		switch n := v.(type) {
		case int64:
			x = float64(n)
		case float64:
			x = n
		default:
			return bad("a number")
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return bad("a finite number")
		}
		return x, l.inRange(f, x, p)
	case TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return bad("true or false")
		}
		return b, true
	case TypeTimestamp:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format("2006-01-02T15:04:05.000Z"), true
		case string:
			if x == "now" && allowNow {
				return x, true
			}
			if validTime(x) {
				return x, true
			}
		}
		if allowNow {
			return bad(`"now" or an ISO-8601 timestamp`)
		}
		return bad("an ISO-8601 timestamp")
	}
	return v, true
}

func (l *loader) inRange(f *fieldSpec, x float64, p *kpath) bool {
	if f.min != nil && x < *f.min {
		l.errf(p, "is below min %v", *f.min)
		return false
	}
	if f.max != nil && x > *f.max {
		l.errf(p, "is above max %v", *f.max)
		return false
	}
	return true
}

func validTime(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
