package engine_test

import (
	"slices"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestCreatorRoles: the roles the generator may pick row creators from are
// those of the create access, or of the actions inserting into an internal
// table; PUBLIC is left out, and a table nobody restricts is open to all.
func TestCreatorRoles(t *testing.T) {
	variant := func(old, new string) *engine.Engine {
		return enginetest.Open(t, enginetest.Edits(enginetest.Edit{Section: "[tables.jobs.crud]", Old: old, New: new}))
	}
	const jobsCreate = `create.access = { roles = ["owner", "hiring-manager"] }`
	base := enginetest.Open(t)
	cases := []struct {
		name  string
		e     *engine.Engine
		table string
		roles []string
		all   bool
	}{
		{"create access", base, "jobs", []string{"owner", "hiring-manager"}, false},
		{"a role range is expanded", base, "interview_notes", []string{"interviewer", "recruiter", "hiring-manager", "owner"}, false},
		{"an internal table: the inserting actions' roles", base, "interview_scores", []string{"owner", "hiring-manager", "interviewer"}, false},
		{"PUBLIC is left out", variant(jobsCreate, `create.access = { roles = ["PUBLIC", "owner"] }`), "jobs", []string{"owner"}, false},
		{"PUBLIC alone admits all", variant(jobsCreate, `create.access = { roles = ["PUBLIC"] }`), "jobs", nil, true},
		{"no create rule", variant(jobsCreate, ``), "jobs", nil, true},
		{"unknown table", base, "nope", nil, true},
	}
	for _, c := range cases {
		roles, all := c.e.Loader().CreatorRoles(c.table)
		if !slices.Equal(roles, c.roles) || all != c.all {
			t.Errorf("%s: CreatorRoles(%s) = %q, %v; want %q, %v", c.name, c.table, roles, all, c.roles, c.all)
		}
	}
}
