package tui

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/termsafe"
)

// newModel builds a model and runs its start-up synchronously.
func newModel(t *testing.T, e *engine.Engine, opts Options) *Model {
	t.Helper()
	if opts.Clipboard == nil {
		opts.Clipboard = &syncBuffer{}
	}
	if opts.ExportDir == "" {
		opts.ExportDir = t.TempDir()
	}
	m := New(e, opts)
	drive(m, m.Init())
	return m
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		drive(m, cmd)
	}
}

// A list issued for one identity and answered after a switch is dropped:
// the old identity's rows never appear, not even for a frame.
func TestStaleResultDropped(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	dana := identity(t, e, "u-dana", "")
	ivan := identity(t, e, "u-ivan", "")
	m := New(e, Options{Identity: dana, Table: "candidates", Clipboard: &syncBuffer{}})
	// Start as the hiring manager, but keep the answers in flight.
	inflight := collect(m.Init())
	var danaPage *pageMsg
	var rest []tea.Msg
	for _, msg := range inflight {
		if p, ok := msg.(pageMsg); ok && p.tag.Identity == *dana {
			danaPage = &p
			continue
		}
		rest = append(rest, msg)
	}
	if danaPage == nil || danaPage.err != nil || !hasValue(danaPage.res.Rows, "jane@example.com") {
		t.Fatalf("the hiring manager's first page should hold raw emails: %+v", danaPage)
	}
	// Switch to the interviewer before the hiring manager's page arrives.
	next := collect(m.switchIdentity(*ivan))
	// The hiring manager's answers arrive late.
	m.Update(*danaPage)
	for _, msg := range rest {
		m.Update(msg)
	}
	v := plain(m)
	if strings.Contains(v, "jane@example.com") || strings.Contains(v, "555-123-4567") {
		t.Fatalf("a stale result of the previous identity is shown:\n%s", v)
	}
	if !strings.Contains(v, "role interviewer") {
		t.Fatalf("the header does not show the new identity at once:\n%s", v)
	}
	// The interviewer's own answers are shown, masked.
	for _, msg := range next {
		_, cmd := m.Update(msg)
		drive(m, cmd)
	}
	v = plain(m)
	if !strings.Contains(v, "◆j***@e******.com") || strings.Contains(v, "jane@example.com") {
		t.Fatalf("the interviewer's rows are not shown masked:\n%s", v)
	}
	// A stale detail request is dropped as well.
	m2 := newModel(t, e, Options{Identity: dana, Table: "candidates"})
	press(m2, "/")
	for _, r := range "Jane" {
		m2.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	press(m2, "enter")
	_, cmd := m2.Update(keyMsg("enter")) // detail, in flight
	detail := collect(cmd)
	drive(m2, m2.switchIdentity(*ivan))
	for _, msg := range detail {
		m2.Update(msg)
	}
	if m2.mode != modeBrowse || strings.Contains(plain(m2), "jane@example.com") {
		t.Fatalf("a stale detail answer was shown:\n%s", plain(m2))
	}
}

func hasValue(rows []engine.Row, v string) bool {
	for _, r := range rows {
		for _, x := range r.Values {
			if x == v {
				return true
			}
		}
	}
	return false
}

// --read-only: write keys are absent from help and the footer and do
// nothing; the actions key stays and shows availability, running nothing.
func TestReadOnly(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications", ReadOnly: true})
	v := plain(m)
	if !strings.Contains(v, "READ-ONLY") {
		t.Error("the header does not say READ-ONLY")
	}
	hints := strings.Split(v, "\n")[m.c.Height-1]
	for _, w := range []string{"edit", "new", "delete"} {
		if strings.Contains(hints, w) {
			t.Errorf("footer offers %q in read-only mode: %s", w, hints)
		}
	}
	if !strings.Contains(hints, "a actions") {
		t.Errorf("footer hides the actions (availability) in read-only mode: %s", hints)
	}
	press(m, "?")
	help := plain(m)
	if m.mode != modeHelp {
		t.Fatal("? does not open help")
	}
	for _, w := range []string{"edit the row", "create a row", "delete the row"} {
		if strings.Contains(help, w) {
			t.Errorf("help offers %q in read-only mode", w)
		}
	}
	if !strings.Contains(help, "copy the cell") || !strings.Contains(help, "act as a member, any user of a role") {
		t.Error("help lost the keys that do not write")
	}
	golden.RequireEqual(t, []byte(help))
	press(m, "esc")
	before := plain(m)
	for _, k := range []string{"e", "n", "d"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd != nil || m.mode != modeBrowse {
			t.Errorf("%s did something in read-only mode (mode %s)", k, m.mode)
		}
	}
	if plain(m) != before {
		t.Error("write keys changed the screen in read-only mode")
	}
	before = enginetest.Dump(t, enginetest.DB(t, e), "qb_audit")
	press(m, "a")
	if v := plain(m); m.mode != modeActions || !strings.Contains(v, "advanceStage") || !strings.Contains(v, "✓ available") || !strings.Contains(v, "read-only: availability only") {
		t.Fatalf("a in read-only mode does not show availability (mode %s):\n%s", m.mode, v)
	}
	press(m, "enter")
	if m.mode != modeActions || !strings.Contains(plain(m), "read-only session: advanceStage is not run") {
		t.Errorf("enter on an action in read-only mode: mode %s\n%s", m.mode, plain(m))
	}
	if after := enginetest.Dump(t, enginetest.DB(t, e), "qb_audit"); after != before {
		t.Error("an action ran in read-only mode")
	}
	press(m, "esc")
	// The same keys work when not read-only.
	m2 := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	press(m2, "?")
	if !strings.Contains(plain(m2), "edit the row") {
		t.Error("help lacks edit outside read-only mode")
	}
	press(m2, "esc", "a")
	if m2.mode != modeActions {
		t.Errorf("a does not open the actions (mode %s)", m2.mode)
	}
}

// Hostile data: c-mallory's name carries OSC 52 and clear-screen bytes; they
// never reach the screen raw, in any view.
func TestHostileDataInert(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	clip := &syncBuffer{}
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates", Clipboard: clip})
	check := func(where string) {
		t.Helper()
		v := m.View()
		if strings.ContainsRune(v, 0x1b) || strings.ContainsRune(v, 0x07) {
			t.Fatalf("%s: raw escape bytes in the view: %q", where, v)
		}
	}
	v := plain(m)
	if !strings.Contains(v, "Mallory ␛]52;c;SGVsbG8=␇␛[2") {
		t.Fatalf("the hostile name is not shown as visible symbols:\n%s", v)
	}
	check("grid")
	press(m, "/")
	for _, r := range "Mallory" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	press(m, "enter")
	if !strings.Contains(plain(m), "row 1 of 1") {
		t.Fatalf("search for Mallory:\n%s", plain(m))
	}
	press(m, "enter")
	if m.mode != modeDetail {
		t.Fatal("no detail")
	}
	check("detail")
	press(m, "esc", "c")
	check("compare")
	press(m, "esc", "e")
	if m.mode != modeForm {
		t.Fatalf("no edit form: %s", m.status)
	}
	check("edit form")
	press(m, "esc", "y")
	// The clipboard gets the value as shown: sanitized, inert.
	payload := osc52Payload(t, clip.String())
	if strings.ContainsRune(payload, 0x1b) || !strings.HasPrefix(payload, "Mallory ␛]52") {
		t.Fatalf("copied cell: %q", payload)
	}
	check("status")
}

func osc52Payload(t *testing.T, s string) string {
	t.Helper()
	i := strings.LastIndex(s, "\x1b]52;c;")
	if i < 0 {
		t.Fatalf("no OSC 52 sequence written: %q", s)
	}
	rest := s[i+len("\x1b]52;c;"):]
	end := strings.IndexAny(rest, "\x07\x1b")
	if end < 0 {
		t.Fatalf("unterminated OSC 52: %q", s)
	}
	b, err := base64.StdEncoding.DecodeString(rest[:end])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Copies and exports carry the values as shown: masked for an interviewer.
func TestCopyAndExportMasked(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	clip := &syncBuffer{}
	dir := t.TempDir()
	m := newModel(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates", Clipboard: clip, ExportDir: dir})
	press(m, "/")
	for _, r := range "Jane" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	press(m, "enter")
	press(m, "right", "right") // id, email
	press(m, "y")
	if got := osc52Payload(t, clip.String()); got != "j***@e******.com" {
		t.Errorf("copied cell = %q, want the masked email", got)
	}
	if !strings.Contains(plain(m), "copied email of c-jane (masked)") {
		t.Errorf("status after copy: %q", m.status)
	}
	press(m, "Y")
	var row map[string]any
	if err := json.Unmarshal([]byte(osc52Payload(t, clip.String())), &row); err != nil {
		t.Fatal(err)
	}
	if row["email"] != "j***@e******.com" || row["phone"] != "***-***-4567" || row["name"] != "Jane Doe" {
		t.Errorf("copied row: %v", row)
	}

	press(m, "F", "x")
	if !strings.Contains(m.status, "exported 14 rows") || !strings.Contains(m.status, "candidates-u-ivan-interviewer.csv") {
		t.Fatalf("status after export: %q", m.status)
	}
	f, err := os.Open(filepath.Join(dir, "candidates-u-ivan-interviewer.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 15 || recs[0][3] != "email" {
		t.Fatalf("csv: %d records, header %v", len(recs), recs[0])
	}
	all := ""
	for _, r := range recs {
		all += strings.Join(r, ",") + "\n"
	}
	if strings.Contains(all, "jane@example.com") || !strings.Contains(all, "j***@e******.com") {
		t.Error("the CSV export is not masked")
	}
	if strings.ContainsRune(all, 0x1b) {
		t.Error("the CSV export holds raw escape bytes")
	}
	press(m, "X")
	b, err := os.ReadFile(filepath.Join(dir, "candidates-u-ivan-interviewer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 14 {
		t.Fatalf("json export: %d rows, %v", len(rows), err)
	}
	if strings.Contains(string(b), "jane@example.com") {
		t.Error("the JSON export is not masked")
	}
	// A second export does not overwrite the first.
	press(m, "x")
	if !strings.Contains(m.status, "candidates-u-ivan-interviewer-2.csv") {
		t.Errorf("second export: %q", m.status)
	}
}

// Paging: a large table is read page by page by cursor, only pages near
// the viewport are kept, and the total arrives lazily.
func TestPagingLargeTable(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	ctx := context.Background()
	if _, err := fixtures.Generate(ctx, e, "candidates", fixtures.GenerateOptions{Rows: 2500, Orgs: 1, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	id := memberOf(t, e, "gen-org-001", "hiring-manager")
	m := New(e, Options{Identity: &id, Table: "candidates", Clipboard: &syncBuffer{}})
	msgs := collect(m.Init())
	pages := 0
	for _, msg := range msgs {
		if _, ok := msg.(pageMsg); ok {
			pages++
		}
	}
	if pages != 1 {
		t.Fatalf("start-up fetched %d pages, want 1 (no eager loading)", pages)
	}
	for _, msg := range msgs {
		if c, ok := msg.(countMsg); ok {
			t.Fatalf("a count ran before the first page: %+v", c)
		}
	}
	// Deliver the first page; the lazy count follows.
	var later []tea.Msg
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		later = append(later, collect(cmd)...)
	}
	if !strings.Contains(plain(m), "row 1 of ?") {
		t.Errorf("before the count: %s", m.grid.position())
	}
	for _, msg := range later {
		_, cmd := m.Update(msg)
		drive(m, cmd)
	}
	if got := m.grid.position(); got != "row 1 of 2,500" {
		t.Errorf("after the count: %q", got)
	}
	for i := 0; i < 60; i++ {
		press(m, "pgdown")
	}
	if len(m.grid.res.pages) > 2*keepPages+2 {
		t.Errorf("%d pages kept in memory", len(m.grid.res.pages))
	}
	vis := m.grid.visible()
	if want := min(60*vis, 2499); m.grid.res.pos != want {
		t.Errorf("position after 60 pages down: %d, want %d", m.grid.res.pos, want)
	}
	if _, ok := m.grid.selected(); !ok {
		t.Error("the selected row is not loaded")
	}
	for i := 0; i < 10 && !m.grid.res.end; i++ {
		press(m, "G")
	}
	press(m, "G")
	if m.grid.res.pos != 2499 || !m.grid.res.end {
		t.Errorf("G: pos %d end %v", m.grid.res.pos, m.grid.res.end)
	}
	press(m, "g")
	r, ok := m.grid.selected()
	if !ok || m.grid.res.pos != 0 {
		t.Fatal("g does not return to the first row")
	}
	// Keeping the position across an identity switch walks the cursors.
	press(m, "pgdown", "pgdown", "pgdown", "pgdown", "pgdown")
	pos := m.grid.res.pos
	other := memberOf(t, e, "gen-org-001", "interviewer")
	drive(m, m.switchIdentity(other))
	if m.grid.res.pos != pos {
		t.Errorf("position after switching identity: %d, want %d", m.grid.res.pos, pos)
	}
	if _, ok := m.grid.selected(); !ok {
		t.Error("the row at the kept position is not loaded after the switch")
	}
	_ = r
}

// memberOf is a member of org with role.
func memberOf(t testing.TB, e *engine.Engine, org, role string) engine.Identity {
	t.Helper()
	ms, err := e.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, mb := range ms {
		if mb.OrgID == org && mb.Role == role {
			return mb.Identity()
		}
	}
	t.Fatalf("no %s in %s", role, org)
	return engine.Identity{}
}

// Without --as the console starts as the first organization's highest
// role and says so.
func TestDefaultIdentity(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{})
	if m.s.id.UserID != "u-ben" || m.s.id.Role != "owner" || m.s.id.OrgID != "acme" {
		t.Fatalf("default identity: %+v", m.s.id)
	}
	v := plain(m)
	if !strings.Contains(v, "acting as Benjamin Adler (u-ben)") || !strings.Contains(v, "press i to switch") {
		t.Errorf("the default identity is not shown clearly:\n%s", v)
	}
	if !strings.Contains(v, "IMPERSONATING") {
		t.Error("the start identity, a real user, is not marked as impersonated")
	}
	syn := newModel(t, e, Options{Identity: func() *engine.Identity { id := engine.SyntheticIdentity("acme", "recruiter"); return &id }()})
	if v := plain(syn); !strings.Contains(v, "SYNTHETIC") || strings.Contains(v, "IMPERSONATING") {
		t.Errorf("a synthetic identity is not marked as such:\n%s", v)
	}
}

// A table the identity cannot list is dimmed with the reason; an internal
// table is marked.
func TestSidebarAccess(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "ats_imports"})
	v := plain(m)
	if !strings.Contains(v, "› ⊘ ATS imports") || !strings.Contains(v, "◇ Interview scores") {
		t.Errorf("sidebar marks:\n%s", v)
	}
	if !strings.Contains(v, "requires role in") || !strings.Contains(v, "hiring-manager]") {
		t.Errorf("no reason for the selected table:\n%s", v)
	}
	if !strings.Contains(v, "ACCESS_ROLE_REQUIRED") {
		t.Errorf("the grid does not show the refusal:\n%s", v)
	}
}

// Wide characters, emoji and control pictures keep the columns aligned,
// and horizontal scrolling keeps the display column pinned.
func TestGridAlignmentAndPinning(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	sepCol := func(v string) map[int]bool {
		cols := map[int]bool{}
		for n, l := range strings.Split(v, "\n") {
			if i := strings.Index(l, "│"); i >= 0 && n >= 6 {
				cols[termsafe.Width(l[:i])] = true
			}
		}
		return cols
	}
	v := plain(m)
	if !strings.Contains(v, "ليلى 👩‍💻 Haddad") || !strings.Contains(v, "Mallory ␛]52") {
		t.Fatalf("the unusual names are not shown:\n%s", v)
	}
	if cols := sepCol(v); len(cols) != 1 {
		t.Errorf("the pinned column's separator is not aligned: %v\n%s", cols, v)
	}
	for i := 0; i < 12; i++ {
		press(m, "right")
	}
	v = plain(m)
	header := strings.Split(v, "\n")[4]
	if !strings.Contains(header, "  name ") || !strings.Contains(header, "deletedBy") || strings.Contains(header, " email ") {
		t.Errorf("after scrolling right, the header is %q", header)
	}
	if !strings.Contains(v, "Jane Doe") {
		t.Error("the pinned display column scrolled away")
	}
	if cols := sepCol(v); len(cols) != 1 {
		t.Errorf("misaligned after scrolling: %v", cols)
	}
	press(m, "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left")
	if h := strings.Split(plain(m), "\n")[4]; !strings.Contains(h, " email ") {
		t.Errorf("scrolling back left: %q", h)
	}
}

// A query that becomes refused after an identity switch (a filter on a
// column the new identity sees masked) is explained, and F clears it.
func TestQueryRefusedAfterSwitch(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	spec := m.grid.res.spec
	spec.filters = []engine.Filter{{Column: "email", Op: "~", Value: "example.com"}}
	drive(m, m.grid.setQuery(spec))
	if !strings.Contains(plain(m), "filter email~example.com") || m.grid.err != nil {
		t.Fatalf("the hiring manager's filter on email:\n%s", plain(m))
	}
	drive(m, m.switchIdentity(*identity(t, e, "u-ivan", "")))
	v := plain(m)
	if !strings.Contains(v, "QUERY_COLUMN_MASKED") || !strings.Contains(v, "F clears search, filters and sort") {
		t.Fatalf("the refused query is not explained:\n%s", v)
	}
	if strings.Contains(v, "@example.com") {
		t.Fatalf("rows shown under a refused query:\n%s", v)
	}
	press(m, "F")
	if v := plain(m); !strings.Contains(v, "row 1 of 14") || !strings.Contains(v, "◆j***@e******.com") {
		t.Fatalf("F did not clear the query:\n%s", v)
	}
}

// Any terminal size renders without panicking, within the width and the
// height (tiny ones cut; see also terminal_test.go).
func TestResize(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	for _, sz := range [][2]int{{20, 5}, {60, 15}, {200, 60}, {1, 1}, {120, 40}} {
		drive(m, func() tea.Msg { return tea.WindowSizeMsg{Width: sz[0], Height: sz[1]} })
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := plain(m)
		lines := strings.Split(v, "\n")
		if len(lines) > sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := termsafe.Width(l); w > sz[0] {
				t.Errorf("%dx%d: line %d is %d wide: %q", sz[0], sz[1], i, w, l)
			}
		}
	}
	if !strings.Contains(plain(m), "row 1 of 14") {
		t.Error("the grid did not recover at 120x40")
	}
}
