package engine_test

import (
	"context"
	"fmt"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestPostgresAuditBatchSameChain: on PostgreSQL a group commit's entries,
// and the reads a write takes into its own transaction, are inserted in one
// statement (pgAuditWriter); the log they make is the one SQLite's
// row-by-row appends make for the same operations at the same clock —
// every entry, its seq and its hash — and it verifies.
func TestPostgresAuditBatchSameChain(t *testing.T) {
	ctx := context.Background()
	logs := map[string]string{}
	for _, be := range enginetest.Backends {
		e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, be.Opts...)...)
		rachel := enginetest.Member(t, e, "u-rachel", "acme")
		for i := 0; i < 40; i++ {
			if _, err := e.List(ctx, rachel, "candidates", engine.ListQuery{Limit: 5}); err != nil {
				t.Fatal(err)
			}
		}
		// A write appends the 40 waiting reads and its own entry in its
		// transaction.
		if _, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "Tomás R."}, engine.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			if _, err := e.Get(ctx, rachel, "candidates", "c-tomas"); err != nil {
				t.Fatal(err)
			}
		}
		// Reading the log appends the 30 waiting reads first, in one group.
		entries, err := e.AuditEntries(ctx, engine.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var log string
		for _, a := range entries {
			log += fmt.Sprintf("%d %s %s %s %s %d %s\n", a.Seq, a.Operation, a.Table, a.RecordID, a.Outcome, a.HashVersion, a.Hash)
		}
		if len(entries) < 72 {
			t.Fatalf("%s: %d entries, want the seed's and 71 more", be.Name, len(entries))
		}
		res, err := e.VerifyAudit(ctx, "")
		if err != nil || !res.OK {
			t.Fatalf("%s: the chain does not verify: %+v, %v", be.Name, res, err)
		}
		logs[be.Name] = log
	}
	if logs["sqlite"] != logs["postgres"] {
		t.Errorf("the logs differ:\n%s", enginetest.FirstDiff(logs["sqlite"], logs["postgres"]))
	}
}
