package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEndTmux builds the qb binary, runs the console in tmux on a
// temporary copy of the default project, switches identity with keystrokes
// and reads the screen back with capture-pane. The hostile fixture name
// (OSC 52 and clear-screen bytes) must leave the screen intact.
func TestEndToEndTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives tmux")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "qb")
	build := exec.Command("go", "build", "-o", bin, "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	proj := filepath.Join(dir, "project")
	if err := os.MkdirAll(filepath.Join(proj, "fixtures"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("..", "quickback.toml"), filepath.Join(proj, "quickback.toml"))
	fx, _ := filepath.Glob(filepath.Join("..", "fixtures", "*.toml"))
	for _, f := range fx {
		copyFile(t, f, filepath.Join(proj, "fixtures", filepath.Base(f)))
	}

	socket := fmt.Sprintf("qb-e2e-%d", os.Getpid())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	cmd := fmt.Sprintf("cd %q && %q --config quickback.toml --table candidates; sleep 60", proj, bin)
	run("new-session", "-d", "-s", "qb", "-x", "120", "-y", "40", cmd)
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", socket, "kill-server").Run() })

	capture := func() string { return run("capture-pane", "-p", "-t", "qb") }
	waitScreen := func(what string, cond func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			s := capture()
			if cond(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; the screen is:\n%s", what, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	contains := func(subs ...string) func(string) bool {
		return func(s string) bool {
			for _, x := range subs {
				if !strings.Contains(s, x) {
					return false
				}
			}
			return true
		}
	}
	intact := func(s string) {
		t.Helper()
		lines := strings.Split(s, "\n")
		if !strings.HasPrefix(lines[0], "QUICKBACK CONSOLE") {
			t.Fatalf("the header is gone (was the screen cleared?):\n%s", s)
		}
		if !strings.Contains(s, "Mallory ␛]52;c;SGVsbG8=␇␛[2") {
			t.Fatalf("the hostile name is not shown as visible symbols:\n%s", s)
		}
		if !strings.Contains(s, "TABLES") || !strings.Contains(s, "i identity") {
			t.Fatalf("the layout is broken:\n%s", s)
		}
		if bufs := run("list-buffers"); strings.TrimSpace(bufs) != "" {
			t.Fatalf("a fixture value reached the terminal's clipboard: %q", bufs)
		}
	}
	send := func(keys ...string) { run(append([]string{"send-keys", "-t", "qb"}, keys...)...) }

	s := waitScreen("the console as the default identity", contains("acting as Benjamin Adler (u-ben)", "role owner", "Candidates (candidates)", "row 1 of 14"))
	intact(s)

	send("i")
	waitScreen("the identity switcher", contains("Act as…"))
	send("-l", "ivan")
	waitScreen("the filtered list", contains("› Ivan Petrov"))
	send("Enter")
	s = waitScreen("the interviewer's view", contains("role interviewer", "IMPERSONATING", "◆j***@e******.com"))
	if strings.Contains(s, "jane@example.com") {
		t.Fatalf("an interviewer sees a raw email:\n%s", s)
	}
	intact(s)

	send("i")
	waitScreen("the identity switcher", contains("Act as…"))
	send("-l", "dana")
	waitScreen("the filtered list", contains("› Dana Reyes"))
	send("Enter")
	s = waitScreen("the hiring manager's view", contains("role hiring-manager", "jane@example.com", "555-123-4567"))
	intact(s)

	send("q")
	waitScreen("the console to quit", func(s string) bool { return !strings.Contains(s, "QUICKBACK CONSOLE") })
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
