package tui

import (
	"context"
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// The grid's answer to "why is this list empty?": when a query's first
// page comes back empty, the engine's funnel (Engine.Funnel) counts the
// rows left after each stage of the list — organization, soft delete,
// owner scope, record condition, the query — and the grid shows it under
// the empty list, in one line: "0 rows: 14 in acme → 13 not deleted → 0
// pass owner scope (strict, ownerId = u-ivan)". On a table of more than
// engine.LargeTable rows the grid says so while it counts, and esc stops
// the counting (the request's context is cancelled).

// funnelState is the funnel of the grid's current query.
type funnelState struct {
	f   *engine.Funnel
	err error
	// counting is set while a request is in flight; large is the table's
	// estimated size when counting it takes a while.
	counting bool
	large    int64
	stopped  bool
	cancel   context.CancelFunc
}

// funnelMsg answers one step of a funnel request: the table's estimated
// size (estimated), then the funnel.
type funnelMsg struct {
	tag       reqTag
	gen       int
	estimated bool
	estimate  int64
	f         *engine.Funnel
	err       error
}

// resetFunnel forgets the funnel, cancelling its counting.
func (g *grid) resetFunnel() {
	if g.fun.cancel != nil {
		g.fun.cancel()
	}
	g.fun = funnelState{}
}

// askFunnel starts explaining an empty list: first the table's size, then
// (onFunnel) the counts.
func (g *grid) askFunnel() tea.Cmd {
	g.resetFunnel()
	ctx, cancel := context.WithCancel(g.ctx)
	g.fun.counting, g.fun.cancel = true, cancel
	tag, gen, eng, table := g.s.tag(), g.gen, g.s.eng, g.t.Name
	return func() tea.Msg {
		n, err := eng.RowEstimate(ctx, table)
		return funnelMsg{tag: tag, gen: gen, estimated: true, estimate: n, err: err}
	}
}

// onFunnel takes a step's answer; answers for another query or identity
// are dropped.
func (g *grid) onFunnel(msg funnelMsg) tea.Cmd {
	if g.t == nil || msg.gen != g.gen || msg.tag.Identity != g.s.id || !g.fun.counting {
		return nil
	}
	if msg.estimated && msg.err == nil {
		if msg.estimate > engine.LargeTable {
			g.fun.large = msg.estimate
		}
		g.fun.cancel()
		ctx, cancel := context.WithCancel(g.ctx)
		g.fun.cancel = cancel
		tag, gen, eng, table, q := msg.tag, g.gen, g.s.eng, g.t.Name, g.res.spec.listQuery("", 0)
		return func() tea.Msg {
			f, err := eng.Funnel(ctx, tag.Identity, table, q)
			return funnelMsg{tag: tag, gen: gen, f: f, err: err}
		}
	}
	g.fun.counting = false
	if errors.Is(msg.err, context.Canceled) {
		return nil
	}
	g.fun.f, g.fun.err = msg.f, msg.err
	return nil
}

// stoppable reports whether the grid is counting a large table's funnel,
// which esc stops (the footer offers it).
func (g *grid) stoppable() bool { return g.fun.counting && g.fun.large > 0 }

// stopFunnel cancels the counting (esc).
func (g *grid) stopFunnel() bool {
	if !g.fun.counting {
		return false
	}
	g.fun.cancel()
	g.fun.counting, g.fun.stopped = false, true
	g.c.post(statusMsg{text: "stopped counting why the list is empty"})
	return true
}

// funnelLines are the lines shown under an empty list (sanitized).
func (g *grid) funnelLines() []string {
	var s string
	switch {
	case g.fun.f != nil:
		s = g.fun.f.Line()
	case g.fun.err != nil:
		s = "why: " + firstLine(g.fun.err.Error())
	case g.fun.counting && g.fun.large > 0:
		s = "counting why: each stage of " + g.t.Name + " (about " + humanInt(g.fun.large) + " rows) takes a while — esc stops"
	case g.fun.counting:
		s = "counting why…"
	case g.fun.stopped:
		s = "counting stopped"
	default:
		return nil
	}
	return wrapText(termsafe.Sanitize(s), max(1, g.width-2))
}
