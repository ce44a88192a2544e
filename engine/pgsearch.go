package engine

import (
	"context"
	"fmt"
	"strings"

	"quickback.dev/qb/schema"
)

// Search without a scan on PostgreSQL. Search and the ~ filter test
// lower(CAST(col AS TEXT)) LIKE lower(?) there (postgresDialect.contains);
// a GIN index of pg_trgm's gin_trgm_ops over that same expression answers
// such a LIKE from the needle's trigrams, so the planner reads only the
// rows that can match (a bitmap index scan, several ORed for a search over
// several columns) instead of the whole organization. The predicate stays
// as it is — the index only narrows — so results are the scan's. Unlike
// SQLite's FTS5 table the index is the database's own: no triggers, and
// every writer keeps it. pg_trgm is an extension: qb creates it with
// `qb migrate --indexes` (it is "trusted": a user with CREATE on the
// database may), builds the indexes when a table is created if it is
// installed already, and otherwise says that searches scan.

// pgTrgmColumns are the search columns of t a trigram index can serve:
// text (and qb's text enums and ids), whose text form is the value
// itself. A time's or a number's text depends on settings, so no index
// can hold it; a search that includes such a column scans.
func (s *store) pgTrgmColumns(t *schema.Table) []*schema.Column {
	var out []*schema.Column
	for _, c := range t.SearchColumns() {
		switch c.Type {
		case schema.TypeText, schema.TypeID, schema.TypeEnum:
			if !s.native[c] {
				out = append(out, c)
			}
		}
	}
	return out
}

// pgTrgmIndexName is the trigram index of column c of t.
func pgTrgmIndexName(t *schema.Table, c *schema.Column) string {
	return pgIdent("qbx_" + t.SQLName + "_" + c.SQLName + "_trgm")
}

// pgTrgmIndexDDL creates c's trigram index; opclass is gin_trgm_ops,
// qualified with the extension's schema (which need not be on the
// search_path).
func pgTrgmIndexDDL(t *schema.Table, c *schema.Column, opclass string) string {
	return fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s USING gin (lower(CAST(%s AS TEXT)) %s)",
		Q(pgTrgmIndexName(t, c)), Q(t.SQLName), Q(c.SQLName), opclass)
}

// pgTrgm is what the database offers of pg_trgm.
type pgTrgm struct {
	// installed: the extension exists; opclass names its operator class.
	installed bool
	opclass   string
	// creatable: not installed, and this user may create it.
	creatable bool
	// why it cannot be used ("" when it can).
	why string
}

// pgTrgmState reads whether pg_trgm is installed, and if not whether the
// server has it and this user may create it (a superuser, or — the
// extension being trusted — a user with CREATE on the database).
func (s *store) pgTrgmState(ctx context.Context) (pgTrgm, error) {
	var schemaName string
	var available, mayCreate bool
	err := s.db.QueryRowContext(ctx, `SELECT
  COALESCE((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'), ''),
  EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),
  COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), FALSE) OR has_database_privilege(current_database(), 'CREATE')`).Scan(&schemaName, &available, &mayCreate)
	if err != nil {
		return pgTrgm{}, s.wrapErr(err)
	}
	switch {
	case schemaName != "":
		return pgTrgm{installed: true, opclass: Q(schemaName) + ".gin_trgm_ops"}, nil
	case !available:
		return pgTrgm{why: "the server does not have the pg_trgm extension (PostgreSQL's contrib package)"}, nil
	case !mayCreate:
		return pgTrgm{why: "the pg_trgm extension is not installed and this user may not create it (CREATE on the database is needed); ask the database's owner to run CREATE EXTENSION pg_trgm"}, nil
	}
	return pgTrgm{creatable: true, opclass: "gin_trgm_ops"}, nil
}

// trgmIndexer is PostgreSQL's searchIndexer: a pg_trgm index per
// searchable text column, which the database keeps itself.
type trgmIndexer struct{}

// read: the indexes are the planner's to use; the store keeps no list of
// them (contains runs as lower() LIKE whether or not they exist).
func (trgmIndexer) read(context.Context, *store) error { return nil }

// missing lists, per table, the trigram indexes the database lacks: the
// statements that build them (CREATE EXTENSION first when it is not
// installed). With the extension unusable, none, and why.
func (trgmIndexer) missing(ctx context.Context, s *store) ([]IndexSuggestion, string, error) {
	out := []IndexSuggestion{}
	trgm, err := s.pgTrgmState(ctx)
	if err != nil || trgm.why != "" {
		return out, trgm.why, err
	}
	for _, t := range s.cfg.Tables {
		if t.Internal {
			continue
		}
		var stmts []string
		for _, c := range s.pgTrgmColumns(t) {
			if ok, err := s.d.exists(ctx, s.db, pgTrgmIndexName(t, c)); err != nil {
				return nil, "", s.wrapErr(err)
			} else if !ok {
				stmts = append(stmts, pgTrgmIndexDDL(t, c, trgm.opclass))
			}
		}
		if len(stmts) == 0 {
			continue
		}
		if !trgm.installed {
			stmts = append([]string{pgCreateTrgm}, stmts...)
		}
		out = append(out, IndexSuggestion{Table: t.Name, Name: pgIdent("qbx_" + t.SQLName + "_trgm"), SQL: strings.Join(stmts, ";\n"), Search: true})
	}
	return out, "", nil
}

// pgCreateTrgm installs pg_trgm (into the first schema of the search path).
const pgCreateTrgm = "CREATE EXTENSION IF NOT EXISTS pg_trgm"

// create builds t's trigram indexes in tx; a CREATE EXTENSION the server
// refuses is said as what it is. The store keeps no list to update.
func (trgmIndexer) create(ctx context.Context, s *store, tx queryExecer, t *schema.Table) (use func(), err error) {
	trgm, err := s.pgTrgmState(ctx)
	if err != nil {
		return func() {}, err
	}
	if trgm.why != "" {
		return func() {}, fmt.Errorf("search indexes use pg_trgm, and %s; searches still work, by scanning", trgm.why)
	}
	if !trgm.installed {
		if _, err := tx.ExecContext(ctx, pgCreateTrgm); err != nil {
			return func() {}, fmt.Errorf("search indexes use pg_trgm, which the server did not create (%w); ask the database's owner to run CREATE EXTENSION pg_trgm; searches still work, by scanning", s.wrapErr(err))
		}
	}
	for _, c := range s.pgTrgmColumns(t) {
		st := pgTrgmIndexDDL(t, c, trgm.opclass)
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return func() {}, fmt.Errorf("%s: %w", firstLine(st), s.wrapErr(err))
		}
	}
	return func() {}, nil
}

// newTableDDL are the trigram indexes of a table qb creates, when pg_trgm
// is installed (qb never installs an extension unasked: that is `qb
// migrate --indexes`).
func (trgmIndexer) newTableDDL(ctx context.Context, s *store, t *schema.Table) []string {
	if t.Internal {
		return nil
	}
	trgm, err := s.pgTrgmState(ctx)
	if err != nil || !trgm.installed {
		return nil
	}
	var out []string
	for _, c := range s.pgTrgmColumns(t) {
		out = append(out, pgTrgmIndexDDL(t, c, trgm.opclass))
	}
	return out
}
