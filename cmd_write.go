package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// writeOptions are the flags of create, update, delete and upsert.
type writeOptions struct {
	id     identity
	data   string
	dryRun bool
	since  string
}

// writeCmd declares one of the four writes; op is its name.
func (c *cli) writeCmd(op, use, short, long, example string) *cobra.Command {
	var o writeOptions
	names := []string{"TABLE"}
	if op == "update" || op == "delete" {
		names = append(names, "ID")
	}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Long:              long,
		Example:           example,
		Annotations:       map[string]string{"notes": "identity json"},
		Args:              positional(names...),
		ValidArgsFunction: c.completeArgs(c.completeTables),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			return c.write(op, args, o)
		}),
	}
	c.identityFlags(cmd, &o.id)
	f := cmd.Flags()
	if op != "delete" {
		f.StringVar(&o.data, "data", "", "the record's fields as a JSON object: `JSON`, @FILE or -")
		required(cmd, "data")
		c.completeFlag(cmd, "data", cobra.NoFileCompletions)
	} else {
		cmd.Annotations["notes"] = "identity"
	}
	f.BoolVar(&o.dryRun, "dry-run", false, "run every check, print the result and write nothing")
	if op == "update" || op == "delete" {
		sinceFlag(cmd, &o.since)
	}
	return cmd
}

// sinceFlag declares --if-unmodified-since on a write to an existing row.
func sinceFlag(cmd *cobra.Command, since *string) {
	cmd.Flags().StringVar(since, "if-unmodified-since", "", "write only if the record has not changed since `TS` (its modifiedAt, else createdAt; else ROW_CHANGED, exit 2)")
}

func (c *cli) createCmd() *cobra.Command {
	return c.writeCmd("create", "create TABLE", "Create a record as an identity",
		`Create a record in TABLE as the identity: create access, the guards (createable fields), types
and references are checked as the backend would; the firewall fields are set from the identity.`,
		`qb create jobs --as u-dana --data '{"title":"Robotics intern","department":"Engineering"}' --dry-run
echo '{"candidateId":"c-jane","content":"Strong on embedded C","rating":4}' > note.json
qb create interview_notes --as u-ivan --data @note.json`)
}

func (c *cli) updateCmd() *cobra.Command {
	return c.writeCmd("update", "update TABLE ID", "Update a record as an identity",
		`Update the record ID of TABLE as the identity: update access, the guards (updatable,
immutable and protected fields), types and references are checked as the backend would.`,
		`qb update jobs j-firmware --as u-dana --data '{"title":"Senior firmware engineer"}'
qb update applications a-1001 --as u-rachel --data '{"stage":"hired"}'   # exit 2: stage is protected`)
}

func (c *cli) deleteCmd() *cobra.Command {
	return c.writeCmd("delete", "delete TABLE ID", "Delete a record as an identity (soft by default)",
		`Delete the record ID of TABLE as the identity: a soft delete sets deletedAt and deletedBy; a
table with crud.delete.mode = "hard" removes the row.`,
		`qb delete jobs j-firmware --as u-dana --dry-run`)
}

func (c *cli) upsertCmd() *cobra.Command {
	return c.writeCmd("upsert", "upsert TABLE", "Create or update a record by its upsert key",
		`Look the record up by TABLE's upsertKey inside the identity's firewall: found, the update path
(update access, updatable fields); not found, the create path (create access, createable fields).`,
		`qb upsert ats_imports --as u-dana --data '{"externalId":"ext-1","candidateEmail":"new@example.com"}' --dry-run`)
}

func (c *cli) write(op string, args []string, o writeOptions) error {
	var data map[string]any
	if op != "delete" {
		if o.data == "" {
			return usagef("%s needs --data JSON (a JSON object, @FILE or -)", op)
		}
		var err error
		if data, err = c.readObject("data", o.data); err != nil {
			return err
		}
	}
	if err := c.open(false); err != nil {
		return err
	}
	id, err := c.identity(o.id)
	if err != nil {
		return err
	}
	opts := engine.WriteOptions{DryRun: o.dryRun, IfUnmodifiedSince: o.since}
	table := args[0]
	var res *engine.WriteResult
	switch op {
	case "create":
		res, err = c.eng.Create(c.ctx, id, table, data, opts)
	case "update":
		res, err = c.eng.Update(c.ctx, id, table, args[1], data, opts)
	case "upsert":
		res, err = c.eng.Upsert(c.ctx, id, table, data, opts)
	case "delete":
		res, err = c.eng.Delete(c.ctx, id, table, args[1], opts)
	}
	if err != nil {
		return err
	}
	if c.json {
		changes := res.Changes
		if changes == nil {
			changes = []engine.Change{}
		}
		if op == "delete" {
			c.writeJSON(deleteResponse{Deleted: args[1], Changes: changes, DryRun: opts.DryRun})
			return nil
		}
		r := rowResponse{Row: res.Row, Changes: changes, DryRun: opts.DryRun}
		if res.Withheld != nil {
			r.Row = map[string]any{c.cfg.Table(table).PrimaryKey().Name: res.ID}
			r.Withheld = res.Withheld
		}
		if op == "upsert" {
			r.Path = res.Path
		}
		c.writeJSON(r)
		return nil
	}
	switch {
	case op == "delete":
		fmt.Fprintf(c.out, "deleted %s %s\n", table, termsafe.Sanitize(args[1]))
	default:
		if op == "upsert" {
			fmt.Fprintf(c.errw, "upsert took the %s path\n", res.Path)
		}
		if res.Withheld != nil {
			printWithheld(c.out, *res.Withheld)
		} else {
			printRecord(c.out, *res.Row)
		}
	}
	if opts.DryRun && res.Withheld == nil {
		fmt.Fprintln(c.out)
		printChanges(c.out, res.Changes)
	}
	if opts.DryRun {
		fmt.Fprintln(c.errw, "dry run: nothing was written")
	}
	return nil
}

// runOptions are the flags of `qb run`.
type runOptions struct {
	id     identity
	input  string
	dryRun bool
	since  string
}

// runCmd is `qb run TABLE ACTION [ID] [IDENTITY] [--input JSON] [--dry-run]`.
func (c *cli) runCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run TABLE ACTION [ID]",
		Short: "Run a named action (such as advanceStage) as an identity",
		Long: `Run the action ACTION of TABLE as the identity: on the record ID for a record action, with no
ID for a standalone one. Its access, its allowed states (the transition) and its input are
checked as the backend would, and the whole action is one transaction.`,
		Example: `qb run applications advanceStage a-1001 --as u-dana --input '{"stage":"offer"}' --dry-run
qb run applications submitScore a-1001 --as u-ivan --input '{"score":4,"feedback":"Clear on RTOS trade-offs"}'`,
		Annotations:       map[string]string{"notes": "identity json"},
		Args:              positional("TABLE", "ACTION", "[ID]"),
		ValidArgsFunction: c.completeArgs(c.completeTables, c.completeActions),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			return c.runAction(args, o)
		}),
	}
	c.identityFlags(cmd, &o.id)
	f := cmd.Flags()
	f.StringVar(&o.input, "input", "", "the action's input as a JSON object: `JSON`, @FILE or -")
	f.BoolVar(&o.dryRun, "dry-run", false, "run every check, print the result and write nothing")
	sinceFlag(cmd, &o.since)
	c.completeFlag(cmd, "input", cobra.NoFileCompletions)
	return cmd
}

func (c *cli) runAction(args []string, o runOptions) error {
	input := map[string]any{}
	if o.input != "" {
		var err error
		if input, err = c.readObject("input", o.input); err != nil {
			return err
		}
	}
	if err := c.open(false); err != nil {
		return err
	}
	table, action, rowID := args[0], args[1], ""
	if len(args) == 3 {
		rowID = args[2]
	}
	// A known action called with the wrong shape is a usage error; unknown
	// tables and actions are the engine's NOT_FOUND (and audited).
	if t := c.cfg.Table(table); t != nil {
		if a := t.Action(action); a != nil {
			switch {
			case a.Type == "standalone" && rowID != "":
				return usagef("%s.%s is a standalone action: it takes no ID (qb run %s %s)", table, action, table, action)
			case a.Type != "standalone" && rowID == "":
				return usagef("%s.%s is a record action: give the record's ID (qb run %s %s ID)", table, action, table, action)
			}
		}
	}
	id, err := c.identity(o.id)
	if err != nil {
		return err
	}
	opts := engine.WriteOptions{DryRun: o.dryRun, IfUnmodifiedSince: o.since}
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
		out := runResponse{Changes: changes, Withheld: res.Withheld, DryRun: opts.DryRun}
		switch {
		case res.Row != nil:
			out.Result = res.Row
			out.Inserted = res.Inserted
		case rowID != "": // a record the identity may not get: see withheld
			out.Result = map[string]any{c.cfg.Table(table).PrimaryKey().Name: rowID}
			out.Inserted = res.Inserted
		default:
			out.Result = insertedResult{Inserted: inserted}
		}
		c.writeJSON(out)
		return nil
	}
	if res.Row != nil {
		printRecord(c.out, *res.Row)
	}
	for _, r := range inserted {
		fmt.Fprintf(c.out, "\ninserted into %s:\n", r.Table.Name)
		printRecord(c.out, r)
	}
	for _, w := range res.Withheld {
		fmt.Fprintln(c.out)
		printWithheld(c.out, w)
	}
	if len(changes) > 0 || len(res.Withheld) == 0 {
		fmt.Fprintln(c.out)
		printChanges(c.out, changes)
	}
	if opts.DryRun {
		fmt.Fprintln(c.errw, "dry run: nothing was written")
	}
	return nil
}
