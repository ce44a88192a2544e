package engine_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// Group commit of read entries (issue 11, item 5; SPEC §3.7).

// gcOps are the operations a worker runs, by letter: r a list and g a get
// (allowed reads, group-committed), w an update (a write), x a refused
// create (a refusal), with the audit operation each appends.
var gcOps = map[byte]string{'r': "list", 'g': "get", 'w': "update", 'x': "create"}

// gcRun runs one operation of a worker.
func gcRun(ctx context.Context, e *engine.Engine, op byte, i int) error {
	switch op {
	case 'r':
		_, err := e.List(ctx, engine.SyntheticIdentity("acme", "interviewer"), "jobs", engine.ListQuery{Limit: 5})
		return err
	case 'g':
		_, err := e.Get(ctx, engine.Identity{UserID: "u-dana", OrgID: "acme", Role: "hiring-manager"}, "candidates", "c-jane")
		return err
	case 'w':
		_, err := e.Update(ctx, engine.Identity{UserID: "u-rachel", OrgID: "acme", Role: "recruiter"}, "candidates", "c-tomas", map[string]any{"name": fmt.Sprintf("Tomás %d", i)}, engine.WriteOptions{})
		return err
	case 'x':
		_, err := e.Create(ctx, engine.Identity{UserID: "u-ivan", OrgID: "acme", Role: "interviewer"}, "candidates", map[string]any{"name": "nope"}, engine.WriteOptions{})
		if err == nil {
			return fmt.Errorf("the refused create was allowed")
		}
		return nil
	}
	return fmt.Errorf("unknown op %q", op)
}

// gcExpand turns "r*3,w" into "rrrw".
func gcExpand(script string) string {
	var b strings.Builder
	for _, part := range strings.Split(script, ",") {
		op, n := part, 1
		if i := strings.IndexByte(part, '*'); i > 0 {
			op = part[:i]
			fmt.Sscan(part[i+1:], &n)
		}
		b.WriteString(strings.Repeat(op, n))
	}
	return b.String()
}

// TestHelperAuditWorker is not a test: it is the worker process the group
// commit tests start. It opens the database QB_GC_DB (a file or a
// postgres:// URL) as operator QB_GC_NAME with the group window
// QB_GC_WINDOW (each append held QB_GC_HEAD_PAUSE after reading the
// chain's head, when set), runs the operations QB_GC_OPS (see
// gcExpand), printing "done N" after each, then either closes the engine
// and prints "closed", or (QB_GC_PAUSE set) prints "paused" and waits to be
// killed.
func TestHelperAuditWorker(t *testing.T) {
	path := os.Getenv("QB_GC_DB")
	if path == "" {
		t.Skip("a helper process, run by the group commit tests")
	}
	window, _ := time.ParseDuration(os.Getenv("QB_GC_WINDOW"))
	if pause, _ := time.ParseDuration(os.Getenv("QB_GC_HEAD_PAUSE")); pause > 0 {
		// Every append waits after reading the chain's head: without the
		// lock that serializes appends, processes would chain onto one head.
		engine.SetRacePoint(func(p string) {
			if p == "audit.head" {
				time.Sleep(pause)
			}
		})
	}
	cfg, err := schema.Load("../quickback.toml")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	e, err := engine.Open(cfg, path, engine.Options{OSUser: os.Getenv("QB_GC_NAME"), GroupWindow: window})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	for i, op := range []byte(gcExpand(os.Getenv("QB_GC_OPS"))) {
		if err := gcRun(ctx, e, op, i); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Fprintf(out, "done %d\n", i)
		out.Flush()
	}
	if os.Getenv("QB_GC_PAUSE") != "" {
		// The group commit the 256th read started runs on a goroutine of
		// its own; the kill comes after it, so what the log holds is exact.
		engine.WaitGroupCommits(e)
		fmt.Println("paused")
		time.Sleep(time.Minute)
		os.Exit(1)
	}
	if err := e.Close(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("closed")
	os.Exit(0)
}

// gcWorker is a running worker process.
type gcWorker struct {
	name, ops string
	cmd       *exec.Cmd
	lines     chan string
	done      int // operations it reported done
}

// gcWaitClosed waits until every worker has closed its engine and exited.
func gcWaitClosed(t *testing.T, workers []*gcWorker) {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func(w *gcWorker) {
			defer wg.Done()
			w.wait(t, "closed")
			w.cmd.Wait()
		}(w)
	}
	wg.Wait()
}

func gcStart(t *testing.T, path, name, script, window string, pause bool) *gcWorker {
	t.Helper()
	return gcStartEnv(t, path, name, script, window, pause)
}

// gcStartEnv is gcStart with more of the worker's environment (env's
// NAME=value entries).
func gcStartEnv(t *testing.T, path, name, script, window string, pause bool, env ...string) *gcWorker {
	t.Helper()
	w := &gcWorker{name: name, ops: gcExpand(script), lines: make(chan string, 1024)}
	w.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperAuditWorker$")
	w.cmd.Env = append(os.Environ(), "QB_GC_DB="+path, "QB_GC_NAME="+name, "QB_GC_OPS="+script, "QB_GC_WINDOW="+window)
	w.cmd.Env = append(w.cmd.Env, env...)
	if pause {
		w.cmd.Env = append(w.cmd.Env, "QB_GC_PAUSE=1")
	}
	w.cmd.Stderr = os.Stderr
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
	}()
	return w
}

// wait reads the worker's lines until it prints until (or ends), counting
// the operations it reported done.
func (w *gcWorker) wait(t *testing.T, until string) {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				t.Fatalf("worker %s ended before %q", w.name, until)
			}
			if strings.HasPrefix(line, "error") {
				t.Fatalf("worker %s: %s", w.name, line)
			}
			if strings.HasPrefix(line, "done ") {
				w.done++
			}
			if line == until {
				return
			}
		case <-timeout:
			t.Fatalf("worker %s: no %q", w.name, until)
		}
	}
}

// gcLogged is the sequence of operations (as op letters) the log holds for
// operator name, in log order.
func gcLogged(t *testing.T, e *engine.Engine, name string) string {
	t.Helper()
	es, err := e.AuditEntries(context.Background(), engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	letter := map[string]byte{}
	for k, v := range gcOps {
		letter[v] = k
	}
	var b strings.Builder
	for _, x := range es {
		if x.OSUser == name {
			b.WriteByte(letter[x.Operation])
		}
	}
	return b.String()
}

// TestAuditGroupCommitProcesses: six processes run mixed reads, writes and
// refusals on one database at once, reads group-committed. The chain
// verifies (witness included), nothing is lost, and each process's entries
// are in the order of its operations.
func TestAuditGroupCommitProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes")
	}
	path := filepath.Join(t.TempDir(), "hiring.db")
	first := enginetest.Seeded(t, enginetest.At(path))
	scripts := []string{
		"r*20,w,g*5,x,r*30,w,r*3",
		"w,r*50,x,g*10,w,r",
		"g*40,w*2,r*40,x",
		"x,r,w,r,g,r,x,w,r*25,g*25",
		"r*100,w",
		"w*5,x*5,r*60",
	}
	var workers []*gcWorker
	for i, s := range scripts {
		workers = append(workers, gcStart(t, path, fmt.Sprintf("worker-%d", i), s, "", false))
	}
	gcWaitClosed(t, workers)
	r := auVerify(t, first, "")
	// Every entry is witnessed but the seed's (it came with the template).
	if !r.OK || !r.Witness.Found || r.Witness.Heads != r.Entries-1 {
		t.Fatalf("the chain after six processes: %+v", r)
	}
	for _, w := range workers {
		if got := gcLogged(t, first, w.name); got != w.ops {
			t.Errorf("%s: the log holds\n %s\nits operations were\n %s", w.name, got, w.ops)
		}
	}
}

// TestAuditGroupCommitKill: a process killed outright loses only the read
// entries still waiting for their group commit: exactly those after its
// last flush (the group of 256 waiting entries, committed in the
// background; a write's or a refusal's commit), never a write's or a
// refusal's; what is logged is in operation order. (The window is an hour
// here, so no timer flushes behind the test's back; the worker waits for
// the group commit it started before it is killed.)
func TestAuditGroupCommitKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	// A group commit runs in the background and appends every entry
	// waiting when it takes the queue: reads made while it starts may go
	// with it. So where a background group commit is the last flush, the
	// log holds at least the operations up to its 256th entry and at most
	// all of them; where a write or refusal is, exactly those before it.
	cases := []struct {
		script       string
		logged, most int // operations whose entries must be in the log; may be
	}{
		{"r*300,w,r*40", 301, 301},      // 256 flushed by the count, 44 by the write; 40 lost
		{"g*10,x,r*5", 11, 11},          // the refusal flushes the reads before it; 5 lost
		{"r*255", 0, 0},                 // one short of a group commit: all lost
		{"r*256,g*3", 256, 259},         // exactly a group: flushed (the 3 gets may join it)
		{"w,r*2,w,x,r*600,g", 517, 606}, // w,r,r,w,x and 2 groups of 256; up to 89 lost
	}
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hiring.db")
			e := enginetest.Seeded(t, enginetest.At(path))
			w := gcStart(t, path, "killed", c.script, "1h", true)
			w.wait(t, "paused")
			w.cmd.Process.Signal(syscall.SIGKILL)
			w.cmd.Wait()
			if w.done != len(w.ops) {
				t.Fatalf("the worker reported %d of %d operations", w.done, len(w.ops))
			}
			r := auVerify(t, e, "")
			if !r.OK {
				t.Fatalf("the chain after the kill: %+v", r)
			}
			got := gcLogged(t, e, "killed")
			lost := w.ops[len(got):]
			t.Logf("%s: %d entries logged, %d lost", c.script, len(got), len(lost))
			if got != w.ops[:len(got)] {
				t.Fatalf("the logged entries are not the operations in order:\n got %s\nwant a prefix of %s", got, w.ops)
			}
			if len(got) < c.logged || len(got) > c.most {
				t.Errorf("%d entries logged, want %d to %d", len(got), c.logged, c.most)
			}
			if strings.ContainsAny(lost, "wx") {
				t.Errorf("a write's or a refusal's entry was lost: %s", lost)
			}
			if len(lost) >= 256 {
				t.Errorf("%d read entries lost: more than one group", len(lost))
			}
		})
	}
}

// TestAuditGroupCommitWindow: an allowed read's entry waits in memory and
// reaches the log without any further operation (the timer); with
// [audit].reads = "sync" it is in the log when the read returns.
func TestAuditGroupCommitWindow(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t)
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	raw := func() int {
		var n int
		if err := engine.RawDB(e).QueryRow("SELECT count(*) FROM qb_audit").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := auCount(t, e)
	if _, err := e.List(ctx, ivan, "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if n := raw(); n != n0 {
		t.Errorf("group mode: the read's entry is in the log at once (%d entries, was %d)", n, n0)
	}
	deadline := time.Now().Add(10 * time.Second)
	for raw() == n0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := raw(); n != n0+1 {
		t.Errorf("the timer did not append the waiting entry: %d entries, want %d", n, n0+1)
	}

	cfg := enginetest.Config(t, enginetest.Edit{New: "[audit]\nreads = \"sync\""})
	s, err := engine.Open(cfg, e.Path(), engine.Options{GroupWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n1 := raw()
	if _, err := s.Get(ctx, ivan, "candidates", "c-jane"); err != nil {
		t.Fatal(err)
	}
	if n := raw(); n != n1+1 {
		t.Errorf("sync mode: %d entries after the read, want %d", n, n1+1)
	}
}

// TestAuditOrderWithinAProcess: reads, writes, refusals, dry runs and
// session entries of one engine are logged in the order they ran, whatever
// commits them.
func TestAuditOrderWithinAProcess(t *testing.T) {
	ctx := context.Background()
	base := enginetest.Seeded(t)
	e, err := engine.Open(base.Config(), base.Path(), engine.Options{GroupWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n0 := int64(auCount(t, e))
	dana := enginetest.Member(t, e, "u-dana", "acme")
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	var want []string
	do := func(op string, f func()) { f(); want = append(want, op) }
	do("session.start", func() { _ = e.LogSession(ctx, engine.SessionStart, dana, nil) })
	do("list", func() { _, _ = e.List(ctx, dana, "jobs", engine.ListQuery{}) })
	do("get", func() { _, _ = e.Get(ctx, dana, "candidates", "c-jane") })
	do("update", func() {
		_, _ = e.Update(ctx, dana, "candidates", "c-jane", map[string]any{"name": "Jane D."}, engine.WriteOptions{})
	})
	do("explain", func() { _, _ = e.Explain(ctx, dana, "candidates", "c-jane") })
	do("update:dry-run", func() {
		_, _ = e.Update(ctx, dana, "candidates", "c-jane", map[string]any{"name": "J"}, engine.WriteOptions{DryRun: true})
	})
	do("actions", func() { _, _ = e.Actions(ctx, dana, "applications", "a-1002") })
	do("identity.switch", func() { _ = e.LogSession(ctx, engine.IdentitySwitch, ivan, &dana) })
	do("list", func() { _, _ = e.List(ctx, ivan, "jobs", engine.ListQuery{}) })
	do("list", func() { _, _ = e.List(ctx, ivan, "ats_imports", engine.ListQuery{}) }) // refused
	do("get", func() { _, _ = e.Get(ctx, ivan, "candidates", "c-jane") })
	do("session.end", func() { _ = e.LogSession(ctx, engine.SessionEnd, ivan, nil) })
	do("list", func() { _, _ = e.List(ctx, ivan, "jobs", engine.ListQuery{}) })
	if err := e.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	es, _ := e.AuditEntries(ctx, engine.AuditFilter{AfterSeq: n0})
	var got []string
	for _, x := range es {
		got = append(got, x.Operation)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("log order:\n got %v\nwant %v", got, want)
	}
}

// TestAuditGroupCommitInBackground: the read that completes a group of 256
// waiting entries does not wait for their commit — it runs on a goroutine
// of its own — even while another writer holds the lock for longer than
// the busy timeout would let a reader wait; the group is in the log once
// the lock is released.
func TestAuditGroupCommitInBackground(t *testing.T) {
	ctx := context.Background()
	base := enginetest.Seeded(t)
	e, err := engine.Open(base.Config(), base.Path(), engine.Options{GroupWindow: time.Hour, BusyTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n0 := auCount(t, e)
	holder, err := sql.Open("sqlite", dbconn.DSN(e.Path(), false))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	lock, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	start := time.Now()
	for i := 0; i < 300; i++ {
		if _, err := e.List(ctx, ivan, "jobs", engine.ListQuery{Limit: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("300 reads took %s while another writer held the lock: a reader waited for the group's commit", took)
	}
	if _, err := lock.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	engine.WaitGroupCommits(e)
	var n int
	if err := engine.RawDB(e).QueryRow("SELECT count(*) FROM qb_audit").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != n0+256 {
		t.Errorf("%d entries in the log after the lock was released, want the group of 256 (%d)", n-n0, n0+256)
	}
}
