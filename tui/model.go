// Package tui is Quickback Console's terminal interface: browse every table
// as any identity, watch masking change live, ask why, and try writes and
// actions as that identity. It talks to the database only through the
// engine's exported API, so what it shows for an identity is, by
// construction, what that identity would get.
package tui

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Options configure the console.
type Options struct {
	// Identity to start as; nil starts as the highest-ranked member of the
	// first organization (an owner, when there is one).
	Identity *engine.Identity
	// Table to open first; "" opens the first table of the config.
	Table string
	// ReadOnly disables every key that writes.
	ReadOnly bool
	// ReadOnlyReason says why the database was opened read-only when the
	// operator did not ask for it (the file is not writable); it is shown
	// in the status line whenever nothing else is.
	ReadOnlyReason string
	// ConfigPath is the config file the reload key reads again ("" disables
	// reloading).
	ConfigPath string
	// Project and DBPath are shown in the header.
	Project, DBPath string
	// Clipboard receives the OSC 52 sequences of copies (default stdout).
	Clipboard io.Writer
	// ExportDir is where exports are written (default: working directory).
	ExportDir string
}

// Run opens the console on eng and returns when the operator quits.
func Run(eng *engine.Engine, opts Options) error {
	m := New(eng, opts)
	p := tea.NewProgram(m, tea.WithAltScreen())
	_, err := p.Run()
	m.grid.stop()
	return err
}

const sidebarWidth = 24

// Model is the console's root model.
type Model struct {
	c      *Common
	s      *session
	opts   Options
	cfg    *schema.Config
	haveID bool

	members []engine.Member
	orgs    []engine.Organization
	// access is, per table, whether the current identity may list it.
	access map[string]engine.OpExplanation

	tableIdx int
	grid     *grid
	mode     mode

	status    string
	statusErr bool

	search textinput.Model
	picker *picker
	panel  *panel
	// auditGen identifies the open audit view; polls for a closed one are dropped.
	auditGen int
	// auditHeader are the audit view's fixed lines above its entries.
	auditHeader []string
	form        *formState
	confirm     *confirmState
	actions     *actionsPanel

	// memo caches the parts of the frame that rarely change.
	memo map[string]memoEntry

	// await maps a purpose ("detail", "edit", …) to the request id whose
	// result is awaited; any other result for that purpose is stale.
	await map[string]uint64
}

// New builds the console's model (Run uses it; tests drive it directly).
func New(eng *engine.Engine, opts Options) *Model {
	if opts.Clipboard == nil {
		opts.Clipboard = os.Stdout
	}
	c := NewCommon(opts.ReadOnly)
	s := &session{eng: eng}
	m := &Model{c: c, s: s, opts: opts, cfg: eng.Config(), await: map[string]uint64{}, access: map[string]engine.OpExplanation{}}
	m.grid = newGrid(c, s)
	m.search = textinput.New()
	m.search.Prompt = "/ "
	m.search.Placeholder = "search the searchable columns"
	if opts.Identity != nil {
		m.s.id = *opts.Identity
		m.haveID = true
	}
	for i, t := range m.cfg.Tables {
		if t.Name == opts.Table {
			m.tableIdx = i
		}
	}
	m.SetSize(120, 40)
	if opts.ReadOnlyReason != "" {
		m.setStatus(opts.ReadOnlyReason, false)
	}
	return m
}

// Init loads the identities and, when the identity is known, the first
// table.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadMembers()}
	if m.haveID {
		cmds = append(cmds, m.startIdentity())
	}
	return tea.Batch(cmds...)
}

func (m *Model) loadMembers() tea.Cmd {
	eng := m.s.eng
	return func() tea.Msg {
		ctx := context.Background()
		ms, err := eng.Members(ctx)
		if err != nil {
			return membersMsg{err: err}
		}
		orgs, err := eng.Organizations(ctx)
		return membersMsg{members: ms, orgs: orgs, err: err}
	}
}

// DefaultIdentity picks the identity the console starts as without --as:
// in the first organization (by id), the member with the highest role
// (ties: the lowest user id).
func DefaultIdentity(cfg *schema.Config, members []engine.Member) (engine.Identity, bool) {
	var best *engine.Member
	org := ""
	for i := range members {
		mb := &members[i]
		if mb.OrgID == "" {
			continue
		}
		if org == "" {
			org = mb.OrgID
		}
		if mb.OrgID != org {
			continue
		}
		if best == nil || cfg.RoleIndex(mb.Role) > cfg.RoleIndex(best.Role) {
			best = mb
		}
	}
	if best == nil {
		return engine.Identity{}, false
	}
	return best.Identity(), true
}

// startIdentity (re)loads everything that depends on the identity.
func (m *Model) startIdentity() tea.Cmd {
	m.access = map[string]engine.OpExplanation{}
	m.await = map[string]uint64{}
	cmds := []tea.Cmd{m.loadAccess()}
	if m.grid.t == nil {
		cmds = append(cmds, m.grid.setTable(m.cfg.Tables[m.tableIdx]))
	} else {
		cmds = append(cmds, m.grid.reidentify())
	}
	return tea.Batch(cmds...)
}

// switchIdentity acts as id from now on. Everything in flight for the
// previous identity becomes stale; table, query and position are kept.
func (m *Model) switchIdentity(id engine.Identity) tea.Cmd {
	m.s.id = id
	m.haveID = true
	return m.startIdentity()
}

// loadAccess asks the engine, per table, whether the identity may list it.
func (m *Model) loadAccess() tea.Cmd {
	tag := m.s.tag()
	m.await["access"] = tag.ID
	eng, tables := m.s.eng, m.cfg.Tables
	return func() tea.Msg {
		out := map[string]engine.OpExplanation{}
		for _, t := range tables {
			ex, err := eng.Explain(context.Background(), tag.Identity, t.Name, "")
			if err != nil {
				return accessMsg{tag: tag, err: err}
			}
			for _, op := range ex.Operations {
				if op.Operation == string(schema.OpList) {
					out[t.Name] = op
				}
			}
		}
		return accessMsg{tag: tag, access: out}
	}
}

// fresh reports whether a result with tag answers the awaited request of
// purpose for the current identity.
// The awaited request is then answered: a duplicate would be stale too.
func (m *Model) fresh(purpose string, tag reqTag) bool {
	if m.await[purpose] != tag.ID || tag.Identity != m.s.id {
		return false
	}
	delete(m.await, purpose)
	return true
}

// busy reports whether an engine request is still awaited.
func (m *Model) busy() bool {
	return len(m.await) > 0 || len(m.grid.inflight) > 0 || m.grid.countPending
}

// SetSize lays the console out for a w×h terminal.
func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.grid.SetSize(w-sidebarWidth-1, m.bodyHeight())
	m.search.Width = max(10, w-20)
	if m.picker != nil {
		m.picker.SetSize(w, m.bodyHeight())
	}
	if m.panel != nil {
		m.panel.SetSize(w, m.panelHeight())
	}
	if m.form != nil {
		m.form.SetSize(w, m.bodyHeight())
	}
	if m.actions != nil {
		m.actions.SetSize(w, m.bodyHeight())
	}
}

// header 2 lines + rule, status + hints.
func (m *Model) bodyHeight() int { return max(3, m.c.Height-5) }

func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.statusErr = s, isErr
}

func (m *Model) setError(err error) {
	m.setStatus(engine.FormatError(err), true)
}

// viewRequest asks the running program for its current view (tests use it
// to take golden snapshots between keystrokes without racing the program).
type viewRequest struct{ reply chan<- viewReply }

type viewReply struct {
	view string
	busy bool
}

// Update routes a message to the part of the console that owns it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		if m.mode == modeForm && m.form != nil {
			return m, m.formUpdate(msg)
		}
		return m, m.grid.ensure()
	case tea.KeyMsg:
		m.status, m.statusErr = "", false
		return m, m.handleKey(msg)
	case viewRequest:
		msg.reply <- viewReply{view: m.View(), busy: m.busy()}
		return m, nil
	case auditMsg, auditTick:
		return m, m.auditUpdate(msg)
	case membersMsg:
		if msg.err != nil {
			m.setError(msg.err)
			return m, nil
		}
		m.members, m.orgs = msg.members, msg.orgs
		if m.picker != nil {
			m.picker.setItems(m.identityItems())
		}
		if !m.haveID {
			id, ok := DefaultIdentity(m.cfg, m.members)
			if !ok {
				m.setStatus("no identities: seed the database (qb seed) to create users and organizations", true)
				return m, nil
			}
			m.setStatus("acting as "+identityLabel(id)+" (the first organization's highest role); press i to switch", false)
			return m, m.switchIdentity(id)
		}
		return m, nil
	case accessMsg:
		if !m.fresh("access", msg.tag) {
			return m, nil
		}
		if msg.err == nil {
			m.access = msg.access
		}
		return m, nil
	case pageMsg:
		cmd, err := m.grid.onPage(msg)
		if err != nil {
			if rq, ok := err.(refusedQuery); ok {
				m.setStatus("query not applied, previous view kept: "+firstLine(engine.FormatError(rq.err)), true)
			} else {
				m.setError(err)
			}
		}
		return m, cmd
	case countMsg:
		m.grid.onCount(msg)
		return m, nil
	case explainMsg:
		return m, m.onExplain(msg)
	case compareMsg:
		return m, m.onCompare(msg)
	case writeMsg:
		return m, m.onWrite(msg)
	case actionsMsg:
		return m, m.onActions(msg)
	case runMsg:
		return m, m.onRun(msg)
	case reloadMsg:
		return m, m.onReload(msg)
	case exportMsg:
		if msg.err != nil {
			m.setStatus("export failed: "+termsafe.Sanitize(msg.err.Error()), true)
		} else {
			m.setStatus("exported "+humanInt(int64(msg.rows))+" rows as shown (masked) to "+termsafe.Sanitize(msg.file), false)
		}
		return m, nil
	case copiedMsg:
		if msg.err != nil {
			m.setStatus("copy failed: "+termsafe.Sanitize(msg.err.Error()), true)
		} else {
			m.setStatus("copied "+msg.what+" to the clipboard (OSC 52), as shown", false)
		}
		return m, nil
	}
	// Anything else (cursor blinks, huh's internal messages) goes to the
	// component that is active.
	switch m.mode {
	case modeForm:
		if m.form != nil {
			return m, m.formUpdate(msg)
		}
	case modeSearch:
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(msg)
		return m, cmd
	case modePicker:
		if m.picker != nil {
			return m, m.picker.update(msg)
		}
	}
	return m, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// View renders the console.
func (m *Model) View() string {
	w := m.c.Width
	var body string
	switch m.mode {
	case modePicker:
		body = m.picker.View()
	case modeAudit:
		body = strings.Join(append(append([]string(nil), m.auditHeader...), m.panel.View()), "\n")
	case modeDetail, modeCompare, modeHelp, modeResult, modeMatrix:
		body = m.panel.View()
	case modeForm:
		body = m.form.View()
	case modeConfirm:
		body = m.confirm.View(m.c, w, m.bodyHeight())
	case modeActions:
		body = m.actions.View()
	default:
		body = joinColumns(m.sidebarView(), m.grid.View(), m.bodyHeight())
	}
	body = padLines(body, m.bodyHeight())
	footer := m.statusView()
	if !strings.Contains(footer, "\n") {
		footer += "\n" + m.hintsView()
	}
	return fitScreen(strings.Join([]string{m.headerView(), body, footer}, "\n"), w, m.c.Height)
}

// identityLabel is "Dana Reyes <dana@acme.test> (u-dana)".
func identityLabel(id engine.Identity) string {
	switch {
	case id.Anonymous:
		return "anonymous"
	case id.Synthetic:
		return "any " + id.Role + " of " + id.OrgID
	}
	s := id.UserID
	if id.Name != "" {
		s = id.Name + " (" + id.UserID + ")"
	}
	return termsafe.Sanitize(s)
}

func (m *Model) orgName(id string) string {
	for _, o := range m.orgs {
		if o.ID == id && o.Name != "" {
			return termsafe.Sanitize(o.Name)
		}
	}
	return ""
}

// memoEntry is a cached rendering and the inputs it was made from.
type memoEntry struct {
	key  string
	text string
}

// cached returns the rendering of part for key, calling render on a miss.
func (m *Model) cached(part, key string, render func() string) string {
	if m.memo == nil {
		m.memo = map[string]memoEntry{}
	}
	if e, ok := m.memo[part]; ok && e.key == key {
		return e.text
	}
	t := render()
	m.memo[part] = memoEntry{key: key, text: t}
	return t
}

// joinColumns puts the sidebar (fixed width lines) left of the main view.
func joinColumns(left, right string, h int) string {
	ls := strings.Split(left, "\n")
	rs := strings.Split(right, "\n")
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(ls) {
			b.WriteString(ls[i])
		} else {
			b.WriteString(strings.Repeat(" ", sidebarWidth))
		}
		b.WriteByte(' ')
		if i < len(rs) {
			b.WriteString(rs[i])
		}
	}
	return b.String()
}

func (m *Model) headerView() string {
	key := fmt.Sprintf("%v|%v|%d|%d|%v", m.s.id, m.haveID, len(m.orgs), m.c.Width, m.opts.ReadOnly)
	return m.cached("header", key, m.renderHeader)
}

func (m *Model) renderHeader() string {
	st := m.c.Styles
	w := m.c.Width
	project := m.opts.Project
	if project == "" {
		project = m.cfg.Project.Name
	}
	left := st.Title.Render("QUICKBACK CONSOLE") + st.Project.Render("  project "+termsafe.Sanitize(project)+" · db "+termsafe.Sanitize(m.opts.DBPath))
	right := ""
	if m.opts.ReadOnly {
		right = st.ReadOnly.Render(" READ-ONLY ")
	}
	line1 := fitLine(left, "", w-termsafe.Width(right), st.Project) + right
	line1 = strings.TrimRight(line1, " ")
	if right != "" {
		pad := w - termsafe.Width(left) - termsafe.Width(right)
		line1 = left + strings.Repeat(" ", max(1, pad)) + right
	}
	var line2 string
	if !m.haveID {
		line2 = st.IdentityDim.Render("acting as … (resolving the default identity)")
	} else {
		id := m.s.id
		var badges []string
		// The operator is never the identity the console acts as: a real
		// user is always impersonated; a synthetic or anonymous identity
		// is marked as what it is.
		switch {
		case id.Anonymous:
			badges = append(badges, st.Synthetic.Render(" ANONYMOUS "))
		case id.Synthetic:
			badges = append(badges, st.Synthetic.Render(" SYNTHETIC "))
		default:
			badges = append(badges, st.Impersonate.Render(" IMPERSONATING "))
		}
		room := w
		if len(badges) > 0 {
			room -= termsafe.Width(strings.Join(badges, " ")) + 1
		}
		line2 = m.identityLine(id, room)
		if len(badges) > 0 {
			b := strings.Join(badges, " ")
			pad := w - termsafe.Width(line2) - termsafe.Width(b)
			if pad < 1 {
				line2 = termsafe.Truncate(line2, max(0, w-termsafe.Width(b)-1))
				pad = 1
			}
			line2 += strings.Repeat(" ", pad) + b
		}
	}
	rule := st.Rule.Render(strings.Repeat("─", w))
	return termsafe.Truncate(line1, w) + "\n" + termsafe.Truncate(line2, w) + "\n" + rule
}

// identityLine is "acting as NAME (USER) <EMAIL> · org ORG (ORG NAME) ·
// role ROLE" in at most room cells when it can be: the user id, the org id
// and the role are always shown in full; the email, then the display name,
// then the organization's name are shortened (and dropped) first, then
// "acting as" becomes "as".
func (m *Model) identityLine(id engine.Identity, room int) string {
	st := m.c.Styles
	role := id.Role
	if role == "" {
		role = "none"
	}
	// Anonymous and "any R of O" identities have no name to shorten.
	user, name := identityLabel(id), ""
	if !id.Anonymous && !id.Synthetic && id.Name != "" {
		user, name = termsafe.Sanitize(id.UserID), termsafe.Sanitize(id.Name)
	}
	email := termsafe.Sanitize(id.Email)
	orgName := m.orgName(id.OrgID)
	// The organization's name goes between orgPart and rolePart.
	orgPart := st.IdentityDim.Render(" · org ") + st.Identity.Render(termsafe.Sanitize(id.OrgID))
	rolePart := st.IdentityDim.Render(" · role ") + st.Identity.Render(termsafe.Sanitize(role))
	if id.UserRole != "" && id.UserRole != "user" {
		rolePart += st.IdentityDim.Render(" · userRole ") + st.Identity.Render(termsafe.Sanitize(id.UserRole))
	}
	prefix := "acting as "
	// fixed is what is always shown: the user id, the org id, the role.
	fixed := termsafe.Width(prefix+user) + termsafe.Width(orgPart+rolePart)
	if fixed > room {
		prefix = "as "
		fixed -= len("acting ")
	}
	// Optional parts take the room left in order of importance: the
	// organization's name, the display name, the email; each is shortened
	// to what is left, or dropped when fewer than 4 cells would be left of
	// it. Each costs 3 cells of brackets.
	left := room - fixed
	fit := func(s string) string {
		if s == "" || left < 3+min(4, termsafe.Width(s)) {
			return ""
		}
		s = termsafe.Truncate(s, left-3)
		left -= termsafe.Width(s) + 3
		return s
	}
	orgName, name, email = fit(orgName), fit(name), fit(email)
	who := user
	if name != "" {
		who = name + " (" + user + ")"
	}
	line := st.IdentityDim.Render(prefix) + st.Identity.Render(who)
	if email != "" {
		line += st.IdentityDim.Render(" <" + email + ">")
	}
	org := ""
	if orgName != "" {
		org = st.Identity.Render(" (" + orgName + ")")
	}
	return line + orgPart + org + rolePart
}

func (m *Model) sidebarView() string {
	key := fmt.Sprintf("%d|%p|%d", m.tableIdx, m.access, m.bodyHeight())
	return m.cached("sidebar", key, m.renderSidebar)
}

func (m *Model) renderSidebar() string {
	st := m.c.Styles
	w := sidebarWidth
	var lines []string
	lines = append(lines, st.SidebarTitle.Render(" TABLES"))
	for i, t := range m.cfg.Tables {
		label := t.Label
		if label == "" {
			label = t.Name
		}
		mark := " "
		if t.Internal {
			mark = InternalMark
		} else if op, ok := m.access[t.Name]; ok && op.Decision == engine.Denied {
			mark = NoListMark
		}
		cur := " "
		if i == m.tableIdx {
			cur = CursorMark
		}
		text := termsafe.Pad(cur+" "+mark+" "+termsafe.Sanitize(label), w)
		style := st.SidebarItem
		switch {
		case mark != " ":
			style = st.SidebarDenied
		case i == m.tableIdx:
			style = st.SidebarSelected
		}
		if i == m.tableIdx && mark != " " {
			style = st.SidebarDenied.Bold(true)
		}
		lines = append(lines, style.Render(text))
	}
	lines = append(lines, "", st.SidebarLegend.Render(termsafe.Pad(" "+NoListMark+" cannot list", w)),
		st.SidebarLegend.Render(termsafe.Pad(" "+InternalMark+" internal (no CRUD)", w)),
		st.SidebarLegend.Render(termsafe.Pad(" "+MaskMark+" masked value", w)))
	// The reason the selected table cannot be listed.
	t := m.cfg.Tables[m.tableIdx]
	if op, ok := m.access[t.Name]; ok && op.Decision == engine.Denied {
		lines = append(lines, "")
		for _, l := range wrapText(termsafe.Sanitize(op.Reason), w-2) {
			lines = append(lines, st.Reason.Render(" "+l))
		}
		if op.Rule != "" {
			for _, l := range wrapText("("+termsafe.Sanitize(op.Rule)+")", w-2) {
				lines = append(lines, st.Reason.Render(" "+l))
			}
		}
	}
	h := m.bodyHeight()
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = termsafe.Pad(lines[i], w)
	}
	return strings.Join(lines[:h], "\n")
}

func (m *Model) statusView() string {
	st := m.c.Styles
	w := m.c.Width
	if m.mode == modeSearch {
		return termsafe.Truncate(m.search.View(), w)
	}
	s, isErr := termsafe.SanitizeLines(m.status), m.statusErr
	if s == "" {
		s, isErr = m.idleStatus()
		s = termsafe.SanitizeLines(s)
	}
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " · ")), " ")
	style := st.Status
	if isErr {
		style = st.StatusError
	}
	if termsafe.Width(s) <= w {
		return style.Render(s)
	}
	// Too long for one line (an error and the rule that decided it): it
	// takes the hints line too, until the next key clears it.
	lines := wrapText(s, w)
	if len(lines) > 2 {
		lines = []string{lines[0], termsafe.Truncate(strings.Join(lines[1:], " "), w)}
	}
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) hintsView() string {
	return m.cached("hints", fmt.Sprintf("%d|%d", m.mode, m.c.Width), m.renderHints)
}

func (m *Model) renderHints() string {
	st := m.c.Styles
	var parts, tail []string
	for _, b := range m.c.Keys.shortHelp(m.mode) {
		h := b.Help()
		p := st.HelpKey.Render(h.Key) + " " + st.HelpDesc.Render(h.Desc)
		// Help and quit are never crowded out of the footer: they come
		// last, and the other hints are dropped before them.
		if m.mode == modeBrowse && (h.Key == m.c.Keys.Help.Help().Key || h.Key == m.c.Keys.Quit.Help().Key) {
			tail = append(tail, p)
			continue
		}
		parts = append(parts, p)
	}
	sep := st.HelpSep.Render(" · ")
	end := strings.Join(tail, sep)
	room := m.c.Width
	if end != "" {
		room -= termsafe.Width(sep + end)
	}
	out := ""
	for i, p := range parts {
		next := out
		if i > 0 {
			next += sep
		}
		next += p
		if termsafe.Width(next) > room {
			break
		}
		out = next
	}
	switch {
	case end == "":
	case out == "":
		out = termsafe.Truncate(end, m.c.Width)
	default:
		out += sep + end
	}
	return out
}

// wrapText wraps s to lines of at most w cells, at spaces where possible.
func wrapText(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for termsafe.Width(word) > w {
				if line != "" {
					out = append(out, line)
					line = ""
				}
				cut := termsafe.Truncate(word, w)
				cut = strings.TrimSuffix(cut, termsafe.Ellipsis)
				if cut == "" {
					break
				}
				out = append(out, cut)
				word = word[len(cut):]
			}
			switch {
			case line == "":
				line = word
			case termsafe.Width(line)+1+termsafe.Width(word) <= w:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return out
}
