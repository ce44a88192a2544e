package engine

import "quickback.dev/qb/schema"

// ActionInfo describes one action of a table for a caller and a record:
// whether it is available and, if not, why.
type ActionInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Available   bool   `json:"available"`
	// Code is the refusal an attempt would get now ("" when available).
	Code Code `json:"code,omitempty"`
	// Reason is a sentence naming the rule that decides.
	Reason string `json:"reason"`
	Rule   string `json:"rule,omitempty"`
	// Field, Current and Allowed describe the transition from the record's
	// current state (empty without a transition).
	Field   string   `json:"field,omitempty"`
	Current string   `json:"current,omitempty"`
	Allowed []string `json:"allowed,omitempty"`
	// Inputs is the action's input schema, in declaration order.
	Inputs []*schema.Input `json:"-"`
}

// ActionResult is the outcome of an action: the updated record (record
// actions) or the inserted rows (standalone actions), masked for the caller.
type ActionResult struct {
	Action   string   `json:"action"`
	Row      *Row     `json:"row,omitempty"`
	Inserted []Row    `json:"inserted,omitempty"`
	Changes  []Change `json:"changes,omitempty"`
	// Withheld lists the rows the action changed or inserted that the
	// caller may not get (SPEC §3.4): the record first, if it is one of
	// them, then inserted rows in order. They appear in neither Row,
	// Inserted nor Changes.
	Withheld []WithheldRow `json:"withheld,omitempty"`
	DryRun   bool          `json:"dryRun,omitempty"`
	// LastChange is when the record last changed before the action (see
	// Row.LastChange), for a later run's IfUnmodifiedSince; "" for a
	// standalone action and when the caller may not get the record.
	LastChange string `json:"-"`
}
