package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// sessionOps lists the operations of the entries after seq, with the
// user, the role and the reason of the session entries.
func sessionOps(t *testing.T, e *engine.Engine, after int64) []string {
	t.Helper()
	es, err := e.AuditEntries(context.Background(), engine.AuditFilter{AfterSeq: after})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		if strings.HasPrefix(x.Operation, "session.") || x.Operation == engine.IdentitySwitch {
			out = append(out, fmt.Sprintf("%s %s %s %q", x.Operation, x.UserID, x.RecordID, x.Reason))
		}
	}
	return out
}

func lastSeq(t *testing.T, e *engine.Engine) int64 {
	t.Helper()
	v, err := e.VerifyAudit(context.Background(), "")
	if err != nil || !v.OK {
		t.Fatalf("audit chain: %+v %v", v, err)
	}
	return v.HeadSeq
}

// A console session logs its start (its first identity), each switch to
// another identity (with the one before as the record), and its end; the
// reads in between follow the entry of the identity they ran as.
func TestConsoleSessionEntries(t *testing.T) {
	e := newEngine(t)
	n0 := lastSeq(t, e)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of")
	f.key("i")
	f.waitFor("Act as…")
	f.typeText("ivan")
	f.waitFor("› Ivan Petrov")
	f.key("enter")
	f.waitFor("role interviewer", "row 1 of")
	f.m.endSession() // what Run does when the program ends
	got := sessionOps(t, e, n0)
	want := []string{`session.start u-dana  ""`, `identity.switch u-ivan u-dana@acme (hiring-manager) ""`, `session.end u-ivan  ""`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("session entries:\n got %q\nwant %q", got, want)
	}
	es, _ := e.AuditEntries(context.Background(), engine.AuditFilter{AfterSeq: n0})
	if es[0].Operation != engine.SessionStart {
		t.Errorf("the first entry of the session is %s", es[0].Operation)
	}
	switched := false
	for _, x := range es {
		switch {
		case x.Operation == engine.IdentitySwitch:
			switched = true
		case x.Operation == "list" && switched && x.UserID != "u-ivan", x.Operation == "list" && !switched && x.UserID != "u-dana":
			t.Errorf("entry %d (%s by %s) is on the wrong side of the switch", x.Seq, x.Operation, x.UserID)
		}
	}
}

// With [audit].requireReason the console asks why before it acts as a
// real user; the reason is on every entry from then on. Declining to give
// one for the first identity ends the console; for a later switch, it
// keeps the identity it had.
func TestConsoleAsksForAReason(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{New: "[audit]\nrequireReason = true"}))
	n0 := lastSeq(t, e)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates"})
	f.waitFor("Why do you act as Ivan Petrov (u-ivan)?", "acting as no one until a reason is given for Ivan Petrov (u-ivan)")
	if n := lastSeq(t, e); n != n0 {
		t.Fatalf("%d entries before a reason was given", n-n0)
	}
	f.key("enter") // empty: asked again
	f.waitFor("a reason is required")
	f.typeText("INC-42 \x1b[2J customer escalation")
	f.key("enter")
	f.waitFor("role interviewer", "row 1 of", "reason recorded")
	es, _ := e.AuditEntries(context.Background(), engine.AuditFilter{AfterSeq: n0})
	if len(es) < 2 || es[0].Operation != engine.SessionStart {
		t.Fatalf("entries after the reason: %+v", es)
	}
	for _, x := range es {
		if !strings.HasPrefix(x.Reason, "INC-42") {
			t.Errorf("entry %d (%s) has reason %q", x.Seq, x.Operation, x.Reason)
		}
	}
	// A synthetic identity needs no reason (and the session has one).
	f.key("i")
	f.waitFor("Act as…")
	f.typeText("any owner acme")
	f.waitFor("› any owner")
	f.key("enter")
	f.waitFor("role owner")

	// Declining at the start: the console ends and says why.
	e2 := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{New: "[audit]\nrequireReason = true"}))
	f2 := startFlow(t, e2, Options{Identity: identity(t, e2, "u-ivan", ""), Table: "candidates"})
	f2.waitFor("Why do you act as")
	f2.key("esc")
	f2.tm.WaitFinished(t)
	if f2.m.exitErr == nil || !strings.Contains(f2.m.exitErr.Error(), "needs a reason") {
		t.Errorf("declined at the start: %v", f2.m.exitErr)
	}
}

// The audit view shows the role the user really holds beside the role
// acted as, and the session's reason.
func TestAuditViewRealRoleAndReason(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	ivan, err := e.ResolveIdentity(ctx, "u-ivan", "acme", "recruiter")
	if err != nil {
		t.Fatal(err)
	}
	e.SetReason("TICKET-7")
	if _, err := e.Get(ctx, ivan, "jobs", "j-firmware"); err != nil {
		t.Fatal(err)
	}
	f := startFlow(t, e, Options{Identity: &ivan, Table: "candidates"})
	f.waitFor("row 1 of")
	f.key("L")
	f.waitFor("Audit log", "chain verified", "witnessed heads checked", "recruiter (really interviewer)")
	// The reason comes after the record: a wide terminal shows both.
	f.tm.Send(tea.WindowSizeMsg{Width: 200, Height: 40})
	v := f.waitFor("j-firmware", "TICKET-7")
	for _, want := range []string{"recruiter (really interviewer)", "reason"} {
		if !strings.Contains(v, want) {
			t.Errorf("the audit view lacks %q:\n%s", want, v)
		}
	}
}

// Payloads planted in every column of the log (hashes, ids and codes
// included) reach the audit view as visible symbols, never as terminal
// controls; the broken chain is shown as broken.
func TestAuditViewSanitizesEveryColumn(t *testing.T) {
	columns := []string{"at", "os_user", "user_id", "org_id", "role", "real_role", "operation", "table_name", "record_id", "outcome", "fields", "reason", "prev_hash", "hash"}
	payloads := []string{"\x1b[1A\r\x1b[2Kchain verified: 92 entries", "\x1b]52;c;ZWNobyBwd25lZA==\x07", "\u009b2J\u0007bell"}
	for _, payload := range payloads {
		e := newEngine(t)
		id := identity(t, e, "u-dana", "")
		for range columns {
			if _, err := e.Get(context.Background(), *id, "jobs", "j-firmware"); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		db := enginetest.DB(t, e)
		for i, col := range columns {
			if _, err := db.Exec(fmt.Sprintf("UPDATE qb_audit SET %s = ? WHERE seq = ?", col), payload, i+2); err != nil {
				t.Fatal(err)
			}
		}
		a := newAuditLog(NewCommon(false), &session{eng: e})
		a.SetSize(300, 60)
		a.Update(a.read()())
		v := a.View()
		for _, r := range v {
			if r == '\n' {
				continue
			}
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("payload %q: the audit view holds %U:\n%q", payload, r, v)
			}
		}
		if !strings.Contains(v, "CHAIN BROKEN") || strings.Contains(v, "\nchain verified") {
			t.Errorf("payload %q: the broken chain is not shown as broken:\n%s", payload, v)
		}
	}
}

// A database that cannot be written at all leaves the session unaudited:
// the header says UNAUDITED. The console's own read-only mode on a
// writable database is audited and carries no such badge.
func TestConsoleUnauditedBadge(t *testing.T) {
	w := newEngine(t)
	ro, err := engine.Open(w.Config(), w.Path(), engine.Options{ReadOnly: true, ReadOnlyReason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	f := startFlow(t, ro, Options{Identity: identity(t, ro, "u-dana", ""), Table: "candidates", ReadOnly: true})
	v := f.waitFor("row 1 of")
	if !strings.Contains(v, "UNAUDITED") || !strings.Contains(v, "READ-ONLY") {
		t.Errorf("a read-only database:\n%s", v)
	}

	n0 := lastSeq(t, w)
	f2 := startFlow(t, w, Options{Identity: identity(t, w, "u-dana", ""), Table: "candidates", ReadOnly: true})
	v = f2.waitFor("row 1 of")
	if strings.Contains(v, "UNAUDITED") || !strings.Contains(v, "READ-ONLY") {
		t.Errorf("--read-only on a writable database:\n%s", v)
	}
	if got := sessionOps(t, w, n0); len(got) != 1 || !strings.HasPrefix(got[0], "session.start") {
		t.Errorf("--read-only session entries: %q", got)
	}
	if n := lastSeq(t, w); n < n0+2 {
		t.Errorf("--read-only: %d entries, want the session's start and its reads", n-n0)
	}
}
