package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/suggest"
	"quickback.dev/qb/schema"
)

// completionCmd is `qb completion bash|zsh|fish`: the script that makes
// the shell complete qb's commands, flags and values. Values come from the
// config (tables, columns, roles, actions) and the database (users and
// organizations), through the hidden `qb __complete` command the script
// calls.
func (c *cli) completionCmd() *cobra.Command {
	shells := []string{"bash", "zsh", "fish"}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print the script that makes your shell complete qb's commands and flags, and their values:
tables, columns, actions and roles from the config; users and organizations from the database.`,
		Example: `source <(qb completion bash)    # bash: this shell (add the line to ~/.bashrc for every shell)
qb completion zsh > _qb         # zsh: then move _qb into a directory of $fpath
qb completion fish > qb.fish    # fish: then move qb.fish into ~/.config/fish/completions`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := positional("bash|zsh|fish")(cmd, args); err != nil {
				return err
			}
			if !validOne(args[0], shells) {
				return usageErr{msg: fmt.Sprintf("unknown shell %q: give bash, zsh or fish%s", args[0], suggest.Hint(args[0], shells)), details: map[string]any{"shell": args[0]}}
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return shells, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: c.do(func(cmd *cobra.Command, args []string) error {
			if c.json {
				return usagef("completion prints a shell script: it has no --json output")
			}
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(c.out, true)
			case "zsh":
				return root.GenZshCompletion(c.out)
			}
			return root.GenFishCompletion(c.out, true)
		}),
	}
}

// completer offers the values of one argument or flag.
type completer func(args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective)

// completeArgs completes the positional arguments in order: the first
// completer for the first argument, and so on; none past the last.
func (c *cli) completeArgs(each ...completer) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= len(each) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return each[len(args)](args, toComplete)
	}
}

// completeFlag registers a flag's completion.
func (c *cli) completeFlag(cmd *cobra.Command, flag string, f any) {
	var fn cobra.CompletionFunc
	switch f := f.(type) {
	case completer:
		fn = func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return f(args, toComplete)
		}
	case func([]string, string) ([]cobra.Completion, cobra.ShellCompDirective):
		fn = func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return f(args, toComplete)
		}
	case cobra.CompletionFunc:
		fn = f
	default:
		panic(fmt.Sprintf("completeFlag %s: %T is not a completion", flag, f))
	}
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic(err)
	}
}

func fixedCompletions(words ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp)
}

// completeFiles completes file names with one of the extensions.
func completeFiles(exts ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}

// noValues is what a completer returns when it has nothing to offer (no
// config, no database): no file names either.
func noValues() ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completionConfig loads the config for a completer; false when there is
// none to read (a completer then offers nothing).
func (c *cli) completionConfig() bool {
	return c.cfg != nil || c.loadConfig() == nil
}

// completionTable is the config's table named by args[0], or nil.
func (c *cli) completionTable(args []string) *schema.Table {
	if len(args) == 0 || !c.completionConfig() {
		return nil
	}
	return c.cfg.Table(args[0])
}

// completeTables offers the config's tables.
func (c *cli) completeTables(_ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if !c.completionConfig() {
		return noValues()
	}
	var out []cobra.Completion
	for _, t := range c.cfg.Tables {
		desc := t.Label
		if t.Internal {
			desc = "internal: actions only"
		}
		out = append(out, cobra.CompletionWithDesc(t.Name, desc))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeActions offers the actions of the table in args[0].
func (c *cli) completeActions(args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	t := c.completionTable(args)
	if t == nil {
		return noValues()
	}
	var out []cobra.Completion
	for _, a := range t.Actions {
		out = append(out, cobra.CompletionWithDesc(a.Name, a.Type+" action"))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeRoles offers the config's roles, lowest first.
func (c *cli) completeRoles(_ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if !c.completionConfig() {
		return noValues()
	}
	return c.cfg.Auth.Roles, cobra.ShellCompDirectiveNoFileComp
}

// members reads the identities for completion from an existing database,
// opened read-only: completing never creates, seeds or writes anything.
func (c *cli) members() ([]engine.Member, bool) {
	if !c.completionConfig() {
		return nil, false
	}
	if statDB(c.dbPath()) != nil {
		return nil, false
	}
	if c.eng == nil {
		eng, err := engine.Open(c.cfg, c.dbPath(), engine.Options{ReadOnly: true, BusyTimeout: openBusyTimeout})
		if err != nil {
			return nil, false
		}
		c.eng = eng
	}
	ms, err := c.eng.Members(c.ctx)
	return ms, err == nil
}

// completeUsers offers the users' ids (with name and memberships) and
// anonymous.
func (c *cli) completeUsers(_ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ms, ok := c.members()
	if !ok {
		return noValues()
	}
	var out []cobra.Completion
	desc := map[string][]string{}
	var order []string
	for _, m := range ms {
		if _, seen := desc[m.UserID]; !seen {
			order = append(order, m.UserID)
			desc[m.UserID] = []string{m.Name}
		}
		if m.OrgID != "" {
			desc[m.UserID] = append(desc[m.UserID], m.OrgID+" "+m.Role)
		}
	}
	for _, id := range order {
		d := desc[id]
		out = append(out, cobra.CompletionWithDesc(id, d[0]+" ("+strings.Join(d[1:], ", ")+")"))
	}
	out = append(out, cobra.CompletionWithDesc("anonymous", "no identity: PUBLIC access, needs --org"))
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOrgs offers the organizations.
func (c *cli) completeOrgs(_ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ms, ok := c.members()
	if !ok {
		return noValues()
	}
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, m := range ms {
		if m.OrgID != "" && !seen[m.OrgID] {
			seen[m.OrgID] = true
			out = append(out, cobra.CompletionWithDesc(m.OrgID, m.OrgName))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFilter offers COL= for each column of the table in args[0] and,
// once the column of an enum is typed, COL=VALUE for each of its values.
func (c *cli) completeFilter(args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	t := c.completionTable(args)
	if t == nil {
		return noValues()
	}
	var out []cobra.Completion
	if i := strings.IndexAny(toComplete, "=!<>~ "); i >= 0 {
		col := t.Column(toComplete[:i])
		if col == nil || len(col.Values) == 0 {
			return noValues()
		}
		prefix := toComplete[:i] + strings.TrimRight(toComplete[i:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
		for _, v := range col.Values {
			out = append(out, prefix+v)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	for _, col := range t.Columns {
		out = append(out, cobra.CompletionWithDesc(col.Name+"=", string(col.Type)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeSort offers COL and -COL for each column of the table in args[0].
func (c *cli) completeSort(args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	t := c.completionTable(args)
	if t == nil {
		return noValues()
	}
	var out []cobra.Completion
	for _, col := range t.Columns {
		if strings.HasPrefix(toComplete, "-") {
			out = append(out, cobra.CompletionWithDesc("-"+col.Name, "descending"))
		} else {
			out = append(out, col.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOutcomes offers ok, refused, error and the error codes.
func (c *cli) completeOutcomes(_ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return outcomeWords(), cobra.ShellCompDirectiveNoFileComp
}

// completeOperations offers the operations the log records.
func (c *cli) completeOperations(_ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if !c.completionConfig() {
		return noValues()
	}
	return auditOperations(c.cfg), cobra.ShellCompDirectiveNoFileComp
}

func validOne(s string, set []string) bool {
	for _, w := range set {
		if s == w {
			return true
		}
	}
	return false
}
