package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"quickback.dev/qb/internal/suggest"
)

// The command line is declared here and nowhere else: the parser, `qb
// help`, the completion scripts and README's command reference all read
// these declarations.
//
// Adding a command:
//  1. Write `func (c *cli) fooCmd() *cobra.Command` in the file of its group
//     (or a new cmd_<group>.go): Use names the positional arguments in
//     capitals (`foo TABLE [ID]`), Short is one line, Long the details,
//     Example a few lines that each run as written against the default
//     project (help_test.go runs them; end a line that is refused on
//     purpose with `# exit 2`). Args is positional(...) with the same
//     names; ValidArgsFunction completes them (complete.go has completers
//     for tables, actions, users, ...). RunE is c.do(...).
//  2. Declare its flags on cmd.Flags() with a `VALUE` name in backquotes in
//     the usage; take the identity with c.identityFlags(cmd, &opts.id).
//     Register completions for flags whose values come from the config or
//     the database.
//  3. Add it to the list in commands() under its group, and give its
//     --json output a typed response in jsonout.go with a golden case in
//     jsonout_test.go.
//  4. Run `go test -run TestREADMEReference -update .` to regenerate the
//     README's command reference.

// Command groups, in the order `qb help` lists them.
const (
	groupRead    = "read"
	groupWrite   = "write"
	groupAudit   = "audit"
	groupProject = "project"
)

// commands declares the whole command line on a fresh tree (one per run, so
// nothing is shared between runs).
func (c *cli) commands() *cobra.Command {
	// Commands are listed in the order declared, by group.
	cobra.EnableCommandSorting = false
	root := c.consoleCmd()
	root.AddGroup(
		&cobra.Group{ID: groupRead, Title: "Read as an identity:"},
		&cobra.Group{ID: groupWrite, Title: "Write as an identity:"},
		&cobra.Group{ID: groupAudit, Title: "Audit the policy and the log:"},
		&cobra.Group{ID: groupProject, Title: "Project:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, cmd := range cmds {
			cmd.GroupID = group
			root.AddCommand(cmd)
		}
	}
	add(groupRead, c.listCmd(), c.getCmd(), c.explainCmd())
	add(groupWrite, c.createCmd(), c.updateCmd(), c.deleteCmd(), c.upsertCmd(), c.runCmd())
	add(groupAudit, c.testCmd(), c.matrixCmd(), c.auditCmd())
	add(groupProject, c.checkCmd(), c.seedCmd(), c.generateCmd(), c.usersCmd(), c.importCmd(), c.migrateCmd())
	root.AddCommand(c.completionCmd())
	root.SetHelpCommand(c.helpCmd())
	root.InitDefaultHelpCmd()

	pf := root.PersistentFlags()
	pf.StringVar(&c.configFlag, "config", "", "the project's config `FILE` (default $QB_CONFIG, else ./quickback.toml)")
	pf.StringVar(&c.dbFlag, "db", "", "the database `FILE`, or a postgres:// URL (default $QB_DB, else the config's [project].database)")
	pf.BoolVar(&c.json, "json", c.json, "machine-readable output on stdout, errors included")
	c.completeFlag(root, "config", completeFiles("toml"))
	c.completeFlag(root, "db", completeFiles("db", "sqlite", "sqlite3"))

	root.SilenceErrors = true
	root.SilenceUsage = true
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(flagError)
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { fmt.Fprint(cmd.OutOrStdout(), helpText(cmd)) })
	root.SetUsageFunc(func(cmd *cobra.Command) error { fmt.Fprint(cmd.OutOrStderr(), helpText(cmd)); return nil })
	for _, cmd := range append(root.Commands(), root) {
		cmd.Flags().SortFlags = false
		cmd.Flags().VisitAll(valueName)
	}
	root.PersistentFlags().VisitAll(valueName)
	return root
}

// valueNameAnnotation holds the name of a flag's value ("EXPR" for
// --filter), taken out of the backquotes of its usage so that completion
// descriptions read as plain text.
const valueNameAnnotation = "qb-value"

func valueName(f *pflag.Flag) {
	if _, done := f.Annotations[valueNameAnnotation]; done {
		return
	}
	name, usage := pflag.UnquoteUsage(f)
	if f.Value.Type() == "bool" {
		name = ""
	}
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[valueNameAnnotation] = []string{name}
	f.Usage = usage
}

// identity holds the flags that name who a command acts as, and why.
type identity struct{ as, org, role, reason string }

// maxReason bounds --reason: a ticket reference or a sentence, not a file.
const maxReason = 500

// identityFlags declares --as, --org and --role on cmd.
func (c *cli) identityFlags(cmd *cobra.Command, id *identity) {
	f := cmd.Flags()
	f.StringVar(&id.as, "as", "", "act as `USER` (id or email; anonymous for no identity)")
	f.StringVar(&id.org, "org", "", "in organization `ORG` (default: the user's only membership)")
	f.StringVar(&id.role, "role", "", "with `ROLE` (alone: any user of that role in --org)")
	f.StringVar(&id.reason, "reason", "", "why you act as this identity (`TEXT`: a ticket, an incident); recorded on every audit entry")
	for _, n := range []string{"as", "org", "role", "reason"} {
		f.SetAnnotation(n, flagGroupAnnotation, []string{flagGroupIdentity})
	}
	c.completeFlag(cmd, "as", c.completeUsers)
	c.completeFlag(cmd, "org", c.completeOrgs)
	c.completeFlag(cmd, "role", c.completeRoles)
	c.completeFlag(cmd, "reason", cobra.NoFileCompletions)
}

// requiredAnnotation marks a flag the command cannot run without (the
// command checks it; the synopsis shows it without brackets).
const requiredAnnotation = "qb-required"

func required(cmd *cobra.Command, name string) {
	cmd.Flags().SetAnnotation(name, requiredAnnotation, []string{"true"})
}

// Flags of the identity group are listed apart in help and collapse to
// [IDENTITY] in synopses.
const (
	flagGroupAnnotation = "qb-group"
	flagGroupIdentity   = "identity"
)

// positional declares a command's positional arguments by their names as
// the synopsis shows them: "TABLE", "ID", optional ones in brackets
// ("[ID]"), one of a fixed set as "bash|zsh|fish". Too few or too many is a
// usage error that names what is missing or what is extra.
func positional(names ...string) cobra.PositionalArgs {
	required := 0
	for _, n := range names {
		if !strings.HasPrefix(n, "[") {
			required++
		}
	}
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > len(names) {
			extra := args[len(names)]
			msg := fmt.Sprintf("unexpected argument %q: %s takes %s", extra, cmd.CommandPath(), takes(names))
			if len(names) == 0 {
				msg = fmt.Sprintf("unexpected argument %q: %s takes no arguments", extra, cmd.CommandPath())
			}
			if strings.HasPrefix(extra, "-") {
				msg += " (a flag's value that starts with - is written --flag=VALUE)"
			}
			return usageErr{msg: msg, details: map[string]any{"argument": extra}}
		}
		if len(args) < required {
			missing := names[len(args)]
			return usageErr{msg: fmt.Sprintf("%s needs %s (usage: %s)", cmd.CommandPath(), missing, synopsis(cmd)), details: map[string]any{"missing": missing}}
		}
		return nil
	}
}

func takes(names []string) string {
	return strings.Join(names, " ")
}

// flagError rewrites pflag's errors as usage errors that say what to do,
// with the nearest flag the command takes for an unknown one.
func flagError(cmd *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	var ve *pflag.ValueRequiredError
	var ie *pflag.InvalidValueError
	switch {
	case errors.As(err, &ne):
		name := ne.GetSpecifiedName()
		if name == "" {
			return usagef("unknown flag -%s for %s", ne.GetSpecifiedShortnames(), cmd.CommandPath())
		}
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		msg := fmt.Sprintf("unknown flag --%s for %s", name, cmd.CommandPath())
		if elsewhere := commandsTaking(cmd.Root(), name); len(elsewhere) > 0 {
			msg = fmt.Sprintf("%s does not take --%s", cmd.CommandPath(), name)
			if len(elsewhere) <= 3 {
				msg += fmt.Sprintf(" (%s does)", strings.Join(elsewhere, ", "))
			}
		} else if s := suggest.Closest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean \"--%s\"?", s)
		}
		return usageErr{msg: msg, details: map[string]any{"flag": "--" + name}}
	case errors.As(err, &ve):
		return usagef("flag --%s needs a value", ve.GetFlag().Name)
	case errors.As(err, &ie):
		return usagef("--%s %q: %v", ie.GetFlag().Name, ie.GetValue(), errors.Unwrap(ie))
	}
	return usageErr{msg: err.Error()}
}

// commandsTaking lists the commands that declare the flag name.
func commandsTaking(root *cobra.Command, name string) []string {
	var out []string
	if root.LocalNonPersistentFlags().Lookup(name) != nil {
		out = append(out, "the console (qb with no command)")
	}
	for _, cmd := range root.Commands() {
		if cmd.Hidden {
			continue
		}
		if cmd.LocalFlags().Lookup(name) != nil {
			out = append(out, cmd.CommandPath())
		}
	}
	return out
}

// count is a flag holding a whole number of at least min.
type count struct {
	n   *int
	min int
}

func newCount(p *int, def, min int) *count { *p = def; return &count{n: p, min: min} }

func (v *count) String() string { return strconv.Itoa(*v.n) }
func (v *count) Type() string   { return "int" }
func (v *count) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min {
		return fmt.Errorf("takes a whole number, at least %d", v.min)
	}
	*v.n = n
	return nil
}

// choice is a flag holding one of a fixed set of words.
type choice struct {
	s       *string
	choices []string
}

func newChoice(p *string, def string, choices ...string) *choice {
	*p = def
	return &choice{s: p, choices: choices}
}

func (v *choice) String() string { return *v.s }
func (v *choice) Type() string   { return "string" }
func (v *choice) Set(s string) error {
	for _, c := range v.choices {
		if s == c {
			*v.s = s
			return nil
		}
	}
	return fmt.Errorf("takes one of %s%s", strings.Join(v.choices, ", "), suggest.Hint(s, v.choices))
}
