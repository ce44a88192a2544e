package main

import (
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// listOptions are the flags of `qb list`.
type listOptions struct {
	id      identity
	filters []string
	sorts   []string
	search  string
	limit   int
	cursor  string
	all     bool
	output  string
}

func (c *cli) listCmd() *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list TABLE",
		Short: "List the rows of TABLE an identity sees, masking included",
		Long: `List the rows of TABLE that the identity sees, a page at a time, with the values it would
get (masked values as the mask shows them). The table goes to stdout; the row count, the
masked columns and the command for the next page go to stderr, so a pipe gets only data.`,
		Example: `qb list jobs --as u-ivan
qb list applications --as u-dana --filter stage=screening --sort -createdAt
qb list candidates --role recruiter --org acme --search jane --json
qb list applications --as u-dana --all --output csv > applications.csv`,
		Annotations:       map[string]string{"notes": "identity expr"},
		Args:              positional("TABLE"),
		ValidArgsFunction: c.completeArgs(c.completeTables),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			return c.list(args[0], o)
		}),
	}
	c.identityFlags(cmd, &o.id)
	f := cmd.Flags()
	f.StringArrayVar(&o.filters, "filter", nil, "keep rows matching `EXPR` (repeat to AND them)")
	f.StringArrayVar(&o.sorts, "sort", nil, "sort by `COL` (-COL descending; repeat for tiebreakers)")
	f.StringVar(&o.search, "search", "", "rows containing `TEXT` in a searchable column (any case)")
	f.Var(newCount(&o.limit, engine.DefaultLimit, 1), "limit", fmt.Sprintf("`N` rows per page (at most %d)", engine.MaxLimit))
	f.StringVar(&o.cursor, "cursor", "", "start at the page of cursor `C` (printed after a page)")
	f.BoolVar(&o.all, "all", false, "follow the cursors to the last page")
	f.Var(newChoice(&o.output, "text", "text", "csv", "ndjson"), "output", "`FORMAT`: text, csv or ndjson (--json for JSON)")
	c.completeFlag(cmd, "filter", c.completeFilter)
	c.completeFlag(cmd, "sort", c.completeSort)
	c.completeFlag(cmd, "output", fixedCompletions("text", "csv", "ndjson"))
	c.completeFlag(cmd, "search", cobra.NoFileCompletions)
	c.completeFlag(cmd, "cursor", cobra.NoFileCompletions)
	c.completeFlag(cmd, "limit", cobra.NoFileCompletions)
	return cmd
}

func (c *cli) list(table string, o listOptions) error {
	if c.json && o.output != "text" {
		return usagef("--json and --output %s: choose one", o.output)
	}
	if o.limit > engine.MaxLimit {
		return usagef("--limit %d: at most %d rows per page", o.limit, engine.MaxLimit)
	}
	if err := c.open(false); err != nil {
		return err
	}
	id, err := c.identity(o.id)
	if err != nil {
		return err
	}
	q := engine.ListQuery{Search: o.search, Cursor: o.cursor, Limit: o.limit}
	for _, f := range o.filters {
		pf, err := engine.ParseFilter(f)
		if err != nil {
			return err
		}
		q.Filters = append(q.Filters, pf)
	}
	for _, s := range o.sorts {
		q.Sort = append(q.Sort, schema.ParseSortKey(s))
	}
	var sink listSink
	total := 0
	masked := map[string]bool{}
	var t *schema.Table
	for {
		page, err := c.eng.List(c.ctx, id, table, q)
		if err != nil {
			if sink != nil {
				sink.close()
			}
			return err
		}
		if sink == nil {
			t = page.Table
			sink = c.newListSink(t, o)
		}
		if !o.all && c.json {
			c.writeJSON(listResponse{Rows: nonNilRows(page.Rows), Next: nextCursor(page.Next)})
			return nil
		}
		if err := sink.page(page.Rows); err != nil {
			return err
		}
		total += len(page.Rows)
		for _, name := range maskedColumns(t, page.Rows) {
			masked[name] = true
		}
		if !o.all || page.Next == "" {
			q.Cursor = page.Next
			break
		}
		q.Cursor = page.Next
	}
	if err := sink.close(); err != nil {
		return err
	}
	if c.json {
		return nil
	}
	noun := "rows"
	if total == 1 {
		noun = "row"
	}
	fmt.Fprintf(c.errw, "(%d %s)\n", total, noun)
	var names []string
	for _, col := range t.Columns {
		if masked[col.Name] {
			names = append(names, col.Name)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(c.errw, "masked for this identity: %s\n", strings.Join(names, ", "))
	}
	if q.Cursor != "" {
		fmt.Fprintf(c.errw, "next page: %s\n", c.repeatWith("--cursor", q.Cursor))
	}
	return nil
}

func nonNilRows(rows []engine.Row) []engine.Row {
	if rows == nil {
		return []engine.Row{}
	}
	return rows
}

func nextCursor(next string) *string {
	if next == "" {
		return nil
	}
	return &next
}

// listSink writes the pages of a list in one output format.
type listSink interface {
	page(rows []engine.Row) error
	close() error
}

func (c *cli) newListSink(t *schema.Table, o listOptions) listSink {
	header := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		header[i] = col.Name
	}
	switch {
	case c.json:
		return jsonSink{c.newRowStream()}
	case o.output == "csv":
		w := csv.NewWriter(c.out)
		w.Write(csvRecord(header))
		return csvSink{w}
	case o.output == "ndjson":
		return ndjsonSink{c}
	}
	return textSink{newTableStream(c.out, header)}
}

type textSink struct{ s *tableStream }

func (s textSink) page(rows []engine.Row) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = rowCells(r)
	}
	if len(cells) > 0 || s.s.header != nil {
		s.s.page(cells)
	}
	return nil
}
func (s textSink) close() error { return nil }

type csvSink struct{ w *csv.Writer }

func (s csvSink) page(rows []engine.Row) error {
	for _, r := range rows {
		if err := s.w.Write(csvRecord(rowCells(r))); err != nil {
			return err
		}
	}
	s.w.Flush()
	return s.w.Error()
}
func (s csvSink) close() error { s.w.Flush(); return s.w.Error() }

type ndjsonSink struct{ c *cli }

func (s ndjsonSink) page(rows []engine.Row) error {
	for _, r := range rows {
		if err := encodeLine(s.c.out, r); err != nil {
			return err
		}
	}
	return nil
}
func (s ndjsonSink) close() error { return nil }

type jsonSink struct{ s *rowStream }

func (s jsonSink) page(rows []engine.Row) error {
	for _, r := range rows {
		if err := s.s.add(r); err != nil {
			return err
		}
	}
	return nil
}
func (s jsonSink) close() error { return s.s.close() }

func (c *cli) getCmd() *cobra.Command {
	var id identity
	cmd := &cobra.Command{
		Use:   "get TABLE ID",
		Short: "Show one record as an identity sees it",
		Long: `Show one record of TABLE as the identity sees it: every field, masked ones marked. A row
outside the identity's firewall is refused as if it did not exist.`,
		Example: `qb get candidates c-jane --as u-ivan     # an interviewer: email and phone masked
qb get candidates c-jane --as u-dana --json`,
		Annotations:       map[string]string{"notes": "identity"},
		Args:              positional("TABLE", "ID"),
		ValidArgsFunction: c.completeArgs(c.completeTables),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			if err := c.open(false); err != nil {
				return err
			}
			who, err := c.identity(id)
			if err != nil {
				return err
			}
			row, err := c.eng.Get(c.ctx, who, args[0], args[1])
			if err != nil {
				return err
			}
			if c.json {
				c.writeJSON(rowResponse{Row: row})
				return nil
			}
			printRecord(c.out, *row)
			return nil
		}),
	}
	c.identityFlags(cmd, &id)
	return cmd
}

// explainOptions are the flags of `qb explain`.
type explainOptions struct {
	id      identity
	funnel  bool
	filters []string
	search  string
}

func (c *cli) explainCmd() *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain TABLE [ID]",
		Short: "Explain why: per operation and per field, the rule that decides",
		Long: `Explain what the identity may do on TABLE (or on the record ID) and why: the firewall, each
operation's decision with the rule that made it, and each field's visibility and whether the
identity may set it on create and update.

--funnel explains a list instead (why is it empty?): the rows left after each stage of the
list's query — all rows, in the identity's organization, not soft-deleted, within the owner
scope, passing the list's record condition, matching --filter and --search — each counted in
SQL over the firewall's indexes. Counting a table of more than a million rows takes a while:
qb says so first (ctrl+c stops it).`,
		Example: `qb explain candidates c-jane --as u-ivan
qb explain applications --role recruiter --org acme --json
qb explain interview_notes --funnel --as u-ben
qb explain applications --funnel --as u-dana --filter stage=hired --filter notes~visa`,
		Annotations:       map[string]string{"notes": "identity expr"},
		Args:              positional("TABLE", "[ID]"),
		ValidArgsFunction: c.completeArgs(c.completeTables),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			if o.funnel {
				if len(args) == 2 {
					return usagef("--funnel explains a list, not a record: give no ID")
				}
				return c.funnel(args[0], o)
			}
			if len(o.filters) > 0 || o.search != "" {
				return usagef("--filter and --search go with --funnel")
			}
			if err := c.open(false); err != nil {
				return err
			}
			who, err := c.identity(o.id)
			if err != nil {
				return err
			}
			rowID := ""
			if len(args) == 2 {
				rowID = args[1]
			}
			ex, err := c.eng.Explain(c.ctx, who, args[0], rowID)
			if err != nil {
				return err
			}
			if c.json {
				c.writeJSON(ex)
				return nil
			}
			printExplanation(c.out, ex)
			return nil
		}),
	}
	c.identityFlags(cmd, &o.id)
	f := cmd.Flags()
	f.BoolVar(&o.funnel, "funnel", false, "count the rows of a list after each stage of its query: why is it empty?")
	f.StringArrayVar(&o.filters, "filter", nil, "with --funnel: the list's filter `EXPR` (repeat to AND them)")
	f.StringVar(&o.search, "search", "", "with --funnel: the list's search `TEXT`")
	c.completeFlag(cmd, "filter", c.completeFilter)
	c.completeFlag(cmd, "search", cobra.NoFileCompletions)
	return cmd
}

// funnel is `qb explain TABLE --funnel`.
func (c *cli) funnel(table string, o explainOptions) error {
	if err := c.open(false); err != nil {
		return err
	}
	who, err := c.identity(o.id)
	if err != nil {
		return err
	}
	q := engine.ListQuery{Search: o.search}
	for _, f := range o.filters {
		pf, err := engine.ParseFilter(f)
		if err != nil {
			return err
		}
		q.Filters = append(q.Filters, pf)
	}
	if n, err := c.eng.RowEstimate(c.ctx, table); err == nil && n > engine.LargeTable && !c.json {
		fmt.Fprintf(c.errw, "qb: %s holds about %s rows: each stage is counted over an index of them, which takes a while (ctrl+c stops)\n", termsafe.Sanitize(table), groupDigits(n))
	}
	f, err := c.eng.Funnel(c.ctx, who, table, q)
	if err != nil {
		return err
	}
	if c.json {
		c.writeJSON(f)
		return nil
	}
	printFunnel(c.out, f)
	return nil
}

// repeatWith is the command line that was run, with flag set to value in
// place of any value it had: what to type for the next page.
func (c *cli) repeatWith(flag, value string) string {
	words := []string{"qb"}
	for i := 0; i < len(c.argv); i++ {
		a := c.argv[i]
		if a == flag {
			i++
			continue
		}
		if strings.HasPrefix(a, flag+"=") {
			continue
		}
		words = append(words, shellQuote(a))
	}
	return strings.Join(append(words, flag, shellQuote(value)), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:@+%^") == "" {
		return termsafe.Sanitize(s)
	}
	return termsafe.Sanitize("'" + strings.ReplaceAll(s, "'", `'\''`) + "'")
}
