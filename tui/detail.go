package tui

import (
	"fmt"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// detailView is a row as the identity sees it, field by field, with the
// engine's reasons, its operations and its firewall (enter, or its key
// again, closes it).
type detailView struct {
	*pager
	table *schema.Table
	ex    *engine.Explanation
	// label is the display label of the row a reference value points at
	// (the grid's, read for this identity); nil shows ids alone.
	label func(c *schema.Column, v any) (string, bool)
}

func newDetailView(c *Common, t *schema.Table, ex *engine.Explanation, label func(*schema.Column, any) (string, bool)) *detailView {
	d := &detailView{table: t, ex: ex, label: label}
	d.pager = newPager(c, d.linesAt, c.Keys.Detail)
	return d
}

// linesAt is the detail view at a width: every field with its value as this
// identity sees it and the engine's reasons.
func (d *detailView) linesAt(width int) []string {
	t, ex := d.table, d.ex
	st := d.c.Styles
	var out []string
	rowID := ""
	if ex.Row != nil {
		rowID = ex.Row.ID()
	}
	out = append(out, st.PanelTitle.Render(fmt.Sprintf("%s %s", t.Name, termsafe.Sanitize(rowID)))+
		st.Reason.Render("  as seen by "+identityLabel(ex.Identity)+" · "+termsafe.Sanitize(ex.Identity.Role)+" @ "+termsafe.Sanitize(ex.Identity.OrgID)), "")
	if ex.RowError != "" {
		out = append(out, st.Denied.Render(termsafe.Sanitize(firstLine(ex.RowError))), "")
	}
	w := 14
	for _, c := range t.Columns {
		w = max(w, termsafe.Width(c.Name))
	}
	out = append(out, st.Label.Render("Fields")+st.Reason.Render("  value as seen · why · update"))
	for _, f := range ex.Fields {
		// A value too long for its line wraps under the field name.
		var vals []string
		if f.Value == nil {
			vals = []string{st.Null.Render(NullMark)}
		} else {
			s := termsafe.Sanitize(engine.ValueString(f.Value))
			if f.Masked {
				s = MaskMark + s
			} else if d.label != nil {
				if l, ok := d.label(t.Column(f.Field), f.Value); ok {
					s += labelSep + l
				}
			}
			for _, l := range wrapText(s, max(10, width-w-4)) {
				if f.Masked {
					l = st.Masked.Render(l)
				}
				vals = append(vals, l)
			}
		}
		val := vals[0]
		seen := "raw"
		switch {
		case f.Visibility == "masked-unless-owner" && ex.Row != nil && f.Masked:
			seen = "masked (not the owner) — " + f.Reason
		case f.Visibility == "masked-unless-owner" && ex.Row != nil:
			seen = "raw (the owner) — " + f.Reason
		case f.Visibility != "raw":
			seen = f.Reason
		case f.Rule != "":
			seen = "raw — " + f.Reason
		}
		upd := "writable"
		if !f.Update.Writable {
			upd = "locked — " + f.Update.Reason
		} else if f.Update.Reason != "" {
			upd = "writable — " + f.Update.Reason
		}
		if f.Update.Rule != "" && !strings.Contains(upd, f.Update.Rule) {
			upd += " [" + f.Update.Rule + "]"
		}
		why := termsafe.Sanitize(seen + " · update: " + upd)
		head := "  " + st.Label.Render(termsafe.Pad(f.Field, w)) + "  " + val
		// Short values keep their reason on the same line.
		if vw := termsafe.Width(val); len(vals) == 1 && vw <= 26 && 2+w+2+28+termsafe.Width(why) <= width {
			out = append(out, head+strings.Repeat(" ", 28-vw)+st.Reason.Render(why))
			continue
		}
		out = append(out, head)
		for _, l := range vals[1:] {
			out = append(out, "  "+strings.Repeat(" ", w)+"  "+l)
		}
		for _, l := range wrapText(why, width-w-6) {
			out = append(out, "  "+strings.Repeat(" ", w)+"  "+st.Reason.Render(l))
		}
	}
	out = append(out, "", st.Label.Render("Operations"))
	for _, op := range ex.Operations {
		d := string(op.Decision)
		style := st.Allowed
		if op.Decision == access.Denied {
			style = st.Denied
		}
		if op.OnRow != "" {
			d += " (this row: " + op.OnRow + ")"
		}
		line := "  " + st.Label.Render(termsafe.Pad(op.Operation, 8)) + style.Render(d)
		out = append(out, line)
		for _, l := range wrapText(termsafe.Sanitize(op.Reason+" ["+op.Rule+"]"), width-12) {
			out = append(out, "          "+st.Reason.Render(l))
		}
	}
	out = append(out, "", st.Label.Render("Firewall"))
	for _, f := range ex.Firewall {
		for _, l := range wrapText(termsafe.Sanitize(f), width-4) {
			out = append(out, "  "+st.Reason.Render(l))
		}
	}
	return out
}
