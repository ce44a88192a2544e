package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"
)

// auditDDL creates the log of a new database. seq is a plain INTEGER
// PRIMARY KEY (the rowid), without AUTOINCREMENT: appendAudit always assigns
// it explicitly as the head's seq + 1, so AUTOINCREMENT only cost a write of
// sqlite_sequence on every append (every read appends) and never decided a
// number. Databases created earlier keep their AUTOINCREMENT table (CREATE
// TABLE IF NOT EXISTS leaves it alone) and work unchanged: the explicit seq
// is the same under both.
//
// Neither form prevents a seq from being reused after the tail of the log
// is deleted (with or without AUTOINCREMENT, the next append is head + 1 of
// what is left), and neither needs to: the chain stays consistent, so the
// deletion is detected by VerifyAudit with a head recorded earlier (qb
// audit --verify --head HASH), whose hash is then no longer in the log — a reused
// seq carries a different prev_hash, content and hash. Deleting or editing
// anything before the head breaks the chain itself.
const auditDDL = `CREATE TABLE IF NOT EXISTS qb_audit (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  os_user TEXT NOT NULL,
  user_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  role TEXT NOT NULL,
  operation TEXT NOT NULL,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  fields TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
)`

// genesisHash is the previous hash of the first entry.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEntry is one line of the tamper-evident log.
type AuditEntry struct {
	Seq       int64    `json:"seq"`
	At        string   `json:"at"`
	OSUser    string   `json:"osUser"`
	UserID    string   `json:"userId"`
	OrgID     string   `json:"orgId"`
	Role      string   `json:"role"`
	Operation string   `json:"operation"`
	Table     string   `json:"table"`
	RecordID  string   `json:"recordId"`
	Outcome   string   `json:"outcome"`
	Fields    []string `json:"fields"`
	PrevHash  string   `json:"prevHash"`
	Hash      string   `json:"hash"`
}

// entryHash covers every field of the entry but its own hash, and the
// previous hash, so an edit, deletion or reordering breaks the chain.
func entryHash(e *AuditEntry) string {
	content := []any{e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, e.Fields}
	b, _ := json.Marshal(content)
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// currentOSUser is the operating-system user running this process.
func currentOSUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if s := os.Getenv("USER"); s != "" {
		return s
	}
	return "unknown"
}

type execQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// appendAudit writes one entry inside tx, chaining it to the current head.
// The caller's transaction holds SQLite's write lock, so concurrent
// processes append one after another and never fork the chain.
func appendAudit(ctx context.Context, tx execQuerier, e *AuditEntry) error {
	var prev string
	var seq int64
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM qb_audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &prev)
	if isNoRows(err) {
		prev, seq = genesisHash, 0
	} else if err != nil {
		return err
	}
	e.Seq = seq + 1
	e.PrevHash = prev
	if e.At == "" {
		e.At = FormatTime(time.Now())
	}
	if e.Fields == nil {
		e.Fields = []string{}
	}
	e.Hash = entryHash(e)
	fields, _ := json.Marshal(e.Fields)
	_, err = tx.ExecContext(ctx, `INSERT INTO qb_audit (seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, string(fields), e.PrevHash, e.Hash)
	return err
}

// AuditFilter selects entries of the log. Empty fields match everything.
type AuditFilter struct {
	UserID, OrgID, Table, Outcome, Operation string
	Since, Until                             string // stored timestamps, inclusive
	AfterSeq                                 int64
	Limit                                    int
}

// AuditEntries lists the log's entries that f selects, oldest first.
func (e *Engine) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	return e.store.auditEntries(ctx, f)
}

func (s *store) auditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	if f.OrgID != "" {
		add("org_id = ?", f.OrgID)
	}
	if f.Table != "" {
		add("table_name = ?", f.Table)
	}
	if f.Operation != "" {
		add("operation = ?", f.Operation)
	}
	switch f.Outcome {
	case "":
	case "refused", "error":
		where = append(where, "outcome != 'ok'")
	default:
		add("outcome = ?", f.Outcome)
	}
	if f.Since != "" {
		add("at >= ?", f.Since)
	}
	if f.Until != "" {
		add("at <= ?", f.Until)
	}
	if f.AfterSeq > 0 {
		add("seq > ?", f.AfterSeq)
	}
	q := "SELECT seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash FROM qb_audit"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq"
	if f.Limit > 0 {
		q = "SELECT * FROM (" + strings.Replace(q, "ORDER BY seq", "ORDER BY seq DESC", 1) + fmt.Sprintf(" LIMIT %d) ORDER BY seq", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrapErr(err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanAudit(rows *sql.Rows) (AuditEntry, error) {
	var e AuditEntry
	var fields string
	err := rows.Scan(&e.Seq, &e.At, &e.OSUser, &e.UserID, &e.OrgID, &e.Role, &e.Operation, &e.Table, &e.RecordID, &e.Outcome, &fields, &e.PrevHash, &e.Hash)
	if err != nil {
		return e, err
	}
	_ = json.Unmarshal([]byte(fields), &e.Fields)
	return e, nil
}

// VerifyResult is the outcome of recomputing the chain.
type VerifyResult struct {
	OK      bool   `json:"ok"`
	Entries int64  `json:"entries"`
	Head    string `json:"head"`
	// BrokenSeq is the first entry that does not verify (0 when OK).
	BrokenSeq int64  `json:"brokenSeq,omitempty"`
	Problem   string `json:"problem,omitempty"`
}

// VerifyAudit recomputes the log's hash chain. With a non-empty head
// recorded earlier, it also detects a truncated tail (the head must still
// be in the chain).
func (e *Engine) VerifyAudit(ctx context.Context, head string) (VerifyResult, error) {
	return e.store.verifyAudit(ctx, head)
}

func (s *store) verifyAudit(ctx context.Context, head string) (VerifyResult, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash FROM qb_audit ORDER BY seq")
	if err != nil {
		return VerifyResult{}, s.wrapErr(err)
	}
	defer rows.Close()
	res := VerifyResult{OK: true, Head: genesisHash}
	prev := genesisHash
	var want int64 = 1
	headSeen := head == "" || head == genesisHash
	fail := func(seq int64, why string) {
		if res.OK {
			res.OK, res.BrokenSeq, res.Problem = false, seq, why
		}
	}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return res, err
		}
		res.Entries++
		switch {
		case e.Seq != want:
			fail(e.Seq, fmt.Sprintf("entry %d follows entry %d: entries are missing or reordered", e.Seq, want-1))
		case e.PrevHash != prev:
			fail(e.Seq, fmt.Sprintf("entry %d does not chain to the entry before it (deleted, reordered or edited)", e.Seq))
		case entryHash(&e) != e.Hash:
			fail(e.Seq, fmt.Sprintf("entry %d was edited: its content does not match its hash", e.Seq))
		}
		if e.Hash == head {
			headSeen = true
		}
		prev = e.Hash
		want = e.Seq + 1
		res.Head = e.Hash
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	if res.OK && !headSeen {
		res.OK = false
		res.BrokenSeq = want
		res.Problem = fmt.Sprintf("the recorded head %s is not in the log: entries after %d were removed (truncated tail)", head, want-1)
	}
	return res, nil
}
