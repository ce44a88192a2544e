package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/huh"

	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// A reference shows the target row's display column beside its id, as the
// identity sees it: raw for a hiring manager, masked (◆) for an
// interviewer whose config masks candidates' names.
func TestReferencesShowDisplayColumn(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{
		Section: "[tables.candidates.masking]", Old: `email = `,
		New: `name = { type = "name", show = { roles = ["hiring-manager"] } }
email = `}))
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	v := f.waitFor("c-jane · Jane Doe", "j-robotics-eng · Senior Rob")
	if !strings.Contains(headerLine(v), "candidateId") {
		t.Errorf("header: %q", headerLine(v))
	}
	f.key("i")
	f.typeText("u-ivan")
	f.waitFor("Ivan Petrov")
	f.key("enter")
	v = f.waitFor("now acting as Ivan Petrov", "c-jane · ◆J*** D**")
	if strings.Contains(v, "Jane Doe") {
		t.Errorf("an interviewer sees a masked name raw in a reference:\n%s", v)
	}
}

// The detail view shows a reference with its label as the grid does, and
// masked for an identity that sees the target's display column masked.
func TestDetailShowsReferenceLabels(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{
		Section: "[tables.candidates.masking]", Old: `email = `,
		New: `name = { type = "name", show = { roles = ["hiring-manager"] } }
email = `}))
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	f.waitFor("c-jane · Jane Doe")
	f.key("enter")
	v := f.waitFor("as seen by", "Fields")
	var ref string
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "candidateId") {
			ref = l
		}
	}
	if !strings.Contains(ref, labelSep) || !strings.Contains(ref, "c-") {
		t.Errorf("detail's candidateId line has no label: %q\n%s", ref, v)
	}
	f.key("enter")
	f.key("i")
	f.typeText("u-ivan")
	f.waitFor("Ivan Petrov")
	f.key("enter")
	f.waitFor("now acting as Ivan Petrov", "c-jane · ◆J*** D**")
	f.key("enter")
	v = f.waitFor("as seen by", "Fields", "· ◆")
	if strings.Contains(v, "Jane Doe") || strings.Contains(v, "Aisha Bello") {
		t.Errorf("an interviewer's detail shows a masked name raw:\n%s", v)
	}
}

// Labels read for one identity and answered after a switch are dropped:
// they are never shown to the identity they were not read for.
func TestReferenceLabelsStaleDropped(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	if !strings.Contains(plain(m), "c-jane · Jane Doe") {
		t.Fatalf("no label:\n%s", plain(m))
	}
	// Labels for dana, still in flight when the console switches to Ivan.
	m.grid.refs = refLabels{}
	late := collect(m.grid.askLabels(m.grid.res.pages[0].rows))
	if len(late) == 0 {
		t.Fatal("no labels asked")
	}
	m.s.id = *identity(t, e, "u-ivan", "")
	_, cmd := m.Update(actAsMsg{m.s.id})
	_ = collect(cmd) // Ivan's pages and labels: not delivered
	for _, msg := range late {
		m.Update(msg)
	}
	for _, pg := range m.grid.res.pages {
		for _, cells := range pg.cells {
			for _, c := range cells {
				if strings.Contains(c, labelSep) {
					t.Fatalf("a label read for u-dana is shown to u-ivan: %q", c)
				}
			}
		}
	}
	if len(m.grid.refs.labels) != 0 {
		t.Errorf("labels of u-dana kept across the switch: %+v", m.grid.refs.labels)
	}
}

// The create form offers the rows of a referenced table the identity may
// list, by id and display column, filtered with /; the chosen row is what
// is written.
func TestReferencePickerInForm(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	f.waitFor("a-1001")
	f.key("n")
	v := f.waitFor("New applications record", "┃ > c-aisha · Aisha Bello", "j-sales-ae · Account Executive")
	if strings.Contains(v, "c-gx-john") {
		t.Errorf("another organization's candidate is offered:\n%s", v)
	}
	f.key("/")
	f.typeText("omar")
	f.waitFor("> c-omar · Omar Farouk")
	f.key("enter") // candidateId: c-omar
	f.waitFor("┃ jobId")
	f.key("enter") // jobId: the first by title
	f.waitFor("┃ notes")
	f.key("enter") // submit
	f.waitFor("preview (dry run", "c-omar")
	f.key("y")
	f.waitFor("created applications")
	var n int
	if err := enginetest.DB(t, e).QueryRow(`SELECT count(*) FROM applications WHERE candidate_id = 'c-omar' AND job_id = 'j-sales-ae'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the chosen rows were not written: %d rows, %v", n, err)
	}
}

// A field whose table offers no choices keeps the typed id and says why;
// an edit keeps a current value the identity cannot list, marked current.
func TestReferenceFieldFallbacks(t *testing.T) {
	c := &schema.Column{Name: "candidateId", References: "candidates", Required: true}
	typed := &formField{name: "candidateId", value: new(string)}
	refField(typed, c, map[string]refChoices{"candidates": {reason: "type its id (candidates cannot be listed as this identity)"}})
	if typed.options != nil || !strings.Contains(typed.hint, "cannot be listed") {
		t.Errorf("no choices: options %v, hint %q", typed.options, typed.hint)
	}
	cur := &formField{name: "candidateId", value: new(string), initial: "c-hidden"}
	refField(cur, c, map[string]refChoices{"candidates": {options: []huh.Option[string]{huh.NewOption("c-jane · Jane Doe", "c-jane")}}})
	if len(cur.options) != 2 || cur.options[0].Value != "c-hidden" || !strings.Contains(cur.options[0].Key, "(current)") || *cur.value != "c-hidden" {
		t.Errorf("current value not kept: %+v, value %q", cur.options, *cur.value)
	}
}
