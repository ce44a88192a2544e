package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/internal/testkit"
)

// copyProject copies the default project (config and fixtures) into dir.
func copyProject(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile("quickback.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "quickback.toml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "fixtures"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("fixtures/*.toml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "fixtures", filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "quickback.toml")
}

// tmuxSession is the console running in a detached tmux session.
type tmuxSession struct {
	t      *testing.T
	name   string
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) capture() string {
	out, err := s.tmux("capture-pane", "-p", "-t", s.name)
	if err != nil {
		s.t.Fatalf("capture-pane: %v: %s", err, out)
	}
	return out
}

// waitFor polls the screen until every want is on it.
func (s *tmuxSession) waitFor(wants ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var screen string
	for time.Now().Before(deadline) {
		screen = s.capture()
		ok := true
		for _, w := range wants {
			if !strings.Contains(screen, w) {
				ok = false
			}
		}
		if ok {
			return screen
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; last screen:\n%s", wants, screen)
	return ""
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...); err != nil {
		s.t.Fatalf("send-keys: %v: %s", err, out)
	}
}

func (s *tmuxSession) typeText(text string) {
	s.t.Helper()
	if out, err := s.tmux("send-keys", "-t", s.name, "-l", text); err != nil {
		s.t.Fatalf("send-keys: %v: %s", err, out)
	}
}

func startConsole(t *testing.T, bin string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	s := &tmuxSession{t: t, name: fmt.Sprintf("qb-e2e-%d", os.Getpid()), socket: filepath.Join(dir, "tmux.sock")}
	cmd := bin + " " + strings.Join(args, " ")
	if out, err := s.tmux("-f", "/dev/null", "new-session", "-d", "-s", s.name, "-x", "120", "-y", "40", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	// Let OSC 52 reach tmux's clipboard if the console ever sent raw data:
	// the test then proves no fixture value was interpreted.
	s.tmux("set-option", "-g", "set-clipboard", "on")
	t.Cleanup(func() { s.tmux("kill-server") })
	return s
}

// TestConsoleEndToEnd drives the built binary in tmux: it opens as an
// interviewer on candidates (masked PII), switches identity with keystrokes
// to a hiring manager (raw PII), and checks that a fixture name holding an
// OSC 52 and a clear-screen sequence is shown as inert text.
func TestConsoleEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	bin := testkit.BuildQB(t)
	s := startConsole(t, bin, "--config", cfg, "--as", "u-ivan", "--table", "candidates")

	screen := s.waitFor("u-ivan", "interviewer", "j***@e******.com", "***-***-4567")
	if strings.Contains(screen, "jane@example.com") {
		t.Fatalf("an interviewer saw a raw email:\n%s", screen)
	}
	// The hostile fixture name is on screen as visible symbols, and the
	// header above it survived (no clear-screen took effect).
	if !strings.Contains(screen, "Mallory ␛]52;c;") {
		t.Fatalf("hostile name not shown as inert text:\n%s", screen)
	}
	if !strings.Contains(strings.SplitN(screen, "\n", 2)[0], "Hiring") {
		t.Fatalf("the header line is gone:\n%s", screen)
	}
	if bufs, _ := s.tmux("list-buffers"); strings.TrimSpace(bufs) != "" {
		t.Fatalf("a fixture value reached the terminal's clipboard: %q", bufs)
	}

	// Switch identity with keystrokes: i, filter the list, enter.
	s.keys("i")
	s.waitFor("dana")
	s.typeText("dana")
	s.keys("Enter")
	screen = s.waitFor("u-dana", "hiring-manager", "jane@example.com", "555-123-4567")
	if strings.Contains(screen, "j***@e******.com") {
		t.Fatalf("the previous identity's masked rows are still shown:\n%s", screen)
	}

	s.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := s.tmux("has-session", "-t", s.name); err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("q did not quit the console")
}
