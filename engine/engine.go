package engine

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/schema"
)

// Sizes and waits callers tune their own work by.
const (
	// BulkBatchSize is how many rows Loader.Insert writes per transaction
	// unless told otherwise.
	BulkBatchSize = 10000
	// LargeTable is the size above which counting a table's funnel is slow
	// enough to say so (and, in the console, to offer to cancel it).
	LargeTable = 1_000_000
)

// Identity is the context an operation runs as (SPEC §2).
type Identity struct {
	UserID   string `json:"userId"`
	OrgID    string `json:"orgId"`
	Role     string `json:"role"`
	UserRole string `json:"userRole"`
	Email    string `json:"email"`
	// Name is the user's display name (not part of the policy context).
	Name string `json:"name,omitempty"`
	// Anonymous is a caller with no identity (PUBLIC access).
	Anonymous bool `json:"anonymous,omitempty"`
	// Synthetic is "any user of role R in organization O".
	Synthetic bool `json:"synthetic,omitempty"`
	// RealRole is the role the user really holds in OrgID when Role
	// overrides it ("what if Dana were an interviewer"); "" otherwise.
	// The audit log records both.
	RealRole string `json:"realRole,omitempty"`
}

// CtxValue returns the context field named in a "$ctx.<field>" reference;
// ok is false when the value is missing.
func (id Identity) CtxValue(field string) (string, bool) {
	var v string
	switch field {
	case "userId":
		v = id.UserID
	case "orgId":
		v = id.OrgID
	case "role":
		v = id.Role
	case "userRole":
		v = id.UserRole
	case "email":
		v = id.Email
	}
	return v, v != ""
}

// String is a short label: "dana@acme (hiring-manager)".
func (id Identity) String() string {
	switch {
	case id.Anonymous:
		return "anonymous@" + id.OrgID
	case id.Synthetic:
		return fmt.Sprintf("any %s@%s", id.Role, id.OrgID)
	}
	return fmt.Sprintf("%s@%s (%s)", id.UserID, id.OrgID, id.Role)
}

// Engine enforces a config's policies on one database. Open one with Open;
// it is safe for concurrent use.
type Engine struct {
	store  *store
	cfg    *schema.Config
	osUser string
	clock  func() time.Time

	mu       sync.Mutex
	compiled map[policyKey]*residual
	// plans holds crudPlan's plans (a map, not a sync.Map: a policyKey
	// stored in an interface would be allocated on every lookup).
	plansMu sync.RWMutex
	plans   map[policyKey]*callerPlan

	// stmts caches the prepared statements of reads, writes and the audit
	// append, keyed by their SQL (see stmtCache); shared with the engines
	// Reload derives from this one.
	stmtMu sync.Mutex
	stmts  *stmtCache

	// audit is the append side of the log: the entries not in it yet,
	// the audit connection, the witness and the session's reason (shared
	// with the engines Reload derives from this one).
	audit *auditLog
	// witnessPath is the database's witness file ("" when there is none).
	witnessPath string
	// keepWAL: see Options.KeepWAL.
	keepWAL bool
	// searchVia overrides List's choice of reading through a search index
	// (tests): 0 decides by the number of matches, 1 always, -1 never.
	searchVia int
}

// Options tune Open.
type Options struct {
	// ReadOnly opens the file without write access and creates nothing.
	ReadOnly bool
	// ReadOnlyReason is why (see ReadOnlyReason); it is shown with the
	// refusal of a write.
	ReadOnlyReason string
	// BusyTimeout is how long a statement waits for another writer's lock
	// before failing; 0 means five seconds (dbconn.BusyTimeoutMS).
	BusyTimeout time.Duration
	// Clock is the time written into rows and audit entries; nil means
	// time.Now.
	Clock func() time.Time
	// OSUser is the operator recorded in every audit entry; "" means the
	// operating-system user running this process.
	OSUser string
	// GroupWindow is how long an allowed read's audit entry may wait in
	// memory for its group commit; 0 means 100 ms (SPEC §3.7). Tests
	// lengthen it to make a crash's loss exact.
	GroupWindow time.Duration
	// Reason is why the operator acts as the identities of this session
	// (--reason); every audit entry carries it. See SetReason.
	Reason string
	// CreateTables creates the config's tables that a database qb did not
	// create lacks (`qb migrate`); without it they are mismatches.
	CreateTables bool
	// KeepWAL is for a process that exits right after Close (a command
	// line run): Close then leaves a write-ahead log smaller than
	// keepWALBytes for the next process to read, instead of copying it
	// into the database and removing it (two fsyncs here, the log's
	// creation with two more by the next writer). The database stays open
	// until the process exits, which SQLite treats like any other end of a
	// connection: nothing committed is lost.
	KeepWAL bool
}

// busyMS is BusyTimeout in milliseconds (dbconn.BusyTimeoutMS when unset).
func (o Options) busyMS() int {
	if o.BusyTimeout > 0 {
		return max(1, int(o.BusyTimeout/time.Millisecond))
	}
	return dbconn.BusyTimeoutMS
}

// keepWALBytes bounds the write-ahead log Close leaves behind (KeepWAL): the
// next process to open the database reads all of it (≈ 0.5 ms per 300
// pages here), so beyond this Close copies it into the database as usual.
// A command's audit entry adds one or two pages.
const keepWALBytes = 1 << 20

// Open opens (or creates) the database at path — the config's database
// path when path is "" — and brings its tables in line with the config:
// missing tables and nullable columns are added; any change that cannot be
// applied safely is refused with the difference named (*LayoutError). A
// file that is not a database, or is truncated, is refused untouched.
func Open(cfg *schema.Config, path string, opts Options) (*Engine, error) {
	if path == "" {
		path = cfg.DatabasePath()
	}
	return open(cfg, path, opts, witnessFile(cfg, path))
}

// open is Open with the witness file given ("": none).
func open(cfg *schema.Config, path string, opts Options, wpath string) (*Engine, error) {
	st, err := openStore(cfg, path, opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{store: st, cfg: cfg, osUser: opts.OSUser, clock: opts.Clock, compiled: map[policyKey]*residual{},
		audit:       newAuditLog(st.db, st.busyTimeout(), opts.GroupWindow, newWitness(wpath, path), opts.Reason),
		witnessPath: wpath, keepWAL: opts.KeepWAL,
		stmts: newStmtCache(st.db, maxCachedStmts)}
	if e.osUser == "" {
		e.osUser = currentOSUser()
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	return e, nil
}

// Config is the config the engine enforces.
func (e *Engine) Config() *schema.Config { return e.cfg }

// Path is the database file the engine opened.
func (e *Engine) Path() string { return e.store.path }

// WitnessPath is the database's audit witness file ("" when no location
// could be determined); see witnessFile.
func (e *Engine) WitnessPath() string { return e.witnessPath }

// WitnessProblem is why this process could not record its heads in the
// witness (nil while it can).
func (e *Engine) WitnessProblem() error { return e.audit.witness.failure() }

// Writable is nil when the database accepts writes and a *ReadOnlyError
// saying why not when it was opened read-only.
func (e *Engine) Writable() error { return e.store.writable() }

// Reload returns an engine for a new config over the same database: it is
// brought in line with cfg (or, read-only, checked against it) exactly as
// opening it would, and a config it cannot apply safely is refused with the
// difference named, leaving e as it was. The new engine shares e's
// connections, clock, audit queue and prepared statements (keyed by their
// SQL, so a statement of the old config is simply never asked for again,
// and evicted) and starts with an empty policy cache; e stays valid for
// requests already in flight. Close only one of them (either closes the
// database).
func (e *Engine) Reload(ctx context.Context, cfg *schema.Config) (*Engine, error) {
	st := e.storeFor(cfg)
	var err error
	if st.readOnly {
		err = st.checkLayout(ctx)
	} else {
		err = st.migrate(ctx, false)
	}
	if err != nil {
		return nil, err
	}
	if err := st.readAuditFormat(ctx); err != nil {
		return nil, err
	}
	return &Engine{store: st, cfg: cfg, osUser: e.osUser, clock: e.clock, compiled: map[policyKey]*residual{}, audit: e.audit, witnessPath: e.witnessPath, stmts: e.stmtCache()}, nil
}

// PlanReload returns what Reload would run to bring the database in line
// with cfg — the statements that change it (new tables, columns and
// indexes), none when cfg changes nothing in it — or the refusal Reload
// would give. Nothing is written.
func (e *Engine) PlanReload(ctx context.Context, cfg *schema.Config) ([]string, error) {
	st := e.storeFor(cfg)
	if st.readOnly {
		return nil, st.checkLayout(ctx)
	}
	if err := st.prepare(ctx); err != nil {
		return nil, err
	}
	var stmts []string
	var err error
	if st.adopted {
		// A database qb did not create is only checked: a config that
		// does not match it is refused, one that does changes nothing
		// of the project's.
		stmts, err = st.refuseMismatches(ctx, false)
	} else {
		stmts, err = st.plan(ctx)
	}
	if err != nil {
		return nil, err
	}
	return st.pending(ctx, append(st.ownDDL(), stmts...)), nil
}

// storeFor is e's store under another config.
func (e *Engine) storeFor(cfg *schema.Config) *store {
	old := e.store
	return &store{db: old.db, path: old.path, cfg: cfg, readOnly: old.readOnly, roReason: old.roReason, busyMS: old.busyMS, auditV2: old.auditV2, d: old.d}
}

// Close writes the audit entries still pending (waiting up to the busy
// timeout for another writer's lock) and closes the store. It reports the
// entries it could not write.
func (e *Engine) Close() error {
	ferr := e.FlushAudit(context.Background())
	e.audit.close()
	e.stmtCache().close()
	if e.keepWAL && !e.store.readOnly && walSmall(e.store.path) {
		return ferr
	}
	cerr := e.store.db.Close()
	if ferr != nil {
		return ferr
	}
	return cerr
}

// walSmall reports whether the database's write-ahead log is smaller than
// keepWALBytes (true when there is none).
func walSmall(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err != nil || fi.Size() < keepWALBytes
}

// now is the engine's time in the API's form (ISO-8601, milliseconds).
func (e *Engine) now() string { return formatTime(e.clock()) }

// stampTime is the engine's time as the timestamp column col of t stores it.
func (e *Engine) stampTime(t *schema.Table, col string) any {
	return StoredTime(t.Column(col), e.clock())
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// freshID returns a fresh time-ordered random id.
func freshID() string {
	var b [15]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	_, _ = rand.Read(b[6:])
	return idEncoding.EncodeToString(b[:])
}

// table resolves a table name for a CRUD operation.
func (e *Engine) table(name string, crud bool) (*schema.Table, error) {
	t := e.cfg.Table(name)
	if t == nil {
		return nil, Errf(NotFound, suggest(map[string]any{"table": name}, name, e.cfg.TableNames()), "unknown table %q", name)
	}
	if crud && t.Internal {
		return nil, Errf(InternalTable, map[string]any{"table": name}, "table %q is internal: it has no CRUD; only actions write to it", name)
	}
	return t, nil
}

// sqlCols lists "col" for every column of t (every read names them all),
// built once per table: a config's tables do not change once loaded.
func sqlCols(t *schema.Table) string {
	if s, ok := colLists.Load(t); ok {
		return s.(string)
	}
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = Q(c.SQLName)
	}
	s := strings.Join(parts, ", ")
	colLists.Store(t, s)
	return s
}

// colLists holds sqlCols by table. A config reloaded in a long session
// leaves its tables' entries behind: a few hundred bytes each.
var colLists sync.Map
