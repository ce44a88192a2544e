// Command qb is Quickback Console: browse a multi-tenant backend's data as
// any identity, try writes and actions as that identity would, and audit who
// can see and do what. With no command it opens the console.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
	"quickback.dev/qb/tui"
)

// Exit statuses (SPEC §5).
const (
	exitOK      = 0
	exitUsage   = 1 // usage or config error
	exitRefused = 2 // the engine refused the operation
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// cli carries what every command needs.
type cli struct {
	ctx    context.Context
	a      *args
	out    io.Writer
	errw   io.Writer
	json   bool
	cfg    *schema.Config
	eng    *engine.Engine
	seeded bool
	// cmd is the command being run ("" for the console).
	cmd string
	// roNote says why the database was opened read-only without
	// --read-only ("" when it was not).
	roNote string
	roWhy  string
}

// openBusyTimeout is how long the commands wait for another writer's lock
// (0: engine.BusyTimeoutMS). Tests shorten it.
var openBusyTimeout time.Duration

// usageErr marks a mistake in the command line (exit 1).
type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

func run(ctx context.Context, argv []string, out, errw io.Writer) int {
	a, err := parseArgs(argv)
	if err != nil {
		return (&cli{out: out, errw: errw}).finish(usageErr{err.Error()})
	}
	c := &cli{ctx: ctx, a: a, out: out, errw: errw, json: a.bools["json"]}
	cmd := ""
	if len(a.pos) > 0 {
		cmd, a.pos = a.pos[0], a.pos[1:]
	}
	if a.bools["help"] || cmd == "help" {
		fmt.Fprint(out, usage)
		return exitOK
	}
	handlers := map[string]func() error{
		"":         c.console,
		"check":    c.check,
		"seed":     c.seed,
		"generate": c.generate,
		"users":    c.users,
		"list":     c.list,
		"get":      c.get,
		"create":   c.create,
		"update":   c.update,
		"delete":   c.delete,
		"upsert":   c.upsert,
		"run":      c.runAction,
		"explain":  c.explain,
		"matrix":   c.matrix,
		"audit":    c.audit,
	}
	c.cmd = cmd
	h, ok := handlers[cmd]
	if !ok {
		fmt.Fprintf(errw, "qb: unknown command %s\n\n%s", termsafe.Sanitize(strconv.Quote(cmd)), usage)
		return exitUsage
	}
	err = h()
	if c.eng != nil {
		// Close writes the audit entries another writer's lock kept out;
		// when it cannot, the command's entries are not in the log and
		// the command fails.
		if cerr := c.eng.Close(); cerr != nil {
			if _, refused := engine.AsError(err); err == nil {
				err = cerr
			} else if !refused && !errors.As(err, new(usageErr)) {
				lines := strings.Split(cerr.Error(), "\n")
				err = fmt.Errorf("%w\n%s", err, lines[len(lines)-1])
			}
		}
	}
	return c.finish(err)
}

// finish prints an error the way its kind requires and picks the status.
func (c *cli) finish(err error) int {
	if err == nil {
		return exitOK
	}
	var xe exitError
	if errors.As(err, &xe) {
		return xe.code
	}
	if e, ok := engine.AsError(err); ok {
		if c.json {
			c.printJSON(map[string]any{"error": e})
		} else {
			fmt.Fprintln(c.errw, termsafe.SanitizeLines(engine.FormatError(e)))
		}
		return exitRefused
	}
	fmt.Fprintln(c.errw, "qb:", termsafe.SanitizeLines(err.Error()))
	return exitUsage
}

func (c *cli) printJSON(v any) {
	_ = termsafe.EncodeJSON(c.out, v)
}

// configPath is --config, else ./quickback.toml.
func (c *cli) configPath() string {
	if p := c.a.get("config"); p != "" {
		return p
	}
	return "quickback.toml"
}

func (c *cli) loadConfig() error {
	cfg, err := schema.Load(c.configPath())
	if err != nil {
		var ps *schema.Problems
		if errors.As(err, &ps) && len(*ps) == 1 && strings.Contains((*ps)[0].Message, "cannot read config") {
			return fmt.Errorf("%w\nrun qb in the project's directory, or pass the config with --config FILE", err)
		}
		return err
	}
	c.cfg = cfg
	return nil
}

func (c *cli) dbPath() string {
	if p := c.a.get("db"); p != "" {
		return p
	}
	return c.cfg.DatabasePath()
}

// open loads the config and opens the engine, creating and seeding the
// database on first use.
func (c *cli) open() error {
	if err := c.loadConfig(); err != nil {
		return err
	}
	path := c.dbPath()
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	opts := engine.Options{ReadOnly: c.a.bools["read-only"], BusyTimeout: openBusyTimeout}
	if !opts.ReadOnly && !fresh {
		// A file the operator marked read-only (or the system will not let
		// us write) is opened read-only: reads work, writes are refused.
		if why := engine.ReadOnlyReason(path); why != "" {
			opts.ReadOnly, opts.ReadOnlyReason = true, why
			c.roNote = fmt.Sprintf("database %s is read-only (%s): opened read-only; writes are refused", path, why)
			c.roWhy = why
		}
	}
	eng, err := engine.Open(c.cfg, path, opts)
	if err != nil {
		return err
	}
	c.eng = eng
	if c.roNote != "" && c.cmd != "" {
		fmt.Fprintln(c.errw, "qb:", termsafe.Sanitize(c.roNote))
	}
	if fresh && c.cfg.Project.Fixtures != "" {
		if err := c.loadFixtures(false); err != nil {
			return err
		}
		c.seeded = true
		fmt.Fprintf(c.errw, "qb: created %s and seeded it from %s\n", termsafe.Sanitize(path), termsafe.Sanitize(c.cfg.FixturesPath()))
	}
	return nil
}

func (c *cli) loadFixtures(reset bool) error {
	data, err := fixtures.Read(c.cfg, c.cfg.FixturesPath())
	if err != nil {
		return err
	}
	return c.eng.Seed(c.ctx, data, reset)
}

// identity resolves --as/--org/--role.
func (c *cli) identity() (engine.Identity, error) {
	id, err := c.eng.ResolveIdentity(c.ctx, c.a.get("as"), c.a.get("org"), c.a.get("role"))
	var ie *engine.IdentityError
	if errors.As(err, &ie) {
		return id, usageErr{identityMessage(ie)}
	}
	if err != nil {
		return id, usageErr{err.Error()}
	}
	return id, nil
}

// identityMessage words an identity mistake in terms of the identity flags.
func identityMessage(e *engine.IdentityError) string {
	switch e.Problem {
	case engine.NoIdentity:
		return "an identity is required: --as USER [--org ORG] [--role ROLE], or --role ROLE --org ORG"
	case engine.AnonymousNeedsOrg:
		return "--as anonymous needs --org ORG"
	case engine.RoleNeedsOrg:
		return "--role needs --org ORG"
	case engine.UnknownUser:
		return fmt.Sprintf("unknown user %q (see `qb users`)", e.User)
	case engine.SeveralMemberships:
		list := make([]string, len(e.Memberships))
		for i, m := range e.Memberships {
			list[i] = m.OrgID + " (" + m.Role + ")"
		}
		return fmt.Sprintf("user %s belongs to several organizations; choose one with --org: %s", e.User, strings.Join(list, ", "))
	}
	return e.Error()
}

func (c *cli) positional(n int, names string) error {
	if len(c.a.pos) != n {
		return usageErr{fmt.Sprintf("expected %s", names)}
	}
	return nil
}

func (c *cli) check() error {
	if err := c.a.only("check"); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.loadConfig(); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s: ok (%d tables)\n", termsafe.Sanitize(c.configPath()), len(c.cfg.Tables))
	return nil
}

func (c *cli) seed() error {
	if err := c.a.only("seed", "reset"); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.open(); err != nil {
		return err
	}
	if err := c.eng.Writable(); err != nil {
		return err
	}
	if !c.seeded || c.a.bools["reset"] {
		if err := c.loadFixtures(c.a.bools["reset"]); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.out, "seeded %s from %s\n", termsafe.Sanitize(c.dbPath()), termsafe.Sanitize(c.cfg.FixturesPath()))
	return nil
}

func (c *cli) users() error {
	if err := c.a.only("users"); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.open(); err != nil {
		return err
	}
	ms, err := c.eng.Members(c.ctx)
	if err != nil {
		return err
	}
	if c.json {
		c.printJSON(map[string]any{"users": ms})
		return nil
	}
	rows := [][]string{{"USER", "NAME", "EMAIL", "ORGANIZATION", "ROLE", "USERROLE"}}
	for _, m := range ms {
		rows = append(rows, []string{m.UserID, m.Name, m.Email, m.OrgID, m.Role, m.UserRole})
	}
	printTable(c.out, rows)
	return nil
}

// dataFlag decodes --data (or --input) as a JSON object, numbers kept exact.
func (c *cli) jsonFlag(name string, required bool) (map[string]any, error) {
	s := c.a.get(name)
	if s == "" {
		if required {
			return nil, usageErr{fmt.Sprintf("--%s JSON is required", name)}
		}
		return map[string]any{}, nil
	}
	return decodeObject(s, name)
}

func decodeObject(s, name string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, usageErr{fmt.Sprintf("--%s must be a JSON object", name)}
	}
	if dec.More() {
		return nil, usageErr{fmt.Sprintf("--%s must be a single JSON object", name)}
	}
	return m, nil
}

var identityFlags = []string{"as", "org", "role"}

func (c *cli) list() error {
	if err := c.a.only("list", append(identityFlags, "filter", "sort", "search", "limit", "cursor")...); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.positional(1, "TABLE"); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	id, err := c.identity()
	if err != nil {
		return err
	}
	q := engine.ListQuery{Search: c.a.get("search"), Cursor: c.a.get("cursor")}
	if q.Limit, err = c.a.intFlag("limit", engine.DefaultLimit); err != nil {
		return usageErr{err.Error()}
	}
	for _, f := range c.a.vals["filter"] {
		pf, err := engine.ParseFilter(f)
		if err != nil {
			return err
		}
		q.Filters = append(q.Filters, pf)
	}
	for _, s := range c.a.vals["sort"] {
		q.Sort = append(q.Sort, engine.ParseSort(s))
	}
	page, err := c.eng.List(c.ctx, id, c.a.pos[0], q)
	if err != nil {
		return err
	}
	if c.json {
		var next any
		if page.Next != "" {
			next = page.Next
		}
		rows := page.Rows
		if rows == nil {
			rows = []engine.Row{}
		}
		c.printJSON(map[string]any{"rows": rows, "next": next})
		return nil
	}
	printRows(c.out, page.Table, page.Rows)
	if page.Next != "" {
		fmt.Fprintf(c.out, "next page: --cursor %s\n", page.Next)
	}
	return nil
}

func (c *cli) get() error {
	if err := c.a.only("get", identityFlags...); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.positional(2, "TABLE ID"); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	id, err := c.identity()
	if err != nil {
		return err
	}
	row, err := c.eng.Get(c.ctx, id, c.a.pos[0], c.a.pos[1])
	if err != nil {
		return err
	}
	if c.json {
		c.printJSON(map[string]any{"row": row})
		return nil
	}
	printRecord(c.out, *row)
	return nil
}

func (c *cli) write(op string) error {
	allowed := append(identityFlags, "data", "dry-run")
	want, names := 1, "TABLE"
	switch op {
	case "update":
		want, names = 2, "TABLE ID"
	case "delete":
		want, names = 2, "TABLE ID"
		allowed = append(identityFlags, "dry-run")
	}
	if err := c.a.only(op, allowed...); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.positional(want, names); err != nil {
		return err
	}
	var data map[string]any
	if op != "delete" {
		var err error
		if data, err = c.jsonFlag("data", true); err != nil {
			return err
		}
	}
	if err := c.open(); err != nil {
		return err
	}
	id, err := c.identity()
	if err != nil {
		return err
	}
	opts := engine.WriteOptions{DryRun: c.a.bools["dry-run"]}
	table := c.a.pos[0]
	var res *engine.WriteResult
	switch op {
	case "create":
		res, err = c.eng.Create(c.ctx, id, table, data, opts)
	case "update":
		res, err = c.eng.Update(c.ctx, id, table, c.a.pos[1], data, opts)
	case "upsert":
		res, err = c.eng.Upsert(c.ctx, id, table, data, opts)
	case "delete":
		res, err = c.eng.Delete(c.ctx, id, table, c.a.pos[1], opts)
	}
	if err != nil {
		return err
	}
	if c.json {
		out := map[string]any{}
		if op == "delete" {
			out["deleted"] = c.a.pos[1]
		} else {
			out["row"] = res.Row
		}
		if op == "upsert" {
			out["path"] = res.Path
		}
		if opts.DryRun {
			out["dryRun"] = true
			out["changes"] = res.Changes
		}
		c.printJSON(out)
		return nil
	}
	switch {
	case op == "delete":
		fmt.Fprintf(c.out, "deleted %s %s\n", table, termsafe.Sanitize(c.a.pos[1]))
	default:
		if op == "upsert" {
			fmt.Fprintf(c.out, "upsert took the %s path\n", res.Path)
		}
		printRecord(c.out, *res.Row)
	}
	if opts.DryRun {
		printChanges(c.out, res.Changes)
		fmt.Fprintln(c.out, "dry run: nothing was written")
	}
	return nil
}

func (c *cli) create() error { return c.write("create") }
func (c *cli) update() error { return c.write("update") }
func (c *cli) delete() error { return c.write("delete") }
func (c *cli) upsert() error { return c.write("upsert") }

func (c *cli) explain() error {
	if err := c.a.only("explain", identityFlags...); err != nil {
		return usageErr{err.Error()}
	}
	if len(c.a.pos) < 1 || len(c.a.pos) > 2 {
		return usageErr{"expected TABLE [ID]"}
	}
	if err := c.open(); err != nil {
		return err
	}
	id, err := c.identity()
	if err != nil {
		return err
	}
	rowID := ""
	if len(c.a.pos) == 2 {
		rowID = c.a.pos[1]
	}
	ex, err := c.eng.Explain(c.ctx, id, c.a.pos[0], rowID)
	if err != nil {
		return err
	}
	if c.json {
		c.printJSON(ex)
		return nil
	}
	printExplanation(c.out, ex)
	return nil
}

func (c *cli) audit() error {
	if err := c.a.only("audit", "verify", "head", "user", "org", "table", "outcome", "since", "until", "operation", "limit"); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.open(); err != nil {
		return err
	}
	if c.a.has("head") && !c.a.bools["verify"] {
		return usageErr{"--head HASH goes with --verify"}
	}
	if c.a.bools["verify"] {
		res, err := c.eng.VerifyAudit(c.ctx, c.a.get("head"))
		if err != nil {
			return err
		}
		if c.json {
			c.printJSON(res)
		} else if res.OK {
			fmt.Fprintf(c.out, "audit log verified: %d entries\nhead %s\n", res.Entries, res.Head)
		} else {
			fmt.Fprintf(c.out, "audit log BROKEN at entry %d: %s\nhead %s\n", res.BrokenSeq, termsafe.Sanitize(res.Problem), res.Head)
		}
		if !res.OK {
			return exitError{code: exitRefused}
		}
		return nil
	}
	f := engine.AuditFilter{UserID: c.a.get("user"), OrgID: c.a.get("org"), Table: c.a.get("table"), Outcome: c.a.get("outcome"), Operation: c.a.get("operation")}
	if strings.Contains(f.UserID, "@") {
		// --user takes a user id or a fixture user's email.
		ms, err := c.eng.Members(c.ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if strings.EqualFold(m.Email, f.UserID) {
				f.UserID = m.UserID
				break
			}
		}
	}
	var ok bool
	if s := c.a.get("since"); s != "" {
		if f.Since, ok = engine.ParseTime(s); !ok {
			return usageErr{"--since takes an ISO-8601 time"}
		}
	}
	if s := c.a.get("until"); s != "" {
		if f.Until, ok = engine.ParseTime(s); !ok {
			return usageErr{"--until takes an ISO-8601 time"}
		}
	}
	var err error
	if f.Limit, err = c.a.intFlag("limit", 0); err != nil {
		return usageErr{err.Error()}
	}
	entries, err := c.eng.AuditEntries(c.ctx, f)
	if err != nil {
		return err
	}
	if c.json {
		if entries == nil {
			entries = []engine.AuditEntry{}
		}
		c.printJSON(map[string]any{"entries": entries})
		return nil
	}
	rows := [][]string{{"SEQ", "AT", "OS USER", "USER", "ORG", "ROLE", "OPERATION", "TABLE", "RECORD", "OUTCOME", "FIELDS"}}
	for _, e := range entries {
		rows = append(rows, []string{fmt.Sprint(e.Seq), e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, strings.Join(e.Fields, ",")})
	}
	printTable(c.out, rows)
	return nil
}

// exitError ends the command with a status and no further message.
type exitError struct{ code int }

func (e exitError) Error() string { return "" }

// console opens the terminal console: `qb [--as USER] [--org ORG] [--role
// ROLE] [--table TABLE] [--read-only]`. Without an identity it starts as the
// highest-ranked member of the first organization and says so.
func (c *cli) console() error {
	if err := c.a.only("the console", append(identityFlags, "table", "read-only")...); err != nil {
		return usageErr{err.Error()}
	}
	if c.json {
		return usageErr{"the console has no --json output"}
	}
	if err := c.open(); err != nil {
		return err
	}
	opts := tui.Options{
		Table:          c.a.get("table"),
		ReadOnly:       c.eng.Writable() != nil,
		ReadOnlyReason: consoleReadOnlyReason(c.roWhy),
		ConfigPath:     c.configPath(),
		Project:        c.cfg.Project.Name,
		DBPath:         c.dbPath(),
	}
	if opts.Table != "" && c.cfg.Table(opts.Table) == nil {
		return usageErr{fmt.Sprintf("unknown table %q", opts.Table)}
	}
	if c.a.has("as") || c.a.has("role") || c.a.has("org") {
		id, err := c.identity()
		if err != nil {
			return err
		}
		opts.Identity = &id
	}
	return tui.Run(c.eng, opts)
}

// matrix is `qb matrix [TABLE] [--json]` (the access matrix, from the config
// alone) and `qb matrix --diff OTHER.toml` (every decision that differs from
// OTHER, with the rows each changed row-visibility decision affects in the
// current database).
func (c *cli) matrix() error {
	if err := c.a.only("matrix", "diff"); err != nil {
		return usageErr{err.Error()}
	}
	if len(c.a.pos) > 1 {
		return usageErr{"expected [TABLE]"}
	}
	table := ""
	if len(c.a.pos) == 1 {
		table = c.a.pos[0]
	}
	if other := c.a.get("diff"); other != "" {
		if table != "" {
			return usageErr{"--diff compares whole configs: give no TABLE"}
		}
		if err := c.open(); err != nil {
			return err
		}
		ocfg, err := schema.Load(other)
		if err != nil {
			return err
		}
		d, err := c.eng.Diff(c.ctx, ocfg)
		if err != nil {
			return err
		}
		if c.json {
			c.printJSON(d)
			return nil
		}
		printPolicyDiff(c.out, d)
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
		c.printJSON(m)
		return nil
	}
	printMatrix(c.out, m)
	return nil
}

// runAction is `qb run TABLE ACTION [ID] [IDENTITY] [--input JSON] [--dry-run]`.
func (c *cli) runAction() error {
	if err := c.a.only("run", append(identityFlags, "input", "dry-run")...); err != nil {
		return usageErr{err.Error()}
	}
	if len(c.a.pos) < 2 || len(c.a.pos) > 3 {
		return usageErr{"expected TABLE ACTION [ID]"}
	}
	input, err := c.jsonFlag("input", false)
	if err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	table, action, rowID := c.a.pos[0], c.a.pos[1], ""
	if len(c.a.pos) == 3 {
		rowID = c.a.pos[2]
	}
	// A known action called with the wrong shape is a usage error; unknown
	// tables and actions are the engine's NOT_FOUND (and audited).
	if t := c.cfg.Table(table); t != nil {
		if a := t.Action(action); a != nil {
			switch {
			case a.Type == "standalone" && rowID != "":
				return usageErr{fmt.Sprintf("%s.%s is a standalone action: it takes no ID (qb run %s %s)", table, action, table, action)}
			case a.Type != "standalone" && rowID == "":
				return usageErr{fmt.Sprintf("%s.%s is a record action: give the record's ID (qb run %s %s ID)", table, action, table, action)}
			}
		}
	}
	id, err := c.identity()
	if err != nil {
		return err
	}
	opts := engine.WriteOptions{DryRun: c.a.bools["dry-run"]}
	res, err := c.eng.Run(c.ctx, id, table, action, rowID, input, opts)
	if err != nil {
		return err
	}
	inserted := res.Inserted
	if inserted == nil {
		inserted = []engine.Row{}
	}
	changes := res.Changes
	if changes == nil {
		changes = []engine.Change{}
	}
	if c.json {
		out := map[string]any{"changes": changes}
		if res.Row != nil {
			out["result"] = res.Row
			if len(inserted) > 0 {
				out["inserted"] = inserted
			}
		} else {
			out["result"] = map[string]any{"inserted": inserted}
		}
		if opts.DryRun {
			out["dryRun"] = true
		}
		c.printJSON(out)
		return nil
	}
	if res.Row != nil {
		printRecord(c.out, *res.Row)
	}
	for _, r := range inserted {
		fmt.Fprintf(c.out, "\ninserted into %s:\n", r.Table.Name)
		printRecord(c.out, r)
	}
	fmt.Fprintln(c.out)
	printChanges(c.out, changes)
	if opts.DryRun {
		fmt.Fprintln(c.out, "dry run: nothing was written")
	}
	return nil
}

// generate writes N synthetic rows into TABLE (SPEC §5). On a terminal it
// redraws a progress line on stderr; otherwise it prints only the summary.
// An interrupt stops it between rows: complete batches stay committed.
func (c *cli) generate() error {
	if err := c.a.only("generate", "orgs", "seed"); err != nil {
		return usageErr{err.Error()}
	}
	if err := c.positional(2, "TABLE N"); err != nil {
		return err
	}
	n, err := strconv.Atoi(c.a.pos[1])
	if err != nil || n < 1 {
		return usageErr{fmt.Sprintf("N must be a whole number of rows, at least 1 (got %q)", c.a.pos[1])}
	}
	opts := fixtures.GenerateOptions{Rows: n, Seed: 1}
	if c.a.has("orgs") {
		if opts.Orgs, err = c.a.intFlag("orgs", 0); err != nil || opts.Orgs < 1 {
			return usageErr{"--orgs takes a whole number of organizations, at least 1"}
		}
	}
	if s := c.a.get("seed"); s != "" {
		if opts.Seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			return usageErr{"--seed takes a whole number"}
		}
	}
	if err := c.open(); err != nil {
		return err
	}
	if err := c.eng.Writable(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	table := c.a.pos[0]
	f, isFile := c.errw.(*os.File)
	live := isFile && !c.json && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
	start := time.Now()
	if live {
		opts.Progress = func(done, total int) {
			rate := float64(done) / max(time.Since(start).Seconds(), 1e-9)
			fmt.Fprintf(c.errw, "\r\033[K generating %s: %d/%d (%d%%) %s rows/s", termsafe.Sanitize(table), done, total, done*100/total, shortRate(rate))
		}
	}
	res, err := fixtures.Generate(ctx, c.eng, table, opts)
	if live {
		fmt.Fprint(c.errw, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if c.json {
		c.printJSON(map[string]any{"generated": map[string]any{
			"table": res.Table, "rows": res.Rows, "seed": opts.Seed, "organizations": len(res.Orgs),
			"newOrganizations": res.NewOrgs, "newUsers": res.NewUsers,
			"seconds": res.Elapsed.Seconds(), "rowsPerSecond": math.Round(res.RowsPerSecond()),
		}})
		return nil
	}
	fmt.Fprintf(c.out, "generated %d rows into %s in %.1fs (%.0f rows/s)\n", res.Rows, res.Table, res.Elapsed.Seconds(), res.RowsPerSecond())
	return nil
}

// shortRate renders a rate as 950, 12k or 1.2M.
func shortRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

const usage = `qb — Quickback Console

usage:
  qb [--config FILE] [--db FILE] [COMMAND]      no command: open the console
  qb check                                       validate the config
  qb seed [--reset]                              load fixtures (idempotent)
  qb generate TABLE N [--orgs K] [--seed S]      N synthetic rows
  qb users                                       identities
  qb list   TABLE        [IDENTITY] [--filter EXPR]... [--sort COL] [--search TEXT] [--limit N] [--cursor C]
  qb get    TABLE ID     [IDENTITY]
  qb create TABLE        [IDENTITY] --data JSON [--dry-run]
  qb update TABLE ID     [IDENTITY] --data JSON [--dry-run]
  qb delete TABLE ID     [IDENTITY] [--dry-run]
  qb upsert TABLE        [IDENTITY] --data JSON [--dry-run]
  qb run    TABLE ACTION [ID] [IDENTITY] [--input JSON] [--dry-run]
  qb explain TABLE [ID]  [IDENTITY]
  qb matrix [TABLE] [--diff OTHER.toml]
  qb audit [--verify [--head HASH]] [--user U] [--org O] [--table T] [--outcome ok|refused|CODE] [--since T] [--until T]

IDENTITY: --as USER (id or email) [--org ORG] [--role ROLE]; --role ROLE --org ORG for any user
of that role; --as anonymous --org ORG for PUBLIC access.
EXPR: COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V, COL~V (contains), "COL in V1,V2".
--json on any command prints machine-readable output. Exit status: 0 ok, 1 usage or config
error, 2 refused by the policy engine.
`

// consoleReadOnlyReason is the console's status line for a database opened
// read-only because its file is not writable ("" when it was not).
func consoleReadOnlyReason(why string) string {
	if why == "" {
		return ""
	}
	return "read-only: " + why + "; the keys that write are disabled"
}
