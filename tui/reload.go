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

// reloadConfig reads the config file again and, off the Update goroutine,
// brings the database in line with it (engine.Reload). Nothing changes
// until the result arrives; an invalid config changes nothing at all.
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
			return reloadMsg{path: path, err: err}
		}
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
