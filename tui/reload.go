package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// R reads the config file again; an invalid config, or one the database
// cannot follow safely, is refused and the current one kept.

// reloadMsg is the outcome of reading the config file again: the new
// config and an engine over the same store for it, or why it was refused.
type reloadMsg struct {
	path string
	cfg  *schema.Config
	eng  *engine.Engine
	err  error
}

// reloadPlanMsg is the config read again and what applying it would change
// in the database (engine.PlanReload), or why it cannot be applied.
type reloadPlanMsg struct {
	path  string
	cfg   *schema.Config
	stmts []string
	err   error
}

// reloadConfig reads the config file again and, off the Update goroutine,
// plans what it changes in the database. Nothing changes until the plan
// arrives; an invalid config changes nothing at all.
func (m *Model) reloadConfig() tea.Cmd {
	path := m.opts.ConfigPath
	if path == "" {
		m.setStatus("no config file to reload: the console was not started from one", true)
		return nil
	}
	eng := m.s.eng
	m.setStatus("reloading "+termsafe.Sanitize(path)+"…", false)
	return func() tea.Msg {
		cfg, err := schema.Load(path)
		if err != nil {
			return reloadPlanMsg{path: path, err: err}
		}
		stmts, err := eng.PlanReload(context.Background(), cfg)
		return reloadPlanMsg{path: path, cfg: cfg, stmts: stmts, err: err}
	}
}

// onReloadPlan applies a config that changes nothing in the database; one
// that does shows the statements it would run and asks first (y/N).
func (m *Model) onReloadPlan(msg reloadPlanMsg) tea.Cmd {
	if msg.err != nil || len(msg.stmts) == 0 {
		if msg.err != nil {
			return m.onReload(reloadMsg{path: msg.path, err: msg.err})
		}
		return m.applyReload(msg.path, msg.cfg)
	}
	path := termsafe.Sanitize(msg.path)
	if m.mode != modeBrowse {
		m.setStatus("config "+path+" changes the database: press R again while browsing to see how", true)
		return nil
	}
	st := m.c.Styles
	lines := []string{"Applying " + path + " changes the database " + termsafe.Sanitize(m.opts.DBPath) + ":", ""}
	for _, stmt := range msg.stmts {
		for _, l := range strings.Split(termsafe.SanitizeLines(stmt), "\n") {
			lines = append(lines, st.Label.Render(l))
		}
	}
	lines = append(lines, "", st.Reason.Render("No keeps the current config and leaves the database as it is."))
	cfg, p := msg.cfg, msg.path
	return m.open(modeConfirm, &confirm{c: m.c, title: "Reload the config?", lines: lines,
		question: "Change the database and reload?", cancelled: "the database changes of " + path + "; the current config is kept",
		yes: func() tea.Cmd { return m.applyReload(p, cfg) }})
}

// applyReload brings the database in line with cfg and builds the engine
// for it (engine.Reload), off the Update goroutine.
func (m *Model) applyReload(path string, cfg *schema.Config) tea.Cmd {
	eng := m.s.eng
	return func() tea.Msg {
		ne, err := eng.Reload(context.Background(), cfg)
		return reloadMsg{path: path, cfg: cfg, eng: ne, err: err}
	}
}

// onReload applies a reloaded config, or shows why it was refused and keeps
// the current one. Requests in flight for the old config become stale: the
// identity's state is reloaded on the new engine.
func (m *Model) onReload(msg reloadMsg) tea.Cmd {
	path := termsafe.Sanitize(msg.path)
	if msg.err != nil {
		problems := strings.Split(termsafe.SanitizeLines(msg.err.Error()), "\n")
		m.setStatus(fmt.Sprintf("config %s not reloaded, the current one is kept: %s", path, problems[0]), true)
		if m.mode == modeBrowse {
			lines := []string{"The config " + path + " was not reloaded: the console keeps the one it has.",
				"Fix these problems and press R again:", ""}
			for _, p := range problems {
				lines = append(lines, "  "+p)
			}
			return m.open(modeResult, newResultView(m.c, func(int) []string { return lines }))
		}
		return nil
	}
	current := ""
	if m.grid.t != nil {
		current = m.grid.t.Name
	}
	m.s.eng, m.cfg = msg.eng, msg.cfg
	m.sidebar.setTables(m.cfg.Tables, current)
	m.memo = nil
	m.sidebar.setAccess(map[string]engine.OpExplanation{})
	m.setStatus(fmt.Sprintf("reloaded config %s: %d tables", path, len(m.cfg.Tables)), false)
	cmds := []tea.Cmd{m.loadMembers()}
	if m.haveID {
		m.grid.t = nil
		m.grid.forget()
		cmds = append(cmds, m.startIdentity())
	}
	return tea.Batch(cmds...)
}
