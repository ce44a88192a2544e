package engine

import (
	"slices"
	"strings"

	"quickback.dev/qb/schema"
)

// Inspection: an internal table (interview_scores, written only by
// actions) has no CRUD for anyone (SPEC §3.6), so nobody can check what an
// action such as submitScore wrote there. An identity whose role is in
// [audit].inspectInternal may list it read-only (ListQuery.Inspect):
// through the table's firewall and masking like any list, with no other
// operation, and audited as "inspect" (one entry per query, refusals
// included). With no roles listed — the default — nobody may.

// inspectRule is the config path that decides an inspection.
const inspectRule = "audit.inspectInternal"

// listOp is the operation a list query is audited (and refused) as.
func listOp(q ListQuery) string {
	if q.Inspect {
		return "inspect"
	}
	return "list"
}

// listedTable is the table a list query reads: any table but an internal
// one for a list, an internal one only for an inspection.
func (e *Engine) listedTable(name string, q ListQuery) (*schema.Table, error) {
	if !q.Inspect {
		return e.table(name, true)
	}
	t, err := e.table(name, false)
	if err != nil {
		return nil, err
	}
	if !t.Internal {
		return nil, Errf(ValidationFailed, map[string]any{"table": name},
			"table %q is not internal: list it (inspection reads internal tables only)", name)
	}
	return t, nil
}

// inspectAccess admits the roles of [audit].inspectInternal, never an
// anonymous caller; it has no record condition.
func (e *Engine) inspectAccess(id Identity) *residual {
	roles := e.cfg.Audit.InspectInternal
	if id.Anonymous || id.Role == "" || !slices.Contains(roles, id.Role) {
		who := "no role"
		if len(roles) > 0 {
			who = "role in [" + strings.Join(roles, ", ") + "]"
		}
		return &residual{Denied: true, DeniedBy: inspectRule + " (requires " + who + ")"}
	}
	return &residual{Rules: []string{inspectRule}}
}

// MayInspect reports whether id's role may inspect internal tables
// (the engine decides again on every read).
func (e *Engine) MayInspect(id Identity) bool { return !e.inspectAccess(id).Denied }
