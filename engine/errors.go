package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	suggestpkg "quickback.dev/qb/internal/suggest"
)

// Code is an error code of the SPEC's catalogue (§6).
type Code string

// The error catalogue.
const (
	AccessRoleRequired       Code = "ACCESS_ROLE_REQUIRED"
	AccessConditionFailed    Code = "ACCESS_CONDITION_FAILED"
	FirewallNotFound         Code = "FIREWALL_NOT_FOUND"
	NotFound                 Code = "NOT_FOUND"
	OrgRequired              Code = "ORG_REQUIRED"
	GuardSystemManaged       Code = "GUARD_SYSTEM_MANAGED"
	GuardFieldImmutable      Code = "GUARD_FIELD_IMMUTABLE"
	GuardFieldProtected      Code = "GUARD_FIELD_PROTECTED"
	GuardFieldNotCreateable  Code = "GUARD_FIELD_NOT_CREATEABLE"
	GuardFieldNotUpdatable   Code = "GUARD_FIELD_NOT_UPDATABLE"
	ValidationFailed         Code = "VALIDATION_FAILED"
	QueryColumnMasked        Code = "QUERY_COLUMN_MASKED"
	FKNotFound               Code = "FK_NOT_FOUND"
	UniqueViolation          Code = "UNIQUE_VIOLATION"
	ActionNotAllowedForState Code = "ACCESS_ACTION_NOT_ALLOWED_FOR_STATE"
	TransitionLost           Code = "ACCESS_TRANSITION_LOST"
	InternalTable            Code = "INTERNAL_TABLE"
	RowChanged               Code = "ROW_CHANGED"
)

var statusOf = map[Code]int{
	AccessRoleRequired:       403,
	AccessConditionFailed:    403,
	FirewallNotFound:         403,
	NotFound:                 404,
	OrgRequired:              400,
	GuardSystemManaged:       400,
	GuardFieldImmutable:      400,
	GuardFieldProtected:      400,
	GuardFieldNotCreateable:  400,
	GuardFieldNotUpdatable:   400,
	ValidationFailed:         400,
	QueryColumnMasked:        400,
	FKNotFound:               400,
	UniqueViolation:          409,
	ActionNotAllowedForState: 409,
	TransitionLost:           409,
	InternalTable:            404,
	RowChanged:               409,
}

// Codes lists the catalogue's codes in the SPEC's order.
func Codes() []Code {
	return []Code{AccessRoleRequired, AccessConditionFailed, FirewallNotFound, NotFound, OrgRequired,
		GuardSystemManaged, GuardFieldImmutable, GuardFieldProtected, GuardFieldNotCreateable, GuardFieldNotUpdatable,
		ValidationFailed, QueryColumnMasked, FKNotFound, UniqueViolation, ActionNotAllowedForState, TransitionLost, InternalTable, RowChanged}
}

// Status is the HTTP-style status of a code.
func (c Code) Status() int { return statusOf[c] }

// Error is a refusal by the engine: a code of the catalogue, its status, a
// message safe to show the caller, and structured details.
type Error struct {
	Code    Code           `json:"code"`
	Status  int            `json:"status"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errf builds an Error with the code's status.
func Errf(code Code, details map[string]any, format string, args ...any) *Error {
	return &Error{Code: code, Status: code.Status(), Message: fmt.Sprintf(format, args...), Details: details}
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// FormatError renders an error the same way for the console and the command
// line: "CODE (status): message" followed by one line per detail.
func FormatError(err error) string {
	e, ok := AsError(err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d): %s", e.Code, e.Status, e.Message)
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if probs, ok := e.Details[k].([]FieldProblem); ok {
			for _, p := range probs {
				fmt.Fprintf(&b, "\n  field %s: %s", p.Field, p.Category)
				if p.Message != "" {
					fmt.Fprintf(&b, " — %s", p.Message)
				}
				if p.DidYouMean != "" {
					fmt.Fprintf(&b, "; did you mean %q?", p.DidYouMean)
				}
			}
			continue
		}
		if k == didYouMeanKey {
			continue
		}
		fmt.Fprintf(&b, "\n  %s: %s", k, detailText(e.Details[k]))
	}
	if s := e.Suggestion(); s != "" {
		fmt.Fprintf(&b, "\n  did you mean %q?", s)
	}
	return b.String()
}

// didYouMeanKey is the details key of the correction an error suggests for a
// misspelt name: a table, column, action or enum value.
const didYouMeanKey = "didYouMean"

// Suggestion is the correction the error suggests ("" when none).
func (e *Error) Suggestion() string {
	s, _ := e.Details[didYouMeanKey].(string)
	return s
}

// closest is the candidate word is probably a misspelling of, or "".
func closest(word string, candidates []string) string { return suggestpkg.Closest(word, candidates) }

// suggest adds to details the candidate nearest to word, when one is near
// enough to be what was meant.
func suggest(details map[string]any, word string, candidates []string) map[string]any {
	if s := closest(word, candidates); s != "" {
		if details == nil {
			details = map[string]any{}
		}
		details[didYouMeanKey] = s
	}
	return details
}

// detailText renders a detail value: strings as they are, anything else as
// JSON so lists and objects read the same in the console and the CLI.
func detailText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
