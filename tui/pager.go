package tui

import (
	"fmt"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/termsafe"
)

// pager is a scrollable page of lines: what the detail, compare, help,
// result, matrix and audit views are made of. Each of them renders its
// lines for the width it is given (render), again when the width changes.
type pager struct {
	c      *Common
	render func(w int) []string
	// closeKeys close the view (besides esc and q).
	closeKeys []Binding
	lines     []string
	renderedW int
	off       int
	w, h      int
}

// newPager builds a pager over render; esc, q and the extra closeKeys
// close it.
func newPager(c *Common, render func(w int) []string, closeKeys ...Binding) *pager {
	return &pager{c: c, render: render, closeKeys: closeKeys, renderedW: -1}
}

// SetSize sets the pager's box, rendering its lines again for a new width.
func (p *pager) SetSize(w, h int) {
	p.w, p.h = w, h
	if p.render != nil && w != p.renderedW {
		p.lines, p.renderedW = p.render(w), w
	}
	p.scroll(0)
}

func (p *pager) scroll(d int) {
	p.off = clamp(p.off+d, 0, max(0, len(p.lines)-p.h))
}

// Update scrolls, or closes the view.
func (p *pager) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := p.c.Keys
	switch {
	case k.Back.Matches(km), k.Quit.Matches(km), matchesAny(p.closeKeys, km):
		p.c.post(closeMsg{})
	case k.Up.Matches(km):
		p.scroll(-1)
	case k.Down.Matches(km):
		p.scroll(1)
	case k.PageUp.Matches(km):
		p.scroll(-p.h + 2)
	case k.PageDown.Matches(km):
		p.scroll(p.h - 2)
	case k.Top.Matches(km):
		p.scroll(-len(p.lines))
	case k.Bottom.Matches(km):
		p.scroll(len(p.lines))
	}
	return nil
}

// View renders the visible lines.
func (p *pager) View() string {
	end := min(len(p.lines), p.off+p.h)
	var out []string
	for _, l := range p.lines[p.off:end] {
		out = append(out, termsafe.Truncate(l, p.w))
	}
	if end < len(p.lines) && len(out) > 0 {
		out[len(out)-1] = p.c.Styles.Reason.Render(termsafe.Truncate(fmt.Sprintf("↓ %d more lines (j/k, pgdn)", len(p.lines)-end), p.w))
	}
	return padLines(strings.Join(out, "\n"), p.h)
}

// ShortHelp is the footer of every view made of a pager.
func (p *pager) ShortHelp() []Binding {
	k := p.c.Keys
	return []Binding{k.Up, k.Down, k.Back}
}

// FullHelp lists the pager's keys.
func (p *pager) FullHelp() []HelpGroup {
	k := p.c.Keys
	return []HelpGroup{
		{"Scroll", []Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		{"Close", append([]Binding{k.Back, k.Quit}, p.closeKeys...)},
	}
}

func matchesAny(bs []Binding, msg tea.KeyMsg) bool {
	return slices.ContainsFunc(bs, func(b Binding) bool { return b.Matches(msg) })
}
