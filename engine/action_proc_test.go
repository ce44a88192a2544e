package engine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"quickback.dev/qb/internal/testkit"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

type actProc struct {
	target string
	code   int
	stdout []byte
	stderr []byte
}

// TestActionConcurrentProcesses runs conflicting advanceStage commands from
// separate qb processes on one database file: exactly one wins, the others
// exit 2 with a lost race or a refused transition, and the audit chain
// (appended by every process) still verifies.
func TestActionConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the qb command")
	}
	t.Parallel() // with the other slow tests, after the package's quick ones
	bin := testkit.BuildQB(t)
	e := enginetest.Seeded(t, enginetest.Fixed())
	cfgPath := filepath.Join(testkit.ModuleRoot(t), "quickback.toml")
	db := e.Path()
	base := []string{"--config", cfgPath, "--db", db, "--json", "--as", "u-dana"}

	// The command line's dry run: the result, the changes, nothing written.
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	out, err := exec.Command(bin, append([]string{"run", "applications", "advanceStage", "a-1004", "--input", `{"stage":"hired"}`, "--dry-run"}, base...)...).Output()
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	var dry struct {
		Result  map[string]any  `json:"result"`
		Changes []engine.Change `json:"changes"`
		DryRun  bool            `json:"dryRun"`
	}
	if err := json.Unmarshal(out, &dry); err != nil || !dry.DryRun || dry.Result["stage"] != "hired" || len(dry.Changes) == 0 || dry.Changes[0].Field != "stage" {
		t.Fatalf("dry run output (%v):\n%s", err, out)
	}
	if enginetest.Dump(t, engine.RawDB(e), "qb_audit") != before {
		t.Fatal("the command line's dry run changed the database")
	}

	// a-1004 is at offer: hired and rejected are both terminal.
	const n = 6
	procs := make([]*actProc, n)
	cmds := make([]*exec.Cmd, n)
	for i := range n {
		p := &actProc{target: []string{"hired", "rejected"}[i%2]}
		procs[i] = p
		cmd := exec.Command(bin, append([]string{"run", "applications", "advanceStage", "a-1004", "--input", `{"stage":"` + p.target + `"}`}, base...)...)
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		cmds[i] = cmd
	}
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee):
				procs[i].code = ee.ExitCode()
			default:
				procs[i].code = -1
			}
			procs[i].stdout, procs[i].stderr = cmd.Stdout.(*bytes.Buffer).Bytes(), cmd.Stderr.(*bytes.Buffer).Bytes()
		}()
	}
	wg.Wait()
	var winners []string
	for i, p := range procs {
		switch p.code {
		case 0:
			winners = append(winners, p.target)
			var res struct {
				Result map[string]any `json:"result"`
			}
			if err := json.Unmarshal(p.stdout, &res); err != nil || res.Result["stage"] != p.target {
				t.Errorf("process %d: output %s (%v)", i, p.stdout, err)
			}
		case 2:
			var res struct {
				Error engine.Error `json:"error"`
			}
			if err := json.Unmarshal(p.stdout, &res); err != nil {
				t.Errorf("process %d: output %s (%v)", i, p.stdout, err)
				continue
			}
			if c := res.Error.Code; c != engine.TransitionLost && c != engine.ActionNotAllowedForState {
				t.Errorf("process %d: refused with %s: %s", i, c, res.Error.Message)
			}
		default:
			t.Errorf("process %d exited %d:\n%s\n%s", i, p.code, p.stdout, p.stderr)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d processes succeeded (%v), want exactly one", len(winners), winners)
	}
	if s := actStage(t, e, "a-1004"); s != winners[0] {
		t.Errorf("stage %s, winner %s", s, winners[0])
	}
	if ok := actOKRuns(t, e, "a-1004"); len(ok) != 1 {
		t.Errorf("%d ok audit entries for a-1004", len(ok))
	}
	refused := 0
	for _, a := range actAudit(t, e) {
		if a.Operation == "action:advanceStage" && a.RecordID == "a-1004" && a.Outcome != "ok" {
			refused++
		}
	}
	if refused != n-1 {
		t.Errorf("%d refusals audited, want %d", refused, n-1)
	}
	v, err := e.VerifyAudit(actCtx, "")
	if err != nil || !v.OK {
		t.Errorf("audit chain after concurrent processes: %+v %v", v, err)
	}
}
