package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"quickback.dev/qb/tui"
)

// consoleOptions are the flags of `qb` with no command.
type consoleOptions struct {
	id       identity
	table    string
	readOnly bool
	version  bool
}

// consoleCmd is the root: with no command it opens the terminal console.
func (c *cli) consoleCmd() *cobra.Command {
	var o consoleOptions
	cmd := &cobra.Command{
		Use:   "qb",
		Short: "Open the terminal console (no command): browse, write and audit as any identity",
		Long: `qb — Quickback Console. With no command it opens the terminal console: browse every table
as any identity, try writes and actions as that identity would, ask why, and audit.
Without --as it starts as the highest role of the first organization and says so.`,
		Example: `qb                                   # the console on ./quickback.toml
qb --as u-ivan --table candidates     # as an interviewer, on the candidates table
qb --role recruiter --org acme --read-only`,
		Annotations: map[string]string{"notes": "identity exit env"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: c.do(func(cmd *cobra.Command, _ []string) error {
			if o.version {
				v := buildVersion()
				if c.json {
					c.writeJSON(v)
				} else {
					fmt.Fprint(c.out, v.String())
				}
				return nil
			}
			return c.runConsole(cmd, o)
		}),
	}
	c.identityFlags(cmd, &o.id)
	f := cmd.Flags()
	f.StringVar(&o.table, "table", "", "open on `TABLE`")
	f.BoolVar(&o.readOnly, "read-only", false, "offer no writes (reads are still audited)")
	f.BoolVar(&o.version, "version", false, "print the version and commit of qb")
	c.completeFlag(cmd, "table", c.completeTables)
	return cmd
}

// runConsole opens the terminal console.
func (c *cli) runConsole(cmd *cobra.Command, o consoleOptions) error {
	if c.json {
		return usagef("the console has no --json output")
	}
	c.console = true
	// --read-only is the console's mode (no writes offered), not the
	// database's: the session is audited like any other (SPEC §3.7).
	if err := c.open(false); err != nil {
		return err
	}
	opts := tui.Options{
		Table:          o.table,
		ReadOnly:       o.readOnly || c.eng.Writable() != nil,
		ReadOnlyReason: consoleReadOnlyReason(c.roWhy),
		ConfigPath:     c.configPath(),
		Project:        c.cfg.Project.Name,
		DBPath:         c.dbPath(),
	}
	if opts.Table != "" && c.cfg.Table(opts.Table) == nil {
		return c.unknownTable(opts.Table)
	}
	if err := c.setReason(o.id.reason); err != nil {
		return err
	}
	if named := (identity{as: o.id.as, org: o.id.org, role: o.id.role}); named != (identity{}) {
		id, err := c.identity(o.id)
		if err != nil {
			return err
		}
		opts.Identity = &id
	}
	c.consoleRunning.Store(true)
	defer c.consoleRunning.Store(false)
	return tui.Run(c.eng, opts)
}

// consoleReadOnlyReason is the console's status line for a database opened
// read-only because its file is not writable ("" when it was not).
func consoleReadOnlyReason(why string) string {
	if why == "" {
		return ""
	}
	return "read-only: " + why + "; the keys that write are disabled and nothing is audited (UNAUDITED)"
}
