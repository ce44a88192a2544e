// Package schema loads and validates quickback.toml into a Config: the
// tables, columns and policies of a project. It knows nothing of SQL
// execution; the engine package compiles a Config into queries.
package schema

import "strings"

// Config is a loaded, validated and expanded quickback.toml.
type Config struct {
	// File is the path the config was read from.
	File string
	// Dir is the directory of File; relative paths resolve against it.
	Dir     string
	Project Project
	Auth    Auth
	Audit   Audit
	// Tables in file order.
	Tables []*Table
	// Warnings are valid configurations whose refusals would reveal data
	// the caller cannot see (SPEC §3.3), each naming the safe alternative,
	// sorted by line. `qb check` prints them; `check --strict` fails on them.
	Warnings Problems
	byName   map[string]*Table
}

// Project is the [project] section.
type Project struct {
	Name     string
	Database string // as written; see Config.DatabasePath
	Fixtures string // as written; see Config.FixturesPath
}

// Auth is the [auth] section.
type Auth struct {
	// Roles from lowest to highest.
	Roles []string
	// Admins is the default bypass list of optional owner scopes.
	Admins []string
	// Source is where identities live: SourceQB (default) or
	// SourceBetterAuth (SPEC §2.1).
	Source string
}

// The values of [auth].source.
const (
	// SourceQB reads identities from the console's own qb_* tables.
	SourceQB = "qb"
	// SourceBetterAuth reads them from the user, organization and member
	// tables of a Quickback project's Better Auth.
	SourceBetterAuth = "better-auth"
)

// Audit is the [audit] section (SPEC §3.7).
type Audit struct {
	// Reads is how read entries reach the log: ReadsGroup (default) or
	// ReadsSync.
	Reads string
	// RequireReason makes a reason mandatory for acting as a real user.
	RequireReason bool
	// Witness is the directory of the audit witness files as written ("":
	// the user's state directory); see Config.WitnessDir.
	Witness string
	// InspectInternal are the roles that may read internal tables (which
	// have no CRUD for anyone) read-only, for inspection (the console's
	// INTERNAL view): expanded like every role list; none by default.
	InspectInternal []string
}

// The values of [audit].reads.
const (
	// ReadsGroup group-commits read entries: they wait in memory at most
	// 100 ms (or 256 entries) and are appended in one transaction.
	ReadsGroup = "group"
	// ReadsSync appends every read's entry before its result is returned.
	ReadsSync = "sync"
)

// Table is one [tables.NAME] entry. Name is the config key; SQLName the
// table's name in the database (`table = "..."`, default the key).
type Table struct {
	Name          string
	SQLName       string
	Label         string
	Internal      bool
	DisplayColumn string // config column name; "" when not set
	DefaultSort   []SortKey
	UpsertKey     []string // config column names; defaults to the primary key
	Unique        [][]string
	// Columns in file order, followed by the six system audit columns.
	Columns  []*Column
	byName   map[string]*Column
	Firewall Firewall
	Guards   Guards
	// CRUD maps an operation to its declaration; an absent operation is denied.
	CRUD    map[Op]*Operation
	Masking map[string]*Mask // by config column name
	// Actions in file order.
	Actions []*Action
}

// SortKey is one sort column with its direction.
type SortKey struct {
	Column string // config column name
	Desc   bool
}

// ParseSortKey reads a sort key as the command line and test files give it:
// "col", "+col" or "-col" (descending).
func ParseSortKey(s string) SortKey {
	if strings.HasPrefix(s, "-") {
		return SortKey{Column: s[1:], Desc: true}
	}
	return SortKey{Column: strings.TrimPrefix(s, "+")}
}

// ColumnType is the declared type of a column or action input.
type ColumnType string

// Column and input types of SPEC §4.
const (
	TypeID        ColumnType = "id"
	TypeText      ColumnType = "text"
	TypeInteger   ColumnType = "integer"
	TypeReal      ColumnType = "real"
	TypeBoolean   ColumnType = "boolean"
	TypeTimestamp ColumnType = "timestamp"
	TypeEnum      ColumnType = "enum"
	TypeJSON      ColumnType = "json"
)

// Column is one column of a table: declared in the config or one of the
// system audit columns (System is true for those).
type Column struct {
	Name       string // config name (camelCase)
	SQLName    string // snake_case unless `column` was given
	Type       ColumnType
	Required   bool
	Default    any // string, int64, float64 or bool; "now" for timestamps
	HasDefault bool
	Min        *float64
	Max        *float64
	MaxLength  *int
	Unique     bool
	// References is the SQL name of the referenced table ("" for none).
	References string
	Searchable bool
	Values     []string // enum values
	// Format is how a timestamp is stored (TimeISOMillis unless
	// `format` says otherwise); "" for other types.
	Format TimeFormat
	// System marks the audit columns createdAt … deletedBy.
	System bool
}

// TimeFormat is how a timestamp column holds its values.
type TimeFormat string

// The formats of `format` on a timestamp column.
const (
	// TimeISOMillis is ISO-8601 UTC text with milliseconds,
	// 2026-01-18T11:30:00.000Z (qb's own, and Quickback's feature tables').
	TimeISOMillis TimeFormat = "iso_ms"
	// TimeISOSeconds is ISO-8601 UTC text without fractional seconds,
	// 2026-01-18T11:30:00Z.
	TimeISOSeconds TimeFormat = "iso_s"
	// TimeEpochMillis is an integer of milliseconds since 1970 (Better
	// Auth's tables in Quickback's migrations).
	TimeEpochMillis TimeFormat = "epoch_ms"
	// TimeEpochSeconds is an integer of seconds since 1970 (Drizzle's
	// integer timestamp mode).
	TimeEpochSeconds TimeFormat = "epoch_s"
)

// TimeFormats lists the formats a timestamp column may declare.
var TimeFormats = []TimeFormat{TimeISOMillis, TimeISOSeconds, TimeEpochMillis, TimeEpochSeconds}

// Epoch reports whether the format stores integers.
func (f TimeFormat) Epoch() bool { return f == TimeEpochMillis || f == TimeEpochSeconds }

// SystemColumns are the audit columns every table gets, in order.
var SystemColumns = []string{"createdAt", "createdBy", "modifiedAt", "modifiedBy", "deletedAt", "deletedBy"}

// Firewall is the row scope of a table.
type Firewall struct {
	// Organization scopes rows to ctx.orgId; nil when not declared.
	Organization *OrgScope
	// Owner scopes rows to ctx.userId; nil when not declared.
	Owner *OwnerScope
	// ErrorMode is "reveal" (default) or "hide".
	ErrorMode string
}

// OrgScope is firewall.organization.
type OrgScope struct {
	Column string // config column name, default organizationId
}

// OwnerMode is strict or optional.
type OwnerMode string

// Owner modes.
const (
	OwnerStrict   OwnerMode = "strict"
	OwnerOptional OwnerMode = "optional"
)

// OwnerScope is firewall.owner.
type OwnerScope struct {
	Column string // config column name, default ownerId
	Mode   OwnerMode
	// Bypass roles see every row of the organization (optional mode only);
	// already defaulted to [auth].admins and expanded.
	Bypass []string
}

// Guards are the write allowlists of a table.
type Guards struct {
	// Disabled is `guards = false`: every non-system column is writable.
	Disabled   bool
	Createable []string
	Updatable  []string
	Immutable  []string
	// Protected maps a field to the actions that may set it; a nil slice
	// means any action of the table (the list form).
	Protected map[string][]string
}

// Op is a CRUD operation.
type Op string

// CRUD operations.
const (
	OpList   Op = "list"
	OpGet    Op = "get"
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Ops lists the CRUD operations in display order.
var Ops = []Op{OpList, OpGet, OpCreate, OpUpdate, OpDelete}

// Operation is crud.<op>.
type Operation struct {
	Access *Access
	// DeleteMode is "soft" (default) or "hard"; delete only.
	DeleteMode string
}

// Access is an access rule. Exactly one shape is used: Or, And, or the
// leaf form (Roles and/or UserRoles, optionally with Record conditions).
type Access struct {
	Roles     []string // expanded; nil = not tested
	UserRoles []string // nil = not tested
	// Public is true when Roles contained "PUBLIC".
	Public bool
	Record []Condition
	Or     []*Access
	And    []*Access
	// Path is the config key path of this rule, e.g. tables.jobs.crud.list.access.
	Path string
}

// CondOp is a record-condition operator.
type CondOp string

// Record-condition operators.
const (
	CondEquals    CondOp = "equals"
	CondNotEquals CondOp = "notEquals"
	CondIn        CondOp = "in"
	CondNotIn     CondOp = "notIn"
	CondIsNull    CondOp = "isNull"
	CondLt        CondOp = "lt"
	CondLte       CondOp = "lte"
	CondGt        CondOp = "gt"
	CondGte       CondOp = "gte"
)

// Condition is one `record = { col = { op = value } }` test.
type Condition struct {
	Column string // config column name
	Op     CondOp
	// Value is a literal (string, int64, float64, bool), a []any for in/notIn,
	// or a Ref for "$ctx.<field>".
	Value any
}

// Ref is a "$ctx.x", "$input.x", "$record.x" or "$now" reference.
type Ref struct {
	Kind  string // "ctx", "input", "record", "now"
	Field string
}

// Mask is masking.<col>.
type Mask struct {
	Type      string // email, phone, ssn, creditCard, name, redact
	ShowRoles []string
	ShowOwner bool
	Path      string // tables.T.masking.col
}

// Action is actions.<name>.
type Action struct {
	Name        string
	Type        string // "record" or "standalone"
	Description string
	Access      *Access
	Inputs      []*Input // file order
	Transition  *Transition
	Set         []Assign
	Inserts     []Insert
	Path        string
}

// Input is one action input.
type Input struct {
	Name       string
	Type       ColumnType
	Required   bool // default true
	Default    any
	HasDefault bool
	Min        *float64
	Max        *float64
	MaxLength  *int
	Values     []string
}

// Transition is an action's state machine.
type Transition struct {
	Field string // config column name
	Via   string // input name; "" when To is used
	To    string
	// From maps a current state to the allowed targets.
	From map[string][]string
	// FromOrder lists the keys of From in file order.
	FromOrder []string
}

// Assign sets Column to Value, where Value is a literal or a Ref.
type Assign struct {
	Column string // config column name
	Value  any
}

// Insert is one row an action inserts.
type Insert struct {
	Table  string
	Values []Assign
}
