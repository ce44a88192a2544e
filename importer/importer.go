// Package importer reads a Quickback project's TypeScript definitions
// (quickback/quickback.config.ts and quickback/features/**/*.ts) and writes
// the equivalent quickback.toml, with a report of every item imported,
// approximated or skipped (SPEC §9.1).
//
// The TypeScript is transformed to JavaScript by esbuild and evaluated in a
// goja sandbox whose only modules are recorders for @quickback/compiler,
// zod and drizzle-orm (and the project's own relative files): it has no
// file, network or process access, and each file has a time and memory
// limit. Action handlers are never run: they are parsed, and the writes the
// importer recognises become `set` and `insert`.
package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"quickback.dev/qb/schema"
)

// Status says what became of an item of the project.
type Status string

// Statuses of report items.
const (
	Imported     Status = "imported"
	Approximated Status = "approximated"
	Skipped      Status = "skipped"
)

// Item is one line of the import report.
type Item struct {
	Status Status
	// Where is the source position, "file:line" relative to the project's
	// quickback folder.
	Where string
	// Subject names what the item is about, e.g. "tables.jobs" or
	// "tables.jobs.columns.title".
	Subject string
	// Note says what was done and why.
	Note string
}

func (it Item) String() string {
	s := fmt.Sprintf("%-12s %s", it.Status, it.Subject)
	if it.Where != "" {
		s += " (" + it.Where + ")"
	}
	if it.Note != "" {
		s += ": " + it.Note
	}
	return s
}

// Result is a finished import.
type Result struct {
	// TOML is the config text, commented with the source of each table and
	// action.
	TOML []byte
	// Config is TOML as qb loads it: the proof that `qb check` accepts it.
	Config *schema.Config
	// Report lists every item, in source order.
	Report []Item
	// Root is the project's quickback folder that was read.
	Root string
}

// Counts returns how many items have each status.
func (r *Result) Counts() (imported, approximated, skipped int) {
	for _, it := range r.Report {
		switch it.Status {
		case Imported:
			imported++
		case Approximated:
			approximated++
		case Skipped:
			skipped++
		}
	}
	return
}

// Import reads the Quickback project in dir (the repository root that
// holds quickback/, or that folder itself). configFile names the config
// the TOML is loaded as (relative paths in it resolve against its
// directory); "" means quickback.toml in the current directory.
func Import(dir, configFile string) (*Result, error) {
	root, err := findRoot(dir)
	if err != nil {
		return nil, err
	}
	if configFile == "" {
		configFile = "quickback.toml"
	}
	sb, err := newSandbox(root)
	if err != nil {
		return nil, err
	}
	im := &importer{sb: sb, root: sb.root, byJS: map[string]*table{}, bySQL: map[string]*table{}}
	if err := im.read(); err != nil {
		return nil, err
	}
	im.build()
	text := im.emit()
	cfg, err := schema.Parse(configFile, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("the imported config does not pass qb check (an importer bug or a construct it cannot express; please report it):\n%v", err)
	}
	return &Result{TOML: []byte(text), Config: cfg, Report: im.report, Root: root}, nil
}

// findRoot locates the quickback folder: dir/quickback or dir itself.
func findRoot(dir string) (string, error) {
	for _, c := range []string{filepath.Join(dir, "quickback"), dir} {
		if st, err := os.Stat(filepath.Join(c, "quickback.config.ts")); err == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("cannot read %s: %w", dir, err)
	}
	return "", fmt.Errorf("%s is not a Quickback project: no quickback/quickback.config.ts in it (nor quickback.config.ts)", dir)
}

// importer carries one import.
type importer struct {
	sb     *sandbox
	root   string
	report []Item

	roles       []string
	projectName string
	tables      []*table
	byJS        map[string]*table // JS identifiers, feature names and SQL names → table
	bySQL       map[string]*table // the recorded SQL / feature name → table
	actionDefs  []actionDef
	files       map[string]*obj // rel file → exports
	fileOrder   []string
	parsedFiles map[string]*parsedFile
}

func (im *importer) add(st Status, where loc, subject, format string, args ...any) {
	w := ""
	if where.File != "" {
		w = where.String()
	}
	im.report = append(im.report, Item{Status: st, Where: w, Subject: subject, Note: fmt.Sprintf(format, args...)})
}

// definitionFiles lists the files evaluated: every .ts/.js file under
// features/ except handlers, declarations and tests.
func (im *importer) definitionFiles() ([]string, error) {
	feat := filepath.Join(im.root, "features")
	var out []string
	err := filepath.WalkDir(feat, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == feat && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == "handlers" || name == "node_modules" || (strings.HasPrefix(name, ".") && p != feat) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		switch {
		case strings.HasSuffix(name, ".d.ts"), strings.Contains(name, ".test."), strings.Contains(name, ".spec."):
			return nil
		case strings.HasSuffix(name, ".ts"), strings.HasSuffix(name, ".js"), strings.HasSuffix(name, ".mts"):
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// read evaluates the config and every definition file.
func (im *importer) read() error {
	im.files = map[string]*obj{}
	cfgPath := filepath.Join(im.root, "quickback.config.ts")
	cfgExports, err := im.sb.evaluate(cfgPath)
	if err != nil {
		return err
	}
	im.readConfig(cfgExports, loc{File: "quickback.config.ts"})
	files, err := im.definitionFiles()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no definition files under features/", im.root)
	}
	for _, f := range files {
		exp, err := im.sb.evaluate(f)
		if err != nil {
			return err
		}
		rel := im.sb.rel(f)
		im.files[rel] = exp
		im.fileOrder = append(im.fileOrder, rel)
	}
	return nil
}

// readConfig takes the role hierarchy and the project name.
func (im *importer) readConfig(exp *obj, where loc) {
	def := exp.sub("default")
	if def == nil || def.str("__qb") != "config" {
		im.add(Approximated, where, "project", "no `export default defineConfig({...})`; using Quickback's default roles")
	}
	cfg := def.sub("config")
	if l := locOf(def); l.Line > 0 {
		where = l
	}
	im.projectName = cfg.str("name")
	auth := cfg.sub("auth")
	var hier []any
	if v, ok := auth.get("roleHierarchy"); ok {
		hier, _ = v.([]any)
	} else if v, ok := auth.get("roles"); ok {
		hier, _ = v.([]any)
	}
	for _, r := range hier {
		if s, ok := r.(string); ok && s != "" && s != "PUBLIC" && !strings.HasSuffix(s, "+") && !contains(im.roles, s) {
			im.roles = append(im.roles, s)
		}
	}
	if len(im.roles) == 0 {
		im.roles = []string{"member", "admin", "owner"}
		im.add(Approximated, where, "auth.roles", "no auth.roleHierarchy; using Quickback's default roles member, admin, owner")
	} else {
		im.add(Imported, where, "auth.roles", "role hierarchy %s (lowest to highest)", strings.Join(im.roles, ", "))
	}
}

// locOf reads the loc a recorder attached to a value.
func locOf(o *obj) loc {
	l := o.sub("loc")
	if l == nil {
		return loc{}
	}
	n, _ := l.vals["line"].(float64)
	return loc{File: l.str("file"), Line: int(n)}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
