package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"quickback.dev/qb/schema"
)

// Search without a scan. Search and the ~ filter are "contains, ignoring
// case" tests (containsSQL); on their own they read every row of the
// caller's scope. A table's search index lets a list with a selective
// needle read only the rows that can match:
//
//   - On SQLite the index is an FTS5 table with the trigram tokenizer over
//     the table's searchable text columns (sqliteSearchIndexDDL), kept in
//     sync by triggers, its rowids the table's. It is used only when the
//     index table and its three triggers are in the database exactly as qb
//     writes them for the config (searchIndexesIn), whoever created them:
//     qb with a new table, `qb migrate --indexes`, or the SQL `qb check --db`
//     prints, run by hand. (PostgreSQL has no search index yet: search
//     there is lower() LIKE over the scope; a pg_trgm GIN index per column
//     would take the same place.)
//   - The index only narrows: a list that uses it keeps every predicate it
//     had — the firewall, the record condition, and the contains test
//     itself — so its rows are exactly those of the scan
//     (TestSearchIndexSameRows). The index is asked only about columns the search may
//     read: never a column masked for the caller.
//   - The index is asked with phrases of at least three characters that
//     every match must contain, folded to lower case (searchPhrases): the
//     whole needle when it is ASCII; for another needle, its runs of ASCII
//     letters, digits and punctuation, so no case folding of the index can
//     differ from the engine's.
//   - A needle that matches many rows is read faster by the scan (its first
//     page is found early), one that matches few by the index: List asks
//     the index for the rows that can match, up to searchDriveMax of them,
//     and when there are no more, reads those rows by rowid (a JSON array
//     bound to the statement: the index is read once), filters and sorts
//     them; otherwise it scans.

// searchDriveMax is the most rows the index may name for a list to read
// from it (each is then fetched by rowid and sorted); above it the needle
// is common enough that reading the scope in order finds a page sooner.
const searchDriveMax = 4000

// searchIndexName is the index table of t (qb_ names are the console's).
func searchIndexName(t *schema.Table) string { return "qb_fts_" + t.SQLName }

// searchIndexColumns are the columns t's index covers: its search columns
// of text and enum type, in table order.
func searchIndexColumns(t *schema.Table) []*schema.Column {
	var out []*schema.Column
	for _, c := range t.SearchColumns() {
		if c.Type == schema.TypeText || c.Type == schema.TypeEnum {
			out = append(out, c)
		}
	}
	return out
}

func columnSQLNames(cols []*schema.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.SQLName
	}
	return out
}

// sqliteSearchIndexDDL creates t's search index on SQLite (FTS5, trigram,
// contentless: it holds the index only, its rowids the table's rows'),
// the triggers that keep it in sync with every writer of the table, qb or
// not, and fills it from the rows there are. The statements run in one
// transaction. A contentless index forgets a row when told the values it
// indexed ('delete'), which the triggers have; this form runs on SQLite
// 3.34 and later (the trigram tokenizer's first), so the sqlite3 shell can
// run what `qb check --db` prints.
func sqliteSearchIndexDDL(t *schema.Table) []string {
	create := searchIndexCreates(t)
	return append(sqliteDropSearchIndex(t), append(create[:],
		fmt.Sprintf("INSERT INTO %s(rowid, %s) SELECT rowid, %s FROM %s", Q(searchIndexName(t)), searchColumnList(t, ""), searchColumnList(t, ""), Q(t.SQLName)))...)
}

// searchColumnList is the index's columns, quoted, each after prefix
// ("new.", "old." or "").
func searchColumnList(t *schema.Table, prefix string) string {
	cols := searchIndexColumns(t)
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = prefix + Q(c.SQLName)
	}
	return strings.Join(q, ", ")
}

// searchIndexCreates are the CREATE statements of t's index table and its
// insert, delete and update triggers, as qb writes them and SQLite keeps
// them in sqlite_master.
func searchIndexCreates(t *schema.Table) [4]string {
	n := searchIndexName(t)
	fts, tbl := Q(n), Q(t.SQLName)
	list := searchColumnList(t, "")
	ins := fmt.Sprintf("INSERT INTO %s(rowid, %s) VALUES (new.rowid, %s);", fts, list, searchColumnList(t, "new."))
	del := fmt.Sprintf("INSERT INTO %s(%s, rowid, %s) VALUES ('delete', old.rowid, %s);", fts, fts, list, searchColumnList(t, "old."))
	return [4]string{
		fmt.Sprintf("CREATE VIRTUAL TABLE %s USING fts5(%s, content='', tokenize='trigram')", fts, list),
		fmt.Sprintf("CREATE TRIGGER %s AFTER INSERT ON %s BEGIN %s END", Q(n+"_ai"), tbl, ins),
		fmt.Sprintf("CREATE TRIGGER %s AFTER DELETE ON %s BEGIN %s END", Q(n+"_ad"), tbl, del),
		fmt.Sprintf("CREATE TRIGGER %s AFTER UPDATE OF %s ON %s BEGIN %s %s END", Q(n+"_au"), list, tbl, del, ins),
	}
}

// sqliteDropSearchIndex removes t's search index and its triggers.
func sqliteDropSearchIndex(t *schema.Table) []string {
	n := searchIndexName(t)
	return []string{
		"DROP TRIGGER IF EXISTS " + Q(n+"_ai"),
		"DROP TRIGGER IF EXISTS " + Q(n+"_ad"),
		"DROP TRIGGER IF EXISTS " + Q(n+"_au"),
		"DROP TABLE IF EXISTS " + Q(n),
	}
}

// searchSchemaSQL reads, in one value, the CREATE statements of every
// search index table and trigger in the database (searchIndexesIn parses
// it): a subquery of the open-time read.
const searchSchemaSQL = `(SELECT group_concat(sql, char(30)) FROM sqlite_master WHERE name LIKE 'qb\_fts\_%' ESCAPE '\' AND type IN ('table', 'trigger') AND sql NOT LIKE 'CREATE TABLE%')`

// searchIndexesIn are the search indexes of the config's tables that the
// database has exactly as qb writes them (creates: searchSchemaSQL's
// value), by table SQL name: the columns each covers. An index a config
// change left covering other columns, or one whose trigger was dropped or
// changed by hand, is not among them (its rows could differ from the
// table's).
func (s *store) searchIndexesIn(creates string) map[string][]string {
	have := map[string]bool{}
	for _, c := range strings.Split(creates, "\x1e") {
		have[c] = true
	}
	out := map[string][]string{}
	for _, t := range s.cfg.Tables {
		cols := searchIndexColumns(t)
		if len(cols) == 0 {
			continue
		}
		ok := true
		for _, c := range searchIndexCreates(t) {
			ok = ok && have[c]
		}
		if ok {
			out[t.SQLName] = columnSQLNames(cols)
		}
	}
	return out
}

// A searchIndexer keeps the indexes that let search and ~ filters find
// their rows without scanning the table: SQLite's FTS5 tables (ftsIndexer)
// or PostgreSQL's pg_trgm indexes (trgmIndexer, pgsearch.go). The
// dialect chooses it.
type searchIndexer interface {
	// read sets the store's search indexes as the database has them
	// (when it opens).
	read(ctx context.Context, s *store) error
	// newTableDDL are the statements that build the search index of a
	// table qb is creating, with the table (not an internal one).
	newTableDDL(ctx context.Context, s *store, t *schema.Table) []string
	// missing lists the search indexes the database lacks, and why none
	// can be built ("" when they can).
	missing(ctx context.Context, s *store) (sugg []IndexSuggestion, why string, err error)
	// create builds t's search index in tx (replacing one that covers
	// other columns); the store uses it once tx commits (use).
	create(ctx context.Context, s *store, tx queryExecer, t *schema.Table) (use func(), err error)
}

// ftsIndexer is SQLite's searchIndexer: one FTS5 table per table with
// searchable text columns, kept by triggers.
type ftsIndexer struct{}

// read reads the FTS5 tables' DDL from sqlite_master.
func (ftsIndexer) read(ctx context.Context, s *store) error {
	var creates sql.NullString
	if err := s.db.QueryRowContext(ctx, "SELECT "+searchSchemaSQL).Scan(&creates); err != nil {
		return s.wrapErr(err)
	}
	m := s.searchIndexesIn(creates.String)
	s.search.Store(&m)
	return nil
}

// newTableDDL: a new table is empty, so its search index costs nothing to
// build now.
func (ftsIndexer) newTableDDL(_ context.Context, _ *store, t *schema.Table) []string {
	if len(searchIndexColumns(t)) == 0 {
		return nil
	}
	return sqliteSearchIndexDDL(t)
}

// missing: one suggestion per table whose index is missing or covers other
// columns than the config's; FTS5 is built into SQLite, so never a why.
func (ftsIndexer) missing(_ context.Context, s *store) ([]IndexSuggestion, string, error) {
	out := []IndexSuggestion{}
	for _, t := range s.cfg.Tables {
		if t.Internal || len(searchIndexColumns(t)) == 0 || s.searchIndexFor(t) != nil {
			continue
		}
		out = append(out, IndexSuggestion{Table: t.Name, Name: searchIndexName(t), SQL: strings.Join(sqliteSearchIndexDDL(t), ";\n"), Search: true})
	}
	return out, "", nil
}

func (ftsIndexer) create(ctx context.Context, s *store, tx queryExecer, t *schema.Table) (use func(), err error) {
	for _, st := range sqliteSearchIndexDDL(t) {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return nil, fmt.Errorf("%s: %w", firstLine(st), s.wrapErr(err))
		}
	}
	search := map[string][]string{}
	if m := s.search.Load(); m != nil {
		for k, v := range *m {
			search[k] = v
		}
	}
	search[t.SQLName] = columnSQLNames(searchIndexColumns(t))
	return func() { s.search.Store(&search) }, nil
}

// readSearchIndexes sets the store's search indexes from the database.
func (s *store) readSearchIndexes(ctx context.Context) error {
	return s.d.searchIndexer().read(ctx, s)
}

// searchIndexFor is the columns of t's search index when it has one that
// covers exactly the columns the config makes searchable, nil otherwise.
func (s *store) searchIndexFor(t *schema.Table) []string {
	m := s.search.Load()
	if m == nil {
		return nil
	}
	cols, ok := (*m)[t.SQLName]
	if !ok || !slices.Equal(cols, columnSQLNames(searchIndexColumns(t))) {
		return nil
	}
	return cols
}

// searchPhrases are phrases of at least three characters, lower-cased,
// that every value containing needle (as containsSQL tests it) contains
// ignoring ASCII case: the whole needle when it is ASCII (LIKE folds ASCII
// letters only); for a needle with other characters (compared after
// unicode.ToLower), its maximal runs of ASCII characters other than i and
// k — the only ASCII letters another character lowers to (İ, the Kelvin
// sign; TestSearchPhraseLetters) — in its lower-cased form. None when the
// needle gives no such phrase: the list then scans.
func searchPhrases(needle string) []string {
	ascii := true
	for i := 0; i < len(needle); i++ {
		if needle[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		if len(needle) < 3 {
			return nil
		}
		return []string{strings.ToLower(needle)}
	}
	var out []string
	var run []rune
	flush := func() {
		if len(run) >= 3 {
			out = append(out, string(run))
		}
		run = run[:0]
	}
	for _, r := range strings.ToLower(needle) {
		if r < 0x80 && !foldsToASCII[r] && r != unicode.ReplacementChar {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	return out
}

// foldsToASCII are the ASCII letters some other character lowers to
// (unicode.ToLower): İ (U+0130) to i, the Kelvin sign (U+212A) to k.
var foldsToASCII = map[rune]bool{'i': true, 'k': true}

// ftsPhrase quotes a phrase for an FTS5 query.
func ftsPhrase(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ftsTerm is the FTS5 query "every phrase, in one of cols"; without a
// column filter when cols are all the index's columns (all), which FTS5
// answers faster.
func ftsTerm(cols, all []string, phrases []string) string {
	p := make([]string, len(phrases))
	for i, ph := range phrases {
		p[i] = ftsPhrase(ph)
	}
	if slices.Equal(cols, all) {
		return "(" + strings.Join(p, " AND ") + ")"
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = ftsPhrase(c)
	}
	return "{" + strings.Join(q, " ") + "} : (" + strings.Join(p, " AND ") + ")"
}

// searchRowids asks t's search index for the rows match names, and
// returns them as a JSON array (the statement reads it with json_each)
// with their number — up to max+1 of them when max >= 0, all otherwise.
func (e *Engine) searchRowids(ctx context.Context, t *schema.Table, match string, max int) (string, int, error) {
	n := Q(searchIndexName(t))
	q := "SELECT rowid FROM " + n + " WHERE " + n + " MATCH ?"
	if max >= 0 {
		q += " LIMIT " + strconv.Itoa(max+1)
	}
	rows, err := e.query(ctx, q, match)
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	b := make([]byte, 0, 256)
	b = append(b, '[')
	count := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", 0, err
		}
		if count > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
		count++
	}
	b = append(b, ']')
	return string(b), count, rows.Err()
}

// SuggestedSearchIndexes lists the search indexes the database lacks: on
// SQLite one per table with searchable text columns whose index is missing
// or covers other columns than the config's, on PostgreSQL a table's
// missing pg_trgm indexes (CreateIndexes builds or rebuilds them). Its SQL
// is every statement that builds it, one per line. A database error
// reading the catalogue suggests none.
func (e *Engine) SuggestedSearchIndexes() []IndexSuggestion {
	sugg, _, err := e.store.d.searchIndexer().missing(context.Background(), e.store)
	if err != nil {
		return []IndexSuggestion{}
	}
	return sugg
}

// createSearchIndex builds t's search index in tx (replacing one that
// covers other columns); the store uses it once tx commits (use).
func (s *store) createSearchIndex(ctx context.Context, tx queryExecer, t *schema.Table) (use func(), err error) {
	return s.d.searchIndexer().create(ctx, s, tx, t)
}

// withoutSearchIndex is the store's search indexes without t's (the bulk
// loader drops it for a large run: bulkSearchIndex).
func (s *store) withoutSearchIndex(t *schema.Table) {
	search := map[string][]string{}
	if m := s.search.Load(); m != nil {
		for k, v := range *m {
			if k != t.SQLName {
				search[k] = v
			}
		}
	}
	s.search.Store(&search)
}
