package tui

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

func init() {
	// Goldens are plain text: no colour, no attributes.
	lipgloss.SetColorProfile(termenv.Ascii)
}

// newEngine is a seeded copy of the default project with a fixed clock
// (enginetest.Fixed), so what the console writes is the same on every run.
func newEngine(t testing.TB) *engine.Engine {
	t.Helper()
	return enginetest.Seeded(t, enginetest.Fixed())
}

// identity resolves a user id (and optional org) like --as does.
func identity(t testing.TB, e *engine.Engine, as, org string) *engine.Identity {
	t.Helper()
	id := enginetest.Member(t, e, as, org)
	return &id
}

// syncBuffer is a goroutine-safe buffer (the clipboard sink).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// flow is a running console under teatest.
type flow struct {
	t  *testing.T
	tm *teatest.TestModel
	m  *Model
}

func startFlow(t *testing.T, e *engine.Engine, opts Options) *flow {
	t.Helper()
	return startFlowSized(t, e, opts, 120, 40)
}

// startFlowSized is startFlow in a w×h terminal.
func startFlowSized(t *testing.T, e *engine.Engine, opts Options, w, h int) *flow {
	t.Helper()
	if opts.Clipboard == nil {
		opts.Clipboard = io.Discard
	}
	if opts.DBPath == "" {
		opts.DBPath = "hiring.db"
	}
	if opts.ExportDir == "" {
		opts.ExportDir = t.TempDir()
	}
	m := New(e, opts)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	f := &flow{t: t, tm: tm, m: m}
	t.Cleanup(func() { _ = tm.Quit() })
	return f
}

// view asks the running program for its view (race-free) as plain text,
// and whether requests are still in flight.
func (f *flow) snapshot() (string, bool) {
	ch := make(chan viewReply, 1)
	f.tm.Send(viewRequest{reply: ch})
	select {
	case r := <-ch:
		return trimLines(ansi.Strip(r.view)), r.busy
	case <-time.After(5 * time.Second):
		f.t.Fatal("the program did not answer a view request")
		return "", false
	}
}

// waitView waits until the view satisfies cond and nothing is in flight.
func (f *flow) waitView(what string, cond func(string) bool) string {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, busy := f.snapshot()
		if !busy && cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s (busy %v); the screen is:\n%s", what, busy, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor waits until the view contains every string.
func (f *flow) waitFor(subs ...string) string {
	f.t.Helper()
	return f.waitView(strings.Join(subs, " & "), func(v string) bool {
		for _, s := range subs {
			if !strings.Contains(v, s) {
				return false
			}
		}
		return true
	})
}

func (f *flow) key(keys ...string) {
	for _, k := range keys {
		f.tm.Send(keyMsg(k))
	}
}

func (f *flow) typeText(s string) { f.tm.Type(s) }

// golden compares the current view with testdata/<test name>.golden.
func (f *flow) golden(t *testing.T, v string) {
	t.Helper()
	golden.RequireEqual(t, []byte(v))
}

// keyMsg builds the key message for a key name as bubbletea reports it.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// drive runs a command synchronously and feeds every message it produces
// (batches flattened) back into the model, except the kinds in skip.
// Commands that do not answer within a short time (cursor blinks) are
// abandoned.
func drive(m *Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := runCmd(c)
		if msg == nil {
			continue
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if !engineMsg(msg) {
			continue
		}
		_, next := m.Update(msg)
		queue = append(queue, next)
	}
}

// collect runs a command and returns the engine messages it produces,
// without delivering them.
func collect(cmd tea.Cmd) []tea.Msg {
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := runCmd(c)
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg != nil && engineMsg(msg) {
			out = append(out, msg)
		}
	}
	return out
}

func runCmd(c tea.Cmd) tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() { ch <- c() }()
	select {
	case msg := <-ch:
		return msg
	case <-time.After(300 * time.Millisecond):
		return nil
	}
}

func engineMsg(msg tea.Msg) bool {
	switch msg.(type) {
	case membersMsg, pageMsg, countMsg, funnelMsg, accessMsg, explainMsg, compareMsg, writeMsg, actionsMsg, runMsg, exportMsg, copiedMsg, labelsMsg, refChoicesMsg:
		return true
	}
	return false
}

// plain renders the model's view without styling.
func plain(m *Model) string { return trimLines(ansi.Strip(m.View())) }

// trimLines drops trailing spaces (padding) from every line.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
