package tui

import (
	"strings"
)

// KeyTable is the console's browse-mode key map as a Markdown table, group
// by group, every key with what it does (README's key table is generated
// from it, so the two never differ).
func KeyTable() string {
	var b strings.Builder
	b.WriteString("| key | does |\n|---|---|\n")
	for _, g := range DefaultKeyMap().FullHelp() {
		b.WriteString("| **" + g.Title + "** | |\n")
		for _, k := range g.Bindings {
			does := k.Long
			if k.Writes {
				does += " — not in `--read-only`"
			}
			b.WriteString("| `" + k.Help().Key + "` | " + strings.ReplaceAll(does, "|", `\|`) + " |\n")
		}
	}
	return b.String()
}
