package engine_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// maxDocLines is two screens of go doc: the engine's API stays small enough
// to read whole (issue #20). Data-only types belong in engine/access or
// engine/seed, connection helpers in internal/dbconn, and a name with no
// caller outside engine stays unexported.
const maxDocLines = 80

// TestGoDocFitsTwoScreens: `go doc ./engine` lists at most maxDocLines
// lines, so the API cannot grow back silently.
func TestGoDocFitsTwoScreens(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to run go doc with")
		}
	}
	out, err := exec.Command(goBin, "doc", ".").Output()
	if err != nil {
		t.Fatalf("go doc: %v", err)
	}
	if n := strings.Count(string(out), "\n"); n > maxDocLines {
		t.Errorf("go doc ./engine prints %d lines, want at most %d: move data-only types to a subpackage or unexport what has no caller outside engine\n%s", n, maxDocLines, out)
	}
}
