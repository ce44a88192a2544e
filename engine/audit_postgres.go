package engine

import "context"

// pgAuditInsertSQL inserts a batch of audit entries in one statement: one
// array per column, unnested into rows in order.
const pgAuditInsertSQL = `INSERT INTO qb_audit (seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash, real_role, reason, hash_version)
SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[])`

// pgAuditWriter appends on PostgreSQL: a group commit's entries (or a
// write's with the reads waiting before it) go in one INSERT, one round
// trip instead of one per entry (BENCHMARKS.md, issue 18).
type pgAuditWriter struct{ sqlWriter }

// auditWriter: entries batched into one INSERT (pgAuditWriter).
func (postgresDialect) auditWriter(q execQuerier) auditWriter { return pgAuditWriter{sqlWriter{q}} }

func (w pgAuditWriter) insertAll(ctx context.Context, entries []*AuditEntry) error {
	n := len(entries)
	seq, ver := make([]int64, n), make([]int64, n)
	var text [14][]string
	for i := range text {
		text[i] = make([]string, n)
	}
	for i, e := range entries {
		seq[i], ver[i] = e.Seq, int64(e.HashVersion)
		for j, v := range [14]string{e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, string(appendJSONStrings(nil, e.Fields)), e.PrevHash, e.Hash, e.RealRole, e.Reason} {
			text[j][i] = v
		}
	}
	args := make([]any, 0, 16)
	args = append(args, seq)
	for _, col := range text {
		args = append(args, col)
	}
	args = append(args, ver)
	_, err := w.q.ExecContext(ctx, pgAuditInsertSQL, args...)
	return err
}
