package tui

import (
	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
)

// permissions is what the identity may do on each table, as the engine
// explained it when the identity was taken (Model.loadAccess): the
// footer offers a write only where the engine would not refuse it.
// Nothing is enforced here — a key pressed anyway gets the engine's own
// refusal.
type permissions map[string]map[string]engine.OpExplanation

func newPermissions(ops map[string][]engine.OpExplanation) permissions {
	p := permissions{}
	for table, list := range ops {
		p[table] = map[string]engine.OpExplanation{}
		for _, op := range list {
			p[table][op.Operation] = op
		}
	}
	return p
}

// refused reports whether the engine refuses op on table to the identity
// whatever the row (denied by role, internal table). Unknown (not yet
// explained) is not refused.
func (p permissions) refused(table string, op schema.Op) bool {
	x, ok := p[table][string(op)]
	return ok && x.Decision == access.Denied
}

// writeHints are the write keys the footer offers on the grid's table:
// edit, create and delete unless the engine refuses them to the identity;
// the actions key whenever the table has actions (the list says which
// are available, read-only mode included).
func (g *grid) writeHints() []Binding {
	if g.t == nil {
		return nil
	}
	k := g.c.Keys
	var out []Binding
	for _, w := range []struct {
		op schema.Op
		b  Binding
	}{{schema.OpUpdate, k.Edit}, {schema.OpCreate, k.Create}, {schema.OpDelete, k.Delete}} {
		if !g.s.may.refused(g.t.Name, w.op) {
			out = append(out, w.b)
		}
	}
	if len(g.t.Actions) > 0 {
		out = append(out, k.Actions)
	}
	return out
}
