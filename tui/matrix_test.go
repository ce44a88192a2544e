package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"quickback.dev/qb/engine"
)

// The matrix view shows, for the current table, what every role may do and
// how every field reaches it — the interviewer's masked email among them.
func TestMatrixView(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates"})
	f.waitFor("row 1 of")
	f.key("m")
	v := f.waitFor("Access matrix", "candidates")
	for _, want := range []string{
		"operation  interviewer  recruiter  hiring-manager  owner",
		"create     denied       allowed    allowed         denied",
		"delete     denied       denied     allowed         denied",
		"email           masked(email)  raw c      raw c           masked(email)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("matrix view lacks %q:\n%s", want, v)
		}
	}
	f.golden(t, v)
	f.key("esc")
	f.waitFor("row 1 of")
}

// A role that may neither list nor get a table reads none of its fields:
// the matrix says "no read" for interviewers and recruiters on ats_imports
// (it once said "raw", masking aside), as `qb matrix ats_imports` does.
func TestMatrixViewNoRead(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "ats_imports", DBPath: "hiring.db"})
	press(m, "m")
	v := plain(m)
	for _, want := range []string{
		"candidateEmail  no read      no read    raw c+u         masked(email) c+u",
		"no read = the role may neither list nor get the table",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("matrix view lacks %q:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

// Actions, their starting states and the fields only actions set: the
// starting states are a numbered note, as on the command line.
func TestMatrixViewActions(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications", DBPath: "hiring.db"})
	press(m, "m")
	v := plain(m)
	for _, want := range []string{
		"action        from states  interviewer  recruiter  hiring-manager  owner",
		"advanceStage  [1]          denied       denied     allowed         denied",
		"only actions set stage (protected: advanceStage)",
		"[1] stage in applied, screening, interview, offer",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("matrix view lacks %q:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

// Cells are styled by what they decide: refusals and "no read" as denied,
// masked values as masked, limited grants apart from plain ones.
func TestMatrixCellStyles(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	st := DefaultStyles()
	for _, c := range []struct {
		cell engine.MatrixCell
		want *lipgloss.Style
	}{
		{engine.MatrixCell{Effect: engine.Denied, Text: "no read"}, &st.Denied},
		{engine.MatrixCell{Effect: engine.Denied, Text: "denied"}, &st.Denied},
		{engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityMasked, Text: "masked(email)"}, &st.Masked},
		{engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityMaskedUnlessOwner, Text: "masked-unless-owner(redact)"}, &st.Masked},
		{engine.MatrixCell{Effect: engine.Conditional, Text: "own rows"}, &st.Diff},
		{engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityRaw, Text: "raw c+u"}, nil},
	} {
		sec := engine.MatrixSection{Kind: engine.SectionFields, Roles: []string{"r"},
			Rows: []engine.MatrixRow{{Item: "title", Cells: []engine.MatrixCell{c.cell}}}}
		got := matrixSectionLines(st, sec)[1]
		want := "  title  " + c.cell.Text
		if c.want != nil {
			want = "  title  " + c.want.Render(c.cell.Text)
		}
		if got != want {
			t.Errorf("%+v: %q, want %q", c.cell, got, want)
		}
	}
}
