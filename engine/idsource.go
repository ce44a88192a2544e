package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"quickback.dev/qb/schema"
)

// An identity source is where the identities of SPEC §2 live: the console's
// own qb_* tables, or the user, organization and member tables of a
// Quickback project's Better Auth (SPEC §2.1). Every reader of identities —
// Members, Organizations, ResolveIdentity, the policy diff — reads the three
// relations a source gives, so each is written once for every source; seed
// and generate write through it. The relations are plain SELECTs, to stay
// valid on another SQL database.
type identitySource interface {
	// describe names the source in messages.
	describe() string
	// usersRel is a relation (id, name, email, user_role).
	usersRel() string
	// orgsRel is a relation (id, name).
	orgsRel() string
	// membersRel is a relation (user_id, organization_id, role).
	membersRel() string
	// tables are the source's tables as the database must hold them.
	tables() []idTable
	// ddl creates the source's tables where qb may create them.
	ddl(d dialect) []string
}

// idTable is one table of an identity source: its SQL name, the columns
// every reader needs (by their role: "id", "user_id", …), and the columns
// an insert also fills when the table has them.
type idTable struct {
	name string
	// report is the line of `qb seed` that counts the table's rows.
	report string
	// keys name the row (by role); vals are what seeding keeps equal.
	keys, vals []string
	// cols maps a role to the table's SQL column; optional roles may be
	// missing from the database (a user table without role).
	cols     map[string]string
	optional map[string]bool
	// fill gives the value of an insert-only column (by SQL name) for a new
	// row: a generated id, a creation time.
	fill map[string]func(now time.Time) any
}

// col is the SQL column of a role ("" when the table lacks it).
func (t idTable) col(role string) string { return t.cols[role] }

// identitySourceFor builds the config's source over db: for Better Auth
// the column names (snake_case or camelCase) and timestamp types are read
// from the database, so both spellings of its schema are read as they are.
func identitySourceFor(ctx context.Context, cfg *schema.Config, d dialect, db queryer) (identitySource, error) {
	if cfg.Auth.Source != schema.SourceBetterAuth {
		return qbIdentities{}, nil
	}
	b := betterAuth{d: d, have: map[string]map[string]dbColumn{}}
	for _, name := range []string{baUser, baOrg, baMember} {
		cols, err := d.tableColumns(ctx, db, name)
		if err != nil {
			return nil, err
		}
		b.have[name] = cols
	}
	return b, nil
}

// queryer is what reads the database: a pool, a connection or a
// transaction.
type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// qbIdentities are the console's own tables (SPEC §2).
type qbIdentities struct{}

func (qbIdentities) describe() string { return "qb_* identity tables" }
func (qbIdentities) usersRel() string { return "SELECT id, name, email, user_role FROM qb_users" }
func (qbIdentities) orgsRel() string  { return "SELECT id, name FROM qb_organizations" }
func (qbIdentities) membersRel() string {
	return "SELECT user_id, organization_id, role FROM qb_members"
}

func (qbIdentities) tables() []idTable {
	same := func(roles ...string) map[string]string {
		m := map[string]string{}
		for _, r := range roles {
			m[r] = r
		}
		return m
	}
	return []idTable{
		{name: "qb_organizations", report: "organizations", keys: []string{"id"}, vals: []string{"name"}, cols: same("id", "name")},
		{name: "qb_users", report: "users", keys: []string{"id"}, vals: []string{"name", "email", "user_role"}, cols: same("id", "name", "email", "user_role")},
		{name: "qb_members", report: "memberships", keys: []string{"user_id", "organization_id"}, vals: []string{"role"}, cols: same("user_id", "organization_id", "role")},
	}
}

func (qbIdentities) ddl(dialect) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS qb_organizations (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS qb_users (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, user_role TEXT NOT NULL DEFAULT 'user')`,
		`CREATE TABLE IF NOT EXISTS qb_members (user_id TEXT NOT NULL REFERENCES qb_users(id), organization_id TEXT NOT NULL REFERENCES qb_organizations(id), role TEXT NOT NULL, PRIMARY KEY (user_id, organization_id))`,
		`CREATE INDEX IF NOT EXISTS qb_members_org ON qb_members(organization_id, role)`,
	}
}

// Better Auth's tables, as Quickback's migrations name them.
const (
	baUser   = "user"
	baOrg    = "organization"
	baMember = "member"
)

// betterAuth reads identities from a Quickback project's Better Auth
// tables: user(id, name, email, role) — role is the platform tier
// (userRole), "user" when empty — organization(id, name) and
// member(organization_id, user_id, role). have holds the columns each
// table has in the database (empty for a table it lacks).
type betterAuth struct {
	d    dialect
	have map[string]map[string]dbColumn
}

func (betterAuth) describe() string { return "Better Auth tables (user, organization, member)" }

// column is the table's SQL name for a column Better Auth spells
// snake_case in Quickback's migrations and camelCase in its own default
// schema; snake_case when the table has neither.
func (b betterAuth) column(table, snake string) string {
	have := b.have[table]
	if _, ok := have[snake]; ok || have == nil {
		return snake
	}
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	if camel := strings.Join(parts, ""); hasColumn(have, camel) {
		return camel
	}
	return snake
}

func hasColumn(have map[string]dbColumn, name string) bool {
	_, ok := have[name]
	return ok
}

func (b betterAuth) usersRel() string {
	role := "'user'"
	if hasColumn(b.have[baUser], "role") {
		role = "COALESCE(NULLIF(role, ''), 'user')"
	}
	return fmt.Sprintf("SELECT id, COALESCE(name, '') AS name, email, %s AS user_role FROM %s", role, Q(baUser))
}

func (b betterAuth) orgsRel() string {
	return fmt.Sprintf("SELECT id, COALESCE(name, '') AS name FROM %s", Q(baOrg))
}

func (b betterAuth) membersRel() string {
	return fmt.Sprintf("SELECT %s AS user_id, %s AS organization_id, COALESCE(role, '') AS role FROM %s",
		Q(b.column(baMember, "user_id")), Q(b.column(baMember, "organization_id")), Q(baMember))
}

// created fills a creation or update time in the column's own type: epoch
// milliseconds in an INTEGER column (Quickback's migrations), ISO text in
// any other (Better Auth's own "date" columns).
func (b betterAuth) created(table, col string) func(time.Time) any {
	return func(now time.Time) any {
		if b.d.isInteger(b.have[table][col].typ) {
			return now.UnixMilli()
		}
		return formatTime(now)
	}
}

func (b betterAuth) tables() []idTable {
	fill := func(table string, cols map[string]func(time.Time) any) map[string]func(time.Time) any {
		out := map[string]func(time.Time) any{}
		for snake, f := range cols {
			out[b.column(table, snake)] = f
		}
		return out
	}
	org := idTable{name: baOrg, report: "organizations", keys: []string{"id"}, vals: []string{"name"},
		cols: map[string]string{"id": "id", "name": "name"}}
	org.fill = fill(baOrg, map[string]func(time.Time) any{"created_at": b.created(baOrg, b.column(baOrg, "created_at"))})
	user := idTable{name: baUser, report: "users", keys: []string{"id"}, vals: []string{"name", "email", "user_role"},
		cols:     map[string]string{"id": "id", "name": "name", "email": "email", "user_role": "role"},
		optional: map[string]bool{"user_role": true}}
	user.fill = fill(baUser, map[string]func(time.Time) any{
		"email_verified": func(time.Time) any { return int64(0) },
		"created_at":     b.created(baUser, b.column(baUser, "created_at")),
		"updated_at":     b.created(baUser, b.column(baUser, "updated_at")),
	})
	member := idTable{name: baMember, report: "memberships", keys: []string{"user_id", "organization_id"}, vals: []string{"role"},
		cols: map[string]string{"user_id": b.column(baMember, "user_id"), "organization_id": b.column(baMember, "organization_id"), "role": "role"}}
	member.fill = fill(baMember, map[string]func(time.Time) any{
		"id":         func(time.Time) any { return freshID() },
		"created_at": b.created(baMember, b.column(baMember, "created_at")),
	})
	// An organization's slug is unique and required: its id is both.
	if col := b.column(baOrg, "slug"); hasColumn(b.have[baOrg], col) {
		org.fill[col] = nil
	}
	return []idTable{org, user, member}
}

// ddl is Better Auth's core tables as Quickback's migrations create them
// (snake_case, epoch-millisecond times), for a database qb creates itself.
func (betterAuth) ddl(d dialect) []string {
	i := d.intType()
	return []string{
		`CREATE TABLE IF NOT EXISTS "user" (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, email_verified ` + i + ` NOT NULL DEFAULT 0, image TEXT, created_at ` + i + ` NOT NULL, updated_at ` + i + ` NOT NULL, role TEXT)`,
		`CREATE TABLE IF NOT EXISTS "organization" (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, slug TEXT NOT NULL UNIQUE, logo TEXT, created_at ` + i + ` NOT NULL, metadata TEXT)`,
		`CREATE TABLE IF NOT EXISTS "member" (id TEXT PRIMARY KEY NOT NULL, organization_id TEXT NOT NULL REFERENCES "organization"(id) ON DELETE CASCADE, user_id TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, role TEXT NOT NULL DEFAULT 'member', created_at ` + i + ` NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS "member_organization_id_idx" ON "member"(organization_id)`,
		`CREATE INDEX IF NOT EXISTS "member_user_id_idx" ON "member"(user_id)`,
	}
}

// idMismatches lists what the database lacks of the source's tables: each
// table, and each column the readers need, as text.
func idMismatches(d dialect, src identitySource, have func(table string) map[string]dbColumn) []Mismatch {
	var out []Mismatch
	for _, t := range src.tables() {
		cols := have(t.name)
		if len(cols) == 0 {
			out = append(out, Mismatch{Table: t.name, Expected: "a table (" + src.describe() + ")", Found: "no such table"})
			continue
		}
		for _, role := range append(append([]string{}, t.keys...), t.vals...) {
			name := t.col(role)
			c, ok := cols[name]
			switch {
			case !ok && t.optional[role]:
			case !ok:
				out = append(out, Mismatch{Table: t.name, Column: name, Expected: "text", Found: "no such column"})
			case !d.compatible(&schema.Column{Type: schema.TypeText}, c.typ):
				out = append(out, Mismatch{Table: t.name, Column: name, Expected: "text", Found: foundType(c.typ)})
			}
		}
	}
	return out
}

// putIdentity writes one identity row: inserted when no row has its keys,
// its values updated when they differ and update is set, else untouched.
// vals are by role, in the order keys then t.vals.
func putIdentity(ctx context.Context, tx *sql.Tx, t idTable, have map[string]dbColumn, now time.Time, update bool, vals ...any) (seedOutcome, error) {
	nk := len(t.keys)
	where := make([]string, nk)
	for i, k := range t.keys {
		where[i] = Q(t.col(k)) + " = ?"
	}
	var cols []string
	var cur []any
	var want []any
	for i, r := range t.vals {
		if t.optional[r] && !hasColumn(have, t.col(r)) {
			continue
		}
		cols = append(cols, Q(t.col(r)))
		want = append(want, vals[nk+i])
	}
	cur = make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range cur {
		ptrs[i] = &cur[i]
	}
	sel := "SELECT " + strings.Join(append([]string{"1"}, cols...), ", ")
	var one int
	err := tx.QueryRowContext(ctx, sel+" FROM "+Q(t.name)+" WHERE "+strings.Join(where, " AND "), vals[:nk]...).Scan(append([]any{&one}, ptrs...)...)
	switch {
	case err == sql.ErrNoRows:
		ins := make([]string, 0, nk+len(cols))
		args := append([]any{}, vals[:nk]...)
		for _, k := range t.keys {
			ins = append(ins, Q(t.col(k)))
		}
		ins = append(ins, cols...)
		args = append(args, want...)
		for col, f := range t.fill {
			if !hasColumn(have, col) {
				continue
			}
			v := vals[0] // a slug: the row's id
			if f != nil {
				v = f(now)
			}
			ins = append(ins, Q(col))
			args = append(args, v)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		_, err := tx.ExecContext(ctx, "INSERT INTO "+Q(t.name)+" ("+strings.Join(ins, ", ")+") VALUES ("+marks+")", args...)
		return seedInserted, err
	case err != nil:
		return 0, err
	}
	if !update || sameValues(cur, want) {
		return seedUnchanged, nil
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = ?"
	}
	_, err = tx.ExecContext(ctx, "UPDATE "+Q(t.name)+" SET "+strings.Join(sets, ", ")+" WHERE "+strings.Join(where, " AND "), append(want, vals[:nk]...)...)
	return seedUpdated, err
}

// identityWriter writes identities into the source's tables inside one
// transaction (seed, generate).
type identityWriter struct {
	ctx    context.Context
	d      dialect
	tx     *sql.Tx
	now    time.Time
	tables map[string]idTable // by report name
	have   map[string]map[string]dbColumn
}

func (s *store) identityWriter(ctx context.Context, tx *sql.Tx, now time.Time) (*identityWriter, error) {
	w := &identityWriter{ctx: ctx, d: s.d, tx: tx, now: now, tables: map[string]idTable{}, have: map[string]map[string]dbColumn{}}
	for _, t := range s.ids.tables() {
		cols, err := s.tableColumns(ctx, tx, t.name)
		if err != nil {
			return nil, s.wrapErr(err)
		}
		w.tables[t.report], w.have[t.report] = t, cols
	}
	return w, nil
}

// put writes one identity row; a row the database refuses (a duplicate
// email) leaves the transaction usable for the rest of a seed.
func (w *identityWriter) put(report string, update bool, vals ...any) (out seedOutcome, err error) {
	err = w.d.attempt(w.ctx, w.tx, func() error {
		out, err = putIdentity(w.ctx, w.tx, w.tables[report], w.have[report], w.now, update, vals...)
		return err
	})
	return out, err
}

// org writes an organization; user a user (userRole is the platform
// tier); member a membership. With update, an existing row takes the
// values given; without, it is left as it is.
func (w *identityWriter) org(id, name string, update bool) (seedOutcome, error) {
	return w.put("organizations", update, id, name)
}

func (w *identityWriter) user(id, name, email, userRole string, update bool) (seedOutcome, error) {
	return w.put("users", update, id, name, email, userRole)
}

func (w *identityWriter) member(userID, orgID, role string, update bool) (seedOutcome, error) {
	return w.put("memberships", update, userID, orgID, role)
}

// orgKnown reports whether the organization exists (a membership of an
// unknown one is refused even where no foreign key would refuse it).
func (w *identityWriter) orgKnown(id string) (bool, error) {
	t := w.tables["organizations"]
	var one int
	err := w.tx.QueryRowContext(w.ctx, "SELECT 1 FROM "+Q(t.name)+" WHERE "+Q(t.col("id"))+" = ?", id).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}
