package tui

// Internal tables (interview_scores) have no CRUD for anyone; an identity
// whose role is in [audit].inspectInternal browses one read-only under an
// INTERNAL badge, so that what an action wrote there can be checked
// (engine.ListQuery.Inspect: the engine decides and audits it).

// inspects reports whether the grid reads its table as an inspection: an
// internal table, for an identity the config lets inspect it. For anyone
// else the engine's INTERNAL_TABLE refusal is shown.
func (g *grid) inspects() bool {
	return g.t != nil && g.t.Internal && g.s.eng.MayInspect(g.s.id)
}

// internalBadge marks an inspected internal table in the grid's title.
func (g *grid) internalBadge() string {
	if !g.res.spec.inspect {
		return ""
	}
	return " " + g.c.Styles.Synthetic.Render(" INTERNAL ") + g.c.Styles.GridInfo.Render(" read-only inspection")
}
