package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// auditFollowEvery is how often the audit view polls for new entries.
const auditFollowEvery = time.Second

// auditViewLimit is how many of the latest entries (of those the filters
// select) the audit view reads.
const auditViewLimit = 500

// auditCellWidth caps a column of the audit view (enter shows an entry
// whole).
const auditCellWidth = 30

// auditMsg answers a read of the audit log. gen ties it to the audit view
// that asked: an answer for a closed or reopened view is dropped.
type auditMsg struct {
	gen     uint64
	entries []engine.AuditEntry
	verify  engine.VerifyResult
	err     error
}

// auditTick asks the open audit view to poll again.
type auditTick struct{ gen uint64 }

// auditFilter is what the audit view selects: by the engine (user, table,
// outcome) and, among the entries read, by a search of their cells.
type auditFilter struct {
	user, table, outcome string
	search               string
}

// auditRow is one line of the audit view: one entry, or a run of the
// console's own reads (an identity switch and the reads that follow it,
// or consecutive reads of one identity) shown as one line.
type auditRow struct {
	entries []engine.AuditEntry
	cells   []string
}

// auditColumns are the view's columns; the first (seq) stays put while the
// others scroll (← →). The outcome comes right after the time: at 120
// columns the outcome (ok or the refusal's code) is never off screen.
var auditColumns = []string{"seq", "at", "outcome", "user", "org", "role", "operation", "table", "record", "reason", "fields", "os user"}

// auditLog is the audit view: the latest entries with the chain's status,
// following new ones (by this process or any other) while it is open. The
// operator moves a cursor over the entries, opens one (enter), filters by
// the selected entry's user, table or outcome (u t o; again: off), searches
// (/), and scrolls the columns (← →). Its title, chain status, filters and
// column header stay put; the entries scroll.
type auditLog struct {
	c *Common
	s *session
	// gen ties the log's reads to this opening of the view: answers for
	// a closed or reopened view are dropped.
	gen     uint64
	loaded  bool
	entries []engine.AuditEntry
	verify  engine.VerifyResult
	filter  auditFilter
	rows    []auditRow
	cur     int
	off     int
	left    int // first scrolled column (index into auditColumns, >= 1)
	// searching: keys go to the search line.
	searching bool
	input     textinput.Model
	w, h      int
}

func newAuditLog(c *Common, s *session) *auditLog {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "search the entries shown"
	return &auditLog{c: c, s: s, gen: s.tag().ID, left: 1, input: in}
}

// open reads the log (again, when the view comes back from an entry: the
// previous polling loop's answers are then stale).
func (a *auditLog) open() tea.Cmd {
	a.gen = a.s.tag().ID
	return a.read()
}

func (a *auditLog) read() tea.Cmd {
	eng, gen, f := a.s.eng, a.gen, a.filter
	return func() tea.Msg {
		ctx := context.Background()
		entries, err := eng.AuditEntries(ctx, engine.AuditFilter{UserID: f.user, Table: f.table, Outcome: f.outcome, Limit: auditViewLimit})
		if err != nil {
			return auditMsg{gen: gen, err: err}
		}
		v, err := eng.VerifyAudit(ctx, "")
		return auditMsg{gen: gen, entries: entries, verify: v, err: err}
	}
}

// SetSize sets the view's box.
func (a *auditLog) SetSize(w, h int) {
	a.w, a.h = w, h
	a.input.Width = max(10, w-4)
	a.keepVisible()
}

// fixed is the number of lines above the entries: title, chain status,
// filters (or the search line), column header.
func (a *auditLog) fixed() int { return 4 }

func (a *auditLog) visible() int { return max(1, a.h-a.fixed()) }

func (a *auditLog) keepVisible() {
	a.cur = clamp(a.cur, 0, len(a.rows)-1)
	if a.cur < a.off {
		a.off = a.cur
	}
	if a.cur >= a.off+a.visible() {
		a.off = a.cur - a.visible() + 1
	}
	a.off = clamp(a.off, 0, max(0, len(a.rows)-a.visible()))
}

func (a *auditLog) atEnd() bool { return len(a.rows) == 0 || a.cur >= len(a.rows)-1 }

// setEntries lays out entries as rows (grouped, searched), keeping the
// cursor on the same entry, or at the end when it was there.
func (a *auditLog) setEntries(entries []engine.AuditEntry) {
	var seq int64 = -1
	if a.cur < len(a.rows) && len(a.rows) > 0 {
		seq = a.rows[a.cur].entries[0].Seq
	}
	follow := !a.loaded || a.atEnd()
	a.entries, a.loaded = entries, true
	a.rows = searchRows(groupAudit(entries), a.filter.search)
	a.cur = len(a.rows) - 1
	if !follow {
		for i, r := range a.rows {
			if r.entries[0].Seq <= seq {
				a.cur = i
			}
		}
	}
	a.keepVisible()
}

// Update takes the log's reads and polls again; keys move, filter, search,
// scroll, open an entry or close the view.
func (a *auditLog) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case auditTick:
		if msg.gen != a.gen {
			return nil
		}
		return a.read()
	case auditMsg:
		if msg.gen != a.gen {
			return nil
		}
		if msg.err != nil {
			a.c.post(errorMsg{msg.err})
			return nil
		}
		a.verify = msg.verify
		a.setEntries(msg.entries)
		gen := msg.gen
		return tea.Tick(auditFollowEvery, func(time.Time) tea.Msg { return auditTick{gen: gen} })
	case tea.KeyMsg:
		if a.searching {
			return a.searchKey(msg)
		}
		return a.key(msg)
	}
	if a.searching {
		var cmd tea.Cmd
		a.input, cmd = a.input.Update(msg)
		return cmd
	}
	return nil
}

// The audit view's own keys: filters by the selected entry.
var (
	auditByUser    = long(bind([]string{"u"}, "u", "by user"), "only the selected entry's user (again: everyone)")
	auditByTable   = long(bind([]string{"t"}, "t", "by table"), "only the selected entry's table (again: every table)")
	auditByOutcome = long(bind([]string{"o"}, "o", "by outcome"), "only the selected entry's outcome (again: any)")
)

func (a *auditLog) key(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case k.Back.Matches(msg), k.Quit.Matches(msg), k.Audit.Matches(msg):
		a.c.post(closeMsg{})
	case k.Up.Matches(msg):
		a.move(-1)
	case k.Down.Matches(msg):
		a.move(1)
	case k.PageUp.Matches(msg):
		a.move(-a.visible())
	case k.PageDown.Matches(msg):
		a.move(a.visible())
	case k.Top.Matches(msg):
		a.move(-len(a.rows))
	case k.Bottom.Matches(msg):
		a.move(len(a.rows))
	case k.Left.Matches(msg):
		a.left = max(1, a.left-1)
	case k.Right.Matches(msg):
		a.left = min(len(auditColumns)-1, a.left+1)
	case k.Select.Matches(msg):
		if a.cur < len(a.rows) {
			a.c.post(openMsg{mode: modeAudit, comp: newAuditEntryView(a.c, a, a.rows[a.cur])})
		}
	case k.Search.Matches(msg):
		a.searching = true
		a.input.SetValue(a.filter.search)
		a.input.CursorEnd()
		return a.input.Focus()
	case k.ClearQuery.Matches(msg):
		a.filter = auditFilter{}
		return a.refilter()
	case auditByUser.Matches(msg), auditByTable.Matches(msg), auditByOutcome.Matches(msg):
		if a.cur >= len(a.rows) {
			return nil
		}
		e := a.rows[a.cur].entries[0]
		toggle := func(cur *string, v string) {
			if *cur == v || v == "" {
				*cur = ""
			} else {
				*cur = v
			}
		}
		switch {
		case auditByUser.Matches(msg):
			toggle(&a.filter.user, e.UserID)
		case auditByTable.Matches(msg):
			toggle(&a.filter.table, e.Table)
		default:
			toggle(&a.filter.outcome, e.Outcome)
		}
		return a.refilter()
	}
	return nil
}

// refilter reads the log again with the filters, from the end; the rows
// of the previous filters are not shown meanwhile.
func (a *auditLog) refilter() tea.Cmd {
	a.gen = a.s.tag().ID
	a.loaded, a.rows, a.entries = false, nil, nil
	return a.read()
}

// searchKey types the search; the rows follow as it is typed (the entries
// are already read). enter keeps it, esc drops it.
func (a *auditLog) searchKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		a.searching = false
		a.input.Blur()
		return nil
	case tea.KeyEsc:
		a.searching = false
		a.input.Blur()
		a.filter.search = ""
		a.loaded = false
		a.setEntries(a.entries)
		return nil
	}
	var cmd tea.Cmd
	a.input, cmd = a.input.Update(msg)
	if s := strings.TrimSpace(a.input.Value()); s != a.filter.search {
		a.filter.search = s
		a.loaded = false
		a.setEntries(a.entries)
	}
	return cmd
}

func (a *auditLog) move(d int) {
	a.cur = clamp(a.cur+d, 0, len(a.rows)-1)
	a.keepVisible()
}

// View renders the fixed lines over the entries.
func (a *auditLog) View() string {
	st := a.c.Styles
	if !a.loaded && len(a.rows) == 0 {
		return box(st.PanelTitle.Render("Audit log")+"\n"+st.Reason.Render("reading the audit log…")+"\n"+a.filterLine(), a.w, a.h)
	}
	v := a.verify
	witnessed := "no witness file"
	if v.Witness.Found {
		witnessed = fmt.Sprintf("%d witnessed heads checked", v.Witness.Heads)
	}
	chain := st.Reason.Render(termsafe.Sanitize(fmt.Sprintf("chain verified: %d entries, %s, head %d:%s", v.Entries, witnessed, v.HeadSeq, shortHash(v.Head))))
	if !v.OK {
		chain = st.StatusError.Render(termsafe.Sanitize(fmt.Sprintf("CHAIN BROKEN at entry %d: %s", v.BrokenSeq, v.Problem)))
	}
	lines := []string{st.PanelTitle.Render("Audit log") + st.Reason.Render("  (following new entries; enter opens one; esc to close)"), chain, a.filterLine()}
	widths := auditWidths(a.rows)
	cols := a.shownColumns(widths)
	lines = append(lines, st.Header.Render(auditLine(auditColumns, widths, cols, "  ")))
	end := min(len(a.rows), a.off+a.visible())
	for i := a.off; i < end; i++ {
		mark := "  "
		line := auditLine(a.rows[i].cells, widths, cols, "")
		if i == a.cur {
			lines = append(lines, st.Selected.Render(CursorMark+" "+line))
			continue
		}
		lines = append(lines, mark+line)
	}
	if len(a.rows) == 0 {
		lines = append(lines, st.Reason.Render("  no entry matches"))
	}
	return box(strings.Join(lines, "\n"), a.w, a.h)
}

// filterLine says what is selected, or is the search line while typing.
func (a *auditLog) filterLine() string {
	st := a.c.Styles
	if a.searching {
		return a.input.View()
	}
	f := a.filter
	var parts []string
	for _, p := range [][2]string{{"user", f.user}, {"table", f.table}, {"outcome", f.outcome}, {"search", f.search}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+termsafe.Sanitize(p[1]))
		}
	}
	shown := fmt.Sprintf("%d of the latest %d entries read", len(a.rows), len(a.entries))
	if len(parts) == 0 {
		return st.Reason.Render("every entry · " + shown + " · u t o filter by the selected entry's user, table, outcome · / search")
	}
	return st.Diff.Render("only "+strings.Join(parts, " · ")) + st.Reason.Render(" · "+shown+" · F clears")
}

// shownColumns are the columns in view: seq, then from left on as many as
// fit.
func (a *auditLog) shownColumns(widths []int) []int {
	cols := []int{0}
	room := a.w - 2 - widths[0]
	for j := a.left; j < len(auditColumns); j++ {
		if room < 2+min(widths[j], 4) {
			break
		}
		cols = append(cols, j)
		room -= 2 + widths[j]
	}
	return cols
}

// auditLine lays out cells in the shown columns (the last may be cut by
// the box).
func auditLine(cells []string, widths, cols []int, lead string) string {
	var b strings.Builder
	b.WriteString(lead)
	for i, j := range cols {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(termsafe.Pad(termsafe.Truncate(termsafe.Sanitize(cells[j]), widths[j]), widths[j]))
	}
	return strings.TrimRight(b.String(), " ")
}

func auditWidths(rows []auditRow) []int {
	widths := make([]int, len(auditColumns))
	for j, c := range auditColumns {
		widths[j] = termsafe.Width(c)
	}
	for _, r := range rows {
		for j, c := range r.cells {
			widths[j] = max(widths[j], min(termsafe.Width(termsafe.Sanitize(c)), auditCellWidth))
		}
	}
	return widths
}

// ShortHelp is the audit view's footer.
func (a *auditLog) ShortHelp() []Binding {
	k := a.c.Keys
	if a.searching {
		return []Binding{bind(nil, "type", "search"), bind(nil, "enter", "keep"), bind(nil, "esc", "drop")}
	}
	return []Binding{k.Up, k.Down, k.Select.as("open"), auditByUser, auditByTable, auditByOutcome, k.Search, k.Left, k.Right, k.Back}
}

// FullHelp lists the audit view's keys.
func (a *auditLog) FullHelp() []HelpGroup {
	k := a.c.Keys
	return []HelpGroup{
		{"Move", []Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Left, k.Right}},
		{"Select", []Binding{k.Select.as("open the entry"), auditByUser, auditByTable, auditByOutcome, k.Search, k.ClearQuery}},
		{"Close", []Binding{k.Back, k.Quit, k.Audit}},
	}
}

// consoleRead reports whether an entry is one of the reads the console
// makes on its own (the access of every table at an identity switch, the
// grid's pages, the labels of references), which the view groups.
func consoleRead(e engine.AuditEntry) bool {
	if e.Outcome != "ok" || e.RecordID != "" {
		return false
	}
	switch e.Operation {
	case "explain", "list", "labels", "actions", "funnel":
		return true
	}
	return false
}

// sameActor reports whether two entries were made by the same operator as
// the same identity for the same reason.
func sameActor(a, b engine.AuditEntry) bool {
	return a.OSUser == b.OSUser && a.UserID == b.UserID && a.OrgID == b.OrgID && a.Role == b.Role &&
		a.RealRole == b.RealRole && a.Reason == b.Reason
}

// groupAudit lays entries out as rows: an identity switch (or the
// session's start) and the console's own reads that follow it as the same
// actor are one row, as is a run of such reads; everything else — writes,
// refusals, gets of a record — is a row of its own.
func groupAudit(entries []engine.AuditEntry) []auditRow {
	var rows []auditRow
	for _, e := range entries {
		if n := len(rows); n > 0 && consoleRead(e) {
			last := rows[n-1].entries
			head := last[0]
			opens := head.Operation == engine.IdentitySwitch || head.Operation == engine.SessionStart
			if sameActor(head, e) && (opens || consoleRead(head)) && (len(last) == 1 || consoleRead(last[len(last)-1])) {
				rows[n-1].entries = append(last, e)
				continue
			}
		}
		rows = append(rows, auditRow{entries: []engine.AuditEntry{e}})
	}
	for i := range rows {
		rows[i].cells = auditCells(rows[i].entries)
	}
	return rows
}

// auditCells are a row's cells: one entry's, or a group's, kept short (its
// seq range, "identity.switch +8", "list ×3" or "reads ×5", its table or
// how many); enter lists the group's entries whole.
func auditCells(es []engine.AuditEntry) []string {
	e := es[0]
	role := e.Role
	if e.RealRole != "" {
		role += " (really " + e.RealRole + ")"
	}
	cells := []string{fmt.Sprint(e.Seq), viewTime(e.At), e.Outcome, e.UserID, e.OrgID, role, e.Operation, e.Table, e.RecordID, e.Reason, strings.Join(e.Fields, ","), e.OSUser}
	if len(es) == 1 {
		return cells
	}
	last := es[len(es)-1]
	cells[0] = fmt.Sprintf("%d–%d", e.Seq, last.Seq)
	var ops, tables []string
	reads := es
	if e.Operation == engine.IdentitySwitch || e.Operation == engine.SessionStart {
		reads = es[1:]
	}
	for _, x := range reads {
		if !slices.Contains(ops, x.Operation) {
			ops = append(ops, x.Operation)
		}
		if x.Table != "" && !slices.Contains(tables, x.Table) {
			tables = append(tables, x.Table)
		}
	}
	switch {
	case len(reads) < len(es):
		cells[6] = fmt.Sprintf("%s +%d", e.Operation, len(reads))
	case len(ops) == 1:
		cells[6] = fmt.Sprintf("%s ×%d", ops[0], len(reads))
	default:
		cells[6] = fmt.Sprintf("reads ×%d", len(reads))
	}
	switch len(tables) {
	case 0:
		cells[7] = ""
	case 1:
		cells[7] = tables[0]
	default:
		cells[7] = fmt.Sprintf("%d tables", len(tables))
	}
	return cells
}

// searchRows keeps the rows any of whose entries' cells contain text (any
// case).
func searchRows(rows []auditRow, text string) []auditRow {
	if text == "" {
		return rows
	}
	needle := strings.ToLower(text)
	var out []auditRow
	for _, r := range rows {
		for _, e := range r.entries {
			if strings.Contains(strings.ToLower(strings.Join(auditCells([]engine.AuditEntry{e}), "\x00")), needle) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// viewTime is a stored time to the second ("2026-03-02 09:00:00"): the
// view is a glance, `qb audit` has the milliseconds.
func viewTime(at string) string {
	if len(at) >= 19 && at[10] == 'T' {
		return at[:10] + " " + at[11:19]
	}
	return at
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// auditEntryView is one row of the audit view opened (enter): every field
// of its entry, or of each entry of a group, whole. esc goes back to the
// log, which goes on following meanwhile.
type auditEntryView struct {
	*pager
	log *auditLog
	row auditRow
}

func newAuditEntryView(c *Common, log *auditLog, row auditRow) *auditEntryView {
	v := &auditEntryView{log: log, row: row}
	v.pager = newPager(c, v.linesAt)
	return v
}

func (v *auditEntryView) linesAt(width int) []string {
	st := v.c.Styles
	title := fmt.Sprintf("Audit entry %d", v.row.entries[0].Seq)
	if n := len(v.row.entries); n > 1 {
		title = fmt.Sprintf("Audit entries %s (%d, grouped: the console's own reads)", v.row.cells[0], n)
	}
	out := []string{st.PanelTitle.Render(termsafe.Sanitize(title)) + st.Reason.Render("  (esc back to the log)")}
	for _, e := range v.row.entries {
		out = append(out, "")
		fields := [][2]string{
			{"seq", fmt.Sprint(e.Seq)}, {"at", e.At}, {"outcome", e.Outcome}, {"operation", e.Operation},
			{"table", e.Table}, {"record", e.RecordID}, {"fields", strings.Join(e.Fields, ", ")},
			{"user", e.UserID}, {"org", e.OrgID}, {"role", e.Role}, {"real role", e.RealRole}, {"reason", e.Reason},
			{"os user", e.OSUser}, {"hash", e.Hash}, {"previous hash", e.PrevHash},
		}
		for _, f := range fields {
			if f[1] == "" {
				continue
			}
			label := st.Label.Render(termsafe.Pad(f[0], 14))
			for i, l := range wrapText(termsafe.Sanitize(f[1]), max(8, width-18)) {
				if i > 0 {
					label = strings.Repeat(" ", 14)
				}
				out = append(out, "  "+label+"  "+l)
			}
		}
	}
	return out
}

// Update scrolls; esc (or enter) goes back to the log. The log's reads
// and polls go on reaching it.
func (v *auditEntryView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case auditMsg, auditTick:
		return v.log.Update(msg)
	case tea.KeyMsg:
		k := v.c.Keys
		if k.Back.Matches(msg) || k.Select.Matches(msg) {
			v.c.post(openMsg{mode: modeAudit, comp: v.log})
			return nil
		}
		if k.Quit.Matches(msg) {
			v.c.post(closeMsg{})
			return nil
		}
	}
	return v.pager.Update(msg)
}

// ShortHelp is the entry view's footer.
func (v *auditEntryView) ShortHelp() []Binding {
	k := v.c.Keys
	return []Binding{k.Up, k.Down, k.Back.as("back to the log")}
}
