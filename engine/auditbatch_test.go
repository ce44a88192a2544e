package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"testing"
)

// execRecorder is an execQuerier that records the statements executed on
// it and runs none.
type execRecorder struct {
	queries []string
	args    [][]any
}

func (r *execRecorder) ExecContext(_ context.Context, q string, args ...any) (sql.Result, error) {
	r.queries = append(r.queries, q)
	r.args = append(r.args, args)
	return driver.RowsAffected(1), nil
}

func (r *execRecorder) QueryRowContext(context.Context, string, ...any) *sql.Row {
	panic("execRecorder reads nothing")
}

// emptyLogWriter is PostgreSQL's audit writer on an empty log.
type emptyLogWriter struct{ pgAuditWriter }

func (emptyLogWriter) head(context.Context) (int64, string, bool, error) { return 0, "", false, nil }

// TestPostgresAuditAppendIsOneStatement: on PostgreSQL a group commit's
// entries go to the server in one INSERT (one round trip), chained in
// order, instead of one INSERT per entry; SQLite's writer, where a
// statement is a function call, inserts row by row. (That the log the one
// statement writes is SQLite's, hash for hash, is
// TestPostgresAuditBatchSameChain's.)
func TestPostgresAuditAppendIsOneStatement(t *testing.T) {
	if _, ok := (postgresDialect{}).auditWriter(nil).(batchWriter); !ok {
		t.Fatalf("PostgreSQL's audit writer does not insert in batches")
	}
	if _, ok := (sqliteDialect{}).auditWriter(nil).(batchWriter); ok {
		t.Fatalf("SQLite's audit writer inserts in batches")
	}
	rec := &execRecorder{}
	var entries []*AuditEntry
	for _, op := range []string{"list", "get", "list", "update", "get"} {
		entries = append(entries, &AuditEntry{At: "2026-11-28T12:00:00.000Z", UserID: "u1", Operation: op, Outcome: "ok"})
	}
	if err := appendAudit(context.Background(), emptyLogWriter{pgAuditWriter{sqlWriter{rec}}}, entries...); err != nil {
		t.Fatal(err)
	}
	if len(rec.queries) != 1 || rec.queries[0] != pgAuditInsertSQL {
		t.Fatalf("statements: %q; want the one batch INSERT", rec.queries)
	}
	args := rec.args[0]
	if got := args[0]; !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("seq column %v, want 1…5", got)
	}
	if got := args[6]; !reflect.DeepEqual(got, []string{"list", "get", "list", "update", "get"}) {
		t.Errorf("operation column %v, want the entries' order", got)
	}
	prev, hashes := args[11].([]string), args[12].([]string)
	if prev[0] != GenesisHash {
		t.Errorf("first prev_hash %q, want the genesis hash", prev[0])
	}
	for i := 1; i < len(prev); i++ {
		if prev[i] != hashes[i-1] {
			t.Errorf("entry %d's prev_hash is not entry %d's hash", i+1, i)
		}
	}
}
