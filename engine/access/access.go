// Package access is the vocabulary of what a role may do under a config:
// the effects and visibilities of decisions, the static access matrix (every
// role × operation, field and action of every table) and its sectioned form
// that the command line and the console both show, and the differences
// between two configs' policies. It is data only: the engine decides
// (engine.BuildMatrix, Engine.Diff, Engine.Explain); main and tui print it.
package access

import "strings"

// Effect is the outcome of an access decision.
type Effect string

// The effects of a decision.
const (
	Allowed     Effect = "allowed"
	Denied      Effect = "denied"
	Conditional Effect = "conditional" // allowed on own or matching rows only
)

// Visibility is how a field's value reaches a caller.
type Visibility string

// The visibilities of a field.
const (
	VisibilityRaw               Visibility = "raw"
	VisibilityMasked            Visibility = "masked"
	VisibilityMaskedUnlessOwner Visibility = "masked-unless-owner" // raw on the rows the caller owns
)

// Decision is the outcome of one access question for one role.
type Decision struct {
	Decision Effect `json:"decision"`
	// OwnRowsOnly: the owner firewall limits the role to rows it owns.
	OwnRowsOnly bool `json:"ownRowsOnly,omitempty"`
	// Condition is the record condition a row must meet, written out ("" for
	// none).
	Condition string `json:"condition,omitempty"`
	// Reason is a sentence; Rule the config path that decided.
	Reason string `json:"reason"`
	Rule   string `json:"rule,omitempty"`
}

// Summary is the short form of a decision for a table cell: "allowed",
// "denied", "own rows", "if CONDITION", "own rows, if CONDITION".
func (d Decision) Summary() string {
	return d.summary(func(cond string) string { return cond })
}

// summary is Summary with the record condition written by cond.
func (d Decision) summary(cond func(string) string) string {
	if d.Decision != Conditional {
		return string(d.Decision)
	}
	var parts []string
	if d.OwnRowsOnly {
		parts = append(parts, "own rows")
	}
	if d.Condition != "" {
		parts = append(parts, "if "+cond(d.Condition))
	}
	return strings.Join(parts, ", ")
}

// UserRoleCase is a decision that differs from the cell's for callers of one
// platform tier.
type UserRoleCase struct {
	UserRole string `json:"userRole"`
	Decision
}
