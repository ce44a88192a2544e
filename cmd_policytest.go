package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/policytest"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// testOptions are the flags of `qb test`.
type testOptions struct {
	junit  string
	run    string
	record bool
	as     []string
	roles  []string
	org    string
	tables []string
	output string
}

func (c *cli) testCmd() *cobra.Command {
	var o testOptions
	cmd := &cobra.Command{
		Use:   "test [FILE...]",
		Short: "Run policy tests: who must see and do what (exit 3 on a failure)",
		Long: `Run the policy tests of FILE... (files, or directories of *.toml files; default: tests/*.toml
beside the config). Each [[test]] names an identity (as), one operation (list, get, create,
update, delete, upsert or run) and what it must give (expect: error, fields, ids, count, masked,
raw, values). Every test runs on a scratch copy of the database taken when qb test starts —
the database itself is never written, and the tests' operations go to the copy's audit log,
not to its own; a database that does not exist yet is seeded from the fixtures in the copy.
Each test starts from the same data: a test after one that wrote gets a fresh copy.

One line per test (ok, or FAIL with what was expected and what came), then the counts; exit 3
when any test fails. A malformed test file is reported like a config, FILE:LINE: key path, and
exits 1 before any test runs.

--record writes, instead, a test file of what each identity (--as, repeated; --role for any
user of a role in --org) gets on each --table now: the list's ids, count and masked and raw
columns, and which other operations are refused with which code. Review it and commit it: a
policy snapshot, which passes until a decision changes.`,
		Example: `qb test
qb test tests/hiring.toml --run 'masking|interviewer'
qb test --junit policy-tests.xml
qb test --record --as u-ivan --as u-dana --table candidates -o candidates-snapshot.toml
qb test candidates-snapshot.toml`,
		Annotations:       map[string]string{"notes": "exit"},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeFiles("toml"),
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			if o.record {
				return c.recordTests(args, o)
			}
			return c.runTests(args, o)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.run, "run", "", "run only the tests whose name matches `PATTERN` (a regular expression)")
	f.StringVar(&o.junit, "junit", "", "also write the results as JUnit XML to `FILE` (for CI test reports)")
	f.BoolVar(&o.record, "record", false, "write the current decisions as a test file instead of running tests")
	f.StringArrayVar(&o.as, "as", nil, "with --record: an identity `USER` (id, email or anonymous); repeat for several")
	f.StringArrayVar(&o.roles, "role", nil, "with --record: any user of `ROLE` in --org; repeat for several")
	f.StringVar(&o.org, "org", "", "with --record: the organization `ORG` of every identity (default: each user's only one)")
	f.StringArrayVar(&o.tables, "table", nil, "with --record: record `TABLE` (repeat for several)")
	f.StringVarP(&o.output, "output", "o", "", "with --record: write the test file to `FILE` (default: stdout)")
	c.completeFlag(cmd, "junit", completeFiles("xml"))
	c.completeFlag(cmd, "output", completeFiles("toml"))
	c.completeFlag(cmd, "run", cobra.NoFileCompletions)
	c.completeFlag(cmd, "as", c.completeUsers)
	c.completeFlag(cmd, "role", c.completeRoles)
	c.completeFlag(cmd, "org", c.completeOrgs)
	c.completeFlag(cmd, "table", c.completeTables)
	return cmd
}

// newScratch snapshots the database for tests: a database that does not
// exist yet is seeded from the fixtures in the snapshot (and stays absent).
func (c *cli) newScratch() (*engine.Scratch, error) {
	path := c.dbPath()
	var data *seed.Data
	if errors.Is(statDB(path), os.ErrNotExist) && c.cfg.Project.Fixtures != "" {
		var err error
		if data, err = fixtures.Read(c.cfg, c.cfg.FixturesPath()); err != nil {
			return nil, asFixturesError(err)
		}
		fmt.Fprintf(c.errw, "qb: %s does not exist: the tests run on a copy seeded from %s\n", termsafe.Sanitize(policytest.Relative(path)), termsafe.Sanitize(policytest.Relative(c.cfg.FixturesPath())))
	}
	s, err := engine.NewScratch(c.ctx, c.cfg, path, "", data)
	if err != nil {
		return nil, asFixturesError(err)
	}
	// Interrupted, the process ends in the signal handler: the copies of
	// the database go with it.
	c.atExitMu.Lock()
	c.atExit = append(c.atExit, func() { s.Close() })
	c.atExitMu.Unlock()
	return s, nil
}

// asFixturesError marks the problems of fixtures that do not read or seed
// as the fixtures' (not the config's).
func asFixturesError(err error) error {
	var ps *schema.Problems
	if errors.As(err, &ps) {
		return fixturesError{*ps}
	}
	return err
}

func (c *cli) runTests(args []string, o testOptions) error {
	for name, set := range map[string]bool{"as": len(o.as) > 0, "role": len(o.roles) > 0, "org": o.org != "", "table": len(o.tables) > 0, "output": o.output != ""} {
		if set {
			return usagef("--%s goes with --record", name)
		}
	}
	var pattern *regexp.Regexp
	if o.run != "" {
		var err error
		if pattern, err = regexp.Compile(o.run); err != nil {
			return usagef("--run %q is not a regular expression: %v", o.run, err)
		}
	}
	if err := c.loadConfig(); err != nil {
		return err
	}
	files, err := policytest.Files(c.cfg, args)
	if err != nil {
		return usageErr{msg: err.Error()}
	}
	tests, err := policytest.Load(c.cfg, files)
	if err != nil {
		return err
	}
	if pattern != nil {
		var kept []*policytest.Test
		for _, t := range tests {
			if pattern.MatchString(t.Name) {
				kept = append(kept, t)
			}
		}
		if len(kept) == 0 {
			return usageErr{msg: fmt.Sprintf("--run %q matches none of the %d tests", o.run, len(tests)), details: map[string]any{"run": o.run}}
		}
		tests = kept
	}
	s, err := c.newScratch()
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	report := func(r policytest.Result) {
		if !c.json {
			fmt.Fprintln(c.out, resultLine(r))
		}
	}
	results, err := policytest.Run(c.ctx, s, tests, report)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	failed := 0
	for _, r := range results {
		if !r.OK() {
			failed++
		}
	}
	if o.junit != "" {
		if err := writeFileAtomic(o.junit, junitReport(results, elapsed)); err != nil {
			return err
		}
	}
	if c.json {
		c.writeJSON(testResponseOf(results))
	} else {
		fmt.Fprintf(c.out, "%d passed, %d failed\n", len(results)-failed, failed)
	}
	if failed > 0 {
		return exitError{code: exitProblem}
	}
	return nil
}

// resultLine is a test's line: "ok   NAME", or "FAIL NAME: expected ..., got
// ... (FILE:LINE)".
func resultLine(r policytest.Result) string {
	name := termsafe.Sanitize(r.Test.Name)
	if r.OK() {
		return "ok   " + name
	}
	return fmt.Sprintf("FAIL %s: %s (%s)", name, termsafe.Sanitize(failureText(r.Failures)), termsafe.Sanitize(r.Test.Where()))
}

func failureText(fs []policytest.Failure) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}

// testResponse is `test --json`.
type testResponse struct {
	Passed int          `json:"passed"`
	Failed int          `json:"failed"`
	Tests  []testResult `json:"tests"`
}

// testResult is one test of `test --json`.
type testResult struct {
	Name     string               `json:"name"`
	File     string               `json:"file"`
	Line     int                  `json:"line"`
	OK       bool                 `json:"ok"`
	Failures []policytest.Failure `json:"failures,omitempty"`
}

func testResponseOf(results []policytest.Result) testResponse {
	resp := testResponse{Tests: []testResult{}}
	for _, r := range results {
		resp.Tests = append(resp.Tests, testResult{Name: r.Test.Name, File: r.Test.File, Line: r.Test.Line, OK: r.OK(), Failures: r.Failures})
		if r.OK() {
			resp.Passed++
		} else {
			resp.Failed++
		}
	}
	return resp
}

// The JUnit XML report: one testsuite per file, one testcase per test, a
// failure element per failed test.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// junitReport is the results as JUnit XML, the report CI systems read.
func junitReport(results []policytest.Result, elapsed time.Duration) []byte {
	top := junitSuites{Name: "qb test", Time: seconds(elapsed)}
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Test.File]
		if !ok {
			i = len(top.Suites)
			index[r.Test.File] = i
			top.Suites = append(top.Suites, junitSuite{Name: r.Test.File})
		}
		s := &top.Suites[i]
		tc := junitCase{Name: r.Test.Name, Classname: r.Test.File, File: r.Test.File, Line: r.Test.Line, Time: seconds(r.Duration)}
		if !r.OK() {
			var kinds []string
			for _, f := range r.Failures {
				kinds = append(kinds, f.Expectation)
			}
			text := failureText(r.Failures)
			tc.Failure = &junitFailure{Message: text, Type: strings.Join(kinds, ","), Text: text + "\nat " + r.Test.Where()}
			s.Failures++
			top.Failures++
		}
		s.Tests++
		top.Tests++
		s.Cases = append(s.Cases, tc)
	}
	var total time.Duration
	for i := range top.Suites {
		total = 0
		for _, r := range results {
			if r.Test.File == top.Suites[i].Name {
				total += r.Duration
			}
		}
		top.Suites[i].Time = seconds(total)
	}
	b, err := xml.MarshalIndent(top, "", "  ")
	if err != nil {
		// Every field is a string or a number: a failure is a bug.
		panic(err)
	}
	return append(append([]byte(xml.Header), b...), '\n')
}

// recordResponse is `test --record --json`: the test file written (to
// Output, or here as TOML) and how many tests it holds.
type recordResponse struct {
	Output string `json:"output,omitempty"`
	TOML   string `json:"toml,omitempty"`
	Tests  int    `json:"tests"`
}

func (c *cli) recordTests(args []string, o testOptions) error {
	switch {
	case len(args) > 0:
		return usagef("--record writes a test file (-o FILE) and runs none: it takes no FILE arguments")
	case o.junit != "" || o.run != "":
		return usagef("--record runs no tests: it takes neither --junit nor --run")
	case len(o.tables) == 0:
		return usageErr{msg: "--record needs --table TABLE (repeat for several)", details: map[string]any{"flag": "--table"}}
	case len(o.as) == 0 && len(o.roles) == 0:
		return usageErr{msg: "--record needs identities: --as USER (repeatable) or --role ROLE --org ORG", details: map[string]any{"flag": "--as"}}
	}
	if err := c.loadConfig(); err != nil {
		return err
	}
	for _, t := range o.tables {
		if c.cfg.Table(t) == nil {
			return c.unknownTable(t)
		}
	}
	s, err := c.newScratch()
	if err != nil {
		return err
	}
	defer s.Close()
	// The identities resolve on a copy, as --as does on the database; the
	// mistakes are worded as for --as (c.eng is that copy meanwhile).
	if c.eng, err = s.Open(engine.Options{}); err != nil {
		return err
	}
	defer func() {
		c.eng.Close()
		c.eng = nil
	}()
	var ids []engine.Identity
	for _, as := range o.as {
		id, err := c.eng.ResolveIdentity(c.ctx, as, o.org, "")
		if err != nil {
			return c.recordIdentityMistake(err)
		}
		ids = append(ids, id)
	}
	for _, role := range o.roles {
		if o.org == "" {
			return usagef("--role %s needs --org ORG: whose organization's %s?", role, role)
		}
		id, err := c.eng.ResolveIdentity(c.ctx, "", o.org, role)
		if err != nil {
			return c.recordIdentityMistake(err)
		}
		ids = append(ids, id)
	}
	heading := fmt.Sprintf("Policy snapshot written by `qb test --record` from %s with %s.\nReview it and commit it: `qb test` fails when one of these decisions changes.", policytest.Relative(c.dbPath()), policytest.Relative(c.configPath()))
	rec, err := policytest.Record(c.ctx, s, c.cfg, ids, o.tables, heading)
	if err != nil {
		return err
	}
	if o.output != "" {
		if err := writeFileAtomic(o.output, rec.File); err != nil {
			return err
		}
	}
	switch {
	case c.json && o.output != "":
		c.writeJSON(recordResponse{Output: o.output, Tests: rec.Tests})
	case c.json:
		c.writeJSON(recordResponse{TOML: string(rec.File), Tests: rec.Tests})
	case o.output == "":
		// Strings are escaped and comments blanked (policytest.Record):
		// the file prints safely.
		c.out.Write(rec.File)
	}
	if !c.json {
		dest := "stdout"
		if o.output != "" {
			dest = o.output
		}
		fmt.Fprintf(c.errw, "recorded %s (%s x %s) to %s\n", plural(rec.Tests, "test", "tests"), plural(len(ids), "identity", "identities"), plural(len(o.tables), "table", "tables"), termsafe.Sanitize(dest))
	}
	return nil
}

// recordIdentityMistake words an identity that does not resolve as the
// identity flags' mistakes are worded.
func (c *cli) recordIdentityMistake(err error) error {
	var ie *engine.IdentityError
	if errors.As(err, &ie) {
		return c.identityMistake(ie)
	}
	return err
}

// plural is "1 test", "2 tests".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
