// Package tui is Quickback Console's terminal interface: browse every table
// as any identity, watch masking change live, ask why, and try writes and
// actions as that identity. It talks to the database only through the
// engine's exported API, so what it shows for an identity is, by
// construction, what that identity would get.
package tui

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/charmbracelet/bubbles/spinner"
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

// Run opens the console on eng and returns when the operator quits, or
// the process is interrupted, terminated or hung up (SIGINT, SIGTERM,
// SIGHUP): the session's end is logged either way, and the caller closes
// the engine, which appends what is still waiting.
func Run(eng *engine.Engine, opts Options) error {
	m := New(eng, opts)
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion())
	// The program quits on SIGINT and SIGTERM itself; a hang-up (the
	// terminal went away) would otherwise end the process on the spot.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		if _, ok := <-hup; ok {
			p.Quit()
		}
	}()
	_, err := p.Run()
	signal.Stop(hup)
	close(hup)
	m.grid.stop()
	m.endSession()
	if errors.Is(err, tea.ErrInterrupted) {
		err = nil
	}
	if err == nil {
		err = m.exitErr
	}
	return err
}

// Model is the console's root: it owns the screen and the session (who the
// console acts as), lays the components out, gives the focused one the
// keys, handles what components post (navigation, status, choices), and
// issues the engine requests that open components (each tagged, so a late
// answer is dropped).
type Model struct {
	c      *Common
	s      *session
	opts   Options
	cfg    *schema.Config
	haveID bool

	members []engine.Member
	orgs    []engine.Organization

	sidebar *sidebar
	// sidebarFlip inverts the sidebar's automatic choice (shown from 100
	// columns up): ctrl+b.
	sidebarFlip bool
	grid        *grid
	search      *searchBar
	// mode says which component has the focus; overlay is the component
	// that fills the body in every mode but browse and search.
	mode    mode
	overlay component
	// form is the form a preview or a write in flight came from: a "No"
	// goes back to it, a refusal reopens it with the problems.
	form *form

	status    string
	statusErr bool

	// sessionStarted is set once session.start is logged; awaitingReason
	// is the identity a reason is asked for before the console acts as it
	// ([audit].requireReason); exitErr ends Run when the operator declines
	// to give one for the first identity.
	sessionStarted bool
	awaitingReason *engine.Identity
	exitErr        error
	// unaudited says why nothing is audited ("" when the log is written).
	unaudited string

	// memo caches the parts of the frame that rarely change.
	memo map[string]memoEntry

	// await holds, per purpose, the request whose answer is awaited; act
	// is the one the operator waits for (activity.go), shown by spinner.
	await    requests
	act      *activity
	spinner  spinner.Model
	spinning bool
	// wantAction is the action the palette asked to run, taken out of the
	// next action list (palette.go).
	wantAction string
	// pendingForm opens the form waiting for its reference choices
	// (refs_form.go).
	pendingForm func(map[string]refChoices) tea.Cmd
}

// New builds the console's model (Run uses it; tests drive it directly).
func New(eng *engine.Engine, opts Options) *Model {
	if opts.Clipboard == nil {
		opts.Clipboard = os.Stdout
	}
	c := NewCommon(opts.ReadOnly)
	s := &session{eng: eng}
	m := &Model{c: c, s: s, opts: opts, cfg: eng.Config(), await: requests{}, spinner: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
	m.sidebar = newSidebar(c, m.cfg.Tables)
	m.sidebar.setTables(m.cfg.Tables, opts.Table)
	m.grid = newGrid(c, s)
	m.search = newSearchBar(c)
	m.unaudited = eng.Unaudited()
	if opts.Identity != nil {
		if eng.ReasonRequired(*opts.Identity) {
			m.awaitingReason = opts.Identity
		} else {
			m.s.id = *opts.Identity
			m.haveID = true
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
	switch {
	case m.haveID:
		m.logIdentity(m.s.id)
		cmds = append(cmds, m.startIdentity())
	case m.awaitingReason != nil:
		cmds = append(cmds, m.askReason(*m.awaitingReason))
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
	m.sidebar.setAccess(map[string]engine.OpExplanation{})
	m.s.may, m.s.fields = nil, nil
	m.await = requests{}
	cmds := []tea.Cmd{m.loadAccess()}
	if m.grid.t == nil {
		cmds = append(cmds, m.grid.setTable(m.sidebar.current()))
	} else {
		cmds = append(cmds, m.grid.reidentify())
	}
	return tea.Batch(cmds...)
}

// switchIdentity acts as id from now on. Everything in flight for the
// previous identity becomes stale; table, query and position are kept.
// When the project requires a reason for acting as a real user and the
// session has none yet, it is asked for first.
func (m *Model) switchIdentity(id engine.Identity) tea.Cmd {
	if m.s.eng.ReasonRequired(id) {
		return m.askReason(id)
	}
	m.logIdentity(id)
	m.s.id = id
	m.haveID = true
	return m.startIdentity()
}

// logIdentity logs the session's start (its first identity) or a switch
// to another identity. The engine queues the entry at once, so it precedes
// the reads the switch starts.
func (m *Model) logIdentity(id engine.Identity) {
	ctx := context.Background()
	switch {
	case !m.sessionStarted:
		m.sessionStarted = true
		_ = m.s.eng.LogSession(ctx, engine.SessionStart, id, nil)
	case id != m.s.id || !m.haveID:
		prev := m.s.id
		_ = m.s.eng.LogSession(ctx, engine.IdentitySwitch, id, &prev)
	}
}

// endSession logs the session's end (Run calls it however the program
// ended).
func (m *Model) endSession() {
	if m.sessionStarted {
		_ = m.s.eng.LogSession(context.Background(), engine.SessionEnd, m.s.id, nil)
	}
}

// loadAccess asks the engine, per table, whether the identity may list it.
func (m *Model) loadAccess() tea.Cmd {
	tag := m.s.tag()
	m.await.expect("access", tag)
	eng, tables := m.s.eng, m.cfg.Tables
	return func() tea.Msg {
		out := map[string]engine.OpExplanation{}
		ops := map[string][]engine.OpExplanation{}
		fields := map[string][]engine.FieldExplanation{}
		for _, t := range tables {
			ex, err := eng.Explain(context.Background(), tag.Identity, t.Name, "")
			if err != nil {
				return accessMsg{tag: tag, err: err}
			}
			ops[t.Name] = ex.Operations
			fields[t.Name] = ex.Fields
			for _, op := range ex.Operations {
				if op.Operation == string(schema.OpList) {
					out[t.Name] = op
				}
			}
		}
		return accessMsg{tag: tag, access: out, ops: ops, fields: fields}
	}
}

// fresh reports whether a result with tag answers the awaited request of
// purpose for the current identity.
func (m *Model) fresh(purpose string, tag reqTag) bool {
	if !m.await.answer(purpose, tag, m.s.id) {
		return false
	}
	m.settle(purpose)
	return true
}

// busy reports whether an engine request is still awaited.
func (m *Model) busy() bool {
	return len(m.await) > 0 || len(m.grid.inflight) > 0 || m.grid.countPending || m.grid.fun.counting
}

// SetSize lays the console out for a w×h terminal: the header takes three
// lines and the footer two; the body (at least three lines) is the
// sidebar and the grid side by side, or the open component.
func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	bh := m.bodyHeight()
	m.sidebar.SetSize(min(sidebarWidth, w), bh)
	if m.sidebarShown() {
		m.grid.SetSize(w-sidebarWidth-1, bh)
	} else {
		m.grid.SetSize(w, bh)
	}
	m.search.SetSize(w, 1)
	if m.overlay != nil {
		m.overlay.SetSize(w, bh)
	}
}

// sidebarShown reports whether the table list is beside the grid: from
// 100 columns up, unless ctrl+b hid it; below, only when ctrl+b showed it.
func (m *Model) sidebarShown() bool { return (m.c.Width >= 100) != m.sidebarFlip }

// header 2 lines + rule, status + hints.
func (m *Model) bodyHeight() int { return max(3, m.c.Height-5) }

// viewRequest asks the running program for its current view (tests use it
// to take golden snapshots between keystrokes without racing the program).
type viewRequest struct{ reply chan<- viewReply }

type viewReply struct {
	view string
	busy bool
}

// Update handles a message, then what the components posted while
// handling it, in order.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	// Runes typed faster than a frame arrive together ("jjj"); where keys
	// are commands rather than text, each one counts.
	if km, ok := msg.(tea.KeyMsg); ok && km.Type == tea.KeyRunes && len(km.Runes) > 1 && !km.Paste && m.mode != modeSearch && m.mode != modePicker && m.mode != modeForm {
		var cmds []tea.Cmd
		for _, r := range km.Runes {
			_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: km.Alt})
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	cmds := []tea.Cmd{m.update(msg)}
	for len(m.c.outbox) > 0 {
		next := m.c.outbox[0]
		m.c.outbox = m.c.outbox[1:]
		cmds = append(cmds, m.update(next))
	}
	cmds = append(cmds, m.startSpinner())
	return m, tea.Batch(cmds...)
}

// update routes one message to the part of the console that owns it.
func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		if m.mode == modeForm {
			return m.overlay.Update(msg)
		}
		return m.grid.ensure()
	case tea.KeyMsg:
		m.status, m.statusErr = "", false
		if msg.Type == tea.KeyCtrlC {
			return m.quit()
		}
		if m.mode == modeBrowse {
			return m.browseKey(msg)
		}
		return m.focused().Update(msg)
	case viewRequest:
		msg.reply <- viewReply{view: m.View(), busy: m.busy()}
		return nil
	case spinner.TickMsg:
		return m.spin(msg)

	// Posted by components.
	case closeMsg:
		m.close()
		return nil
	case openMsg:
		return m.open(msg.mode, msg.comp)
	case statusMsg:
		m.setStatus(msg.text, msg.isErr)
		return nil
	case errorMsg:
		m.setError(msg.err)
		return nil
	case searchMsg:
		spec := m.grid.res.spec
		spec.search = msg.text
		if msg.text != "" {
			m.setStatus(m.searchNote(), false)
		}
		return m.grid.setQuery(spec)
	case actAsMsg:
		if m.s.eng.ReasonRequired(msg.id) {
			return m.askReason(msg.id)
		}
		role := msg.id.Role
		if msg.id.Anonymous {
			role = "no role"
		}
		if msg.id.RealRole != "" {
			role += " (override; holds " + msg.id.RealRole + ")"
		}
		m.setStatus("now acting as "+identityLabel(msg.id)+" · "+termsafe.Sanitize(role)+" @ "+termsafe.Sanitize(msg.id.OrgID), false)
		return m.switchIdentity(msg.id)
	case actionChosenMsg:
		return m.onActionChosen(msg)
	case formDoneMsg:
		return m.onFormDone(msg)

	// Answers of the engine.
	case auditMsg, auditTick:
		if m.mode == modeAudit {
			return m.overlay.Update(msg)
		}
		return nil
	case membersMsg:
		return m.onMembers(msg)
	case accessMsg:
		if m.fresh("access", msg.tag) && msg.err == nil {
			m.sidebar.setAccess(msg.access)
			m.s.may = newPermissions(msg.ops)
			m.s.fields = map[string]map[string]engine.FieldExplanation{}
			for table, fs := range msg.fields {
				m.s.fields[table] = map[string]engine.FieldExplanation{}
				for _, f := range fs {
					m.s.fields[table][f.Field] = f
				}
			}
		}
		return nil
	case pageMsg, countMsg, funnelMsg:
		return m.grid.Update(msg)
	case explainMsg:
		return m.onExplain(msg)
	case compareMsg:
		return m.onCompare(msg)
	case writeMsg:
		return m.onWrite(msg)
	case actionsMsg:
		return m.onActions(msg)
	case runMsg:
		return m.onRun(msg)
	case reloadMsg:
		return m.onReload(msg)
	case reloadPlanMsg:
		return m.onReloadPlan(msg)
	case exportMsg:
		if msg.err != nil {
			m.setStatus("export failed: "+termsafe.Sanitize(msg.err.Error()), true)
		} else {
			note := ""
			if msg.masked {
				note = " (masked values stay masked)"
			}
			m.setStatus("exported "+humanInt(int64(msg.rows))+" "+plural(msg.rows, "row", "rows")+" as shown to "+termsafe.Sanitize(msg.file)+note, false)
		}
		return nil
	case copiedMsg:
		if msg.err != nil {
			m.setStatus("copy failed: "+termsafe.Sanitize(msg.err.Error()), true)
		} else {
			m.setStatus("copied "+msg.what+" to the clipboard (OSC 52), as shown", false)
		}
		return nil
	}
	if cmd, ok := m.onMore(msg); ok {
		return cmd
	}
	// Anything else (cursor blinks, huh's internal messages) goes to the
	// component that has the focus.
	return m.focused().Update(msg)
}

func (m *Model) onMembers(msg membersMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	m.members, m.orgs = msg.members, msg.orgs
	if p, ok := m.overlay.(*picker); ok {
		p.setItems(identityItems(m.members, m.orgs, m.cfg.Auth.Roles))
	}
	if !m.haveID && m.awaitingReason == nil {
		id, ok := DefaultIdentity(m.cfg, m.members)
		if !ok {
			m.setStatus("no identities: seed the database (qb seed) to create users and organizations", true)
			return nil
		}
		m.setStatus("acting as "+identityLabel(id)+" (the first organization's highest role); press i to switch", false)
		return m.switchIdentity(id)
	}
	return nil
}

// focused is the component that receives keys: the grid while browsing,
// the search line while searching, else the open component.
func (m *Model) focused() component {
	switch m.mode {
	case modeBrowse:
		return m.grid
	case modeSearch:
		return m.search
	}
	return m.overlay
}

// open shows comp in mode, sized to the body, and starts it.
func (m *Model) open(md mode, comp component) tea.Cmd {
	m.mode, m.overlay = md, comp
	if f, ok := comp.(*form); ok {
		m.form = f
	}
	comp.SetSize(m.c.Width, m.bodyHeight())
	if o, ok := comp.(opener); ok {
		return o.open()
	}
	return nil
}

// close goes back to browsing.
func (m *Model) close() { m.mode, m.overlay = modeBrowse, nil }

func (m *Model) quit() tea.Cmd {
	m.grid.stop()
	return tea.Quit
}

// browseKey handles a key in browse mode: the keys that open something or
// act on the console are the root's, the rest move or query the grid.
// Write bindings are disabled in read-only mode, so they never match there.
func (m *Model) browseKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	g := m.grid
	n := len(m.cfg.Tables)
	switch {
	case k.Quit.Matches(msg):
		return m.quit()
	case k.Back.Matches(msg) && m.act != nil:
		return m.cancelActivity()
	case k.NextTable.Matches(msg):
		return m.selectTable((m.sidebar.cur + 1) % n)
	case k.PrevTable.Matches(msg):
		return m.selectTable((m.sidebar.cur + n - 1) % n)
	case k.Jump.Matches(msg):
		if i := int(msg.Runes[0] - '1'); i < n {
			return m.selectTable(i)
		}
	case k.Help.Matches(msg):
		return m.open(modeHelp, newHelpView(m.c, g.FullHelp()))
	case k.Columns.Matches(msg):
		if g.t == nil {
			return nil
		}
		return m.open(modeColumns, newColumnChooser(m.c, g.t, g.hidden[g.t.Name]))
	case k.Palette.Matches(msg):
		return m.open(modePalette, newPalette(m.c, m.paletteItems()))
	case k.Matrix.Matches(msg):
		return m.openMatrix()
	case k.Audit.Matches(msg):
		return m.open(modeAudit, newAuditLog(m.c, m.s))
	case k.Identity.Matches(msg):
		return m.open(modePicker, newPicker(m.c, identityItems(m.members, m.orgs, m.cfg.Auth.Roles), m.s.id))
	case k.Refresh.Matches(msg):
		return tea.Batch(g.refresh(), m.loadAccess())
	case k.Sidebar.Matches(msg):
		m.sidebarFlip = !m.sidebarFlip
		m.SetSize(m.c.Width, m.c.Height)
		return g.ensure()
	case k.Reload.Matches(msg):
		return m.reloadConfig()
	case k.Search.Matches(msg):
		if g.t == nil {
			return nil
		}
		m.mode = modeSearch
		m.search.note = m.searchNote()
		return m.search.start(g.res.spec.search)
	case k.Filter.Matches(msg):
		return m.openFilter()
	case k.Detail.Matches(msg):
		return m.withRow(func(r engine.Row) tea.Cmd { return m.explain("detail", r.ID()) })
	case k.Compare.Matches(msg):
		return m.withRow(m.compareRow)
	case k.Edit.Matches(msg):
		return m.withRow(func(r engine.Row) tea.Cmd { return m.explain("edit", r.ID()) })
	case k.Create.Matches(msg):
		if g.t == nil {
			return nil
		}
		return m.explain("create", "")
	case k.Delete.Matches(msg):
		return m.withRow(func(r engine.Row) tea.Cmd {
			return m.write(writeReq{op: "delete", rowID: r.ID(), dry: true, since: r.LastChange()})
		})
	case k.Actions.Matches(msg):
		if g.t == nil {
			return nil
		}
		id, since := "", ""
		if r, ok := g.selected(); ok {
			id, since = r.ID(), r.LastChange()
		}
		return m.listActions(id, since)
	case k.CopyCell.Matches(msg):
		return m.withRow(m.copyCell)
	case k.CopyRow.Matches(msg):
		return m.withRow(m.copyRow)
	case k.ExportCSV.Matches(msg):
		return m.export("csv")
	case k.ExportJSON.Matches(msg):
		return m.export("json")
	}
	return g.Update(msg)
}

// withRow runs fn on the selected row, or says why it cannot.
func (m *Model) withRow(fn func(engine.Row) tea.Cmd) tea.Cmd {
	r, ok := m.grid.selected()
	if !ok {
		m.setStatus("no row selected", true)
		return nil
	}
	return fn(r)
}

func (m *Model) selectTable(i int) tea.Cmd {
	if i == m.sidebar.cur && m.grid.t != nil {
		return nil
	}
	m.sidebar.cur = i
	return m.grid.setTable(m.cfg.Tables[i])
}

// View renders the console: header, body, footer. A terminal shorter than
// the layout's minimum (eight lines) shows its first lines.
func (m *Model) View() string {
	var body string
	switch m.mode {
	case modeBrowse, modeSearch:
		if m.sidebarShown() {
			body = joinColumns(m.sidebar.View(), m.grid.View(), m.sidebar.w, m.grid.width, m.bodyHeight())
		} else {
			body = m.grid.View()
		}
	default:
		body = m.overlay.View()
	}
	footer := m.statusView()
	if !strings.Contains(footer, "\n") {
		footer += "\n" + m.hintsView()
	}
	frame := m.headerView() + "\n" + body + "\n" + footer
	if h := m.c.Height; h > 0 && strings.Count(frame, "\n") >= h {
		frame = strings.Join(strings.SplitN(frame, "\n", h+1)[:h], "\n")
	}
	return frame
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
