package tui

import (
	"database/sql"
	"strings"
	"testing"

	"quickback.dev/qb/internal/enginetest"
)

// TestConsoleBetterAuthIdentities: on a Quickback project's database with
// identities in Better Auth's tables, the picker lists their users (by
// name, email, organization and role, a member whose role [auth].roles
// does not list among them), switching identity and compare work from
// them, and that member can list nothing.
func TestConsoleBetterAuthIdentities(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Quickback())
	db, err := sql.Open("sqlite", "file:"+e.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, st := range []string{
		`INSERT INTO "user" (id, name, email, created_at, updated_at) VALUES ('u-nell', 'Nell Newcomer', 'nell@acme.test', 0, 0)`,
		`INSERT INTO member (id, organization_id, user_id, role, created_at) VALUES ('m-nell', 'acme', 'u-nell', 'member', 0)`,
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	f := startFlow(t, e, Options{Identity: identity(t, e, "ivan@acme.test", ""), Table: "candidates", DBPath: "their.db"})
	f.waitFor("Ivan Petrov (u-ivan)", "role interviewer", "◆j***@e******.com")
	f.key("i")
	v := f.waitFor("Act as…")
	for _, want := range []string{"dana@acme.test", "Nell Newcomer", "nell@acme.test", "gloria@globex.test", "Marco Bianchi"} {
		if !strings.Contains(v, want) {
			t.Errorf("the picker lacks %q:\n%s", want, v)
		}
	}
	f.typeText("dana")
	f.waitFor("› Dana Reyes")
	f.key("enter")
	f.waitFor("Dana Reyes (u-dana)", "role hiring-manager", "jane@example.com")
	f.key("/")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("row 1 of 1", "Jane Doe")
	f.key("c")
	v = f.waitFor("Compare candidates c-jane")
	for _, want := range []string{"you: u-dana", "interviewer", "◆j***@e******.com", "jane@example.com"} {
		if !strings.Contains(v, want) {
			t.Errorf("compare lacks %q:\n%s", want, v)
		}
	}
	f.key("esc")
	f.waitFor("Candidates (candidates)")
	f.key("i")
	f.waitFor("Act as…")
	f.typeText("nell")
	f.waitFor("› Nell Newcomer")
	f.key("enter")
	v = f.waitFor("Nell Newcomer (u-nell)", "role member", "ACCESS_ROLE_REQUIRED (403)")
	if strings.Contains(v, "Jane Doe") || !strings.Contains(v, "⊘ Jobs") || !strings.Contains(v, "⊘ ATS imports") {
		t.Errorf("a member whose role the config does not know can list:\n%s", v)
	}
}
