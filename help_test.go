package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/testkit"
)

// declared is the command tree as a run declares it.
func declared() *cobra.Command { return (&cli{}).commands() }

// words is how a command is named on the command line ("" for the root).
func words(cmd *cobra.Command) []string {
	if cmd == cmd.Root() {
		return nil
	}
	return []string{cmd.Name()}
}

func runQB(args ...string) (string, string, int) {
	var out, errw bytes.Buffer
	code := run(context.Background(), args, &out, &errw)
	return out.String(), errw.String(), code
}

// sampleValue is a value the flag's parser accepts.
func sampleValue(f *pflag.Flag) []string {
	switch v := f.Value.(type) {
	case *choice:
		return []string{v.choices[len(v.choices)-1]}
	case *count:
		return []string{strconv.Itoa(max(v.min, 1))}
	}
	switch f.Value.Type() {
	case "bool":
		return nil
	case "int", "int64":
		return []string{"1"}
	}
	return []string{"x"}
}

// TestHelpEveryCommandAndFlag walks every command: `qb CMD --help` and `qb
// help CMD` print the same help, exit 0, with a usage line and every flag
// the command takes; and every flag is accepted by the parser (given with a
// value and --help, the command parses its flags, then prints help).
func TestHelpEveryCommandAndFlag(t *testing.T) {
	t.Parallel()
	root := declared()
	for _, cmd := range everyDeclared(root) {
		name := cmd.Name()
		t.Run(name, func(t *testing.T) {
			want := helpText(cmd)
			out, errw, code := runQB(append(words(cmd), "--help")...)
			if code != 0 || errw != "" {
				t.Fatalf("--help: exit %d, stderr %q", code, errw)
			}
			if out != want {
				t.Errorf("--help printed:\n%s\nwant:\n%s", out, want)
			}
			helpArgs := append([]string{"help"}, words(cmd)...)
			if out2, _, code := runQB(helpArgs...); code != 0 || out2 != want {
				t.Errorf("qb %s: exit %d, differs from --help:\n%s", strings.Join(helpArgs, " "), code, out2)
			}
			if !strings.Contains(out, "Usage:\n  "+synopsis(cmd)+"\n") {
				t.Errorf("help lacks the usage line %q", synopsis(cmd))
			}
			if cmd.Short == "" || cmd.Example == "" && cmd.Name() != "help" {
				t.Errorf("%s has no short description or no examples", name)
			}
			cmd.InitDefaultHelpFlag()
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if !strings.Contains(out, "--"+f.Name+" ") && !strings.Contains(out, "--"+f.Name+"\n") {
					t.Errorf("help does not document --%s", f.Name)
				}
				if f.Usage == "" {
					t.Errorf("--%s has no usage text", f.Name)
				}
				args := append(words(cmd), append([]string{"--" + f.Name}, sampleValue(f)...)...)
				args = append(args, "--help")
				if _, errw, code := runQB(args...); code != 0 {
					t.Errorf("qb %s: exit %d: %s", strings.Join(args, " "), code, errw)
				}
			})
		})
	}
}

// TestHelpOverviewListsEveryCommand: `qb help` names every command.
func TestHelpOverviewListsEveryCommand(t *testing.T) {
	out, _, code := runQB("help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, cmd := range declared().Commands() {
		if !cmd.Hidden && !strings.Contains(out, "\n  "+cmd.Name()+" ") {
			t.Errorf("qb help does not list %s", cmd.Name())
		}
	}
}

// exampleExit is the exit status an example line expects: "# exit N" at
// its end, else 0.
var exampleExit = regexp.MustCompile(`#\s*exit (\d)\b`)

// TestHelpExamplesRun runs every example of every command's help, as
// written, with the built qb in a scratch copy of the default project; each
// must exit 0 (or the status its "# exit N" comment says). The console's
// examples would open the console: they are parsed (with --help) instead.
func TestHelpExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := testkit.BuildQB(t)
	testkit.BuildQBImport(t, filepath.Dir(bin))
	for _, cmd := range everyDeclared(declared()) {
		t.Run(cmd.Name(), func(t *testing.T) {
			dir := scratchProject(t)
			for _, line := range strings.Split(strings.TrimSpace(cmd.Example), "\n") {
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				want := 0
				if m := exampleExit.FindStringSubmatch(line); m != nil {
					want, _ = strconv.Atoi(m[1])
				}
				if cmd == cmd.Root() {
					line = strings.SplitN(line, "#", 2)[0] + " --help"
				}
				out, code := shell(t, dir, bin, line)
				if code != want {
					t.Errorf("%s\nexit %d, want %d:\n%s", line, code, want, out)
				}
			}
		})
	}
}

// scratchProject is a temporary copy of the default project (config and
// fixtures) with a second config, proposed.toml, for `matrix --diff`, and
// hiring-app, the default project as Quickback TypeScript, for `import`.
func scratchProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "proposed.toml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.CopyTree(t, "importer/testdata/seed", filepath.Join(dir, "hiring-app"))
	return dir
}

// shell runs a command line with bash in dir, with the qb binary first on
// PATH and QB_CONFIG/QB_DB unset; it returns stdout and stderr as a
// terminal would show them (interleaved) and the exit status.
func shell(t *testing.T, dir, bin, line string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", "-o", "pipefail", "-c", line)
	cmd.Dir = dir
	env := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8",
		engine.WitnessDirEnv + "=" + os.Getenv(engine.WitnessDirEnv)} // never the user's state directory
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "XDG_") || strings.HasPrefix(kv, "GO") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	if err == nil {
		return b.String(), 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return b.String(), ee.ExitCode()
	}
	t.Fatalf("%s: %v", line, err)
	return "", 0
}

// TestVersion: --version prints the module version and the commit, and
// says "devel" and "unknown" when the build recorded neither (a test
// binary, a work-tree build, -buildvcs=false).
func TestVersion(t *testing.T) {
	out, _, code := runQB("--version")
	if code != 0 || !regexp.MustCompile(`^qb \S+ \(commit \S+( \(modified\))?, go[0-9.]+\S*\)\n$`).MatchString(out) {
		t.Fatalf("qb --version: exit %d, %q", code, out)
	}
	out, _, _ = runQB("--version", "--json")
	if !strings.Contains(out, `"version": "`) || !strings.Contains(out, `"commit": "`) {
		t.Errorf("qb --version --json: %s", out)
	}
	for _, c := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{nil, "qb devel (commit unknown, unknown)\n"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "qb devel (commit unknown, go1.26.8)\n"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "a4b19983899e34db031c7d220f3d95f2d4625e73"}, {Key: "vcs.modified", Value: "true"}}},
			"qb v1.2.3 (commit a4b19983899e (modified), go1.26.8)\n"},
	} {
		if got := versionFrom(c.info, c.info != nil).String(); got != c.want {
			t.Errorf("version %+v = %q, want %q", c.info, got, c.want)
		}
	}
}
