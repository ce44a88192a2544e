// Command qb is Quickback Console: browse a multi-tenant backend's data as
// any identity, try writes and actions as that identity would, and audit who
// can see and do what. With no command it opens the console.
//
// The command line is declared with cobra (commands.go): every command, its
// arguments, flags, help text, examples and shell completions come from one
// declaration, and README's command reference is generated from the same
// declarations (reference.go). The commands live in one file per group:
// cmd_read.go (list, get, explain), cmd_write.go (create, update, delete,
// upsert, run), cmd_audit.go (audit, matrix), cmd_project.go (check, seed,
// generate, users) and cmd_console.go (the console). Adding a command is
// described in commands.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Exit statuses (SPEC §5).
const (
	exitOK      = 0
	exitUsage   = 1 // usage or config error
	exitRefused = 2 // the engine refused the operation
	exitProblem = 3 // a check found problems (audit --verify broken)
)

func main() {
	// The process ends with the command: the engine may leave a small
	// write-ahead log for the next one (engine.Options.KeepWAL).
	exitsAfterCommand = true
	os.Exit(runIO(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// flushOnSignal appends the audit entries still waiting in memory when the
// process is interrupted, terminated or hung up (SPEC §3.7), then ends it
// with the conventional status 128+signal. While the console runs, it
// handles them itself (tui.Run), so the command line leaves them to it.
func (c *cli) flushOnSignal() (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if c.consoleRunning.Load() {
					// The console quits on these itself, logs the
					// session's end, and the engine is closed on the way
					// out (which appends what waits).
					continue
				}
				// Held until the process ends: the command's own return
				// waits for it (below), so the exit status is the signal's.
				c.atExitMu.Lock()
				for _, f := range c.atExit {
					f()
				}
				if eng := c.live.Load(); eng != nil {
					if err := eng.FlushAudit(context.Background()); err != nil {
						fmt.Fprintln(c.errw, "qb:", termsafe.SanitizeLines(err.Error()))
					}
				}
				n := 0
				if s, ok := sig.(syscall.Signal); ok {
					n = int(s)
				}
				os.Exit(128 + n)
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		// A signal being handled ends the process with its own status.
		c.atExitMu.Lock()
		c.atExitMu.Unlock()
	}
}

// run is the whole command line, the seam tests drive: it parses argv, runs
// the command and returns the exit status. Standard input is the process's.
func run(ctx context.Context, argv []string, out, errw io.Writer) int {
	return runIO(ctx, argv, os.Stdin, out, errw)
}

// runIO is run with its standard input given (for `--data -`).
func runIO(ctx context.Context, argv []string, in io.Reader, out, errw io.Writer) int {
	c := &cli{ctx: ctx, in: in, out: out, errw: errw, argv: argv, json: wantsJSON(argv)}
	defer c.flushOnSignal()()
	root := c.commands()
	root.SetArgs(argv)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errw)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd != nil && cmd.Name() != "help" {
		c.cmdPath = cmd.CommandPath()
	}
	return c.finish(c.closeEngine(err))
}

// cli carries what every command needs.
type cli struct {
	ctx  context.Context
	in   io.Reader
	out  io.Writer
	errw io.Writer
	// argv is the command line as given (to repeat it in hints).
	argv []string

	// The global flags.
	configFlag string
	dbFlag     string
	json       bool

	// wrote is true once a JSON result is on stdout: a failure after it
	// (audit entries the close could not write) goes to stderr as text,
	// so stdout stays one JSON document.
	wrote bool

	cfg *schema.Config
	eng *engine.Engine
	// live is eng for the signal handler's goroutine; consoleRunning is
	// set while the console (which handles signals itself) runs.
	live           atomic.Pointer[engine.Engine]
	consoleRunning atomic.Bool
	// atExit runs when a signal ends the process before the command
	// returns (removing scratch copies of the database).
	atExitMu sync.Mutex
	atExit   []func()
	seeded   bool
	// seedReport is what the last seed of this run did.
	seedReport *seed.Report
	// console is true while the console runs (notes go to its status line).
	console bool
	// cmdPath is the command that ran ("qb list"), for the usage hint.
	cmdPath string
	// roNote says why the database was opened read-only without
	// --read-only ("" when it was not).
	roNote string
	roWhy  string
	// createTables opens a database qb did not create creating the
	// config's tables it lacks (qb migrate --tables).
	createTables bool
}

// wantsJSON reports whether argv asks for --json before the command line
// is parsed, so that even a parse error is reported as JSON.
func wantsJSON(argv []string) bool {
	on := false
	for _, a := range argv {
		switch a {
		case "--":
			return on
		case "--json", "--json=true", "--json=1":
			on = true
		case "--json=false", "--json=0":
			on = false
		}
	}
	return on
}

// openBusyTimeout is how long the commands wait for another writer's lock
// (0: dbconn.BusyTimeoutMS). Tests shorten it.
var openBusyTimeout time.Duration

// openGroupWindow is how long a read's audit entry may wait for its group
// commit (0: the engine's 100 ms). Tests lengthen it, so that only the
// signal handler can have flushed an entry.
var openGroupWindow time.Duration

// usageErr is a mistake in the command line (exit 1, USAGE_ERROR).
type usageErr struct {
	msg     string
	details map[string]any
}

func (e usageErr) Error() string { return e.msg }

func usagef(format string, args ...any) usageErr {
	return usageErr{msg: fmt.Sprintf(format, args...)}
}

// failure is any other error of a command that is not the engine's refusal:
// an invalid config, fixtures that do not load, a database that cannot be
// opened or written (exit 1, CONFIG_ERROR).
type failure struct{ err error }

func (e failure) Error() string { return e.err.Error() }
func (e failure) Unwrap() error { return e.err }

// exitError ends the command with a status; what it found was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return "" }

// do adapts a command body to cobra: errors that are neither the engine's
// refusals nor usage errors become failures, so that whatever cobra itself
// returns (a bad flag, a wrong argument count) is told apart as usage.
func (c *cli) do(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		if err == nil {
			return nil
		}
		if errors.As(err, new(usageErr)) || errors.As(err, new(exitError)) || errors.As(err, new(failure)) {
			return err
		}
		if _, ok := engine.AsError(err); ok {
			return err
		}
		return failure{err}
	}
}

// closeEngine closes the engine, which writes the audit entries another
// writer's lock kept out; when it cannot, the command's entries are not in
// the log and the command fails.
func (c *cli) closeEngine(err error) error {
	if c.eng == nil {
		return err
	}
	if werr := c.eng.WitnessProblem(); werr != nil {
		fmt.Fprintln(c.errw, "qb: note:", termsafe.SanitizeLines(werr.Error()), "(the audit log itself is complete)")
	}
	cerr := c.eng.Close()
	c.eng = nil
	if cerr == nil {
		return err
	}
	if err == nil {
		return failure{cerr}
	}
	if _, refused := engine.AsError(err); !refused && !errors.As(err, new(usageErr)) {
		lines := strings.Split(cerr.Error(), "\n")
		return failure{fmt.Errorf("%w\n%s", err, lines[len(lines)-1])}
	}
	return err
}

// finish prints an error the way its kind requires and picks the status:
// JSON on stdout under --json, a message on stderr otherwise.
func (c *cli) finish(err error) int {
	if err == nil {
		return exitOK
	}
	var xe exitError
	if errors.As(err, &xe) {
		return xe.code
	}
	if e, ok := engine.AsError(err); ok {
		if c.json && !c.wrote {
			c.writeJSON(errorResponse{Error: e})
		} else {
			fmt.Fprintln(c.errw, termsafe.SanitizeLines(engine.FormatError(e)))
		}
		return exitRefused
	}
	var f failure
	if errors.As(err, &f) {
		if c.json && !c.wrote {
			c.writeJSON(errorResponse{Error: configError(f.err)})
		} else {
			fmt.Fprintln(c.errw, "qb:", termsafe.SanitizeLines(f.err.Error()))
		}
		return exitUsage
	}
	ue := asUsage(err)
	if c.json {
		c.writeJSON(errorResponse{Error: &engine.Error{Code: codeUsage, Status: 400, Message: ue.msg, Details: ue.details}})
		return exitUsage
	}
	fmt.Fprintln(c.errw, "qb:", termsafe.SanitizeLines(ue.msg))
	path := c.cmdPath
	if path == "" {
		path = "qb"
	}
	fmt.Fprintf(c.errw, "run '%s --help' for usage and examples\n", path)
	return exitUsage
}

// asUsage is err as a usage error: cobra's own errors (an unknown command,
// a flag without its value) are mistakes in the command line too.
func asUsage(err error) usageErr {
	var ue usageErr
	if errors.As(err, &ue) {
		return ue
	}
	return usageErr{msg: err.Error()}
}

// The codes of errors that are not the engine's (SPEC §6).
const (
	codeUsage  engine.Code = "USAGE_ERROR"
	codeConfig engine.Code = "CONFIG_ERROR"
)
