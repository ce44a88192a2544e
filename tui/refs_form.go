package tui

import (
	"context"
	"fmt"
	"slices"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Reference fields in the edit and create forms offer the rows of the
// referenced table the identity may list, by id and display column,
// instead of a bare id to type. The rows are read (engine.List, as the
// identity) when the form opens; a table with more rows than one list page
// holds, or one the identity may not list, keeps the typed id.

// refChoicesMsg carries, per referenced table, the rows a form may offer.
type refChoicesMsg struct {
	tag     reqTag
	choices map[string]refChoices
}

// refChoices are a referenced table's rows as options, or why none are
// offered (a reason for the field's hint).
type refChoices struct {
	options []huh.Option[string]
	reason  string
}

// withRefChoices reads the choices of t's writable reference columns for
// the identity, then opens the form (open); without any it opens at once.
func (m *Model) withRefChoices(t *schema.Table, ex *engine.Explanation, create bool, open func(map[string]refChoices) tea.Cmd) tea.Cmd {
	var targets []*schema.Table
	for _, fx := range ex.Fields {
		acc := fx.Update
		if create {
			acc = fx.Create
		}
		c := t.Column(fx.Field)
		if c == nil || c.References == "" || !acc.Writable || fx.Visibility != access.VisibilityRaw {
			continue
		}
		if rt := m.cfg.Table(c.References); rt != nil && !slices.Contains(targets, rt) {
			targets = append(targets, rt)
		}
	}
	if len(targets) == 0 {
		return open(nil)
	}
	tag := m.s.tag()
	m.expect("refs", tag, "reading the rows a reference may name", "", "")
	m.pendingForm = open
	eng := m.s.eng
	return func() tea.Msg {
		out := map[string]refChoices{}
		for _, rt := range targets {
			out[rt.Name] = listChoices(eng, tag.Identity, rt)
		}
		return refChoicesMsg{tag: tag, choices: out}
	}
}

// listChoices lists rt's rows the identity may list, ordered by their
// display column, as options "id · display".
func listChoices(eng *engine.Engine, id engine.Identity, rt *schema.Table) refChoices {
	q := engine.ListQuery{Limit: engine.MaxLimit}
	disp := rt.DisplayColumn
	if disp != "" {
		q.Sort = []schema.SortKey{{Column: disp}}
	}
	page, err := eng.List(context.Background(), id, rt.Name, q)
	if e, ok := engine.AsError(err); ok && e.Code == engine.QueryColumnMasked {
		q.Sort = nil
		page, err = eng.List(context.Background(), id, rt.Name, q)
	}
	if err != nil {
		return refChoices{reason: "type its id (" + rt.Name + " cannot be listed as this identity)"}
	}
	if page.Next != "" {
		return refChoices{reason: fmt.Sprintf("type its id (more than %s %s rows are visible)", humanInt(engine.MaxLimit), rt.Name)}
	}
	var opts []huh.Option[string]
	for _, r := range page.Rows {
		label := termsafe.Sanitize(r.ID())
		if disp != "" && disp != rt.PrimaryKey().Name {
			if v := r.Get(disp); v != nil {
				text := termsafe.Sanitize(engine.ValueString(v))
				if r.IsMasked(disp) {
					text = MaskMark + text
				}
				label += labelSep + text
			}
		}
		opts = append(opts, huh.NewOption(label, r.ID()))
	}
	if len(opts) == 0 {
		return refChoices{reason: "no " + rt.Name + " row is visible to this identity"}
	}
	return refChoices{options: opts}
}

// onRefChoices opens the form that waited for its choices.
func (m *Model) onRefChoices(msg refChoicesMsg) tea.Cmd {
	if !m.fresh("refs", msg.tag) || m.pendingForm == nil {
		return nil
	}
	open := m.pendingForm
	m.pendingForm = nil
	return open(msg.choices)
}

// refField makes fd, the field of reference column c, a choice among the
// rows the identity may list (keeping its current value, even one it
// cannot list), or says in its hint why it is typed.
func refField(fd *formField, c *schema.Column, choices map[string]refChoices) {
	ch, ok := choices[c.References]
	if !ok || fd.masked {
		return
	}
	if len(ch.options) == 0 {
		fd.hint += " · " + ch.reason
		return
	}
	opts := slices.Clone(ch.options)
	if cur := fd.initial; cur != "" && cur != nullOption && !slices.ContainsFunc(opts, func(o huh.Option[string]) bool { return o.Value == cur }) {
		opts = append([]huh.Option[string]{huh.NewOption(termsafe.Sanitize(cur)+"  (current)", cur)}, opts...)
	}
	if !c.Required {
		opts = append([]huh.Option[string]{huh.NewOption(NullMark+" null", nullOption)}, opts...)
		if fd.initialNull {
			fd.initial = nullOption
		}
	}
	if fd.initial == "" {
		fd.initial = opts[0].Value
	}
	*fd.value = fd.initial
	fd.options = opts
	fd.hint += " · / filters"
}
