package main

import (
	"fmt"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/suggest"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

func (c *cli) checkCmd() *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "check [CONFIG]",
		Short: "Validate the config; exit 1 with every problem",
		Long: `Validate the config (CONFIG, else --config, $QB_CONFIG or ./quickback.toml) and report every
problem at once, each with its file, line and key path. Exit 1 when there is any.

Warnings (file:line: warning: ...) name valid configurations whose refusals would reveal data
the caller cannot see — a unique constraint that spans the firewall, a masked upsert key, a
masked transition field, a hard delete of rows hidden rows reference — each with the safe
alternative. They do not fail the check unless --strict is given.

With --db DB it also checks that database, read-only ($QB_DB alone does not: a plain check
stays a check of the config): on one qb did not create
(a Quickback project's D1 export, a local Wrangler database) every configured table and column
must exist with a compatible type, and every mismatch is reported at once (exit 1). It warns
about memberships whose role [auth].roles does not list and values of another form, and prints
on stdout, as SQL, the indexes that would make each firewall scope and keyset page an index seek
(qb migrate --indexes creates them; lists are correct without them).`,
		Example: `qb check
qb check --strict
qb check quickback.toml --json
qb seed && qb check --db hiring.db`,
		Args:              positional("[CONFIG]"),
		ValidArgsFunction: completeFiles("toml"),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				if c.configFlag != "" && c.configFlag != args[0] {
					return usagef("check %s and --config %s name two configs: give one", args[0], c.configFlag)
				}
				c.configFlag = args[0]
			}
			if err := c.loadConfig(); err != nil {
				return err
			}
			ws := c.cfg.Warnings
			if strict && len(ws) > 0 {
				return &ws
			}
			var db *engine.DatabaseCheck
			if c.dbFlag != "" {
				var err error
				if db, err = c.checkDatabase(); err != nil {
					return err
				}
				if strict && len(db.Warnings) > 0 {
					return failure{fmt.Errorf("database %s: %d warnings (check --strict):\n  %s", db.Path, len(db.Warnings), strings.Join(db.Warnings, "\n  "))}
				}
			}
			if c.json {
				c.writeJSON(checkResponse{Config: c.configPath(), OK: true, Tables: len(c.cfg.Tables), Warnings: problemList(ws), Database: db})
				return nil
			}
			for _, w := range ws {
				fmt.Fprintln(c.errw, termsafe.Sanitize(w.String()))
			}
			note := ""
			switch len(ws) {
			case 0:
			case 1:
				note = ", 1 warning"
			default:
				note = fmt.Sprintf(", %d warnings", len(ws))
			}
			ok := fmt.Sprintf("%s: ok (%d tables%s)\n", termsafe.Sanitize(c.configPath()), len(c.cfg.Tables), note)
			if db == nil {
				fmt.Fprint(c.out, ok)
				return nil
			}
			// With a database, stdout is the SQL of the indexes only, so
			// that it can be piped; the rest is notes.
			fmt.Fprint(c.errw, ok)
			c.printDatabaseCheck(db)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 when there are warnings too")
	return cmd
}

// checkDatabase opens the database read-only (it must exist; nothing is
// created or written) and checks it against the config.
func (c *cli) checkDatabase() (*engine.DatabaseCheck, error) {
	path := c.dbPath()
	if err := statDB(path); err != nil {
		return nil, failure{fmt.Errorf("database %s: %w", path, err)}
	}
	eng, err := engine.Open(c.cfg, path, engine.Options{ReadOnly: true, BusyTimeout: openBusyTimeout})
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	return eng.CheckDatabase(c.ctx)
}

// printDatabaseCheck prints what checking a database found: the SQL of
// the suggested indexes on stdout, the rest on stderr.
func (c *cli) printDatabaseCheck(db *engine.DatabaseCheck) {
	name := termsafe.Sanitize(db.Path)
	if db.Adopted {
		fmt.Fprintf(c.errw, "%s: ok, adopted: qb did not create it and never changes its tables; identities from %s\n", name, db.Source)
	} else {
		fmt.Fprintf(c.errw, "%s: ok, created by qb; identities from %s\n", name, db.Source)
	}
	for _, w := range db.Warnings {
		fmt.Fprintf(c.errw, "%s: warning: %s\n", name, termsafe.SanitizeLines(w))
	}
	if len(db.Indexes) == 0 {
		fmt.Fprintf(c.errw, "%s: every firewall scope and keyset page is an index seek already\n", name)
	} else {
		fmt.Fprintf(c.errw, "%s: %d indexes would make firewall scopes and keyset pages index seeks (SQL on stdout; qb migrate --indexes creates them):\n", name, len(db.Indexes))
	}
	for _, x := range db.Indexes {
		fmt.Fprintln(c.out, termsafe.Sanitize(x.SQL)+";")
	}
	if len(db.SearchIndexes) > 0 {
		fmt.Fprintf(c.errw, "%s: %s would let search and ~ read only the rows that can match instead of every row (SQL on stdout; qb migrate --indexes creates them)\n", name, plural(len(db.SearchIndexes), "search index", "search indexes"))
	}
	for _, x := range db.SearchIndexes {
		fmt.Fprintln(c.out, termsafe.SanitizeLines(x.SQL)+";")
	}
}

func (c *cli) migrateCmd() *cobra.Command {
	var indexes, tables bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database in line with the config; create suggested indexes",
		Long: `Open the database for writing and bring it in line with the config. A database qb created is
migrated whenever qb opens it (new tables, new optional columns). One it did not create — a
Quickback project's D1 export, a local Wrangler database — only gains qb's own qb_* tables:
its tables are never altered, and they are changed only as asked here.

--indexes creates the indexes qb check --db suggests (the firewall scope and owner scope in
default-sort order, and each table's search index: a trigram index of its searchable text
columns that search and ~ read instead of every row), one at a time with progress and the time
each took; a large table is locked for writing while its index is built. --tables creates the config's tables the database lacks (never altering one it
has). Each change is recorded in the audit log.`,
		Example: `qb migrate
qb migrate --indexes`,
		Args:              positional(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: c.do(func(_ *cobra.Command, _ []string) error {
			return c.migrate(indexes, tables)
		}),
	}
	cmd.Flags().BoolVar(&indexes, "indexes", false, "create the indexes qb check --db suggests")
	cmd.Flags().BoolVar(&tables, "tables", false, "create the config's tables the database lacks")
	return cmd
}

func (c *cli) migrate(indexes, tables bool) error {
	c.createTables = tables
	if err := c.open(false); err != nil {
		return err
	}
	if err := c.eng.Writable(); err != nil {
		return err
	}
	eng, path := c.eng, c.dbPath()
	res := migrateResponse{Database: path, Adopted: eng.Adopted(), CreatedTables: eng.CreatedTables(), CreatedIndexes: []engine.IndexSuggestion{}}
	if res.CreatedTables == nil {
		res.CreatedTables = []string{}
	}
	sugg, err := eng.SuggestedIndexes(c.ctx)
	if err != nil {
		return err
	}
	search := eng.SuggestedSearchIndexes()
	took := map[string]time.Duration{}
	if indexes && len(sugg)+len(search) > 0 {
		ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		err := eng.CreateIndexes(ctx, append(sugg, search...), func(p engine.IndexProgress) {
			if p.Done {
				res.CreatedIndexes = append(res.CreatedIndexes, p.Index)
				took[p.Index.Name] = p.Took
			}
			if !c.json {
				fmt.Fprintln(c.errw, indexProgressLine(p))
			}
		})
		if err != nil {
			return err
		}
		sugg, search = sugg[:0], nil
	}
	res.SuggestedIndexes = append(sugg, search...)
	if c.json {
		c.writeJSON(res)
		return nil
	}
	name := termsafe.Sanitize(path)
	what := "created by qb"
	if res.Adopted {
		what = "adopted: qb did not create it and changed none of its tables"
		if len(res.CreatedTables) > 0 || len(res.CreatedIndexes) > 0 {
			what = "adopted: qb did not create it and changed its tables only as asked"
		}
	}
	fmt.Fprintf(c.out, "%s: up to date (%s)\n", name, what)
	for _, t := range res.CreatedTables {
		fmt.Fprintf(c.out, "created table %s\n", termsafe.Sanitize(t))
	}
	for _, x := range res.CreatedIndexes {
		if x.Search {
			fmt.Fprintf(c.out, "created search index %s on %s (built in %.1fs)\n", x.Name, termsafe.Sanitize(x.Table), took[x.Name].Seconds())
			continue
		}
		fmt.Fprintf(c.out, "created index %s on %s\n", x.Name, termsafe.Sanitize(x.Table))
	}
	if len(sugg) > 0 {
		fmt.Fprintf(c.errw, "%d indexes would make firewall scopes and keyset pages index seeks: qb migrate --indexes creates them (qb check --db %s shows their SQL)\n", len(sugg), name)
	}
	if len(search) > 0 {
		fmt.Fprintf(c.errw, "%s would let search and ~ read only the rows that can match: qb migrate --indexes creates them (qb check --db %s shows their SQL)\n", plural(len(search), "search index", "search indexes"), name)
	}
	return nil
}

// indexProgressLine is the line `qb migrate --indexes` prints for a step
// of an index's creation: its start, every tick while a large table's
// index is being built, its end.
func indexProgressLine(p engine.IndexProgress) string {
	step := fmt.Sprintf("[%d/%d]", p.N, p.Of)
	switch {
	case p.Done:
		return fmt.Sprintf("%s created %s in %.1fs", step, p.Index.Name, p.Took.Seconds())
	case p.Took > 0:
		return fmt.Sprintf("%s building %s on %s: %.0fs so far (%s rows; the table is locked for writing until it is built)", step, p.Index.Name, termsafe.Sanitize(p.Index.Table), p.Took.Seconds(), groupDigits(p.Rows))
	}
	return fmt.Sprintf("%s creating %s on %s (%s rows)…", step, p.Index.Name, termsafe.Sanitize(p.Index.Table), groupDigits(p.Rows))
}

func (c *cli) seedCmd() *cobra.Command {
	var reset, force bool
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the fixtures into the database (idempotent)",
		Long: `Load the fixtures folder into the database: rows whose id exists are updated, so seeding
twice changes nothing. --reset removes every identity and table row first (the audit log is
kept and records the reset). A bad row is reported as file:line and nothing is written.
On a database qb did not create, or with identities from Better Auth, --reset would delete the
project's own rows and users: it is refused unless --force is given too (run it on a copy).`,
		Example: `qb seed
qb seed --reset
qb seed --reset --force --db copy-of-theirs.db`,
		Args:              positional(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: c.do(func(_ *cobra.Command, _ []string) error {
			if err := c.open(false); err != nil {
				return err
			}
			if err := c.eng.Writable(); err != nil {
				return err
			}
			if reset && !force {
				if err := c.resetGuard(); err != nil {
					return err
				}
			}
			if !c.seeded || reset {
				if err := c.loadFixtures(reset); err != nil {
					return err
				}
			}
			rep := c.seedReport
			if c.json {
				c.writeJSON(seedResponse{Database: dbconn.DisplayName(c.dbPath()), Fixtures: c.cfg.FixturesPath(), Reset: reset, Tables: rep.Tables})
				return nil
			}
			rows := [][]string{{"TABLE", "INSERTED", "UPDATED", "UNCHANGED"}}
			if reset {
				rows[0] = append(rows[0], "REMOVED")
			}
			for _, t := range rep.Tables {
				row := []string{t.Table, fmt.Sprint(t.Inserted), fmt.Sprint(t.Updated), fmt.Sprint(t.Unchanged)}
				if reset {
					row = append(row, fmt.Sprint(t.Removed))
				}
				rows = append(rows, row)
			}
			printTable(c.out, rows)
			what := "no changes"
			if rep.Changed() {
				what = "changes written"
			}
			fmt.Fprintf(c.errw, "seeded %s from %s: %s\n", termsafe.Sanitize(dbconn.DisplayName(c.dbPath())), termsafe.Sanitize(c.cfg.FixturesPath()), what)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "remove every identity and table row first")
	cmd.Flags().BoolVar(&force, "force", false, "allow --reset on a database qb did not create or on Better Auth identities")
	return cmd
}

// resetGuard refuses `seed --reset` where the rows it would delete are a
// team's real data rather than qb's own: a database qb did not create
// (SPEC §9.2: qb never changes its tables unasked) or identities read from
// Better Auth's tables (real users, and whatever cascades from them).
func (c *cli) resetGuard() error {
	var whose []string
	if c.eng.Adopted() {
		whose = append(whose, "qb did not create this database, so its table rows are the project's own")
	}
	if c.cfg.Auth.Source == schema.SourceBetterAuth {
		whose = append(whose, `[auth].source = "better-auth": the users, organizations and members removed are Better Auth's (sessions and accounts cascade)`)
	}
	if len(whose) == 0 {
		return nil
	}
	return usageErr{
		msg: fmt.Sprintf("seed --reset on %s would delete every row of its %d tables and every identity: %s; run it on a copy, or add --force",
			termsafe.Sanitize(c.dbPath()), len(c.cfg.Tables), strings.Join(whose, "; ")),
		details: map[string]any{"flag": "--force", "adopted": c.eng.Adopted(), "authSource": c.cfg.Auth.Source},
	}
}

func (c *cli) usersCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "users",
		Short:             "List the identities: user, email, organization, role",
		Long:              `List every membership: user, name, email, organization, role and platform tier (userRole).`,
		Example:           `qb users`,
		Args:              positional(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: c.do(func(_ *cobra.Command, _ []string) error {
			if err := c.open(false); err != nil {
				return err
			}
			ms, err := c.eng.Members(c.ctx)
			if err != nil {
				return err
			}
			if c.json {
				if ms == nil {
					ms = []engine.Member{}
				}
				c.writeJSON(usersResponse{Users: ms})
				return nil
			}
			rows := [][]string{{"USER", "NAME", "EMAIL", "ORGANIZATION", "ROLE", "USERROLE"}}
			for _, m := range ms {
				rows = append(rows, []string{m.UserID, m.Name, m.Email, m.OrgID, m.Role, m.UserRole})
			}
			printTable(c.out, rows)
			return nil
		}),
	}
}

// generateOptions are the flags of `qb generate`.
type generateOptions struct {
	orgs int
	org  string
	seed int64
}

// generateCmd writes N synthetic rows into TABLE (SPEC §5). On a terminal it
// redraws a progress line on stderr; otherwise it prints only the summary.
// An interrupt stops it between rows: complete batches stay committed.
func (c *cli) generateCmd() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate TABLE N",
		Short: "Write N synthetic rows into TABLE (deterministic for a seed)",
		Long: `Write N synthetic rows into TABLE, spread over the existing organizations, or all into the
existing organization --org ORG, or over --orgs K synthetic organizations (created, each with
a member of every role, and reported). The same --seed gives the same rows.`,
		Example: `qb generate candidates 1000
qb generate jobs 50 --org globex --seed 7
qb generate jobs 50 --orgs 3 --seed 8`,
		Args:              positional("TABLE", "N"),
		ValidArgsFunction: c.completeArgs(c.completeTables),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			return c.generate(args[0], args[1], o)
		}),
	}
	f := cmd.Flags()
	f.Var(newCount(&o.orgs, 0, 1), "orgs", "spread the rows over `K` synthetic organizations (created when missing)")
	f.StringVar(&o.org, "org", "", "put every row into the existing organization `ORG`")
	f.Int64Var(&o.seed, "seed", 1, "random `SEED` (the same seed, the same rows)")
	c.completeFlag(cmd, "org", c.completeOrgs)
	c.completeFlag(cmd, "orgs", cobra.NoFileCompletions)
	c.completeFlag(cmd, "seed", cobra.NoFileCompletions)
	return cmd
}

func (c *cli) generate(table, nArg string, o generateOptions) error {
	n, err := strconv.Atoi(nArg)
	if err != nil || n < 1 {
		return usagef("N must be a whole number of rows, at least 1 (got %q)", nArg)
	}
	if o.org != "" && o.orgs > 0 {
		return usagef("--org puts the rows into one existing organization, --orgs into synthetic ones: give one")
	}
	opts := fixtures.GenerateOptions{Rows: n, Seed: o.seed, Orgs: o.orgs, Org: o.org}
	if err := c.open(false); err != nil {
		return err
	}
	if o.org != "" {
		orgs, err := c.eng.Organizations(c.ctx)
		if err != nil {
			return err
		}
		var ids []string
		for _, x := range orgs {
			ids = append(ids, x.ID)
		}
		if !slices.Contains(ids, o.org) {
			return usageErr{msg: fmt.Sprintf("unknown organization %q%s (organizations: %s)", o.org, suggest.Hint(o.org, ids), strings.Join(ids, ", ")), details: map[string]any{"org": o.org}}
		}
	}
	if err := c.eng.Writable(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
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
		c.writeJSON(generateResponse{Generated: generated{
			Table: res.Table, Rows: res.Rows, Seed: opts.Seed, Organizations: len(res.Orgs),
			NewOrganizations: res.NewOrgs, NewUsers: res.NewUsers,
			Seconds: res.Elapsed.Seconds(), RowsPerSecond: math.Round(res.RowsPerSecond()),
		}})
		return nil
	}
	fmt.Fprintf(c.out, "generated %d rows into %s in %.1fs (%.0f rows/s)\n", res.Rows, res.Table, res.Elapsed.Seconds(), res.RowsPerSecond())
	if res.NewOrgs > 0 || res.NewUsers > 0 {
		fmt.Fprintf(c.errw, "created %d synthetic organizations and %d synthetic users for them (see qb users)\n", res.NewOrgs, res.NewUsers)
	}
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
