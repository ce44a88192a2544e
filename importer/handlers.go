package importer

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"
	"github.com/dop251/goja/token"
)

// Handlers are code: they are never run. parsedFile is a handler or actions
// file transformed to JavaScript and parsed by goja's parser; positions map
// back to the TypeScript through esbuild's inline source map.
type parsedFile struct {
	rel string
	prg *ast.Program
}

func parseJS(rel, src string) (*parsedFile, error) {
	js, err := transform(rel, src)
	if err != nil {
		return nil, err
	}
	prg, err := parser.ParseFile(nil, rel, js, 0, noExternalSourceMaps)
	if err != nil {
		return nil, &ImportError{Where: loc{File: rel}, Msg: "cannot parse: " + err.Error()}
	}
	return &parsedFile{rel: rel, prg: prg}, nil
}

// line is the TypeScript line of a node.
func (pf *parsedFile) line(n ast.Node) int {
	f := pf.prg.File
	if f == nil || n == nil {
		return 0
	}
	idx := n.Idx0()
	if idx == 0 {
		// goja leaves some statements' own position unset (if): use the
		// first child that has one.
		walk(n, func(c ast.Node, _ bool) bool {
			if idx == 0 && c != n && c.Idx0() > 0 {
				idx = c.Idx0()
			}
			return idx == 0
		})
	}
	off := int(idx) - f.Base()
	if off < 0 {
		off = 0
	}
	p := f.Position(off)
	return p.Line
}

func (pf *parsedFile) loc(n ast.Node) loc { return loc{File: pf.rel, Line: pf.line(n)} }

// walk visits every AST node under n in source order; visit returns false
// to skip a node's children. inFn is true under a nested function.
func walk(n any, visit func(n ast.Node, inFn bool) bool) {
	walkValue(reflect.ValueOf(n), false, visit, 0)
}

var nodeType = reflect.TypeOf((*ast.Node)(nil)).Elem()

func walkValue(v reflect.Value, inFn bool, visit func(ast.Node, bool) bool, depth int) {
	if depth > 2000 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type().Implements(nodeType) {
			n := v.Interface().(ast.Node)
			if _, isFile := v.Interface().(*file.File); isFile {
				return
			}
			if !visit(n, inFn) {
				return
			}
			switch n.(type) {
			case *ast.FunctionLiteral, *ast.ArrowFunctionLiteral:
				inFn = true
			}
		}
		walkValue(v.Elem(), inFn, visit, depth+1)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			if t.Field(i).Name == "DeclarationList" || t.Field(i).Name == "File" {
				continue
			}
			walkValue(v.Field(i), inFn, visit, depth+1)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkValue(v.Index(i), inFn, visit, depth+1)
		}
	}
}

// fnNode is a function literal of either kind.
type fnNode struct {
	node   ast.Node
	params *ast.ParameterList
	body   []ast.Statement
}

func asFn(e ast.Expression) *fnNode {
	switch f := e.(type) {
	case *ast.FunctionLiteral:
		if f.Body == nil {
			return nil
		}
		return &fnNode{node: f, params: f.ParameterList, body: f.Body.List}
	case *ast.ArrowFunctionLiteral:
		switch b := f.Body.(type) {
		case *ast.BlockStatement:
			return &fnNode{node: f, params: f.ParameterList, body: b.List}
		case *ast.ExpressionBody:
			return &fnNode{node: f, params: f.ParameterList, body: []ast.Statement{&ast.ReturnStatement{Return: b.Expression.Idx0(), Argument: b.Expression}}}
		}
	}
	return nil
}

func keyName(e ast.Expression) string {
	switch k := e.(type) {
	case *ast.Identifier:
		return k.Name.String()
	case *ast.StringLiteral:
		return k.Value.String()
	}
	return ""
}

// inlineExecute finds execute: (...) => {...} of action name in an actions
// file.
func (pf *parsedFile) inlineExecute(name string) *fnNode {
	var found *fnNode
	walk(pf.prg, func(n ast.Node, _ bool) bool {
		if found != nil {
			return false
		}
		p, ok := n.(*ast.PropertyKeyed)
		if !ok || keyName(p.Key) != name {
			return true
		}
		ol, ok := p.Value.(*ast.ObjectLiteral)
		if !ok {
			return true
		}
		for _, prop := range ol.Value {
			switch q := prop.(type) {
			case *ast.PropertyKeyed:
				if keyName(q.Key) == "execute" {
					found = asFn(q.Value)
				}
			}
		}
		return found == nil
	})
	return found
}

// handlerFunction finds the executor of a handler file: the function bound
// to execute (or handler, or the default export), else its only function.
func (pf *parsedFile) handlerFunction() *fnNode {
	named := map[string]*fnNode{}
	var all []*fnNode
	bind := func(name string, e ast.Expression) {
		if f := asFn(e); f != nil {
			named[name] = f
			all = append(all, f)
		}
	}
	for _, st := range pf.prg.Body {
		switch s := st.(type) {
		case *ast.VariableStatement:
			for _, b := range s.List {
				if id, ok := b.Target.(*ast.Identifier); ok {
					bind(id.Name.String(), b.Initializer)
				}
			}
		case *ast.LexicalDeclaration:
			for _, b := range s.List {
				if id, ok := b.Target.(*ast.Identifier); ok {
					bind(id.Name.String(), b.Initializer)
				}
			}
		case *ast.FunctionDeclaration:
			if s.Function.Name != nil {
				bind(s.Function.Name.Name.String(), s.Function)
			}
		case *ast.ExpressionStatement:
			if a, ok := s.Expression.(*ast.AssignExpression); ok {
				if d, ok := a.Left.(*ast.DotExpression); ok {
					bind(d.Identifier.Name.String(), a.Right)
				}
			}
		}
	}
	for _, n := range []string{"execute", "handler", "default", "stdin_default"} {
		if f := named[n]; f != nil {
			return f
		}
	}
	for n, f := range named {
		if strings.HasSuffix(n, "_default") {
			return f
		}
	}
	if len(all) == 1 {
		return all[0]
	}
	return nil
}

// effects is what a handler does that qb can express.
type effects struct {
	set     omap
	inserts []insertOut
	// inputDefaults are defaults that make `input.x ?? literal` exact.
	inputDefaults map[string]any
	// skip, when set, says why no effect is imported.
	skip      string
	skipWhere loc
	notes     []Item
}

type insertOut struct {
	table  string
	values omap
	where  loc
}

// handlerScope knows what the handler's names stand for.
type handlerScope struct {
	im    *importer
	pf    *parsedFile
	t     *table
	act   *action
	roles map[string]string // local name → db, record, input, ctx, auditFields, whereRecord, whereTransition
	param string            // the name of a whole-argument parameter
	eff   *effects
	subj  string
}

var handlerArgs = []string{"db", "record", "input", "ctx", "auditFields", "whereRecord", "whereTransition", "c"}

// analyze reads a handler function's writes.
func (im *importer) analyze(pf *parsedFile, fn *fnNode, t *table, a *action) *effects {
	eff := &effects{inputDefaults: map[string]any{}}
	h := &handlerScope{im: im, pf: pf, t: t, act: a, roles: map[string]string{}, eff: eff, subj: t.subject("actions", a.name)}
	if fn.params != nil && len(fn.params.List) > 0 {
		switch p := fn.params.List[0].Target.(type) {
		case *ast.ObjectPattern:
			for _, prop := range p.Properties {
				switch q := prop.(type) {
				case *ast.PropertyShort:
					h.roles[q.Name.Name.String()] = q.Name.Name.String()
				case *ast.PropertyKeyed:
					if id, ok := q.Value.(*ast.Identifier); ok {
						h.roles[id.Name.String()] = keyName(q.Key)
					}
				}
			}
		case *ast.Identifier:
			h.param = p.Name.String()
		}
	}
	for _, st := range fn.body {
		if eff.skip != "" {
			break
		}
		h.statement(st)
	}
	if eff.skip != "" {
		eff.set, eff.inserts, eff.inputDefaults = nil, nil, nil
	}
	return eff
}

func (h *handlerScope) fail(n ast.Node, format string, args ...any) {
	if h.eff.skip == "" {
		h.eff.skip = fmt.Sprintf(format, args...)
		h.eff.skipWhere = h.pf.loc(n)
	}
}

func (h *handlerScope) note(st Status, n ast.Node, format string, args ...any) {
	h.eff.notes = append(h.eff.notes, Item{Status: st, Where: h.pf.loc(n).String(), Subject: h.subj, Note: fmt.Sprintf(format, args...)})
}

// roleOf says what an expression stands for: "db", "input", ... or "".
func (h *handlerScope) roleOf(e ast.Expression) string {
	switch x := e.(type) {
	case *ast.Identifier:
		return h.roles[x.Name.String()]
	case *ast.DotExpression:
		if id, ok := x.Left.(*ast.Identifier); ok && h.param != "" && id.Name.String() == h.param {
			name := x.Identifier.Name.String()
			if contains(handlerArgs, name) {
				return name
			}
		}
	case *ast.OptionalChain:
		return h.roleOf(x.Expression)
	case *ast.Optional:
		return h.roleOf(x.Expression)
	}
	return ""
}

// dbCalls lists the outermost call chains rooted at db in n, and whether
// each sits inside a nested function.
func (h *handlerScope) dbCalls(n ast.Node) (calls []*ast.CallExpression, nested []bool) {
	walk(n, func(x ast.Node, inFn bool) bool {
		c, ok := x.(*ast.CallExpression)
		if !ok {
			return true
		}
		if root, _ := h.unwind(c); root != nil && h.roleOf(root) == "db" {
			calls = append(calls, c)
			nested = append(nested, inFn)
			return false
		}
		return true
	})
	return
}

// step is one method of a call chain: db.update(t).set({...}).
type step struct {
	name   string
	args   []ast.Expression
	called bool
	node   ast.Node
}

// unwind flattens a call chain into its root and steps, root first.
func (h *handlerScope) unwind(e ast.Expression) (ast.Expression, []step) {
	var steps []step
	for {
		switch x := e.(type) {
		case *ast.CallExpression:
			callee := stripSeq(x.Callee)
			d, ok := callee.(*ast.DotExpression)
			if !ok {
				return nil, nil
			}
			steps = append(steps, step{name: d.Identifier.Name.String(), args: x.ArgumentList, called: true, node: x})
			e = d.Left
		case *ast.DotExpression:
			if h.roleOf(x) != "" {
				return x, reverse(steps)
			}
			steps = append(steps, step{name: x.Identifier.Name.String(), node: x})
			e = x.Left
		case *ast.OptionalChain:
			e = x.Expression
		case *ast.Optional:
			e = x.Expression
		case *ast.AwaitExpression:
			e = x.Argument
		case *ast.Identifier:
			return x, reverse(steps)
		default:
			return nil, nil
		}
	}
}

func reverse(s []step) []step {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// stripSeq turns esbuild's (0, f) call form into f.
func stripSeq(e ast.Expression) ast.Expression {
	if s, ok := e.(*ast.SequenceExpression); ok && len(s.Sequence) > 0 {
		return s.Sequence[len(s.Sequence)-1]
	}
	return e
}

func (h *handlerScope) statement(st ast.Statement) {
	calls, nested := h.dbCalls(st)
	if len(calls) == 0 {
		if ifs, ok := st.(*ast.IfStatement); ok && throwsOrReturns(ifs.Consequent) {
			h.note(Approximated, ifs, "a check in the handler (if … throw) is code; not imported (a transition or a record condition in the access rule can express it)")
		}
		return
	}
	switch st.(type) {
	case *ast.ExpressionStatement, *ast.VariableStatement, *ast.LexicalDeclaration, *ast.ReturnStatement:
	default:
		h.fail(st, "a database call under an if, loop or try: conditional effects cannot be imported")
		return
	}
	for i, c := range calls {
		if nested[i] {
			h.fail(c, "a database call inside a callback (a batch?): not importable")
			return
		}
		h.chain(c)
		if h.eff.skip != "" {
			return
		}
	}
}

func throwsOrReturns(s ast.Statement) bool {
	switch x := s.(type) {
	case *ast.ThrowStatement, *ast.ReturnStatement:
		return true
	case *ast.BlockStatement:
		return len(x.List) > 0 && throwsOrReturns(x.List[len(x.List)-1])
	}
	return false
}

// chain reads one db call chain.
func (h *handlerScope) chain(c *ast.CallExpression) {
	_, steps := h.unwind(c)
	if len(steps) == 0 {
		h.fail(c, "an unrecognised database call")
		return
	}
	first := steps[0]
	switch first.name {
	case "update":
		h.update(c, steps)
	case "insert":
		h.insert(c, steps)
	case "select", "selectDistinct", "query", "$count":
		h.note(Skipped, c, "a read (db.%s): qb's action result is the updated record or the inserted rows", first.name)
	case "delete":
		h.fail(c, "db.delete: an action that deletes is not modelled")
	default:
		h.fail(c, "db.%s is not recognised (only db.update(t).set({...}).where(...) and db.insert(t).values({...}) are imported)", first.name)
	}
}

// tableOf resolves a table expression of the handler (an identifier, or
// esbuild's import_x.name / import_x.default) to a table of the import.
func (h *handlerScope) tableOf(e ast.Expression) *table {
	var names []string
	switch x := e.(type) {
	case *ast.Identifier:
		names = append(names, x.Name.String())
	case *ast.DotExpression:
		name := x.Identifier.Name.String()
		if id, ok := x.Left.(*ast.Identifier); ok && name == "default" {
			name = strings.TrimPrefix(id.Name.String(), "import_")
		}
		names = append(names, name)
	}
	for _, n := range names {
		for _, cand := range []string{n, schemaSnake(n), camelIdent(n)} {
			if t := h.im.byJS[cand]; t != nil {
				return t
			}
		}
	}
	return nil
}

func (h *handlerScope) update(c *ast.CallExpression, steps []step) {
	if len(steps[0].args) != 1 {
		h.fail(c, "db.update needs one table")
		return
	}
	target := h.tableOf(steps[0].args[0])
	if target == nil {
		h.fail(c, "db.update of something that is not a table of this project")
		return
	}
	if target != h.t {
		h.fail(c, "db.update of %s, not the action's record (only the action's own record can be updated)", target.name)
		return
	}
	if h.act.standalone {
		h.fail(c, "a standalone action has no record to update")
		return
	}
	var set *ast.ObjectLiteral
	whereOK := false
	for _, s := range steps[1:] {
		switch s.name {
		case "set":
			if len(s.args) == 1 {
				set, _ = s.args[0].(*ast.ObjectLiteral)
			}
			if set == nil {
				h.fail(s.node, ".set() needs an object literal")
				return
			}
		case "where":
			if len(s.args) != 1 || !h.recordWhere(s.args[0]) {
				h.fail(s.node, ".where() does not select the action's record (use whereRecord, whereTransition or eq(t.id, record.id))")
				return
			}
			whereOK = true
		case "returning":
		default:
			h.fail(s.node, ".%s() on an update is not recognised", s.name)
			return
		}
	}
	if set == nil || !whereOK {
		h.fail(c, "db.update without .set({...}) and .where(...) of the record")
		return
	}
	vals := h.values(set, h.t, false)
	if h.eff.skip != "" {
		return
	}
	for _, e := range vals {
		h.eff.set.set(e.k, e.v)
	}
}

// recordWhere recognises a where clause that selects the action's record.
func (h *handlerScope) recordWhere(e ast.Expression) bool {
	c, ok := e.(*ast.CallExpression)
	if !ok {
		return false
	}
	callee := stripSeq(c.Callee)
	if r := h.roleOf(callee); r == "whereRecord" || r == "whereTransition" {
		return true
	}
	name := ""
	switch x := callee.(type) {
	case *ast.Identifier:
		name = x.Name.String()
	case *ast.DotExpression:
		name = x.Identifier.Name.String()
	}
	if name != "eq" || len(c.ArgumentList) != 2 {
		return false
	}
	pk := "id"
	for _, col := range h.t.cols {
		if col.typ == "id" {
			pk = col.name
		}
	}
	match := func(a, b ast.Expression) bool {
		da, ok1 := a.(*ast.DotExpression)
		db, ok2 := b.(*ast.DotExpression)
		if !ok1 || !ok2 || da.Identifier.Name.String() != pk || db.Identifier.Name.String() != pk {
			return false
		}
		return h.tableOf(da.Left) == h.t && h.roleOf(db.Left) == "record"
	}
	return match(c.ArgumentList[0], c.ArgumentList[1]) || match(c.ArgumentList[1], c.ArgumentList[0])
}

func (h *handlerScope) insert(c *ast.CallExpression, steps []step) {
	if len(steps[0].args) != 1 {
		h.fail(c, "db.insert needs one table")
		return
	}
	target := h.tableOf(steps[0].args[0])
	if target == nil {
		h.fail(c, "db.insert into something that is not a table of this project")
		return
	}
	var vals *ast.ObjectLiteral
	for _, s := range steps[1:] {
		switch s.name {
		case "values":
			if len(s.args) == 1 {
				vals, _ = s.args[0].(*ast.ObjectLiteral)
			}
			if vals == nil {
				h.fail(s.node, ".values() needs one object literal (a list or a variable is a batch: not importable)")
				return
			}
		case "returning":
		case "onConflictDoNothing", "onConflictDoUpdate":
			h.fail(s.node, ".%s(): an upsert inside an action is not modelled", s.name)
			return
		default:
			h.fail(s.node, ".%s() on an insert is not recognised", s.name)
			return
		}
	}
	if vals == nil {
		h.fail(c, "db.insert without .values({...})")
		return
	}
	out := h.values(vals, target, true)
	if h.eff.skip != "" {
		return
	}
	for _, col := range target.cols {
		if _, given := out.get(col.name); given || col.typ == "id" || target.systemManaged(col.name) {
			continue
		}
		req, _ := col.def.get("required")
		_, hasDef := col.def.get("default")
		if req == true && !hasDef {
			h.fail(c, "the insert into %s misses its required column %q", target.name, col.name)
			return
		}
	}
	h.eff.inserts = append(h.eff.inserts, insertOut{table: target.name, values: out, where: h.pf.loc(c)})
}

// values reads an object literal of column values.
func (h *handlerScope) values(ol *ast.ObjectLiteral, target *table, insert bool) omap {
	var out omap
	for _, prop := range ol.Value {
		var key string
		var val ast.Expression
		switch p := prop.(type) {
		case *ast.PropertyKeyed:
			if p.Computed {
				h.fail(p, "a computed key")
				return nil
			}
			key, val = keyName(p.Key), p.Value
		case *ast.PropertyShort:
			key, val = p.Name.Name.String(), &p.Name
		default:
			h.fail(prop, "a spread of values is not importable")
			return nil
		}
		col := target.column(key)
		switch {
		case contains(systemCols(), key):
			continue // qb stamps the audit columns itself
		case target.systemManaged(key):
			h.note(Imported, prop, "%s.%s is stamped by qb's firewall on insert", target.name, key)
			continue
		case col == nil:
			h.fail(prop, "%s has no column %q", target.name, key)
			return nil
		case col.typ == "id" && !insert:
			h.fail(prop, "the record's id cannot be changed")
			return nil
		}
		if col.typ == "id" && generated(val) {
			h.note(Imported, prop, "%s.%s: qb generates ids", target.name, key)
			continue
		}
		v, ok := h.value(val, key)
		if !ok {
			return nil
		}
		out = append(out, kv{key, v})
	}
	return out
}

func systemCols() []string {
	return []string{"createdAt", "createdBy", "modifiedAt", "modifiedBy", "deletedAt", "deletedBy"}
}

// generated is true for crypto.randomUUID() and the like.
func generated(e ast.Expression) bool {
	c, ok := e.(*ast.CallExpression)
	if !ok {
		return false
	}
	switch x := stripSeq(c.Callee).(type) {
	case *ast.DotExpression:
		n := x.Identifier.Name.String()
		return n == "randomUUID" || strings.Contains(strings.ToLower(n), "id")
	case *ast.Identifier:
		n := strings.ToLower(x.Name.String())
		return strings.Contains(n, "id") || n == "nanoid" || n == "cuid"
	}
	return false
}

// value converts one value expression: input.x, record.x, ctx.userId,
// ctx.activeOrgId, a literal, input.x ?? (null | literal | record.x), or
// the current time.
func (h *handlerScope) value(e ast.Expression, key string) (any, bool) {
	switch x := e.(type) {
	case *ast.StringLiteral:
		s := x.Value.String()
		if strings.HasPrefix(s, "$") {
			s = "$" + s
		}
		return s, true
	case *ast.NumberLiteral:
		switch n := x.Value.(type) {
		case int64:
			return float64(n), true
		case float64:
			return n, true
		}
	case *ast.BooleanLiteral:
		return x.Value, true
	case *ast.UnaryExpression:
		if x.Operator == token.MINUS {
			if n, ok := x.Operand.(*ast.NumberLiteral); ok {
				if v, ok := h.value(n, key); ok {
					return -v.(float64), true
				}
			}
		}
	case *ast.TemplateLiteral:
		if x.Tag == nil && len(x.Expressions) == 0 && len(x.Elements) == 1 {
			return x.Elements[0].Parsed.String(), true
		}
	case *ast.DotExpression:
		return h.ref(x)
	case *ast.BinaryExpression:
		if x.Operator == token.COALESCE {
			return h.coalesce(x, key)
		}
	case *ast.NewExpression:
		if id, ok := stripSeq(x.Callee).(*ast.Identifier); ok && id.Name.String() == "Date" && len(x.ArgumentList) == 0 {
			return "$now", true
		}
	case *ast.CallExpression:
		if d, ok := stripSeq(x.Callee).(*ast.DotExpression); ok {
			name := d.Identifier.Name.String()
			if ne, ok := d.Left.(*ast.NewExpression); ok && name == "toISOString" {
				return h.value(ne, key)
			}
			if id, ok := d.Left.(*ast.Identifier); ok && id.Name.String() == "Date" && name == "now" {
				return "$now", true
			}
		}
	}
	h.fail(e, "the value of %q is computed by code; only input.x, record.x, ctx.userId, ctx.activeOrgId, literals and input.x ?? … are imported", key)
	return nil, false
}

// ref converts input.x / record.x / ctx.x / auditFields.x.
func (h *handlerScope) ref(d *ast.DotExpression) (any, bool) {
	field := d.Identifier.Name.String()
	switch h.roleOf(d.Left) {
	case "input":
		if !contains(h.act.inputNames, field) {
			h.fail(d, "input.%s is not declared in the action's input", field)
			return nil, false
		}
		return "$input." + field, true
	case "record":
		if h.act.standalone {
			h.fail(d, "a standalone action has no record")
			return nil, false
		}
		if !h.t.hasColumn(field) {
			h.fail(d, "record.%s is not a column of %s", field, h.t.name)
			return nil, false
		}
		return "$record." + field, true
	case "ctx":
		if q, ok := ctxRefs[field]; ok {
			return "$ctx." + q, true
		}
		h.fail(d, "ctx.%s is not available in qb", field)
		return nil, false
	case "auditFields":
		if strings.HasSuffix(field, "By") {
			return "$ctx.userId", true
		}
		return "$now", true
	}
	h.fail(d, "the value is computed by code; not importable")
	return nil, false
}

// coalesce converts input.x ?? fallback.
func (h *handlerScope) coalesce(b *ast.BinaryExpression, key string) (any, bool) {
	left, ok := b.Left.(*ast.DotExpression)
	if !ok || h.roleOf(left.Left) != "input" {
		h.fail(b, "only input.x ?? … is imported")
		return nil, false
	}
	v, ok := h.ref(left)
	if !ok {
		return nil, false
	}
	field := left.Identifier.Name.String()
	switch r := b.Right.(type) {
	case *ast.NullLiteral:
		return v, true
	case *ast.Identifier:
		if r.Name.String() == "undefined" {
			return v, true
		}
	case *ast.DotExpression:
		if h.roleOf(r.Left) == "record" {
			if _, ok := h.ref(r); !ok {
				return nil, false
			}
			h.note(Approximated, b, "%s = input.%s ?? record.%s: qb sets it from input.%s, which is null when omitted (it does not keep the record's value)", key, field, r.Identifier.Name.String(), field)
			return v, true
		}
	}
	lit, ok := h.value(b.Right, key)
	if !ok {
		return nil, false
	}
	if s, isStr := lit.(string); isStr && strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "$$") {
		h.fail(b, "input.%s ?? a context value is not importable", field)
		return nil, false
	}
	if prev, had := h.eff.inputDefaults[field]; had && prev != lit {
		h.fail(b, "input.%s has two different fallbacks", field)
		return nil, false
	}
	h.eff.inputDefaults[field] = lit
	return v, true
}

// schemaSnake is schema.SnakeCase without importing it twice in this file.
func schemaSnake(s string) string { return qbTableName(s) }
