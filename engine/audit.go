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
	"strconv"
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
// what is left), and neither needs to: the deletion is detected by
// VerifyAudit against the heads the witness recorded (witness.go) or a head
// recorded elsewhere (qb audit --verify --head SEQ:HASH) — a reused seq
// carries a different prev_hash, content and hash. Deleting or editing
// anything before the head breaks the chain itself.
func auditDDL(d dialect) string {
	return `CREATE TABLE IF NOT EXISTS qb_audit (
  seq ` + d.intType() + ` PRIMARY KEY,
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
  hash TEXT NOT NULL,
  real_role TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  hash_version INTEGER NOT NULL DEFAULT 1
)`
}

// auditColumnsV2 are the columns format 2 added to qb_audit, in order, with
// the definitions that give every entry written before them the values the
// format 1 hash assumed: no real role, no reason, hash version 1. A
// database of format 1 gets them with ALTER TABLE (see store.migrate), so
// its entries keep verifying under their own formula.
var auditColumnsV2 = []struct{ name, ddl string }{
	{"real_role", "real_role TEXT NOT NULL DEFAULT ''"},
	{"reason", "reason TEXT NOT NULL DEFAULT ''"},
	{"hash_version", "hash_version INTEGER NOT NULL DEFAULT 1"},
}

// The audit chain's fixed points.
const (
	// GenesisHash is the previous hash of the first entry (and the head of
	// an empty log).
	GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"
	// WitnessDirEnv names the directory of the witness files when the
	// config does not set [audit].witness; tests point it at a temporary
	// directory.
	WitnessDirEnv = "QB_WITNESS_DIR"
)

// The hash formulas an entry may carry (its HashVersion).
const (
	// hashV1 covers seq, at, os_user, user_id, org_id, role, operation,
	// table, record, outcome and fields: the entries of format 1.
	hashV1 = 1
	// hashV2 adds the real role and the reason, and a tag that keeps the
	// two formulas from ever producing the same content.
	hashV2 = 2
)

// AuditEntry is one line of the tamper-evident log.
type AuditEntry struct {
	Seq    int64  `json:"seq"`
	At     string `json:"at"`
	OSUser string `json:"osUser"`
	UserID string `json:"userId"`
	OrgID  string `json:"orgId"`
	// Role is the role the operation ran as; RealRole is the role the
	// user really holds in OrgID when Role overrode it ("" otherwise).
	Role      string   `json:"role"`
	RealRole  string   `json:"realRole"`
	Operation string   `json:"operation"`
	Table     string   `json:"table"`
	RecordID  string   `json:"recordId"`
	Outcome   string   `json:"outcome"`
	Fields    []string `json:"fields"`
	// Reason is why the operator acted as this identity (--reason), ""
	// when none was given.
	Reason string `json:"reason"`
	// HashVersion is the formula Hash was computed with (1 or 2).
	HashVersion int    `json:"hashVersion"`
	PrevHash    string `json:"prevHash"`
	Hash        string `json:"hash"`
}

// entryHash covers every field of the entry but its own hash, and the
// previous hash, so an edit, deletion or reordering breaks the chain. The
// formula is the entry's HashVersion; the published form is
//
//	sha256(prev_hash + "\n" + json(content))
//
// where content is [seq, at, os_user, user_id, org_id, role, operation,
// table, record, outcome, fields] for version 1 and ["qb-audit-v2", seq,
// at, os_user, user_id, org_id, role, real_role, operation, table, record,
// outcome, fields, reason] for version 2 (fields a JSON array of strings).
func entryHash(e *AuditEntry) string {
	b := make([]byte, 0, 256+len(e.PrevHash))
	b = append(b, e.PrevHash...)
	b = append(b, '\n')
	b = appendContent(b, e)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendContent appends json(content) of entryHash to b: the bytes
// json.Marshal gives for the content array (TestEntryContentJSON), written
// without reflection because every read's entry is hashed.
func appendContent(b []byte, e *AuditEntry) []byte {
	b = append(b, '[')
	if e.HashVersion >= hashV2 {
		b = append(b, `"qb-audit-v2",`...)
	}
	b = strconv.AppendInt(b, e.Seq, 10)
	for _, s := range []string{e.At, e.OSUser, e.UserID, e.OrgID, e.Role} {
		b = appendJSONString(append(b, ','), s)
	}
	if e.HashVersion >= hashV2 {
		b = appendJSONString(append(b, ','), e.RealRole)
	}
	for _, s := range []string{e.Operation, e.Table, e.RecordID, e.Outcome} {
		b = appendJSONString(append(b, ','), s)
	}
	b = appendJSONStrings(append(b, ','), e.Fields)
	if e.HashVersion >= hashV2 {
		b = appendJSONString(append(b, ','), e.Reason)
	}
	return append(b, ']')
}

// appendJSONStrings appends list as json.Marshal writes a []string (null
// for nil).
func appendJSONStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as json.Marshal writes a string: a string of
// printable ASCII without the characters it escapes (", \, <, >, &) is
// written as it is; any other goes through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
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

// The statements of the append path.
const (
	auditHeadSQL   = "SELECT seq, hash FROM qb_audit ORDER BY seq DESC LIMIT 1"
	auditInsertSQL = `INSERT INTO qb_audit (seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash, real_role, reason, hash_version)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
)

// auditWriter reads the chain's head and inserts entries inside a
// transaction that holds SQLite's write lock: a write's own transaction
// (sqlWriter) or an audit transaction on a driver connection (driverTx).
type auditWriter interface {
	head(ctx context.Context) (seq int64, hash string, ok bool, err error)
	insert(ctx context.Context, args ...any) error
}

// sqlWriter runs the append's statements through database/sql.
type sqlWriter struct{ q execQuerier }

func (w sqlWriter) head(ctx context.Context) (int64, string, bool, error) {
	var seq int64
	var hash string
	err := w.q.QueryRowContext(ctx, auditHeadSQL).Scan(&seq, &hash)
	if isNoRows(err) {
		return 0, "", false, nil
	}
	return seq, hash, err == nil, err
}

func (w sqlWriter) insert(ctx context.Context, args ...any) error {
	_, err := w.q.ExecContext(ctx, auditInsertSQL, args...)
	return err
}

// appendAudit writes entries through w, chained to the current head, which
// it reads once. The transaction holds SQLite's write lock, so concurrent
// processes append one after another and never fork the chain. Every new
// entry is hashed with the current formula (hashV2).
func appendAudit(ctx context.Context, w auditWriter, entries ...*AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	seq, prev, ok, err := w.head(ctx)
	if err != nil {
		return err
	}
	if !ok {
		prev, seq = GenesisHash, 0
	}
	if racePoint != nil {
		racePoint("audit.head")
	}
	bw, batched := w.(batchWriter)
	batched = batched && len(entries) > 1
	for _, e := range entries {
		seq++
		e.Seq, e.PrevHash, e.HashVersion = seq, prev, hashV2
		if e.At == "" {
			e.At = formatTime(time.Now())
		}
		if e.Fields == nil {
			e.Fields = []string{}
		}
		e.Hash = entryHash(e)
		prev = e.Hash
		if batched {
			continue
		}
		fields := string(appendJSONStrings(nil, e.Fields))
		if err := w.insert(ctx, e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, fields, e.PrevHash, e.Hash, e.RealRole, e.Reason, int64(e.HashVersion)); err != nil {
			return err
		}
	}
	if batched {
		return bw.insertAll(ctx, entries)
	}
	return nil
}

// batchWriter is an auditWriter that inserts many entries (hashed and
// chained already) in one statement: PostgreSQL's (pgAuditWriter), where
// each statement is a round trip to the server.
type batchWriter interface {
	insertAll(ctx context.Context, entries []*AuditEntry) error
}

// AuditFilter selects entries of the log. Empty fields match everything.
type AuditFilter struct {
	UserID, OrgID, Table, Outcome, Operation string
	Since, Until                             string // stored timestamps, inclusive
	AfterSeq                                 int64
	Limit                                    int
}

// AuditEntries lists the log's entries that f selects, oldest first. This
// engine's own entries waiting for their group commit are appended first
// (trying another writer's lock once).
func (e *Engine) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	_ = e.appendNow(context.WithoutCancel(ctx), nil, false)
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
	case "refused":
		// A refusal is an error code; "error" is a failure that is not the
		// policy's (another writer's lock, a database fault).
		where = append(where, "outcome NOT IN ('ok', 'error')")
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
	q := s.auditSelect()
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq"
	if f.Limit > 0 {
		q = "SELECT * FROM (" + strings.Replace(q, "ORDER BY seq", "ORDER BY seq DESC", 1) + fmt.Sprintf(" LIMIT %d) AS tail ORDER BY seq", f.Limit)
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

// auditSelect reads every column of the log; a read-only database of
// format 1 (without the columns format 2 added) reads as their defaults.
func (s *store) auditSelect() string {
	tail := "real_role, reason, hash_version"
	if !s.auditV2 {
		tail = "'', '', 1"
	}
	return "SELECT seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash, " + tail + " FROM qb_audit"
}

func scanAudit(rows *sql.Rows) (AuditEntry, error) {
	var e AuditEntry
	var fields string
	err := rows.Scan(&e.Seq, &e.At, &e.OSUser, &e.UserID, &e.OrgID, &e.Role, &e.Operation, &e.Table, &e.RecordID, &e.Outcome, &fields, &e.PrevHash, &e.Hash, &e.RealRole, &e.Reason, &e.HashVersion)
	if err != nil {
		return e, err
	}
	if json.Unmarshal([]byte(fields), &e.Fields) != nil {
		// A cell that is not a JSON array of names (edited by hand) is
		// shown as it is stored; its hash no longer matches.
		e.Fields = []string{fields}
	}
	return e, nil
}
