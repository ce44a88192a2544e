package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// reference is README's command reference, generated from the same
// declarations as the parser, `qb help` and completion: every command's
// synopsis and what it does, the global flags, and the notes.
func reference(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("```text\n")
	for _, cmd := range everyDeclared(root) {
		fmt.Fprintf(&b, "%s\n    %s\n", synopsis(cmd), cmd.Short)
	}
	root.InitDefaultHelpFlag()
	var global []string
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		s := "--" + f.Name
		if name := flagValueName(f); name != "" {
			s += " " + name
		}
		global = append(global, s)
	})
	fmt.Fprintf(&b, "\nGlobal flags (every command): %s, -h/--help.\n", strings.Join(global, ", "))
	for _, note := range []string{identityNote, exprNote, jsonNote, exitNote, envNote} {
		b.WriteString("\n" + note + "\n")
	}
	b.WriteString("```\n\n`qb help COMMAND` (or `qb COMMAND --help`) prints a command's flags, with what each does, and examples.\n")
	return b.String()
}

// everyDeclared is the root and every command a user can name, in the
// order of `qb help`.
func everyDeclared(root *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{root}
	for _, cmd := range root.Commands() {
		if !cmd.Hidden {
			out = append(out, cmd)
		}
	}
	return out
}
