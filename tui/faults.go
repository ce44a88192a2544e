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
			m.panel = newPanel(m.c, lines)
			m.panel.SetSize(m.c.Width, m.bodyHeight())
			m.mode = modeResult
		}
		return nil
	}
	current := ""
	if m.grid.t != nil {
		current = m.grid.t.Name
	}
	m.s.eng, m.cfg = msg.eng, msg.cfg
	m.tableIdx = 0
	for i, t := range m.cfg.Tables {
		if t.Name == current {
			m.tableIdx = i
		}
	}
	m.memo = nil
	m.access = map[string]engine.OpExplanation{}
	m.setStatus(fmt.Sprintf("reloaded config %s: %d tables", path, len(m.cfg.Tables)), false)
	cmds := []tea.Cmd{m.loadMembers()}
	if m.haveID {
		m.grid.t = nil
		m.grid.forget()
		cmds = append(cmds, m.startIdentity())
	}
	return tea.Batch(cmds...)
}

// idleStatus is what the status line says when nothing else is: audit
// entries kept out of the log by another writer's lock (an error: the log
// is behind), else why the database is read-only.
func (m *Model) idleStatus() (string, bool) {
	if n, _ := m.s.eng.PendingAudit(); n > 0 {
		return fmt.Sprintf("audit log locked by another writer: %d %s pending, written in order once the lock is released (browsing continues)", n, plural(n, "entry", "entries")), true
	}
	if m.opts.ReadOnlyReason != "" {
		return m.opts.ReadOnlyReason, false
	}
	return "", false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
