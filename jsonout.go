package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// The typed shapes of every --json output (SPEC §5). Each has a golden test
// (jsonout_test.go); a change of shape is a change of a golden file.

// errorResponse is every failure under --json: a refusal (exit 2), a usage
// or config error (exit 1).
type errorResponse struct {
	Error *engine.Error `json:"error"`
}

// listResponse is `list`: a page of rows and the cursor of the next one
// (null at the end; with --all always null).
type listResponse struct {
	Rows []engine.Row `json:"rows"`
	Next *string      `json:"next"`
}

// rowResponse is `get`, and `create`, `update` and `upsert` with the fields
// that changed; upsert says which path it took. For a written row the
// identity may not get, Row holds only its id and Withheld names the
// changed fields, never a value (SPEC §3.4).
type rowResponse struct {
	Row      any                 `json:"row"`
	Withheld *engine.WithheldRow `json:"withheld,omitempty"`
	Path     string              `json:"path,omitempty"`
	Changes  []engine.Change     `json:"changes,omitempty"`
	DryRun   bool                `json:"dryRun,omitempty"`
}

// deleteResponse is `delete`.
type deleteResponse struct {
	Deleted string          `json:"deleted"`
	Changes []engine.Change `json:"changes,omitempty"`
	DryRun  bool            `json:"dryRun,omitempty"`
}

// runResponse is `run`: the record after a record action (a standalone
// action's result is the rows it inserted), the rows inserted, the changes.
// Rows the identity may not get — the record (then Result holds only its
// id), rows inserted into an internal table — are in Withheld: table, id and
// field names (SPEC §3.4).
type runResponse struct {
	Result   any                  `json:"result"`
	Inserted []engine.Row         `json:"inserted,omitempty"`
	Changes  []engine.Change      `json:"changes"`
	Withheld []engine.WithheldRow `json:"withheld,omitempty"`
	DryRun   bool                 `json:"dryRun,omitempty"`
}

// insertedResult is the result of a standalone action.
type insertedResult struct {
	Inserted []engine.Row `json:"inserted"`
}

// checkResponse is a valid config's `check`, with its warnings.
type checkResponse struct {
	Config   string    `json:"config"`
	OK       bool      `json:"ok"`
	Tables   int       `json:"tables"`
	Warnings []problem `json:"warnings,omitempty"`
	// Database is the check of --db, when one was given.
	Database *engine.DatabaseCheck `json:"database,omitempty"`
}

// migrateResponse is `migrate`: whether qb adopted the database, what it
// created as asked, and the indexes it still suggests.
type migrateResponse struct {
	Database         string                   `json:"database"`
	Adopted          bool                     `json:"adopted"`
	CreatedTables    []string                 `json:"createdTables"`
	CreatedIndexes   []engine.IndexSuggestion `json:"createdIndexes"`
	SuggestedIndexes []engine.IndexSuggestion `json:"suggestedIndexes"`
}

// seedResponse is `seed`: per table, the rows inserted, updated, found
// unchanged and (with --reset) removed.
type seedResponse struct {
	Database string       `json:"database"`
	Fixtures string       `json:"fixtures"`
	Reset    bool         `json:"reset"`
	Tables   []seed.Count `json:"tables"`
}

// usersResponse is `users`: every membership (a user without one appears
// once with empty organization and role).
type usersResponse struct {
	Users []engine.Member `json:"users"`
}

// auditResponse is `audit`: the entries that match, oldest first.
type auditResponse struct {
	Entries []engine.AuditEntry `json:"entries"`
}

// generateResponse is `generate`.
type generateResponse struct {
	Generated generated `json:"generated"`
}

type generated struct {
	Table            string  `json:"table"`
	Rows             int     `json:"rows"`
	Seed             int64   `json:"seed"`
	Organizations    int     `json:"organizations"`
	NewOrganizations int     `json:"newOrganizations"`
	NewUsers         int     `json:"newUsers"`
	Seconds          float64 `json:"seconds"`
	RowsPerSecond    float64 `json:"rowsPerSecond"`
}

// versionResponse is `--version`.
type versionResponse struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// problem is one problem of an invalid config, or one warning.
type problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

func problemList(ps schema.Problems) []problem {
	out := make([]problem, len(ps))
	for i, p := range ps {
		out[i] = problem{File: p.File, Line: p.Line, Path: p.Path, Message: p.Message, Warning: p.Warning}
	}
	return out
}

// fixturesError is the problems of fixtures that do not read or seed (the
// config's problems are a bare *schema.Problems).
type fixturesError struct{ problems schema.Problems }

func (e fixturesError) Error() string { return e.problems.Error() }

// configError is a failure as the error object of the JSON output: an
// invalid config's problems one by one (file, line, key path, message);
// fixtures that do not load, one bad row a line; anything else (a database
// fault) as its message.
func configError(err error) *engine.Error {
	e := &engine.Error{Code: codeConfig, Status: 400, Message: err.Error()}
	var fe fixturesError
	var ps *schema.Problems
	var le *engine.LayoutError
	switch {
	case errors.As(err, &le) && le.Adopted:
		e.Message = fmt.Sprintf("database %s was not created by qb and does not match the config (%d mismatches)", le.Path, len(le.Mismatches))
		e.Details = map[string]any{"mismatches": le.Mismatches}
	case errors.As(err, &fe):
		e.Message = "fixtures do not load"
		lines := make([]string, len(fe.problems))
		for i, p := range fe.problems {
			lines[i] = p.String()
		}
		e.Details = map[string]any{"problems": lines}
	case errors.As(err, &ps) && len(*ps) > 0 && !slices.ContainsFunc(*ps, func(p schema.Problem) bool { return !p.Warning }):
		e.Message = fmt.Sprintf("config %s has %d warnings (check --strict)", (*ps)[0].File, len(*ps))
		e.Details = map[string]any{"problems": problemList(*ps)}
	case errors.As(err, &ps):
		e.Message = "invalid config"
		if len(*ps) > 0 {
			e.Message += " " + (*ps)[0].File
		}
		e.Details = map[string]any{"problems": problemList(*ps)}
	}
	return e
}

// writeJSON prints v as indented JSON on stdout with termsafe's encoder,
// the one encoder of machine-readable output (controls escaped).
func (c *cli) writeJSON(v any) {
	var b bytes.Buffer
	if err := termsafe.EncodeJSON(&b, v); err != nil {
		// Every response type encodes; a failure here is a bug worth
		// seeing rather than an empty output.
		panic(err)
	}
	c.out.Write(b.Bytes())
	c.wrote = true
}

// encodeLine writes v as one line of JSON (ndjson), escaped as
// termsafe.EncodeJSON escapes.
func encodeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(termsafe.EscapeJSON(b), '\n'))
	return err
}

// rowStream writes `{"rows": [...], "next": null}` one row at a time, so
// `list --all --json` holds one page in memory, never the whole table.
type rowStream struct {
	w *bufio.Writer
	n int
}

func (c *cli) newRowStream() *rowStream {
	c.wrote = true
	return newRowStream(c.out)
}

func newRowStream(w io.Writer) *rowStream {
	s := &rowStream{w: bufio.NewWriter(w)}
	s.w.WriteString("{\n  \"rows\": [")
	return s
}

func (s *rowStream) add(r engine.Row) error {
	var b bytes.Buffer
	if err := termsafe.EncodeJSON(&b, r); err != nil {
		return err
	}
	if s.n > 0 {
		s.w.WriteString(",")
	}
	s.n++
	s.w.WriteString("\n    ")
	s.w.WriteString(strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n    "))
	return nil
}

func (s *rowStream) close() error {
	if s.n > 0 {
		s.w.WriteString("\n  ")
	}
	s.w.WriteString("],\n  \"next\": null\n}\n")
	return s.w.Flush()
}

// importItem is one line of the import report (also what qb-import
// --json gives qb).
type importItem struct {
	Status  string `json:"status"`
	Where   string `json:"where,omitempty"`
	Subject string `json:"subject"`
	Note    string `json:"note"`
}

// importResponse is `import` under --json.
type importResponse struct {
	Output       string       `json:"output,omitempty"`
	TOML         string       `json:"toml,omitempty"`
	Tables       int          `json:"tables"`
	Imported     int          `json:"imported"`
	Approximated int          `json:"approximated"`
	Skipped      int          `json:"skipped"`
	Report       []importItem `json:"report"`
}

// importCheckResponse is `import --check` under --json.
type importCheckResponse struct {
	Current string                `json:"current"`
	Other   string                `json:"other"`
	Changes []access.PolicyChange `json:"changes"`
	Report  []importItem          `json:"report"`
}
