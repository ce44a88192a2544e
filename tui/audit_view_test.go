package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// rowsOf are the entry lines of the audit view (after its column header).
func rowsOf(v string) []string {
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.Contains(l, "seq ") && strings.Contains(l, "outcome") {
			var out []string
			for _, r := range lines[i+1:] {
				if regexp.MustCompile(`^[› ] \d`).MatchString(r) {
					out = append(out, r)
				}
			}
			return out
		}
	}
	return nil
}

// The console's own reads at an identity switch (the access of every
// table, the grid's page, the references' labels) are one line with the
// switch; enter lists them, esc goes back to the log, which still follows.
func TestAuditViewGroupsConsoleReads(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	f.waitFor("c-jane · Jane Doe")
	f.key("i")
	f.typeText("u-ivan")
	f.waitFor("Ivan Petrov")
	f.key("enter")
	f.waitFor("now acting as Ivan Petrov")
	f.key("L")
	v := f.waitFor("Audit log", "identity.switch +", "session.start +")
	if n := strings.Count(v, " explain "); n > 0 {
		t.Errorf("%d explain entries shown one by one:\n%s", n, v)
	}
	rows := rowsOf(v)
	last := rows[len(rows)-1]
	if !strings.HasPrefix(last, "› ") || !strings.Contains(last, "identity.switch +") || !strings.Contains(last, "u-ivan") {
		t.Fatalf("the last row is not the switch, selected:\n%s", v)
	}
	f.key("enter")
	f.waitFor("grouped: the console's own reads", "operation       identity.switch")
	all := strings.Join(f.m.overlay.(*auditEntryView).lines, "\n")
	if n := strings.Count(all, "operation       explain"); n < len(f.m.cfg.Tables) {
		t.Errorf("the group lists %d explains, not one per table:\n%s", n, all)
	}
	f.key("esc")
	f.waitFor("Audit log", "identity.switch +")
	if _, err := e.Get(context.Background(), *identity(t, e, "u-ivan", ""), "jobs", "j-firmware"); err != nil {
		t.Fatal(err)
	}
	f.waitFor("j-firmware")
}

// u, t and o keep the entries of the selected entry's user, table or
// outcome (again: all); / searches the entries read; F clears; → scrolls
// the columns.
func TestAuditViewFiltersSearchScroll(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "applications"})
	f.waitFor("a-1001")
	f.key("d") // refused: ACCESS_ROLE_REQUIRED
	f.waitFor("ACCESS_ROLE_REQUIRED (403)")
	if _, err := e.Get(context.Background(), *identity(t, e, "u-dana", ""), "jobs", "j-firmware"); err != nil {
		t.Fatal(err)
	}
	f.key("L")
	f.waitFor("Audit log", "j-fi") // the record column is the last one shown at 120 columns
	f.key("up")                    // the refusal
	f.key("o")
	v := f.waitFor("only outcome ACCESS_ROLE_REQUIRED", "chain verified")
	if rows := rowsOf(v); len(rows) != 1 || !strings.Contains(rows[0], "delete") {
		t.Errorf("outcome filter rows:\n%s", v)
	}
	f.key("o")
	f.waitFor("every entry", "chain verified")
	f.key("up", "u")
	v = f.waitFor("only user u-rachel", "chain verified")
	for _, r := range rowsOf(v) {
		if !strings.Contains(r, "u-rachel") {
			t.Errorf("user filter shows %q", r)
		}
	}
	f.key("t")
	f.waitFor("only user u-rachel · table applications", "chain verified")
	f.key("F")
	f.waitFor("every entry", "u-dana", "chain verified")
	f.key("/")
	f.typeText("firmware")
	v = f.waitFor("/ firmware")
	if rows := rowsOf(v); len(rows) != 1 || !strings.Contains(rows[0], "j-firmware") {
		t.Errorf("search rows:\n%s", v)
	}
	f.key("enter")
	f.waitFor("only search firmware")
	f.key("right", "right")
	v = f.waitFor("only search firmware")
	hdr := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, "  seq ") {
			hdr = l
		}
	}
	if strings.Contains(hdr, " at ") || strings.Contains(hdr, "outcome") || !strings.Contains(hdr, "os user") {
		t.Errorf("→ did not scroll the columns: %q", hdr)
	}
}
