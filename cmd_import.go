package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// importProgram is the program that reads TypeScript. It is built apart
// from qb (cmd/qb-import) so that qb does not carry esbuild and goja: they
// double its size (BENCHMARKS.md, "qb import").
const importProgram = "qb-import"

// importerEnv names the importer program explicitly.
const importerEnv = "QB_IMPORTER"

func (c *cli) importCmd() *cobra.Command {
	var output string
	var check bool
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Read a Quickback project's TypeScript definitions into quickback.toml",
		Long: `Read the Quickback project in DIR (its quickback/quickback.config.ts and features/**/*.ts, in
the defineTable or the feature() form) and write the equivalent quickback.toml to stdout, or to
FILE with -o. The report on stderr lists every table, action and option as imported,
approximated or skipped, with its file:line and the reason. The TypeScript runs in a sandbox
with no file, network or process access; action handlers are read, never run.

--check compares the import with the current config (--config) by policy decision, not by
text, lists each decision that differs as ` + "`qb matrix --diff`" + ` does, and exits 3 when any does.

The reading is done by the qb-import program, built apart to keep qb small: qb looks for it
beside its own executable, then on PATH ($QB_IMPORTER names it explicitly). Build it with
  go build -o "$(dirname "$(command -v qb)")/qb-import" quickback.dev/qb/cmd/qb-import`,
		Example: `qb import hiring-app
qb import hiring-app -o imported.toml
qb import hiring-app --check
qb import hiring-app --check --json`,
		Args:              positional("DIR"),
		ValidArgsFunction: completeDirs,
		RunE: c.do(func(_ *cobra.Command, args []string) error {
			if check && output != "" {
				return usagef("--check compares and writes nothing: give -o or --check, not both")
			}
			return c.importProject(args[0], output, check)
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the config to `FILE` (default: stdout); nothing is written if the import fails")
	cmd.Flags().BoolVar(&check, "check", false, "compare with the current config's policy decisions; exit 3 when any differs")
	c.completeFlag(cmd, "output", completeFiles("toml"))
	return cmd
}

// completeDirs offers directories.
func completeDirs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// importReport is what qb-import --json prints.
type importReport struct {
	TOML   string       `json:"toml"`
	Report []importItem `json:"report"`
	Root   string       `json:"root"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// findImporter locates the qb-import program.
func findImporter() (string, error) {
	if p := os.Getenv(importerEnv); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), importProgram)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(importProgram); err == nil {
		return p, nil
	}
	return "", errors.New(`qb import needs the qb-import program (built apart so that qb stays small), and it is neither beside qb nor on PATH; build it with
  go build -o "$(dirname "$(command -v qb)")/qb-import" quickback.dev/qb/cmd/qb-import
or set QB_IMPORTER to its path`)
}

// runImporter runs qb-import DIR --json and reads its answer.
func (c *cli) runImporter(dir string) (*importReport, error) {
	prog, err := findImporter()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(c.ctx, prog, dir, "--json")
	cmd.Stdout = &limitedBuffer{b: &stdout, max: 256 << 20}
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 1 << 20}
	runErr := cmd.Run()
	var r importReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if runErr != nil {
			msg = runErr.Error() + ": " + msg
		}
		return nil, fmt.Errorf("%s did not answer (%s)", prog, msg)
	}
	if r.Error != nil {
		return nil, errors.New(r.Error.Message)
	}
	if runErr != nil {
		return nil, fmt.Errorf("%s: %v", prog, runErr)
	}
	return &r, nil
}

// limitedBuffer keeps at most max bytes.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		return 0, errors.New("output too large")
	}
	return l.b.Write(p)
}

func (c *cli) importProject(dir, output string, check bool) error {
	r, err := c.runImporter(dir)
	if err != nil {
		return err
	}
	name := output
	if name == "" {
		name = c.configPath()
	}
	imported, err := schema.Parse(name, []byte(r.TOML))
	if err != nil {
		return fmt.Errorf("the imported config does not load: %w", err)
	}
	var n [3]int
	for _, it := range r.Report {
		switch it.Status {
		case "imported":
			n[0]++
		case "approximated":
			n[1]++
		case "skipped":
			n[2]++
		}
	}
	summary := fmt.Sprintf("import of %s: %d tables; %d imported, %d approximated, %d skipped", dir, len(imported.Tables), n[0], n[1], n[2])
	if check {
		return c.importCheck(dir, imported, r, summary)
	}
	if output != "" {
		if err := writeFileAtomic(output, []byte(r.TOML)); err != nil {
			return err
		}
	}
	if c.json {
		resp := importResponse{Output: output, Tables: len(imported.Tables), Imported: n[0], Approximated: n[1], Skipped: n[2], Report: r.Report}
		if output == "" {
			resp.TOML = r.TOML
		}
		c.writeJSON(resp)
		return nil
	}
	if output == "" {
		// The writer escapes every control and bidi character inside
		// strings and blanks them in comments: the TOML prints safely.
		io.WriteString(c.out, r.TOML)
	}
	for _, it := range r.Report {
		fmt.Fprintln(c.errw, termsafe.Sanitize(reportLine(it)))
	}
	fmt.Fprintln(c.errw, termsafe.Sanitize(summary))
	if output != "" {
		fmt.Fprintf(c.errw, "wrote %s; check it with: qb --config %s check\n", termsafe.Sanitize(output), termsafe.Sanitize(output))
	}
	return nil
}

func reportLine(it importItem) string {
	s := fmt.Sprintf("%-12s %s", it.Status, it.Subject)
	if it.Where != "" {
		s += " (" + it.Where + ")"
	}
	return s + ": " + it.Note
}

// importCheck compares the import with the current config by decision.
func (c *cli) importCheck(dir string, imported *schema.Config, r *importReport, summary string) error {
	if err := c.loadConfig(); err != nil {
		return err
	}
	changes := engine.DiffConfigs(c.cfg, imported)
	if changes == nil {
		changes = []access.PolicyChange{}
	}
	other := "import of " + dir
	if c.json {
		c.writeJSON(importCheckResponse{Current: c.configPath(), Other: other, Changes: changes, Report: r.Report})
	} else {
		printPolicyDiff(c.out, &access.PolicyDiff{Current: c.configPath(), Other: other, Changes: changes})
		fmt.Fprintln(c.errw, termsafe.Sanitize(summary)+" (qb import "+termsafe.Sanitize(dir)+" shows the report)")
	}
	if len(changes) > 0 {
		return exitError{code: exitProblem}
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so that a failed write leaves path as it was.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".qb-import-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, werr)
	}
	return nil
}
