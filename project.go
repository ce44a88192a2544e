package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/suggest"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// configPath is --config, else $QB_CONFIG, else ./quickback.toml.
func (c *cli) configPath() string {
	if c.configFlag != "" {
		return c.configFlag
	}
	if p := os.Getenv("QB_CONFIG"); p != "" {
		return p
	}
	return "quickback.toml"
}

func (c *cli) loadConfig() error {
	cfg, err := schema.Load(c.configPath())
	if err != nil {
		if errors.As(err, new(*fs.PathError)) { // the file could not be read
			return fmt.Errorf("%w\nrun qb in the project's directory, or pass the config with --config FILE (or QB_CONFIG)", err)
		}
		return err
	}
	c.cfg = cfg
	return nil
}

// dbPath is --db, else $QB_DB, else the config's database.
func (c *cli) dbPath() string {
	if c.dbFlag != "" {
		return c.dbFlag
	}
	if p := os.Getenv("QB_DB"); p != "" {
		return p
	}
	return c.cfg.DatabasePath()
}

// exitsAfterCommand is set by main: the process ends when the command
// does (tests run many commands in one process and leave it false).
var exitsAfterCommand bool

// open loads the config and opens the engine, creating and seeding the
// database on first use.
func (c *cli) open(readOnly bool) error {
	if err := c.loadConfig(); err != nil {
		return err
	}
	path := c.dbPath()
	// A PostgreSQL database is never created here: it is seeded with
	// `qb seed` (SPEC §8).
	fresh := errors.Is(statDB(path), os.ErrNotExist)
	opts := engine.Options{ReadOnly: readOnly, BusyTimeout: openBusyTimeout, GroupWindow: openGroupWindow, CreateTables: c.createTables, KeepWAL: exitsAfterCommand}
	if !opts.ReadOnly && !fresh {
		// A file the operator marked read-only (or the system will not let
		// us write) is opened read-only: reads work, writes are refused.
		if why := engine.ReadOnlyReason(path); why != "" {
			opts.ReadOnly, opts.ReadOnlyReason = true, why
			c.roNote = fmt.Sprintf("database %s is read-only (%s): opened read-only; writes are refused and reads are UNAUDITED (the audit log cannot be written)", path, why)
			c.roWhy = why
		}
	}
	eng, err := engine.Open(c.cfg, path, opts)
	if err != nil {
		return err
	}
	c.eng = eng
	c.live.Store(eng)
	if c.roNote != "" && !c.console {
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

// loadFixtures seeds the database from the fixtures; the report is kept
// for `qb seed` to print.
func (c *cli) loadFixtures(reset bool) error {
	data, err := fixtures.Read(c.cfg, c.cfg.FixturesPath())
	if err == nil {
		c.seedReport, err = c.eng.Seed(c.ctx, data, reset)
	}
	var ps *schema.Problems
	if errors.As(err, &ps) {
		return fixturesError{*ps}
	}
	return err
}

// identity resolves --as, --org and --role; a mistake is a usage error
// worded in terms of those flags, with the nearest user, organization or
// role when one was misspelt.
//
// The reason (--reason) becomes the session's: every audit entry of the
// command carries it. A project with [audit].requireReason refuses to act
// as a real user without one.
func (c *cli) identity(o identity) (engine.Identity, error) {
	if err := c.setReason(o.reason); err != nil {
		return engine.Identity{}, err
	}
	id, err := c.eng.ResolveIdentity(c.ctx, o.as, o.org, o.role)
	var ie *engine.IdentityError
	if errors.As(err, &ie) {
		return id, c.identityMistake(ie)
	}
	if err == nil && c.eng.ReasonRequired(id) && !c.console {
		return id, usageErr{msg: fmt.Sprintf("acting as %s needs --reason TEXT: this project records why a real user is impersonated ([audit].requireReason in %s)", id.UserID, c.configPath()),
			details: map[string]any{"flag": "--reason"}}
	}
	return id, err
}

// setReason checks --reason and makes it the session's.
func (c *cli) setReason(reason string) error {
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n > maxReason {
		return usagef("--reason is %d characters long: give at most %d (a ticket or a sentence)", n, maxReason)
	}
	c.eng.SetReason(reason)
	return nil
}

// identityMistake words an identity mistake in terms of the identity flags.
func (c *cli) identityMistake(e *engine.IdentityError) usageErr {
	details := map[string]any{}
	msg := e.Error()
	switch e.Problem {
	case engine.UnknownRole:
		msg = fmt.Sprintf("unknown role %q%s (roles: %s)", e.Role, suggest.Hint(e.Role, e.Roles), strings.Join(e.Roles, ", "))
		details["role"] = e.Role
	case engine.UnknownOrg:
		var ids []string
		if orgs, err := c.eng.Organizations(c.ctx); err == nil {
			for _, o := range orgs {
				ids = append(ids, o.ID)
			}
		}
		msg = fmt.Sprintf("unknown organization %q%s", e.Org, suggest.Hint(e.Org, ids))
		details["org"] = e.Org
	case engine.NoIdentity:
		msg = "an identity is required: --as USER [--org ORG] [--role ROLE], or --role ROLE --org ORG"
	case engine.RoleNeedsOrg:
		msg = "--role needs --org ORG"
	case engine.UnknownUser:
		var names []string
		if ms, err := c.eng.Members(c.ctx); err == nil {
			for _, m := range ms {
				if !slices.Contains(names, m.UserID) {
					names = append(names, m.UserID)
				}
			}
			if strings.Contains(e.User, "@") {
				names = names[:0]
				for _, m := range ms {
					names = append(names, m.Email)
				}
			}
		}
		msg = fmt.Sprintf("unknown user %q%s (see `qb users`)", e.User, suggest.Hint(e.User, names))
		details["user"] = e.User
	case engine.SeveralMemberships:
		list := make([]string, len(e.Memberships))
		for i, m := range e.Memberships {
			list[i] = m.OrgID + " (" + m.Role + ")"
		}
		msg = fmt.Sprintf("user %s belongs to several organizations; choose one with --org: %s", e.User, strings.Join(list, ", "))
	}
	if len(details) == 0 {
		details = nil
	}
	return usageErr{msg: msg, details: details}
}

// tableNames lists the config's tables.
func (c *cli) tableNames() []string {
	names := make([]string, len(c.cfg.Tables))
	for i, t := range c.cfg.Tables {
		names[i] = t.Name
	}
	return names
}

// unknownTable is the usage error for a table the config does not have.
func (c *cli) unknownTable(name string) error {
	return usageErr{
		msg:     fmt.Sprintf("unknown table %q%s (tables: %s)", name, suggest.Hint(name, c.tableNames()), strings.Join(c.tableNames(), ", ")),
		details: map[string]any{"table": name},
	}
}

// statDB is os.Stat's error for a SQLite database file; a PostgreSQL URL
// names no file, so it is never missing here (the server says whether the
// database exists when it is opened).
func statDB(path string) error {
	if dbconn.IsPostgres(path) {
		return nil
	}
	_, err := os.Stat(path)
	return err
}
