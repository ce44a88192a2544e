package engine_test

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestAuditRealRole (issue 11, item 4): acting as a user with another role
// records the role the user really holds beside the acted one; the real
// role is covered by the hash.
func TestAuditRealRole(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	cases := []struct {
		as, role        string
		acted, reallyIs string
	}{
		{"u-ivan", "recruiter", "recruiter", "interviewer"},
		{"u-ivan", "interviewer", "interviewer", ""}, // the membership's own role: no override
		{"u-ivan", "", "interviewer", ""},
	}
	for _, c := range cases {
		id, err := e.ResolveIdentity(ctx, c.as, "acme", c.role)
		if err != nil {
			t.Fatal(err)
		}
		if id.Role != c.acted || id.RealRole != c.reallyIs {
			t.Errorf("--as %s --role %q: identity %+v", c.as, c.role, id)
		}
		if _, err := e.Get(ctx, id, "candidates", "c-jane"); err != nil {
			t.Fatal(err)
		}
		last := auLast(t, e)
		if last.Role != c.acted || last.RealRole != c.reallyIs || last.UserID != c.as {
			t.Errorf("--as %s --role %q: entry %+v", c.as, c.role, last)
		}
	}
	// Real recruiter and impersonated recruiter are told apart, and the
	// difference cannot be edited away.
	seq := auLast(t, e).Seq - 2
	auExec(t, e, "UPDATE qb_audit SET real_role = '' WHERE seq = ?", seq)
	if r := auVerify(t, e, ""); r.OK || r.BrokenSeq != seq {
		t.Errorf("real role erased: %+v", r)
	}
}

// TestAuditReason: the session's reason is on every entry appended while it
// is set (reads, refusals, writes, session entries); SetReason changes it.
func TestAuditReason(t *testing.T) {
	ctx := context.Background()
	base := enginetest.Seeded(t)
	e, err := engine.Open(base.Config(), base.Path(), engine.Options{Reason: "TICKET-42"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n0 := int64(auCount(t, e))
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{})
	_, _ = e.List(ctx, ivan, "ats_imports", engine.ListQuery{})
	_, _ = e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "T"}, engine.WriteOptions{})
	_ = e.LogSession(ctx, engine.SessionStart, ivan, nil)
	e.SetReason("INC 7: \x1b[2Jcustomer asked")
	_, _ = e.Get(ctx, ivan, "candidates", "c-jane")
	es, err := e.AuditEntries(ctx, engine.AuditFilter{AfterSeq: n0})
	if err != nil || len(es) != 5 {
		t.Fatalf("%d entries: %v", len(es), err)
	}
	for _, x := range es[:4] {
		if x.Reason != "TICKET-42" {
			t.Errorf("entry %d (%s): reason %q", x.Seq, x.Operation, x.Reason)
		}
	}
	if es[4].Reason != "INC 7: \x1b[2Jcustomer asked" {
		t.Errorf("after SetReason: %q (stored as given; sanitized on output)", es[4].Reason)
	}
	if e.Reason() != "INC 7: \x1b[2Jcustomer asked" {
		t.Errorf("Reason() = %q", e.Reason())
	}
	auExec(t, e, "UPDATE qb_audit SET reason = 'nothing to see' WHERE seq = ?", es[2].Seq)
	if r := auVerify(t, e, ""); r.OK || r.BrokenSeq != es[2].Seq {
		t.Errorf("a reason rewritten: %+v", r)
	}
}

// TestAuditReasonRequired: with [audit].requireReason a real user needs a
// reason; synthetic and anonymous identities do not.
func TestAuditReasonRequired(t *testing.T) {
	cfg := enginetest.Config(t, enginetest.Edit{New: "[audit]\nrequireReason = true"})
	base := enginetest.Seeded(t)
	e, err := engine.Open(cfg, base.Path(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	if !e.ReasonRequired(ivan) {
		t.Error("a real user without a reason")
	}
	if e.ReasonRequired(engine.SyntheticIdentity("acme", "owner")) || e.ReasonRequired(engine.Identity{OrgID: "acme", Anonymous: true}) {
		t.Error("a synthetic or anonymous identity needs no reason")
	}
	e.SetReason("TICKET-1")
	if e.ReasonRequired(ivan) {
		t.Error("a reason was given")
	}
	if base.ReasonRequired(ivan) {
		t.Error("without [audit].requireReason no reason is required")
	}
}

// TestAuditSessionEntries: a console session's start, identity switches and
// end are entries of their own, in order with the session's reads.
func TestAuditSessionEntries(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	n0 := int64(auCount(t, e))
	dana := enginetest.Member(t, e, "u-dana", "acme")
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	if err := e.LogSession(ctx, engine.SessionStart, dana, nil); err != nil {
		t.Fatal(err)
	}
	_, _ = e.List(ctx, dana, "jobs", engine.ListQuery{})
	if err := e.LogSession(ctx, engine.IdentitySwitch, ivan, &dana); err != nil {
		t.Fatal(err)
	}
	_, _ = e.List(ctx, ivan, "jobs", engine.ListQuery{})
	if err := e.LogSession(ctx, engine.SessionEnd, ivan, nil); err != nil {
		t.Fatal(err)
	}
	es, _ := e.AuditEntries(ctx, engine.AuditFilter{AfterSeq: n0})
	var got []string
	for _, x := range es {
		got = append(got, x.Operation+" "+x.UserID+" "+x.RecordID)
	}
	want := []string{"session.start u-dana ", "list u-dana ", "identity.switch u-ivan u-dana@acme (hiring-manager)", "list u-ivan ", "session.end u-ivan "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("session entries:\n got %q\nwant %q", got, want)
	}
}
