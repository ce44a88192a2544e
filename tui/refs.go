package tui

import (
	"context"
	"maps"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// References: a column that references another table shows the target
// row's display column beside the id ("c-jane · Jane Doe"), as the
// identity would list it (engine.Labels: its firewall and masking); a row
// it may not list shows the id alone.

// labelSep separates an id from its label.
const labelSep = " · "

// labelsMsg carries the labels of a referenced table's rows, for the
// identity of tag.
type labelsMsg struct {
	tag    reqTag
	table  string
	asked  []string
	labels map[string]engine.Label
	err    error
}

// refLabels is what the grid knows of the labels of referenced rows, for
// one identity: labels per referenced table and id, and the ids already
// asked (answered or not).
type refLabels struct {
	id     engine.Identity
	labels map[string]map[string]engine.Label
	asked  map[string]map[string]bool
}

// forID resets the labels when they were read for another identity: a
// label is never shown to an identity it was not read for.
func (r *refLabels) forID(id engine.Identity) {
	if r.labels == nil || r.id != id {
		*r = refLabels{id: id, labels: map[string]map[string]engine.Label{}, asked: map[string]map[string]bool{}}
	}
}

// refTarget is the table a column references when its rows have a display
// column to show (nil otherwise).
func refTarget(cfg *schema.Config, c *schema.Column) *schema.Table {
	if c.References == "" {
		return nil
	}
	t := cfg.Table(c.References)
	if t == nil || t.DisplayColumn == "" || t.Internal || t.DisplayColumn == t.PrimaryKey().Name {
		return nil
	}
	return t
}

// askLabels asks the engine for the labels of the rows rows reference that
// are not known yet, one request per referenced table.
func (g *grid) askLabels(rows []engine.Row) tea.Cmd {
	if g.t == nil {
		return nil
	}
	g.refs.forID(g.s.id)
	cfg := g.s.eng.Config()
	var cmds []tea.Cmd
	for j, c := range g.t.Columns {
		target := refTarget(cfg, c)
		if target == nil {
			continue
		}
		asked := g.refs.asked[target.Name]
		if asked == nil {
			asked = map[string]bool{}
			g.refs.asked[target.Name] = asked
		}
		var ids []string
		for _, r := range rows {
			if s, ok := r.Values[j].(string); ok && !r.Masked[j] && !asked[s] {
				asked[s] = true
				ids = append(ids, s)
			}
		}
		if len(ids) == 0 {
			continue
		}
		tag, eng, table := g.s.tag(), g.s.eng, target.Name
		cmds = append(cmds, func() tea.Msg {
			labels, err := eng.Labels(context.Background(), tag.Identity, table, ids)
			return labelsMsg{tag: tag, table: table, asked: ids, labels: labels, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// onLabels takes labels read for the current identity (others are stale)
// and shows them in the pages held.
func (g *grid) onLabels(msg labelsMsg) {
	if msg.tag.Identity != g.s.id {
		return
	}
	g.refs.forID(g.s.id)
	if msg.err != nil {
		// A table the identity may not list: its ids stay bare.
		return
	}
	if g.refs.labels[msg.table] == nil {
		g.refs.labels[msg.table] = map[string]engine.Label{}
	}
	maps.Copy(g.refs.labels[msg.table], msg.labels)
	for _, pg := range g.res.pages {
		for i, r := range pg.rows {
			for j := range r.Values {
				g.setCell(pg, i, j)
			}
		}
		pg.pad, pg.padW = nil, nil
	}
	g.hdrKey = ""
}

// setCell renders row i's cell j of pg (the columns are fitted to the
// rows in view again).
func (g *grid) setCell(pg *gridPage, i, j int) {
	s := g.cellText(pg.rows[i], j)
	pg.cells[i][j] = s
	pg.cellW[i][j] = termsafe.Width(s)
	g.cellsGen++
}

// cellText is a value as the grid shows it (see cellText), with the label
// of the row it references when there is one.
func (g *grid) cellText(r engine.Row, j int) string {
	s := cellText(r, j)
	if r.Masked[j] {
		return s
	}
	if text, ok := g.refLabel(r.Table.Columns[j], r.Values[j]); ok {
		return s + labelSep + text
	}
	return s
}

// refLabel is the label, sanitized, of the row a reference column's value
// points at, as read for the current identity; false when none is known.
func (g *grid) refLabel(c *schema.Column, v any) (string, bool) {
	if c == nil || c.References == "" || g.refs.labels == nil || g.refs.id != g.s.id {
		return "", false
	}
	id, ok := v.(string)
	if !ok {
		return "", false
	}
	l, ok := g.refs.labels[c.References][id]
	if !ok {
		return "", false
	}
	text := termsafe.Sanitize(l.Text)
	if l.Masked {
		text = MaskMark + text
	}
	return text, true
}
