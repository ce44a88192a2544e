package engine

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"quickback.dev/qb/schema"
)

// The witness (SPEC §3.7) is a file outside the database in which every
// process that appends to the audit log records the heads it left: after
// each committed append, the sequence number and hash of every entry it
// appended. A history edited and re-hashed inside the database then no
// longer holds the hashes the witness recorded, and VerifyAudit names the
// first entry that differs. The file is plain text, appended to with
// O_APPEND (one write per commit, so concurrent processes interleave whole
// commits):
//
//	# qb audit witness of /abs/path/hiring.db
//	@ 2026-01-31T09:00:00.000Z pid 4242
//	117 9f2c…(64 hex digits)
//	118 03ab…
//
// A line starting with "@" says when and by which process the following
// entries were committed; "#" lines are comments.

// witnessFile is the witness file of the database at dbPath: in
// [audit].witness when the config sets it, else in $QB_WITNESS_DIR, else
// in the user's state directory ($XDG_STATE_HOME/qb/witness, by default
// ~/.local/state/qb/witness); one file per database, named after the
// database file and a hash of its absolute path. It is "" when no
// directory can be determined (no home directory).
func witnessFile(cfg *schema.Config, dbPath string) string {
	dir := cfg.WitnessDir()
	if dir == "" {
		dir = os.Getenv(WitnessDirEnv)
	}
	if dir == "" {
		state := os.Getenv("XDG_STATE_HOME")
		if state == "" || !filepath.IsAbs(state) {
			home, err := os.UserHomeDir()
			if err != nil || home == "" {
				return ""
			}
			state = filepath.Join(home, ".local", "state")
		}
		dir = filepath.Join(state, "qb", "witness")
	}
	abs := absPath(dbPath)
	sum := sha256.Sum256([]byte(abs))
	name := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	return filepath.Join(dir, fmt.Sprintf("%s-%s.witness", safeName(name), hex.EncodeToString(sum[:8])))
}

// absPath is path made absolute, symbolic links resolved when it exists.
func absPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// safeName keeps letters, digits, '.', '-' and '_' of a file name.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 || b.Len() > 64 {
		return "db"
	}
	return b.String()
}

// witness appends this process's heads to one witness file. A nil witness
// records nothing.
type witness struct {
	path, db string
	pid      int

	mu  sync.Mutex
	f   *os.File
	err error // the first failure; nothing is tried after it
}

func newWitness(path, db string) *witness {
	if path == "" {
		return nil
	}
	return &witness{path: path, db: absPath(db), pid: os.Getpid()}
}

// record appends the entries of one committed batch.
func (w *witness) record(batch []*AuditEntry) {
	if w == nil || len(batch) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	if w.f == nil {
		if w.err = w.open(); w.err != nil {
			return
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@ %s pid %d\n", formatTime(time.Now()), w.pid)
	for _, e := range batch {
		b.WriteString(strconv.FormatInt(e.Seq, 10))
		b.WriteByte(' ')
		b.WriteString(e.Hash)
		b.WriteByte('\n')
	}
	if _, err := w.f.WriteString(b.String()); err != nil {
		w.err = fmt.Errorf("audit witness %s cannot be written: %w", w.path, err)
	}
}

func (w *witness) open() error {
	if err := os.MkdirAll(filepath.Dir(w.path), 0o700); err != nil {
		return fmt.Errorf("audit witness %s cannot be created: %w", w.path, err)
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit witness %s cannot be opened: %w", w.path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		fmt.Fprintf(f, "# qb audit witness of %s\n# each line: the sequence number and hash of an audit entry a process appended (SPEC 3.7)\n", w.db)
	}
	w.f = f
	return nil
}

// failure is the error that stopped the witness (nil while it works).
func (w *witness) failure() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *witness) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

// witnessed is one head the witness recorded.
type witnessed struct {
	hash string
	// at and pid say which commit recorded it; line is its line.
	at, pid string
	line    int
}

// witnessHeads is what a witness file holds: the heads recorded for each
// sequence number (normally one; two different hashes for one number mean
// the log was rewritten between them), and how many lines were not heads.
type witnessHeads struct {
	bySeq map[int64][]witnessed
	max   int64
	heads int64
	bad   int
}

// readWitness reads the witness file at path; a file that does not exist
// holds no heads (ok false).
func readWitness(path string) (w witnessHeads, ok bool, err error) {
	w.bySeq = map[int64][]witnessed{}
	if path == "" {
		return w, false, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("audit witness %s cannot be read: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var at, pid string
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case text == "" || strings.HasPrefix(text, "#"):
			continue
		case strings.HasPrefix(text, "@ "):
			parts := strings.Fields(text)
			at, pid = "", ""
			if len(parts) >= 2 {
				at = parts[1]
			}
			if len(parts) >= 4 {
				pid = parts[3]
			}
			continue
		}
		seqText, hash, found := strings.Cut(text, " ")
		seq, perr := strconv.ParseInt(seqText, 10, 64)
		if !found || perr != nil || seq < 1 || !isHash(hash) {
			w.bad++
			continue
		}
		w.bySeq[seq] = appendUnique(w.bySeq[seq], witnessed{hash: hash, at: at, pid: pid, line: line})
		w.heads++
		w.max = max(w.max, seq)
	}
	if err := sc.Err(); err != nil {
		return w, true, fmt.Errorf("audit witness %s cannot be read: %w", path, err)
	}
	return w, true, nil
}

func appendUnique(list []witnessed, x witnessed) []witnessed {
	for _, y := range list {
		if y.hash == x.hash {
			return list
		}
	}
	return append(list, x)
}

// isHash reports whether s is a SHA-256 in lowercase hexadecimal.
func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
