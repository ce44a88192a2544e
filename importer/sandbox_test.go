package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// project writes a Quickback project with the given feature files into a
// temporary directory and returns its root.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"quickback/quickback.config.ts": `import { defineConfig } from "@quickback/compiler";
export default defineConfig({ auth: { roleHierarchy: ["member", "admin"] } });
`,
	}
	for k, v := range files {
		all[k] = v
	}
	for name, src := range all {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const okTable = `import { feature, q } from "@quickback/compiler";
export default feature("notes", {
  columns: { id: q.id(), body: q.text(), organizationId: q.scope("organization") },
  crud: { list: { access: { roles: ["member+"] } } },
});
`

// A hostile definition file is refused with a clear error naming where it
// was; no config comes out of the import.
func TestHostileFilesAreRefused(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"endless loop", "let n = 0;\nwhile (true) { n++; }\n", []string{"features/evil.ts:2:", "ran longer than 2s"}},
		{"require fs", "const fs = require(\"fs\");\nfs.readFileSync(\"/etc/passwd\");\n", []string{"features/evil.ts:1:", `module "fs" is not available in the import sandbox`}},
		{"import fs", "import { readFileSync } from \"node:fs\";\nexport const x = readFileSync(\"/etc/passwd\");\n", []string{"features/evil.ts:1:", `module "node:fs" is not available`}},
		{"child_process", "import { execSync } from \"child_process\";\nexecSync(\"touch /tmp/pwned\");\n", []string{`module "child_process" is not available`}},
		{"process.exit", "\n\nprocess.exit(1);\n", []string{"features/evil.ts:3:", "process is not defined", "no process, file or network access"}},
		{"fetch", "fetch(\"http://127.0.0.1:1/\");\n", []string{"features/evil.ts:1:", "fetch is not defined"}},
		{"50 MB string by repeat", "export const s = \"x\".repeat(50 * 1024 * 1024);\n", []string{"features/evil.ts:1:", "52428800 characters is over the import sandbox's limit"}},
		{"50 MB string by doubling", "let s = \"x\";\nfor (let i = 0; i < 40; i++) { s = s + s; }\nexport const n = s.length;\n", []string{"features/evil.ts:2:", "more than 256 MiB of memory"}},
		{"deep recursion", "function f(n: number): number { return f(n + 1) + 1; }\nf(0);\n", []string{"features/evil.ts:1: the definitions recurse too deep"}},
		{"escape the project", "import secret from \"../../../../../../etc/hostname\";\nexport const s = secret;\n", []string{"features/evil.ts:1:"}},
		{"absolute path", "import secret from \"/etc/hostname\";\nexport const s = secret;\n", []string{`module "/etc/hostname" is not available`}},
		{"invalid UTF-8 (esbuild would not return)", "export const a = 1;\nexport const b = \"\xec\xec\xec\";\n", []string{"features/evil.ts:2: the file is not valid UTF-8"}},
		{"external source map", "export const a = 1;\n//# sourceMappingURL=/etc/passwd\nnull.x;\n", []string{"features/evil.ts:3:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "endless loop" && testing.Short() {
				t.Skip("runs the sandbox's 2 s limit out: the full suite's")
			}
			dir := project(t, map[string]string{"quickback/features/ok.ts": okTable, "quickback/features/evil.ts": c.src})
			res, err := Import(dir, "")
			if err == nil {
				t.Fatalf("imported a hostile file:\n%s", res.TOML)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A 50 MB file is refused before it is read.
func TestLargeFileIsRefused(t *testing.T) {
	dir := project(t, map[string]string{"quickback/features/ok.ts": okTable})
	f, err := os.Create(filepath.Join(dir, "quickback/features/huge.ts"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("export const s = \"")
	f.WriteString(strings.Repeat("x", 50<<20))
	f.WriteString("\";\n")
	f.Close()
	_, err = Import(dir, "")
	if err == nil || !strings.Contains(err.Error(), "features/huge.ts: the file is 52428821 bytes; the import reads files of at most 1048576 bytes") {
		t.Fatalf("got %v", err)
	}
}

// A symlink out of the project is not followed.
func TestSymlinkOutOfProjectIsRefused(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.ts"), []byte("export const s = 1;\n"), 0o644)
	dir := project(t, map[string]string{
		"quickback/features/ok.ts":  okTable,
		"quickback/features/use.ts": "import { s } from \"./link/secret\";\nexport const t = s;\n",
	})
	if err := os.Symlink(outside, filepath.Join(dir, "quickback/features/link")); err != nil {
		t.Skip(err)
	}
	_, err := Import(dir, "")
	if err == nil || !strings.Contains(err.Error(), "outside the project directory") {
		t.Fatalf("got %v", err)
	}
}

// A malformed file is reported with its line: a syntax error, and an error
// thrown while the definitions run.
func TestMalformedFileNamesItsLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"syntax", "import { feature, q } from \"@quickback/compiler\";\n\nexport default feature(\"x\", {\n  columns: { id: q.id(), \n  crud: {\n};\n", "features/bad.ts:6: syntax error"},
		{"thrown", "import { feature } from \"@quickback/compiler\";\nconst cfg: any = undefined;\n\nexport default feature(\"x\", cfg.columns);\n", "features/bad.ts:4: TypeError"},
		{"unknown relative import", "\nimport { x } from \"./nowhere\";\nexport const y = x;\n", `features/bad.ts:2: cannot find "./nowhere"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := project(t, map[string]string{"quickback/features/ok.ts": okTable, "quickback/features/bad.ts": c.src})
			_, err := Import(dir, "")
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want it to start with %q", err, c.want)
			}
		})
	}
	dir := project(t, map[string]string{"quickback/features/ok.ts": okTable, "quickback/quickback.config.ts": "export default {\n  auth: { roleHierarchy: [\"a\",, ] \n"})
	if _, err := Import(dir, ""); err == nil || !strings.HasPrefix(err.Error(), "quickback.config.ts:3: syntax error") {
		t.Fatalf("config: got %v", err)
	}
}

// A directory that is not a Quickback project says so.
func TestNotAProject(t *testing.T) {
	_, err := Import(t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), "is not a Quickback project: no quickback/quickback.config.ts") {
		t.Fatalf("got %v", err)
	}
}
