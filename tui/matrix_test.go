package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/termsafe"
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

// Cells are coloured by what they decide: refusals and "no read" as
// denied, limited grants as conditional, masked values as masked, every
// other grant as allowed.
func TestMatrixCellStyles(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	st := DefaultStyles()
	for _, c := range []struct {
		cell access.MatrixCell
		want *lipgloss.Style
	}{
		{access.MatrixCell{Effect: access.Denied, Text: "no read"}, &st.Denied},
		{access.MatrixCell{Effect: access.Denied, Text: "denied"}, &st.Denied},
		{access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityMasked, Text: "masked(email)"}, &st.Masked},
		{access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityMaskedUnlessOwner, Text: "masked-unless-owner(redact)"}, &st.Masked},
		{access.MatrixCell{Effect: access.Conditional, Text: "own rows"}, &st.Conditional},
		{access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityRaw, Text: "raw c+u"}, &st.Allowed},
		{access.MatrixCell{Effect: access.Allowed, Text: "allowed"}, &st.Allowed},
	} {
		sec := access.MatrixSection{Kind: access.SectionFields, Roles: []string{"r"},
			Rows: []access.MatrixRow{{Item: "title", Cells: []access.MatrixCell{c.cell}}}}
		lines, _ := matrixSectionLines(st, sec, 120)
		got := lines[1]
		want := "  title  " + c.cell.Text
		if c.want != nil {
			want = "  title  " + c.want.Render(c.cell.Text)
		}
		if got != want {
			t.Errorf("%+v: %q, want %q", c.cell, got, want)
		}
	}
}

// At any width every cell is whole: the columns narrow and cells wrap onto
// more lines (notes and legends too), no line is wider than the view and
// nothing is cut with an ellipsis.
func TestMatrixViewWrapsNeverCuts(t *testing.T) {
	e := newEngine(t)
	mx, err := engine.BuildMatrix(e.Config(), "applications")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCommon(false)
	for _, w := range []int{120, 80, 60, 40} {
		v := newMatrixView(c, mx)
		lines := v.linesAt(w)
		text := strings.Join(lines, "\n")
		for _, l := range lines {
			if termsafe.Width(l) > w {
				t.Errorf("%d wide: line of %d cells: %q", w, termsafe.Width(l), l)
			}
			if strings.Contains(l, termsafe.Ellipsis) {
				t.Errorf("%d wide: a cut line: %q", w, l)
			}
		}
		// The note of advanceStage's starting states, whole once its
		// lines are joined.
		joined := strings.Join(strings.Fields(text), " ")
		if !strings.Contains(joined, "[1] stage in applied, screening, interview, offer") {
			t.Errorf("%d wide: the note is not whole:\n%s", w, text)
		}
		if w >= 60 && !strings.Contains(text, "hiring-manager") {
			t.Errorf("%d wide: a role name is broken:\n%s", w, text)
		}
	}
}

// Where a rule admits PUBLIC, the matrix has an anonymous column.
func TestMatrixViewAnonymousColumn(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{
		Old: `list.access   = { roles = ["interviewer+"] }
get.access    = { roles = ["interviewer+"] }
create.access = { roles = ["owner", "hiring-manager"] }`,
		New: `list.access   = { roles = ["interviewer+", "PUBLIC"] }
get.access    = { roles = ["interviewer+"] }
create.access = { roles = ["owner", "hiring-manager"] }`}))
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs", DBPath: "hiring.db"})
	press(m, "m")
	v := plain(m)
	for _, want := range []string{
		"operation  interviewer  recruiter  hiring-manager  owner    anonymous",
		"list       allowed      allowed    allowed         allowed  allowed",
		"get        allowed      allowed    allowed         allowed  denied",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("matrix view lacks %q:\n%s", want, v)
		}
	}
}

// Too narrow for the roles' names (40 columns), a section's headers are
// short codes explained once per table, and allowed/denied read yes/no:
// no heading or decision is broken across lines.
func TestMatrixViewCompactWhenNarrow(t *testing.T) {
	e := newEngine(t)
	mx, err := engine.BuildMatrix(e.Config(), "applications")
	if err != nil {
		t.Fatal(err)
	}
	lines := newMatrixView(NewCommon(false), mx).linesAt(40)
	text := strings.Join(lines, "\n")
	heads := map[string]bool{}
	for _, l := range lines {
		heads[strings.Join(strings.Fields(l), " ")] = true
	}
	for _, want := range []string{
		"int = interviewer · rec = recruiter",
		"hm = hiring-manager · own = owner",
		"yes = allowed · no = denied",
		"op int rec hm own",
		"field int rec hm own",
		"action from int rec hm own",
		"delete no no yes no",
		"advanceStage [1] no no yes no",
	} {
		if !heads[want] {
			t.Errorf("40 wide: no line %q:\n%s", want, text)
		}
	}
	for _, l := range lines {
		for _, f := range strings.Fields(l) {
			if slices.Contains([]string{"opera", "tion", "inter", "viewer", "hirin", "g-", "manag", "er", "allow", "ed"}, f) {
				t.Errorf("40 wide: a broken word %q in %q", f, l)
			}
		}
	}
	if n := strings.Count(text, "hm = hiring-manager"); n != 1 {
		t.Errorf("the legend appears %d times, want once per table", n)
	}
	// Wide enough for the names, nothing is abbreviated.
	if wide := strings.Join(newMatrixView(NewCommon(false), mx).linesAt(80), "\n"); strings.Contains(wide, "hm = ") || !strings.Contains(wide, "hiring-manager") {
		t.Errorf("80 wide is compact:\n%s", wide)
	}
}
