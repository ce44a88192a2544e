package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"quickback.dev/qb/internal/suggest"
)

// Notes shared by the help of several commands and by README.
const (
	identityNote = `IDENTITY: --as USER (id or email) [--org ORG] [--role ROLE]. --role ROLE --org ORG alone
acts as any user of that role; --as anonymous --org ORG as a caller with no identity (PUBLIC
access). --org defaults to the user's only membership; a user of several organizations needs
it. --as USER --role ROLE overrides the membership's role ("what if Dana were an interviewer");
the audit log records the role the user really holds beside it. --reason TEXT records why
(a ticket, an incident) on every audit entry; [audit].requireReason = true makes it
mandatory for acting as a real user.`

	exprNote = `EXPR: COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V, COL~V (contains, any case), "COL in V1,V2".
Repeated --filter flags are ANDed. A value that starts with an operator character is
written after a space ("title= =x" is title equal to "=x").`

	jsonNote = `--data and --input take JSON text, @FILE (read the file) or - (read standard input).`

	exitNote = `Exit status: 0 success; 1 usage or config error; 2 refused by the policy engine;
3 a check that found problems (audit --verify, import --check).`

	envNote = `QB_CONFIG and QB_DB set the defaults of --config and --db. QB_WITNESS_DIR sets the
directory of the audit witness files when the config has no [audit].witness (default
$XDG_STATE_HOME/qb/witness, else ~/.local/state/qb/witness).`
)

// helpCmd is `qb help [COMMAND]`: that command's help, or the overview.
func (c *cli) helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		Args:  positional("[COMMAND]"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range cmd.Root().Commands() {
				if sub.IsAvailableCommand() {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target := cmd.Root()
			if len(args) == 1 {
				found, _, err := cmd.Root().Find(args)
				if err != nil || found == cmd.Root() {
					return unknownCommand(cmd.Root(), args[0])
				}
				target = found
			}
			fmt.Fprint(cmd.OutOrStdout(), helpText(target))
			return nil
		},
	}
}

// unknownCommand is the usage error for a word that names no command.
func unknownCommand(root *cobra.Command, word string) error {
	var names []string
	for _, sub := range root.Commands() {
		if !sub.Hidden {
			names = append(names, sub.Name())
		}
	}
	return usageErr{
		msg:     fmt.Sprintf("unknown command %q%s", word, suggest.Hint(word, names)),
		details: map[string]any{"command": word},
	}
}

// synopsis is a command's one-line usage: its Use line, [IDENTITY] for the
// identity flags and every other flag the command takes, as SPEC §5 writes
// them ("[--filter EXPR]..." for a repeatable flag).
func synopsis(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	use := strings.TrimSpace(strings.TrimPrefix(cmd.Use, cmd.Name()))
	if cmd == cmd.Root() {
		use = ""
	}
	if use != "" {
		parts = append(parts, use)
	}
	identity := false
	cmd.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" || cmd.Root().PersistentFlags().Lookup(f.Name) != nil {
			return
		}
		if isIdentityFlag(f) {
			if !identity {
				parts = append(parts, "[IDENTITY]")
				identity = true
			}
			return
		}
		parts = append(parts, flagSynopsis(f))
	})
	return strings.Join(parts, " ")
}

// flagValueName is the name of a flag's value ("" for a switch).
func flagValueName(f *pflag.Flag) string {
	if v := f.Annotations[valueNameAnnotation]; len(v) == 1 {
		return v[0]
	}
	if f.Value.Type() == "bool" {
		return ""
	}
	name, _ := pflag.UnquoteUsage(f)
	return name
}

// flagUsages lists flags one a line: "--limit N", its usage and its
// default, in columns.
func flagUsages(fs *pflag.FlagSet) string {
	var lefts, rights []string
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if name := flagValueName(f); name != "" {
			left += " " + name
		}
		right := f.Usage
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" {
			right += " (default " + d + ")"
		}
		lefts, rights = append(lefts, left), append(rights, right)
		width = max(width, len(left))
	})
	var b strings.Builder
	for i := range lefts {
		fmt.Fprintf(&b, "%-*s   %s\n", width, lefts[i], rights[i])
	}
	return b.String()
}

func isIdentityFlag(f *pflag.Flag) bool {
	g := f.Annotations[flagGroupAnnotation]
	return len(g) == 1 && g[0] == flagGroupIdentity
}

// flagSynopsis is "[--limit N]", "[--dry-run]", "--data JSON" for a
// required flag, "[--filter EXPR]..." for a repeatable one.
func flagSynopsis(f *pflag.Flag) string {
	s := "--" + f.Name
	if name := flagValueName(f); name != "" {
		s += " " + name
	}
	if _, req := f.Annotations[requiredAnnotation]; req {
		return s
	}
	s = "[" + s + "]"
	if strings.HasSuffix(f.Value.Type(), "Array") {
		s += "..."
	}
	return s
}

// helpText is a command's help: what it does, its usage, examples, its
// flags (identity flags apart), the global flags and its notes.
func helpText(cmd *cobra.Command) string {
	cmd.InitDefaultHelpFlag()
	var b strings.Builder
	desc := cmd.Long
	if desc == "" {
		desc = cmd.Short
	}
	b.WriteString(strings.TrimSpace(desc) + "\n\nUsage:\n  " + synopsis(cmd) + "\n")
	if cmd == cmd.Root() {
		b.WriteString("  qb COMMAND [flags]\n")
		for _, g := range cmd.Groups() {
			fmt.Fprintf(&b, "\n%s\n", g.Title)
			for _, sub := range cmd.Commands() {
				if sub.GroupID == g.ID && sub.IsAvailableCommand() {
					fmt.Fprintf(&b, "  %-11s %s\n", sub.Name(), sub.Short)
				}
			}
		}
		b.WriteString("\nOther commands:\n")
		for _, sub := range cmd.Commands() {
			if sub.GroupID == "" && !sub.Hidden {
				fmt.Fprintf(&b, "  %-11s %s\n", sub.Name(), sub.Short)
			}
		}
	}
	if cmd.Example != "" {
		b.WriteString("\nExamples:\n" + indent(strings.Trim(cmd.Example, "\n"), "  ") + "\n")
	}
	own, ids := pflag.NewFlagSet("own", pflag.ContinueOnError), pflag.NewFlagSet("identity", pflag.ContinueOnError)
	own.SortFlags, ids.SortFlags = false, false
	global := pflag.NewFlagSet("global", pflag.ContinueOnError)
	global.SortFlags = false
	cmd.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
		switch {
		case cmd == cmd.Root() && (cmd.PersistentFlags().Lookup(f.Name) != nil || f.Name == "help"):
			global.AddFlag(f)
		case f.Hidden || (f.Name == "help" && cmd != cmd.Root()):
		case isIdentityFlag(f):
			ids.AddFlag(f)
		default:
			own.AddFlag(f)
		}
	})
	if ids.HasFlags() {
		b.WriteString("\nIdentity flags:\n" + flagUsages(ids))
	}
	if own.HasFlags() {
		b.WriteString("\nFlags:\n" + flagUsages(own))
	}
	cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) { global.AddFlag(f) })
	if cmd != cmd.Root() {
		global.AddFlag(cmd.Flags().Lookup("help"))
	}
	if global.HasFlags() {
		b.WriteString("\nGlobal flags:\n" + flagUsages(global))
	}
	for _, note := range notesOf(cmd) {
		b.WriteString("\n" + note + "\n")
	}
	if cmd == cmd.Root() {
		b.WriteString("\nRun 'qb help COMMAND' (or qb COMMAND --help) for a command's flags and examples.\n")
	}
	return b.String()
}

// notesOf lists the notes a command's help ends with, from the
// annotations its declaration sets.
func notesOf(cmd *cobra.Command) []string {
	var out []string
	for _, key := range strings.Fields(cmd.Annotations["notes"]) {
		out = append(out, helpNotes[key])
	}
	return out
}

// helpNotes by the key a command's "notes" annotation lists them with.
var helpNotes = map[string]string{
	"identity": identityNote,
	"expr":     exprNote,
	"json":     jsonNote,
	"exit":     exitNote,
	"env":      envNote,
}

func indent(s, by string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n")
}

// buildVersion is what `qb --version` prints: the module version ("devel"
// for a build from a work tree), the commit and whether the tree had
// uncommitted changes ("unknown" when the build recorded no VCS data, as
// with -buildvcs=false), and the Go version.
func buildVersion() versionResponse {
	return versionFrom(debug.ReadBuildInfo())
}

func versionFrom(info *debug.BuildInfo, ok bool) versionResponse {
	v := versionResponse{Version: "devel", Commit: "unknown", Go: "unknown"}
	if !ok || info == nil {
		return v
	}
	v.Go = info.GoVersion
	if mv := info.Main.Version; mv != "" && mv != "(devel)" {
		v.Version = mv
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v versionResponse) String() string {
	commit := v.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if v.Modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("qb %s (commit %s, %s)\n", v.Version, commit, v.Go)
}
