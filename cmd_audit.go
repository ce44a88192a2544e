package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/suggest"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// auditOptions are the flags of `qb audit`.
type auditOptions struct {
	verify    bool
	head      string
	user      string
	org       string
	table     string
	outcome   string
	operation string
	since     string
	until     string
	limit     int
	output    string
}

// auditOutcomes are the values --outcome takes besides the error codes.
var auditOutcomes = []string{"ok", "refused", "error"}

func (c *cli) auditCmd() *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show or verify the tamper-evident audit log",
		Long: `Show the audit log's entries (oldest first), filtered by the flags; or, with --verify, check
its hash chain against every head the witness file recorded (each process that appends
records the heads it left in a file outside the database) and print the head as SEQ:HASH.
A broken log exits 3 naming the first entry that does not verify: the edited one, the first
missing one, or the first one whose content differs from what a witnessed head commits to
(a history edited and re-hashed); a missing tail is called truncated only when it is.
--head SEQ:HASH (a head printed earlier and kept elsewhere) is checked too: it catches a
rewrite even when the database and the witness were both replaced.

--output ndjson prints one JSON object per entry, hash and previous hash included, for
shipping the log to another system. --outcome refused keeps the policy's refusals only
(every error code; not "error", a failure such as another writer's lock).`,
		Example: `qb audit --verify
qb audit --verify --head 112:9f2c0e61a8f5d2b47c3e1a9b8d7c6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e   # exit 3 here: a head kept elsewhere
qb audit --user ivan@acme.test --outcome refused
qb audit --table candidates --since 2026-01-01T00:00:00Z --limit 20 --json
qb audit --output ndjson > audit.ndjson`,
		Annotations:       map[string]string{"notes": "exit"},
		Args:              positional(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: c.do(func(_ *cobra.Command, _ []string) error {
			return c.audit(o)
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&o.verify, "verify", false, "verify the hash chain and print the head (exit 3 when broken)")
	f.StringVar(&o.head, "head", "", "with --verify: a head `SEQ:HASH` printed earlier (or its HASH), which must still be in the chain")
	f.StringVar(&o.user, "user", "", "entries of `USER` (id or email)")
	f.StringVar(&o.org, "org", "", "entries in organization `ORG`")
	f.StringVar(&o.table, "table", "", "entries on `TABLE`")
	f.StringVar(&o.outcome, "outcome", "", "entries with `OUTCOME`: ok, refused (any error) or an error code")
	f.StringVar(&o.operation, "operation", "", "entries of `OPERATION` (list, get, create, update, delete, upsert, explain, action:NAME, seed, ...)")
	f.StringVar(&o.since, "since", "", "entries at or after `TIME` (ISO 8601)")
	f.StringVar(&o.until, "until", "", "entries at or before `TIME` (ISO 8601)")
	f.Var(newCount(&o.limit, 0, 0), "limit", "the last `N` entries only (0: all)")
	f.Var(newChoice(&o.output, "text", "text", "ndjson"), "output", "`FORMAT`: text, or ndjson (one JSON object per entry, hashes included); --json for one document")
	c.completeFlag(cmd, "user", c.completeUsers)
	c.completeFlag(cmd, "org", c.completeOrgs)
	c.completeFlag(cmd, "table", c.completeTables)
	c.completeFlag(cmd, "outcome", c.completeOutcomes)
	c.completeFlag(cmd, "operation", c.completeOperations)
	c.completeFlag(cmd, "output", fixedCompletions("text", "ndjson"))
	for _, n := range []string{"head", "since", "until", "limit"} {
		c.completeFlag(cmd, n, cobra.NoFileCompletions)
	}
	return cmd
}

func (c *cli) audit(o auditOptions) error {
	if o.head != "" && !o.verify {
		return usagef("--head HASH goes with --verify")
	}
	if _, _, ok := engine.ParseAuditHead(o.head); o.head != "" && !ok {
		return usagef("--head %q is not an audit head: give SEQ:HASH as qb audit --verify prints it (or the 64 hexadecimal digits of its HASH)", o.head)
	}
	if c.json && o.output != "text" {
		return usagef("--json and --output %s: choose one", o.output)
	}
	if o.verify && o.output != "text" {
		return usagef("--verify prints a verdict, not entries: it takes no --output (use --json)")
	}
	if o.verify {
		for name, set := range map[string]bool{"user": o.user != "", "org": o.org != "", "table": o.table != "", "outcome": o.outcome != "", "operation": o.operation != "", "since": o.since != "", "until": o.until != "", "limit": o.limit != 0} {
			if set {
				return usagef("--verify checks the whole log: it takes no --%s", name)
			}
		}
	}
	if o.outcome != "" && !validOutcome(o.outcome) {
		return usageErr{msg: fmt.Sprintf("--outcome %q: give ok, refused, error or an error code%s", o.outcome, suggest.Hint(o.outcome, outcomeWords())),
			details: map[string]any{"outcome": o.outcome}}
	}
	f := engine.AuditFilter{UserID: o.user, OrgID: o.org, Table: o.table, Outcome: o.outcome, Operation: o.operation, Limit: o.limit}
	var ok bool
	if o.since != "" {
		if f.Since, ok = engine.ParseTime(o.since); !ok {
			return usagef("--since %q: give an ISO 8601 time such as 2026-01-31T09:00:00Z", o.since)
		}
	}
	if o.until != "" {
		if f.Until, ok = engine.ParseTime(o.until); !ok {
			return usagef("--until %q: give an ISO 8601 time such as 2026-01-31T09:00:00Z", o.until)
		}
	}
	if err := c.open(false); err != nil {
		return err
	}
	if o.verify {
		return c.verifyAudit(o.head)
	}
	ms, err := c.eng.Members(c.ctx)
	if err != nil {
		return err
	}
	if strings.Contains(f.UserID, "@") {
		// --user takes a user id or a user's email.
		for _, m := range ms {
			if strings.EqualFold(m.Email, f.UserID) {
				f.UserID = m.UserID
				break
			}
		}
	}
	entries, err := c.eng.AuditEntries(c.ctx, f)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		// Nothing matched: a value that names nothing known is more
		// likely a typo than an empty answer.
		if err := c.checkAuditFilter(o, ms); err != nil {
			return err
		}
	}
	switch {
	case c.json:
		if entries == nil {
			entries = []engine.AuditEntry{}
		}
		c.writeJSON(auditResponse{Entries: entries})
		return nil
	case o.output == "ndjson":
		c.wrote = true
		w := bufio.NewWriter(c.out)
		for _, e := range entries {
			if err := encodeLine(w, e); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	printTable(c.out, auditRows(entries))
	fmt.Fprintf(c.errw, "(%d entries)\n", len(entries))
	return nil
}

// auditRows lays entries out as the text table of `qb audit` (printTable
// sanitizes every cell).
func auditRows(entries []engine.AuditEntry) [][]string {
	rows := [][]string{{"SEQ", "AT", "OS USER", "USER", "ORG", "ROLE", "REAL ROLE", "OPERATION", "TABLE", "RECORD", "OUTCOME", "FIELDS", "REASON"}}
	for _, e := range entries {
		rows = append(rows, []string{fmt.Sprint(e.Seq), e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.RealRole, e.Operation, e.Table, e.RecordID, e.Outcome, strings.Join(e.Fields, ","), e.Reason})
	}
	return rows
}

func (c *cli) verifyAudit(head string) error {
	res, err := c.eng.VerifyAudit(c.ctx, head)
	if err != nil {
		return err
	}
	if c.json {
		c.writeJSON(res)
	} else {
		printVerify(c.out, c.errw, res)
	}
	if !res.OK {
		return exitError{code: exitProblem}
	}
	return nil
}

// printVerify prints the verdict of `qb audit --verify` on out and notes
// about the witness on errw. Everything read from the log or the witness
// is sanitized, hashes included.
func printVerify(out, errw io.Writer, res engine.VerifyResult) {
	w := res.Witness
	var witnessed string
	switch {
	case w.Path == "":
		witnessed = "no witness (no state directory; set [audit].witness or QB_WITNESS_DIR)"
	case !w.Found:
		witnessed = "no witness file yet at " + w.Path
	default:
		witnessed = fmt.Sprintf("%d witnessed heads checked (%s)", w.Heads, w.Path)
	}
	switch {
	case res.OK:
		fmt.Fprintf(out, "audit log verified: %d entries; %s\n", res.Entries, termsafe.Sanitize(witnessed))
	case res.BrokenSeq > 0:
		fmt.Fprintf(out, "audit log BROKEN at entry %d: %s\n", res.BrokenSeq, termsafe.Sanitize(res.Problem))
	default:
		fmt.Fprintf(out, "audit log BROKEN: %s\n", termsafe.Sanitize(res.Problem))
	}
	fmt.Fprintf(out, "head %s\n", termsafe.Sanitize(fmt.Sprintf("%d:%s", res.HeadSeq, res.Head)))
	if w.Problem != "" {
		fmt.Fprintln(errw, "qb: note:", termsafe.Sanitize(w.Problem))
	}
	if w.Path != "" && !w.Found && res.Entries > 0 {
		fmt.Fprintln(errw, "qb: note: the witness file does not exist: nothing was witnessed for this database at this path, or the file was removed; keep the head printed above elsewhere to check it later with --head")
	}
}

// validOutcome reports whether s is an outcome the log can hold.
func validOutcome(s string) bool {
	for _, w := range outcomeWords() {
		if s == w {
			return true
		}
	}
	return false
}

// outcomeWords are ok, refused, error and every error code.
func outcomeWords() []string {
	out := append([]string{}, auditOutcomes...)
	for _, code := range engine.Codes() {
		out = append(out, string(code))
	}
	return out
}

// checkAuditFilter refuses a --user, --org, --table or --operation that
// names nothing the project has.
func (c *cli) checkAuditFilter(o auditOptions, ms []engine.Member) error {
	var users, orgs []string
	for _, m := range ms {
		users = append(users, m.UserID)
		if m.OrgID != "" {
			orgs = append(orgs, m.OrgID)
		}
	}
	emails := make([]string, 0, len(ms))
	for _, m := range ms {
		emails = append(emails, strings.ToLower(m.Email))
	}
	check := func(flag, value string, known []string, also ...string) error {
		if value == "" {
			return nil
		}
		for _, k := range append(known, also...) {
			if strings.EqualFold(k, value) {
				return nil
			}
		}
		return usageErr{msg: fmt.Sprintf("--%s %q: no such %s%s", flag, value, flag, suggest.Hint(value, known)), details: map[string]any{flag: value}}
	}
	if err := check("user", o.user, users, append(emails, "system")...); err != nil {
		return err
	}
	if err := check("org", o.org, orgs); err != nil {
		return err
	}
	if err := check("table", o.table, c.tableNames()); err != nil {
		return err
	}
	return check("operation", o.operation, auditOperations(c.cfg))
}

// auditOperations are the operations the log records.
func auditOperations(cfg *schema.Config) []string {
	ops := []string{"list", "get", "create", "update", "delete", "upsert", "explain", "funnel", "actions", "seed", "seed:reset", "generate", "generate:start"}
	for _, t := range cfg.Tables {
		for _, a := range t.Actions {
			ops = append(ops, "action:"+a.Name)
		}
	}
	return ops
}

// matrixCmd is `qb matrix [TABLE]` (the access matrix, from the config
// alone) and `qb matrix --diff OTHER` (every decision that differs from
// OTHER, with the rows each changed row-visibility decision affects in the
// current database).
func (c *cli) matrixCmd() *cobra.Command {
	var o matrixOptions
	cmd := &cobra.Command{
		Use:   "matrix [TABLE]",
		Short: "The access matrix: roles x operations x fields",
		Long: `Print who may do what: for each table, each operation and action by role, and each field's
visibility and writability by role, from the config alone. --diff OTHER compares with
another config: every decision that differs, and how many rows each changed row-visibility
decision affects per organization in the current database.

--format markdown prints the diff as tables a pull-request comment can hold; --exit-code
exits 3 when any decision differs (0 when none does), for CI.`,
		Example: `qb matrix candidates
qb matrix --diff proposed.toml --json
qb matrix --diff proposed.toml --format markdown --exit-code`,
		Annotations:       map[string]string{"notes": "exit"},
		Args:              positional("[TABLE]"),
		ValidArgsFunction: c.completeArgs(c.completeTables),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			table := ""
			if len(args) == 1 {
				table = args[0]
			}
			return c.matrix(table, o)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.diff, "diff", "", "compare with the config `OTHER.toml`")
	f.Var(newChoice(&o.format, "text", "text", "markdown", "json"), "format", "with --diff: `FORMAT` text, markdown (for a pull-request comment) or json (as --json)")
	f.BoolVar(&o.exitCode, "exit-code", false, "with --diff: exit 3 when any decision differs")
	c.completeFlag(cmd, "diff", completeFiles("toml"))
	c.completeFlag(cmd, "format", fixedCompletions("text", "markdown", "json"))
	return cmd
}

// matrixOptions are the flags of `qb matrix`.
type matrixOptions struct {
	diff     string
	format   string
	exitCode bool
}

func (c *cli) matrix(table string, o matrixOptions) error {
	formatSet := o.format != "text"
	switch {
	case o.diff == "" && (formatSet || o.exitCode):
		return usagef("--format and --exit-code go with --diff OTHER")
	case c.json && o.format == "markdown":
		return usagef("--json and --format markdown: choose one")
	}
	if o.diff != "" {
		if table != "" {
			return usagef("--diff compares whole configs: give no TABLE")
		}
		if err := c.open(false); err != nil {
			return err
		}
		ocfg, err := schema.Load(o.diff)
		if err != nil {
			return err
		}
		d, err := c.eng.Diff(c.ctx, ocfg)
		if err != nil {
			return err
		}
		switch {
		case c.json || o.format == "json":
			c.writeJSON(d)
		case o.format == "markdown":
			printPolicyDiffMarkdown(c.out, d)
		default:
			printPolicyDiff(c.out, d)
		}
		if o.exitCode && len(d.Changes) > 0 {
			return exitError{code: exitProblem}
		}
		return nil
	}
	if err := c.loadConfig(); err != nil {
		return err
	}
	m, err := engine.BuildMatrix(c.cfg, table)
	if err != nil {
		return err
	}
	if c.json {
		c.writeJSON(m)
		return nil
	}
	printMatrix(c.out, m)
	return nil
}
