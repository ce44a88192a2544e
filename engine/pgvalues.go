package engine

import (
	"strings"

	"quickback.dev/qb/schema"
)

// A PostgreSQL database qb did not create keeps booleans, times, JSON and
// enums in PostgreSQL's own types; the connection (internal/dbconn's
// pgvalues.go) reads and writes them in qb's forms, and adoption accepts
// them for the config types they hold.

// nativeType: a column PostgreSQL declares as decl (its
// information_schema data_type) keeps values in a type of its own that qb
// reads in its text forms and that has no collation.
func (postgresDialect) nativeType(decl string) bool {
	switch d := strings.ToUpper(decl); {
	case strings.HasPrefix(d, "TIMESTAMP"), d == "JSON", d == "JSONB", d == "USER-DEFINED":
		return true
	}
	return false
}

// pgNativeCompatible says whether PostgreSQL's own type decl holds config
// column c (native: decl is one of those types; ok: it holds c): boolean
// a boolean, timestamp [with time zone] an ISO-8601 timestamp (a time is
// not epoch integers), json/jsonb JSON, and a user-defined type (CREATE
// TYPE ... AS ENUM, Drizzle's pgEnum) an enum.
func pgNativeCompatible(c *schema.Column, decl string) (ok, native bool) {
	switch d := strings.ToUpper(decl); {
	case d == "BOOLEAN":
		return c.Type == schema.TypeBoolean, true
	case strings.HasPrefix(d, "TIMESTAMP"):
		return c.Type == schema.TypeTimestamp && !c.Format.Epoch(), true
	case d == "JSON", d == "JSONB":
		return c.Type == schema.TypeJSON, true
	case d == "USER-DEFINED":
		return c.Type == schema.TypeEnum, true
	}
	return false, false
}

// mismatchHint: a time column of PostgreSQL's own type declared with an
// epoch format gets the format that reads it.
func (postgresDialect) mismatchHint(c *schema.Column, decl string) string {
	if c.Type == schema.TypeTimestamp && c.Format.Epoch() && strings.HasPrefix(strings.ToUpper(decl), "TIMESTAMP") {
		return ": a time column holds ISO-8601 times, declare format = \"iso_ms\""
	}
	return ""
}

// filterLiteral is a filter's value for column c of this database: on a
// column it keeps as a time (native), the value must be a whole date or
// time, since a prefix such as 2026-01 compares only where times are text.
func (s *store) filterLiteral(c *schema.Column, raw string) (any, error) {
	v, err := filterLiteral(c, raw)
	if err != nil || !s.native[c] || c.Type != schema.TypeTimestamp {
		return v, err
	}
	if _, ok := parseTime(raw); !ok {
		return nil, Errf(ValidationFailed, map[string]any{"column": c.Name, "value": raw},
			"filter on %s: must be an ISO-8601 date or timestamp (2026-01-18, 2026-01-18T11:30:00Z): the database keeps it as a time, so a prefix such as 2026-01 does not compare", c.Name)
	}
	return v, nil
}
