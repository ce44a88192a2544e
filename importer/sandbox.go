package importer

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
)

//go:embed prelude.js
var preludeJS string

// Limits of the evaluation sandbox.
const (
	// FileTimeLimit is how long one definition file (with the files it
	// imports for the first time) may run.
	FileTimeLimit = 2 * time.Second
	// MaxFileSize is the largest source file read.
	MaxFileSize = 1 << 20
	// MaxString is the longest string a definition may build with repeat,
	// padStart, padEnd or join.
	MaxString = 1 << 20
	// MaxHeapGrowth is how much the heap may grow while a file runs.
	MaxHeapGrowth = 256 << 20
	// MaxFiles is how many files one import reads.
	MaxFiles = 2000
	// maxPlain is the largest JSON a file's exports may become.
	maxPlain = 16 << 20
)

// recorderModules are the module names a definition may import besides its
// own relative files.
var recorderModules = []string{"@quickback/compiler", "zod", "drizzle-orm", "drizzle-orm/sqlite-core"}

// sandbox evaluates a project's definition files in one goja runtime that has
// no file, network or process access: require knows the recorder modules
// and the project's relative files, nothing else.
type sandbox struct {
	root    string // the directory imports may not leave (absolute, symlinks resolved)
	vm      *goja.Runtime
	modules map[string]*goja.Object // file → module object
	plain   goja.Callable
	files   int
}

// loc is a source position in a project file.
type loc struct {
	File string // relative to the project directory, slash-separated
	Line int
}

func (l loc) String() string {
	if l.Line == 0 {
		return l.File
	}
	return fmt.Sprintf("%s:%d", l.File, l.Line)
}

// ImportError is an error in a project file, with where it happened.
type ImportError struct {
	Where loc
	Msg   string
}

func (e *ImportError) Error() string {
	if e.Where.File == "" {
		return e.Msg
	}
	return e.Where.String() + ": " + e.Msg
}

func newSandbox(root string) (*sandbox, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return nil, err
	}
	s := &sandbox{root: real, vm: goja.New(), modules: map[string]*goja.Object{}}
	s.vm.SetMaxCallStackSize(2000)
	s.vm.SetParserOptions(noExternalSourceMaps)
	g := s.vm.GlobalObject()
	_ = g.Set("__qbLoc", s.callerLoc)
	_ = g.Set("__qbMaxString", MaxString)
	prg, err := goja.Parse("<qb-prelude>", preludeJS, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, err
	}
	code, err := goja.CompileAST(prg, false)
	if err != nil {
		return nil, err
	}
	if _, err := s.vm.RunProgram(code); err != nil {
		return nil, err
	}
	plain, ok := goja.AssertFunction(g.Get("__qbPlain"))
	if !ok {
		return nil, errors.New("import sandbox: prelude did not load")
	}
	s.plain = plain
	_ = g.Set("require", s.requireFrom("."))
	return s, nil
}

// noExternalSourceMaps makes goja ignore a sourceMappingURL that names a file
// or URL: only the inline maps esbuild writes are read.
var noExternalSourceMaps = parser.WithSourceMapLoader(func(string) ([]byte, error) {
	return nil, errors.New("source maps outside the file are not read")
})

// callerLoc returns {file, line} of the innermost project frame.
func (s *sandbox) callerLoc() map[string]any {
	for _, f := range s.vm.CaptureCallStack(32, nil) {
		if f.SrcName() == "<qb-prelude>" || f.SrcName() == "<native>" {
			continue
		}
		p := f.Position()
		return map[string]any{"file": p.Filename, "line": p.Line}
	}
	return map[string]any{"file": "", "line": 0}
}

// rel names an absolute path inside the root, slash-separated.
func (s *sandbox) rel(abs string) string {
	r, err := filepath.Rel(s.root, abs)
	if err != nil {
		return abs
	}
	return filepath.ToSlash(r)
}

// resolve finds the file a relative import names, inside the root.
func (s *sandbox) resolve(fromDir, spec string) (string, error) {
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
		return "", fmt.Errorf("module %q is not available in the import sandbox (only %s, and relative files inside the project)", spec, strings.Join(recorderModules, ", "))
	}
	base := filepath.Join(s.root, filepath.FromSlash(fromDir), filepath.FromSlash(spec))
	cands := []string{base, base + ".ts", base + ".tsx", base + ".js", base + ".mts", filepath.Join(base, "index.ts"), filepath.Join(base, "index.js")}
	if strings.HasSuffix(base, ".js") {
		cands = append([]string{strings.TrimSuffix(base, ".js") + ".ts"}, cands...)
	}
	for _, c := range cands {
		real, err := s.inside(c)
		if err != nil {
			return "", err
		}
		if real == "" {
			continue
		}
		if st, err := os.Stat(real); err == nil && st.Mode().IsRegular() {
			return real, nil
		}
	}
	return "", fmt.Errorf("cannot find %q from %s", spec, fromDir)
}

// inside resolves symlinks of p and checks that it stays inside the root;
// "" when p does not exist.
func (s *sandbox) inside(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	real, _ = filepath.Abs(real)
	if real != s.root && !strings.HasPrefix(real, s.root+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the project directory; the import reads only files inside it", p)
	}
	return real, nil
}

// readSource reads a project file within the size limit.
func (s *sandbox) readSource(abs string) (string, error) {
	s.files++
	if s.files > MaxFiles {
		return "", fmt.Errorf("the project has more than %d files to read", MaxFiles)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if st.Size() > MaxFileSize {
		return "", fmt.Errorf("the file is %d bytes; the import reads files of at most %d bytes", st.Size(), MaxFileSize)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// readSourceQuiet reads a file already read once (not counted again).
func (s *sandbox) readSourceQuiet(abs string) (string, error) {
	s.files--
	return s.readSource(abs)
}

// transform turns TypeScript into CommonJS with an inline source map, so
// that goja's positions are the TypeScript file's lines.
func transform(rel, src string) (string, error) {
	// esbuild does not return on some invalid UTF-8: refuse it first.
	if !utf8.ValidString(src) {
		bad := 0
		for bad < len(src) {
			r, n := utf8.DecodeRuneInString(src[bad:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			bad += n
		}
		return "", &ImportError{Where: loc{File: rel, Line: 1 + strings.Count(src[:bad], "\n")}, Msg: "the file is not valid UTF-8"}
	}
	res := api.Transform(src, api.TransformOptions{
		Loader:     api.LoaderTS,
		Format:     api.FormatCommonJS,
		Target:     api.ES2020,
		Sourcemap:  api.SourceMapInline,
		Sourcefile: path.Base(rel),
		LogLevel:   api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		m := res.Errors[0]
		where := loc{File: rel}
		if m.Location != nil {
			where.Line = m.Location.Line
		}
		return "", &ImportError{Where: where, Msg: "syntax error: " + m.Text}
	}
	return string(res.Code), nil
}

// requireFrom is the require function of a module in dir (relative).
func (s *sandbox) requireFrom(dir string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		spec := call.Argument(0).String()
		mods := s.vm.GlobalObject().Get("__qbModules").ToObject(s.vm)
		for _, name := range recorderModules {
			if spec == name {
				return mods.Get(name)
			}
		}
		abs, err := s.resolve(dir, spec)
		if err != nil {
			panic(s.vm.NewGoError(err))
		}
		m, err := s.load(abs)
		if err != nil {
			panic(s.vm.NewGoError(err))
		}
		return m.Get("exports")
	}
}

// load evaluates a file once and returns its module object. A module being
// loaded is returned as it is (CommonJS cycles).
func (s *sandbox) load(abs string) (*goja.Object, error) {
	if m, ok := s.modules[abs]; ok {
		return m, nil
	}
	rel := s.rel(abs)
	src, err := s.readSource(abs)
	if err != nil {
		return nil, &ImportError{Where: loc{File: rel}, Msg: err.Error()}
	}
	js, err := transform(rel, src)
	if err != nil {
		return nil, err
	}
	// Wrap the module in a function, keeping its lines (the source map
	// comment stays last, where goja looks for it).
	body, sm := js, ""
	if i := strings.LastIndex(js, "//# sourceMappingURL="); i >= 0 {
		body, sm = js[:i], js[i:]
	}
	wrapped := "(function (exports, require, module) {" + body + "\n})\n" + sm
	prg, err := goja.Parse(rel, wrapped, noExternalSourceMaps)
	if err != nil {
		return nil, &ImportError{Where: loc{File: rel}, Msg: err.Error()}
	}
	code, err := goja.CompileAST(prg, false)
	if err != nil {
		return nil, &ImportError{Where: loc{File: rel}, Msg: err.Error()}
	}
	m := s.vm.NewObject()
	exports := s.vm.NewObject()
	_ = m.Set("exports", exports)
	s.modules[abs] = m
	fnv, err := s.vm.RunProgram(code)
	if err != nil {
		return nil, s.jsError(rel, err)
	}
	fn, _ := goja.AssertFunction(fnv)
	dir := path.Dir(rel)
	if _, err := fn(goja.Undefined(), exports, s.vm.ToValue(s.requireFrom(dir)), m); err != nil {
		return nil, s.jsError(rel, err)
	}
	return m, nil
}

// evaluate runs one definition file under the time and memory limits and
// returns its exports as ordered JSON values.
func (s *sandbox) evaluate(abs string) (*obj, error) {
	rel := s.rel(abs)
	stop := s.watch(rel)
	defer stop()
	m, err := s.load(abs)
	if err != nil {
		return nil, err
	}
	out, err := s.plain(goja.Undefined(), m.Get("exports"))
	if err != nil {
		return nil, s.jsError(rel, err)
	}
	js := out.String()
	if len(js) > maxPlain {
		return nil, &ImportError{Where: loc{File: rel}, Msg: "the file's definitions are too large to import"}
	}
	v, err := decodeOrdered(js)
	if err != nil {
		return nil, &ImportError{Where: loc{File: rel}, Msg: err.Error()}
	}
	o, _ := v.(*obj)
	if o == nil {
		o = &obj{vals: map[string]any{}}
	}
	return o, nil
}

// watch interrupts the runtime when the file runs longer than
// FileTimeLimit or the heap grows by more than MaxHeapGrowth.
func (s *sandbox) watch(rel string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := heapBytes()
	go func() {
		defer wg.Done()
		deadline := time.NewTimer(FileTimeLimit)
		defer deadline.Stop()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-deadline.C:
				s.vm.Interrupt(fmt.Sprintf("the file ran longer than %s (an endless loop?); definitions must finish at once", FileTimeLimit))
				return
			case <-tick.C:
				if heapBytes() > start+MaxHeapGrowth {
					s.vm.Interrupt(fmt.Sprintf("the file used more than %d MiB of memory; definitions must be small", MaxHeapGrowth>>20))
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		s.vm.ClearInterrupt()
	}
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
var heapMu sync.Mutex

func heapBytes() uint64 {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSample)
	if heapSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return heapSample[0].Value.Uint64()
}

// jsError turns a goja error into an ImportError at the innermost project
// frame.
func (s *sandbox) jsError(rel string, err error) error {
	var ie *ImportError
	if errors.As(err, &ie) {
		return ie
	}
	where := loc{File: rel}
	msg := err.Error()
	var frames []goja.StackFrame
	var ex *goja.Exception
	var intr *goja.InterruptedError
	var so *goja.StackOverflowError
	switch {
	case errors.As(err, &so):
		msg = "the definitions recurse too deep (stack overflow)"
		frames = so.Stack()
	case errors.As(err, &intr):
		msg = fmt.Sprint(intr.Value())
		frames = intr.Stack()
	case errors.As(err, &ex):
		frames = ex.Stack()
		msg = ex.Value().String()
		if inner := ex.Unwrap(); inner != nil {
			msg = inner.Error()
		}
		if strings.Contains(msg, "is not defined") {
			msg += " (the import sandbox provides no process, file or network access)"
		}
	}
	for _, f := range frames {
		if f.SrcName() == "<qb-prelude>" || f.SrcName() == "<native>" {
			continue
		}
		p := f.Position()
		where = loc{File: p.Filename, Line: p.Line}
		break
	}
	return &ImportError{Where: where, Msg: msg}
}
