package tui

import (
	"quickback.dev/qb/termsafe"
)

// helpView is the full help: the bindings of the component it was opened
// from, grouped, and what the screen's markers mean (? again closes it).
type helpView struct {
	*pager
	groups []HelpGroup
}

func newHelpView(c *Common, groups []HelpGroup) *helpView {
	v := &helpView{groups: groups}
	v.pager = newPager(c, v.linesAt, c.Keys.Help)
	return v
}

// linesAt is the help at a width: the groups in two columns, then what the
// markers mean.
func (v *helpView) linesAt(width int) []string {
	if width < 90 {
		return v.narrowLines(width)
	}
	st := v.c.Styles
	// Two columns, groups placed where the column is shorter.
	var cols [2][]string
	for _, g := range v.groups {
		block := []string{st.Label.Render(g.Title)}
		for _, b := range g.Bindings {
			h := b.Help()
			block = append(block, st.HelpKey.Render(termsafe.Pad(h.Key, 7))+" "+st.HelpDesc.Render(b.Long))
		}
		c := 0
		if len(cols[1]) < len(cols[0]) {
			c = 1
		}
		if len(cols[c]) > 0 {
			cols[c] = append(cols[c], "")
		}
		cols[c] = append(cols[c], block...)
	}
	// The left column is at least as wide as its widest line plus a gap,
	// so a long description never runs into the right column.
	colW := max(40, width/2-2)
	widest := 0
	for _, l := range cols[0] {
		widest = max(widest, termsafe.Width(l))
	}
	if widest+2 > colW && widest+2 <= width-40 {
		colW = widest + 2
	}
	var body []string
	for i := 0; i < max(len(cols[0]), len(cols[1])); i++ {
		var l, r string
		if i < len(cols[0]) {
			l = cols[0][i]
		}
		if i < len(cols[1]) {
			r = cols[1][i]
		}
		body = append(body, "  "+termsafe.Pad(termsafe.Truncate(l, colW-2), colW)+r)
	}
	lines := []string{st.PanelTitle.Render("Keys") + st.Reason.Render("  (esc or ? to close)"), ""}
	lines = append(lines, body...)
	lines = append(lines, "",
		st.Label.Render("Markers"),
		"  "+st.Masked.Render(MaskMark+"j***@e******.com")+"  a value masked for this identity (copied and exported masked too)",
		"  "+NullMark+"                  null",
		"  "+NoListMark+" / "+InternalMark+"              a table this identity cannot list / an internal table",
		"  IMPERSONATING      acting as a real user (SYNTHETIC: any user of a role; ANONYMOUS: no identity)")
	if v.c.ReadOnly {
		lines = append(lines, "", st.ReadOnly.Render(" READ-ONLY ")+" keys that write are disabled and left out of this help")
	}
	return lines
}

// narrowLines is the help in one column, each description wrapped beside
// its key (a terminal narrower than two columns of help).
func (v *helpView) narrowLines(width int) []string {
	st := v.c.Styles
	lines := []string{st.PanelTitle.Render("Keys") + st.Reason.Render("  (esc or ? to close)")}
	item := func(key, desc string) {
		for i, l := range wrapText(desc, max(10, width-10)) {
			k := ""
			if i == 0 {
				k = key
			}
			lines = append(lines, "  "+st.HelpKey.Render(termsafe.Pad(k, 7))+" "+st.HelpDesc.Render(l))
		}
	}
	for _, g := range v.groups {
		lines = append(lines, "", st.Label.Render(g.Title))
		for _, b := range g.Bindings {
			item(b.Help().Key, b.Long)
		}
	}
	lines = append(lines, "", st.Label.Render("Markers"))
	item(MaskMark+"x*", "a value masked for this identity (copied and exported masked too)")
	item(NullMark, "null")
	item(NoListMark+" "+InternalMark, "a table this identity cannot list / an internal table")
	item("BADGES", "IMPERSONATING: acting as a real user; SYNTHETIC: any user of a role; ANONYMOUS: no identity")
	if v.c.ReadOnly {
		item("R-ONLY", "keys that write are disabled and left out of this help")
	}
	return lines
}
