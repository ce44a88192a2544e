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
	"quickback.dev/qb/internal/suggest"
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
alternative. They do not fail the check unless --strict is given.`,
		Example: `qb check
qb check --strict
qb check quickback.toml --json`,
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
			if c.json {
				c.writeJSON(checkResponse{Config: c.configPath(), OK: true, Tables: len(c.cfg.Tables), Warnings: problemList(ws)})
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
			fmt.Fprintf(c.out, "%s: ok (%d tables%s)\n", termsafe.Sanitize(c.configPath()), len(c.cfg.Tables), note)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 when there are warnings too")
	return cmd
}

func (c *cli) seedCmd() *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the fixtures into the database (idempotent)",
		Long: `Load the fixtures folder into the database: rows whose id exists are updated, so seeding
twice changes nothing. --reset removes every identity and table row first (the audit log is
kept and records the reset). A bad row is reported as file:line and nothing is written.`,
		Example: `qb seed
qb seed --reset`,
		Args:              positional(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: c.do(func(_ *cobra.Command, _ []string) error {
			if err := c.open(false); err != nil {
				return err
			}
			if err := c.eng.Writable(); err != nil {
				return err
			}
			if !c.seeded || reset {
				if err := c.loadFixtures(reset); err != nil {
					return err
				}
			}
			rep := c.seedReport
			if c.json {
				c.writeJSON(seedResponse{Database: c.dbPath(), Fixtures: c.cfg.FixturesPath(), Reset: reset, Tables: rep.Tables})
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
			fmt.Fprintf(c.errw, "seeded %s from %s: %s\n", termsafe.Sanitize(c.dbPath()), termsafe.Sanitize(c.cfg.FixturesPath()), what)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "remove every identity and table row first")
	return cmd
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
