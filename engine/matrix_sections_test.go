package engine_test

import (
	"reflect"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// mxCell finds role's cell of item in the section of kind.
func mxCell(t *testing.T, ts engine.TableSections, kind engine.MatrixSectionKind, item, role string) engine.MatrixCell {
	t.Helper()
	for _, sec := range ts.Sections {
		if sec.Kind != kind {
			continue
		}
		for _, r := range sec.Rows {
			if r.Item != item {
				continue
			}
			for _, c := range r.Cells {
				if c.Role == role {
					return c
				}
			}
		}
	}
	t.Fatalf("%s: no %s %s cell for %s", ts.Table.Table, kind, item, role)
	return engine.MatrixCell{}
}

// Sections types every cell and words it once for every front end: a role
// that may neither list nor get a table reads none of its fields, whatever
// their masking; record conditions, other tiers' decisions and starting
// states are numbered notes.
func TestMatrixSections(t *testing.T) {
	def, err := engine.BuildMatrix(enginetest.Config(t), "")
	if err != nil {
		t.Fatal(err)
	}
	pcfg, err := schema.Parse("policies.toml", []byte(mxPolicyText))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := engine.BuildMatrix(pcfg, "")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]engine.TableSections{}
	for _, m := range []*engine.Matrix{def, pol} {
		for _, ts := range m.Sections() {
			tables[ts.Table.Table] = ts
		}
	}
	cases := []struct {
		table string
		kind  engine.MatrixSectionKind
		item  string
		role  string
		want  engine.MatrixCell
	}{
		{"ats_imports", engine.SectionFields, "candidateEmail", "interviewer", engine.MatrixCell{Effect: engine.Denied, Text: "no read"}},
		{"ats_imports", engine.SectionFields, "candidateEmail", "recruiter", engine.MatrixCell{Effect: engine.Denied, Text: "no read"}},
		{"ats_imports", engine.SectionFields, "candidateEmail", "owner", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityMasked, Create: true, Update: true, Text: "masked(email) c+u"}},
		{"ats_imports", engine.SectionFields, "candidateEmail", "hiring-manager", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityRaw, Create: true, Update: true, Text: "raw c+u"}},
		{"ats_imports", engine.SectionOperations, "list", "interviewer", engine.MatrixCell{Effect: engine.Denied, Text: "denied"}},
		{"candidates", engine.SectionFields, "email", "interviewer", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityMasked, Text: "masked(email)"}},
		{"candidates", engine.SectionFields, "email", "recruiter", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityRaw, Create: true, Text: "raw c"}},
		{"interview_notes", engine.SectionOperations, "list", "owner", engine.MatrixCell{Effect: engine.Conditional, Text: "own rows"}},
		{"applications", engine.SectionActions, "advanceStage", "hiring-manager", engine.MatrixCell{Effect: engine.Allowed, Text: "allowed"}},
		{"posts", engine.SectionOperations, "list", "anonymous", engine.MatrixCell{Effect: engine.Conditional, Text: "if [1]"}},
		{"posts", engine.SectionOperations, "get", "member", engine.MatrixCell{Effect: engine.Conditional, Text: "if [2] [3]"}},
		{"posts", engine.SectionFields, "secret", "member", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityMaskedUnlessOwner, Text: "masked-unless-owner(redact)"}},
		{"posts", engine.SectionFields, "secret", "anonymous", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityMasked, Text: "masked(redact)"}},
		{"posts", engine.SectionActions, "publish", "editor", engine.MatrixCell{Effect: engine.Allowed, Text: "allowed"}},
		// PUBLIC is admitted to list drafts, but the table is owner-scoped
		// and an anonymous caller owns no rows.
		{"drafts", engine.SectionFields, "body", "anonymous", engine.MatrixCell{Effect: engine.Denied, Text: "no read"}},
		{"drafts", engine.SectionFields, "body", "member", engine.MatrixCell{Effect: engine.Allowed, Visibility: engine.VisibilityRaw, Text: "raw"}},
	}
	for _, c := range cases {
		got := mxCell(t, tables[c.table], c.kind, c.item, c.role)
		c.want.Role = c.role
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s %s for %s:\n got %+v\nwant %+v", c.table, c.kind, c.item, c.role, got, c.want)
		}
	}
	wantNotes := map[string][]string{
		"posts":        {"rows matching status equals published", "rows matching createdBy equals $ctx.userId", "userRole staff: allowed", "rows matching status equals draft", "status in draft"},
		"applications": {"stage in applied, screening, interview, offer"},
		"candidates":   nil,
	}
	for table, want := range wantNotes {
		if got := tables[table].Notes; !reflect.DeepEqual(got, want) {
			t.Errorf("%s notes = %q, want %q", table, got, want)
		}
	}
	// Row details: a field's type and write rule, an action's type and
	// starting states (a note).
	for _, sec := range tables["applications"].Sections {
		for _, r := range sec.Rows {
			switch {
			case sec.Kind == engine.SectionFields && r.Item == "stage":
				if !reflect.DeepEqual(r.Details, []string{"enum", "protected: advanceStage"}) || !r.Protected {
					t.Errorf("applications.stage details %q protected %v", r.Details, r.Protected)
				}
			case sec.Kind == engine.SectionActions && r.Item == "advanceStage":
				if !reflect.DeepEqual(r.Details, []string{"record", "[1]"}) {
					t.Errorf("advanceStage details %q", r.Details)
				}
			}
		}
	}
}
