package engine_test

import (
	"reflect"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// mxCell finds role's cell of item in the section of kind.
func mxCell(t *testing.T, ts access.TableSections, kind access.MatrixSectionKind, item, role string) access.MatrixCell {
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
	return access.MatrixCell{}
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
	tables := map[string]access.TableSections{}
	for _, m := range []*access.Matrix{def, pol} {
		for _, ts := range m.Sections() {
			tables[ts.Table.Table] = ts
		}
	}
	cases := []struct {
		table string
		kind  access.MatrixSectionKind
		item  string
		role  string
		want  access.MatrixCell
	}{
		{"ats_imports", access.SectionFields, "candidateEmail", "interviewer", access.MatrixCell{Effect: access.Denied, Text: "no read"}},
		{"ats_imports", access.SectionFields, "candidateEmail", "recruiter", access.MatrixCell{Effect: access.Denied, Text: "no read"}},
		{"ats_imports", access.SectionFields, "candidateEmail", "owner", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityMasked, Create: true, Update: true, Text: "masked(email) c+u"}},
		{"ats_imports", access.SectionFields, "candidateEmail", "hiring-manager", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityRaw, Create: true, Update: true, Text: "raw c+u"}},
		{"ats_imports", access.SectionOperations, "list", "interviewer", access.MatrixCell{Effect: access.Denied, Text: "denied"}},
		{"candidates", access.SectionFields, "email", "interviewer", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityMasked, Text: "masked(email)"}},
		{"candidates", access.SectionFields, "email", "recruiter", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityRaw, Create: true, Text: "raw c"}},
		{"interview_notes", access.SectionOperations, "list", "owner", access.MatrixCell{Effect: access.Conditional, Text: "own rows"}},
		{"applications", access.SectionActions, "advanceStage", "hiring-manager", access.MatrixCell{Effect: access.Allowed, Text: "allowed"}},
		{"posts", access.SectionOperations, "list", "anonymous", access.MatrixCell{Effect: access.Conditional, Text: "if [1]"}},
		{"posts", access.SectionOperations, "get", "member", access.MatrixCell{Effect: access.Conditional, Text: "if [2] [3]"}},
		{"posts", access.SectionFields, "secret", "member", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityMaskedUnlessOwner, Text: "masked-unless-owner(redact)"}},
		{"posts", access.SectionFields, "secret", "anonymous", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityMasked, Text: "masked(redact)"}},
		{"posts", access.SectionActions, "publish", "editor", access.MatrixCell{Effect: access.Allowed, Text: "allowed"}},
		// PUBLIC is admitted to list drafts, but the table is owner-scoped
		// and an anonymous caller owns no rows.
		{"drafts", access.SectionFields, "body", "anonymous", access.MatrixCell{Effect: access.Denied, Text: "no read"}},
		{"drafts", access.SectionFields, "body", "member", access.MatrixCell{Effect: access.Allowed, Visibility: access.VisibilityRaw, Text: "raw"}},
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
	// An action no state leads into its target starts from none, and
	// leaves no note behind.
	var unpublish []string
	for _, sec := range tables["posts"].Sections {
		for _, r := range sec.Rows {
			if sec.Kind == access.SectionActions && r.Item == "unpublish" {
				unpublish = r.Details
			}
		}
	}
	if !reflect.DeepEqual(unpublish, []string{"record", "none"}) {
		t.Errorf("unpublish details %q", unpublish)
	}
	// Row details: a field's type and write rule, an action's type and
	// starting states (a note).
	for _, sec := range tables["applications"].Sections {
		for _, r := range sec.Rows {
			switch {
			case sec.Kind == access.SectionFields && r.Item == "stage":
				if !reflect.DeepEqual(r.Details, []string{"enum", "protected: advanceStage"}) || !r.Protected {
					t.Errorf("applications.stage details %q protected %v", r.Details, r.Protected)
				}
			case sec.Kind == access.SectionActions && r.Item == "advanceStage":
				if !reflect.DeepEqual(r.Details, []string{"record", "[1]"}) {
					t.Errorf("advanceStage details %q", r.Details)
				}
			}
		}
	}
}
