package engine_test

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestFilterMistakes (SPEC §3.6): an operator that is not ours or a value an
// enum column cannot hold is VALIDATION_FAILED, never an empty result; a
// misspelt column or enum value carries the correction.
func TestFilterMistakes(t *testing.T) {
	e := enginetest.Seeded(t)
	dana := enginetest.Member(t, e, "u-dana", "")
	ctx := context.Background()
	cases := []struct {
		table, filter string
		code          engine.Code
		suggestion    string
		message       string
	}{
		{"jobs", "status==open", engine.ValidationFailed, "", `unknown operator "=="`},
		{"jobs", "status<>open", engine.ValidationFailed, "", `unknown operator "<>"`},
		{"jobs", "status!==open", engine.ValidationFailed, "", `unknown operator "!=="`},
		{"jobs", "status=>open", engine.ValidationFailed, "", `unknown operator "=>"`},
		{"jobs", "status=opn", engine.ValidationFailed, "open", `"opn" is not one of draft, open, closed`},
		{"jobs", "status!=bogus", engine.ValidationFailed, "", `"bogus" is not one of draft, open, closed`},
		{"jobs", "status in open,clsed", engine.ValidationFailed, "closed", `"clsed" is not one of`},
		{"jobs", "stauts=open", engine.ValidationFailed, "status", `unknown column "stauts"`},
		{"candidates", "nmae=x", engine.ValidationFailed, "name", `unknown column "nmae"`},
		{"jobs", "status=open", "", "", ""},
		{"jobs", "status in open,closed", "", "", ""},
		{"jobs", "title= =x", "", "", ""}, // a value starting with '=' after a space
	}
	for _, c := range cases {
		var err error
		f, perr := engine.ParseFilter(c.filter)
		if perr != nil {
			err = perr
		} else {
			_, err = e.List(ctx, dana, c.table, engine.ListQuery{Filters: []engine.Filter{f}})
		}
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.filter, err)
			}
			continue
		}
		ee, ok := engine.AsError(err)
		if !ok || ee.Code != c.code || !strings.Contains(ee.Message, c.message) || ee.Suggestion() != c.suggestion {
			t.Errorf("%s: %v (suggestion %q), want %s %q with suggestion %q", c.filter, err, suggestionOf(err), c.code, c.message, c.suggestion)
		}
	}
}

func suggestionOf(err error) string {
	if e, ok := engine.AsError(err); ok {
		return e.Suggestion()
	}
	return ""
}

// TestMisspeltNamesAreSuggested: an unknown table, action, field or action
// input carries the name it is probably a misspelling of, and FormatError
// says "did you mean".
func TestMisspeltNamesAreSuggested(t *testing.T) {
	e := enginetest.Seeded(t)
	dana := enginetest.Member(t, e, "u-dana", "")
	ctx := context.Background()
	_, err := e.List(ctx, dana, "jbos", engine.ListQuery{})
	if suggestionOf(err) != "jobs" || !strings.Contains(engine.FormatError(err), `did you mean "jobs"?`) {
		t.Errorf("unknown table: %s", engine.FormatError(err))
	}
	if _, err := engine.BuildMatrix(e.Config(), "candidtes"); suggestionOf(err) != "candidates" {
		t.Errorf("matrix of an unknown table: %v", err)
	}
	_, err = e.Run(ctx, dana, "applications", "advanceStag", "a-1001", nil, engine.WriteOptions{DryRun: true})
	if suggestionOf(err) != "advanceStage" || !strings.Contains(engine.FormatError(err), `did you mean "advanceStage"?`) {
		t.Errorf("unknown action: %s", engine.FormatError(err))
	}
	_, err = e.Create(ctx, dana, "jobs", map[string]any{"titel": "x"}, engine.WriteOptions{DryRun: true})
	if !strings.Contains(engine.FormatError(err), `field titel: unknown — unknown field; did you mean "title"?`) {
		t.Errorf("unknown field: %s", engine.FormatError(err))
	}
	_, err = e.Run(ctx, dana, "applications", "advanceStage", "a-1001", map[string]any{"stgae": "offer"}, engine.WriteOptions{DryRun: true})
	if !strings.Contains(engine.FormatError(err), `did you mean "stage"?`) {
		t.Errorf("unknown action input: %s", engine.FormatError(err))
	}
}

// TestAnonymousWithoutOrganization (SPEC §2): an anonymous caller that names
// no organization is an identity; where PUBLIC admits it, a table whose
// firewall needs an organization refuses it with ORG_REQUIRED (and where
// PUBLIC does not, access refuses it first).
func TestAnonymousWithoutOrganization(t *testing.T) {
	e := enginetest.Seeded(t, ctVariant(t, "public"))
	ctx := context.Background()
	id, err := e.ResolveIdentity(ctx, "anonymous", "", "")
	if err != nil || !id.Anonymous || id.OrgID != "" {
		t.Fatalf("anonymous without an organization: %+v, %v", id, err)
	}
	_, err = e.List(ctx, id, "jobs", engine.ListQuery{})
	if e, ok := engine.AsError(err); !ok || e.Code != engine.OrgRequired {
		t.Fatalf("list jobs as anonymous without an organization: %v, want ORG_REQUIRED", err)
	}
	_, err = e.List(ctx, id, "candidates", engine.ListQuery{})
	if e, ok := engine.AsError(err); !ok || e.Code != engine.AccessRoleRequired {
		t.Fatalf("list candidates as anonymous: %v, want ACCESS_ROLE_REQUIRED", err)
	}
}
