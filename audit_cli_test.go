package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/testkit"
)

// acFill runs commands that append entries: reads, refusals, writes, by
// several identities.
func acFill(p *auditProject, n int) {
	p.t.Helper()
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			p.qb("list", "candidates", "--as", "u-ivan")
		case 1:
			p.qb("get", "jobs", "nope", "--as", "u-gus")
		case 2:
			p.qb("update", "candidates", "c-tomas", "--as", "u-rachel", "--data", fmt.Sprintf(`{"name":"Tomás %d"}`, i))
		case 3:
			p.qb("list", "ats_imports", "--as", "u-ivan")
		}
	}
}

// acDB opens the project's database directly.
func acDB(p *auditProject) *sql.DB {
	p.t.Helper()
	db, err := sql.Open("sqlite", dbconn.DSN(filepath.Join(p.dir, "hiring.db"), false))
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { db.Close() })
	return db
}

// TestCLIAuditRehashedHistory (issue 11, item 2, as reported): an entry's
// user and role edited and every later hash recomputed with the published
// formula. `qb audit --verify` names that entry from the witness and exits
// 3; with only a head kept elsewhere it says the history up to that head
// was rewritten, never that a tail was truncated.
func TestCLIAuditRehashedHistory(t *testing.T) {
	t.Parallel()
	p := newAuditProject(t)
	p.qb("seed")
	acFill(p, 24)
	out, _, code := p.qb("audit", "--verify")
	if code != 0 {
		t.Fatalf("before: exit %d\n%s", code, out)
	}
	head := headRE.FindStringSubmatch(out)[1]
	const edited = 14
	p.exec("UPDATE qb_audit SET user_id = 'u-olivia', role = 'owner' WHERE seq = ?", edited)
	testkit.RehashAudit(t, acDB(p), edited)

	out, _, code = p.qb("audit", "--verify")
	if code != exitProblem || !strings.Contains(out, fmt.Sprintf("audit log BROKEN at entry %d: entry %d is not the entry recorded earlier", edited, edited)) || strings.Contains(out, "truncated") {
		t.Errorf("re-hashed history: exit %d\n%s", code, out)
	}
	out, _, code = p.qb("audit", "--verify", "--json")
	var vr engine.VerifyResult
	if code != exitProblem || json.Unmarshal([]byte(out), &vr) != nil || vr.BrokenSeq != edited || vr.Kind != "edited" {
		t.Errorf("re-hashed history --json: exit %d %+v", code, vr)
	}

	// Without the witness (deleted along with the edit), the head kept
	// elsewhere still catches it: a rewrite, not a truncation.
	if err := os.Remove(vr.Witness.Path); err != nil {
		t.Fatal(err)
	}
	out, _, code = p.qb("audit", "--verify", "--head", head)
	if code != exitProblem || !strings.Contains(out, "rewritten") || strings.Contains(out, "truncated") {
		t.Errorf("re-hashed history with --head only: exit %d\n%s", code, out)
	}
}

// acPayloads are terminal attacks planted in the log: a line that redraws
// the verdict ("audit log verified"), a clipboard write (OSC 52), a C1 CSI,
// a bell.
var acPayloads = []string{
	"\x1b[1A\r\x1b[2Kaudit log verified: 92 entries",
	"\x1b]52;c;ZWNobyBwd25lZA==\x07",
	"\u009b2J\u0007bell",
}

// acUnsafe reports the first terminal control a text output carries.
func acUnsafe(s string) string {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return fmt.Sprintf("%U", r)
		}
	}
	return ""
}

// TestCLIAuditOutputIsSanitized (issue 11, item 1): payloads planted in
// every column of the log (hashes, ids and codes included) and in the
// witness reach no terminal raw, on any output path: the table, --json,
// --output ndjson and --verify (text and JSON), stdout and stderr; and the
// broken log is never reported verified. (The console's L view has its own
// test in tui.)
func TestCLIAuditOutputIsSanitized(t *testing.T) {
	t.Parallel()
	columns := []string{"at", "os_user", "user_id", "org_id", "role", "real_role", "operation", "table_name", "record_id", "outcome", "fields", "reason", "prev_hash", "hash"}
	for _, payload := range acPayloads {
		t.Run(fmt.Sprintf("%q", payload[:6]), func(t *testing.T) {
			p := newAuditProject(t)
			p.qb("seed")
			acFill(p, len(columns)+2)
			for i, col := range columns {
				p.exec(fmt.Sprintf("UPDATE qb_audit SET %s = ? WHERE seq = ?", col), payload, i+2)
			}
			// The newest entry's hash is the head --verify prints.
			p.exec("UPDATE qb_audit SET hash = ? WHERE seq = (SELECT max(seq) FROM qb_audit)", payload)
			out, _, _ := p.qb("audit", "--verify", "--json")
			var vr engine.VerifyResult
			_ = json.Unmarshal([]byte(out), &vr)
			if vr.Witness.Path == "" {
				t.Fatalf("no witness: %s", out)
			}
			f, err := os.OpenFile(vr.Witness.Path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(f, "@ %s pid %s\n2 %s\n", payload, payload, strings.Repeat("f", 64))
			f.Close()

			for _, args := range [][]string{
				{"audit"},
				{"audit", "--json"},
				{"audit", "--output", "ndjson"},
				{"audit", "--verify"},
				{"audit", "--verify", "--json"},
				{"audit", "--verify", "--head", "3:" + strings.Repeat("a", 64)},
				{"audit", "--outcome", "refused"},
			} {
				out, errw, code := p.qb(args...)
				if bad := acUnsafe(out + errw); bad != "" {
					t.Errorf("qb %v prints %s raw:\n%q\n%q", args, bad, out, errw)
				}
				if args[len(args)-1] == "--verify" || len(args) > 2 && args[1] == "--verify" {
					if code != exitProblem || strings.Contains(out, "\naudit log verified") || strings.HasPrefix(out, "audit log verified") {
						t.Errorf("qb %v: exit %d on a broken log:\n%s", args, code, out)
					}
				} else if code != 0 {
					t.Errorf("qb %v: exit %d: %s", args, code, errw)
				}
			}
		})
	}
}

// TestCLIAuditNDJSON (issue 11, item 6): one JSON object per entry, with
// everything its hash covers, so the log can be shipped elsewhere and
// verified there with the published formula.
func TestCLIAuditNDJSON(t *testing.T) {
	p := newAuditProject(t)
	p.qb("seed")
	acFill(p, 8)
	p.qb("get", "candidates", "c-jane", "--as", "u-ivan", "--role", "recruiter", "--reason", "INC-9")
	out, errw, code := p.qb("audit", "--output", "ndjson")
	if code != 0 || errw != "" {
		t.Fatalf("exit %d: %s", code, errw)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10 entries:\n%s", len(lines), out)
	}
	prev := engine.GenesisHash
	for i, line := range lines {
		var e engine.AuditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		for _, key := range []string{`"hash":`, `"prevHash":`, `"hashVersion":`, `"realRole":`, `"reason":`} {
			if !strings.Contains(line, key) {
				t.Errorf("line %d lacks %s: %s", i+1, key, line)
			}
		}
		if e.PrevHash != prev || testkit.PublishedAuditHash(prev, e) != e.Hash {
			t.Errorf("entry %d does not verify from the shipped line: %s", e.Seq, line)
		}
		prev = e.Hash
	}
	if last := lines[9]; !strings.Contains(last, `"realRole":"interviewer"`) || !strings.Contains(last, `"reason":"INC-9"`) {
		t.Errorf("the last entry: %s", last)
	}
	if _, _, code := p.qb("audit", "--output", "ndjson", "--json"); code != exitUsage {
		t.Errorf("--output ndjson --json: exit %d", code)
	}
	if _, _, code := p.qb("audit", "--output", "ndjson", "--verify"); code != exitUsage {
		t.Errorf("--output ndjson --verify: exit %d", code)
	}
	out, _, _ = p.qb("audit", "--output", "ndjson", "--outcome", "refused")
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("--outcome refused: %d entries, want 4:\n%s", n, out)
	}
}

// TestCLIAuditOutcomeRefused: --outcome refused is the policy's refusals
// (error codes), not "error" (a failure such as another writer's lock).
func TestCLIAuditOutcomeRefused(t *testing.T) {
	p := newAuditProject(t)
	p.qb("seed")
	acFill(p, 4) // one refused get, one refused list
	p.exec("UPDATE qb_audit SET outcome = 'error' WHERE seq = 4")
	count := func(args ...string) int {
		out, errw, code := p.qb(append([]string{"audit", "--json"}, args...)...)
		var got struct{ Entries []engine.AuditEntry }
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("audit %v: exit %d %s", args, code, errw)
		}
		return len(got.Entries)
	}
	if n := count("--outcome", "refused"); n != 2 {
		t.Errorf("--outcome refused: %d entries, want 2", n)
	}
	if n := count("--outcome", "error"); n != 1 {
		t.Errorf("--outcome error: %d entries, want 1", n)
	}
}

// TestCLIReasonAndRealRole (issue 11, item 4): --as with --role is logged
// with the role the user really holds; --reason is on every entry of the
// command; both show in `qb audit`. With [audit].requireReason, acting as a
// real user without a reason is a usage error.
func TestCLIReasonAndRealRole(t *testing.T) {
	p := newAuditProject(t)
	p.qb("seed")
	if _, errw, code := p.qb("get", "candidates", "c-jane", "--as", "u-ivan", "--role", "recruiter", "--reason", "TICKET-9 \x1b[2J"); code != 0 {
		t.Fatalf("exit %d: %s", code, errw)
	}
	p.qb("get", "candidates", "c-jane", "--role", "recruiter", "--org", "acme")
	out, _, _ := p.qb("audit", "--limit", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "REAL ROLE") || !strings.Contains(lines[0], "REASON") {
		t.Fatalf("audit table:\n%s", out)
	}
	for _, want := range []string{"u-ivan", "recruiter", "interviewer", "TICKET-9"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("the impersonation's line lacks %q: %s", want, lines[1])
		}
	}
	if strings.Contains(lines[2], "interviewer") || strings.Contains(lines[2], "TICKET") {
		t.Errorf("the next command carries the last one's real role or reason: %s", lines[2])
	}
	if _, errw, code := p.qb("list", "jobs", "--as", "u-ivan", "--reason", strings.Repeat("x", maxReason+1)); code != exitUsage || !strings.Contains(errw, "--reason") {
		t.Errorf("an overlong reason: exit %d %s", code, errw)
	}

	src, _ := os.ReadFile(filepath.Join(p.dir, "quickback.toml"))
	cfg := strings.Replace(string(src), "[auth]", "[audit]\nrequireReason = true\n\n[auth]", 1)
	if err := os.WriteFile(filepath.Join(p.dir, "quickback.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _, _ := p.qb("audit", "--json")
	_, errw, code := p.qb("list", "jobs", "--as", "u-ivan")
	if code != exitUsage || !strings.Contains(errw, "acting as u-ivan needs --reason TEXT") || !strings.Contains(errw, "requireReason") {
		t.Errorf("requireReason without a reason: exit %d %s", code, errw)
	}
	if after, _, _ := p.qb("audit", "--json"); after != before {
		t.Error("the refused command was logged as an operation")
	}
	if _, errw, code := p.qb("list", "jobs", "--as", "u-ivan", "--reason", "INC-3"); code != 0 {
		t.Errorf("requireReason with a reason: exit %d %s", code, errw)
	}
	if _, errw, code := p.qb("list", "jobs", "--role", "interviewer", "--org", "acme"); code != 0 {
		t.Errorf("requireReason, a synthetic identity: exit %d %s", code, errw)
	}
}

// TestHelperQB is not a test: it is qb run as a child process by the
// signal tests, with real signal handling and a group window of an hour
// (so that only the signal handler can have flushed a read's entry). Its
// arguments follow "--" in QB_HELPER_ARGS, one per line.
func TestHelperQB(t *testing.T) {
	args := os.Getenv("QB_HELPER_ARGS")
	if args == "" {
		t.Skip("a helper process, run by the signal tests")
	}
	openGroupWindow = time.Hour
	os.Exit(runIO(context.Background(), strings.Split(args, "\n"), os.Stdin, os.Stdout, os.Stderr))
}

// TestCLISignalFlushesTheLog (issue 11, item 5): a command interrupted,
// terminated or hung up appends the read entries still waiting for their
// group commit before it ends (status 128+signal).
func TestCLISignalFlushesTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	p := newAuditProject(t)
	p.qb("seed")
	if _, errw, code := p.qb("generate", "candidates", "3000", "--orgs", "1"); code != 0 {
		t.Fatalf("generate: %s", errw)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			out, _, _ := p.qb("audit", "--verify", "--json")
			var before engine.VerifyResult
			_ = json.Unmarshal([]byte(out), &before)
			// list --all writes page after page to a pipe nobody reads: it
			// blocks with the entries of the pages it read waiting.
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperQB$")
			cmd.Env = append(os.Environ(), "QB_HELPER_ARGS="+strings.Join([]string{"--config", filepath.Join(p.dir, "quickback.toml"), "list", "candidates", "--role", "owner", "--org", "gen-org-001", "--all", "--limit", "20"}, "\n"))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var errw bytes.Buffer
			cmd.Stderr = &errw
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the pipe is full (the first rows arrive), then a
			// little longer for the process to block on it.
			r := bufio.NewReader(stdout)
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go func() { _, _ = r.WriteTo(new(bytes.Buffer)) }() // let it finish writing, if it does
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Errorf("exit: %v, want status %d\n%s", err, 128+int(sig), errw.String())
			}
			out, _, _ = p.qb("audit", "--verify", "--json")
			var after engine.VerifyResult
			if json.Unmarshal([]byte(out), &after) != nil || !after.OK {
				t.Fatalf("the log after %s: %s", sig, out)
			}
			if n := after.Entries - before.Entries; n < 1 {
				t.Errorf("%s: %d list entries reached the log: the waiting ones were dropped", sig, n)
			}
		})
	}
}
