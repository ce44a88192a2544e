package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"quickback.dev/qb/schema"
)

// SeedData is everything one seed run writes: identities and table rows.
// It is produced by the fixtures package and written by Engine.Seed in one
// transaction (all or nothing).
type SeedData struct {
	Organizations []SeedOrg
	Users         []SeedUser
	// Tables in the order they must be loaded (referenced tables first).
	Tables []SeedTable
}

// SeedOrg is one organization of identities.toml.
type SeedOrg struct {
	ID, Name string
	File     string
	Line     int
}

// SeedUser is one user of identities.toml with its memberships.
type SeedUser struct {
	ID, Name, Email, UserRole string
	Memberships               []SeedMembership
	File                      string
	Line                      int
}

// SeedMembership is a user's role in an organization.
type SeedMembership struct {
	Org, Role string
}

// SeedTable holds the rows of one fixture file.
type SeedTable struct {
	Table string // SQL table name (the file's base name)
	Rows  []SeedRow
}

// SeedRow is one [[rows]] entry: config column names to TOML values
// (string, int64, float64, bool, time.Time, or map/slice for json columns).
type SeedRow struct {
	Values map[string]any
	File   string
	Line   int
}

// SeedError lists every bad row of a seed run, one per line as
// "file:line: table.column: problem". Nothing of the run was written.
type SeedError struct{ Problems []string }

func (e *SeedError) Error() string { return strings.Join(e.Problems, "\n") }

// Seed writes identities and rows in one transaction: existing ids are
// updated, so seeding twice changes nothing. It bypasses access and guards
// but not types, enums, required fields, references or uniqueness. With
// reset, every identity and feature row is removed first (the audit log is
// kept, and records the reset).
func (e *Engine) Seed(ctx context.Context, data *SeedData, reset bool) error {
	s := e.store
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrapErr(err)
	}
	defer tx.Rollback()
	var probs []string
	bad := func(file string, line int, where, msg string) {
		probs = append(probs, fmt.Sprintf("%s:%d: %s: %s", file, line, where, msg))
	}
	if reset {
		for i := len(s.cfg.Tables) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+Q(s.cfg.Tables[i].Name)); err != nil {
				return s.wrapErr(err)
			}
		}
		for _, t := range []string{"qb_members", "qb_users", "qb_organizations"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return s.wrapErr(err)
			}
		}
	}
	for _, o := range data.Organizations {
		if o.ID == "" {
			bad(o.File, o.Line, "organizations.id", "is required")
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO qb_organizations(id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name", o.ID, o.Name); err != nil {
			bad(o.File, o.Line, "organizations", err.Error())
		}
	}
	for _, u := range data.Users {
		role := u.UserRole
		if role == "" {
			role = "user"
		}
		if u.ID == "" || u.Email == "" {
			bad(u.File, u.Line, "users", "id and email are required")
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO qb_users(id, name, email, user_role) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, user_role = excluded.user_role", u.ID, u.Name, u.Email, role); err != nil {
			bad(u.File, u.Line, "users.email", "duplicate or invalid user")
			continue
		}
		for _, m := range u.Memberships {
			if s.cfg.RoleIndex(m.Role) < 0 {
				bad(u.File, u.Line, "users.memberships", fmt.Sprintf("unknown role %q", m.Role))
				continue
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO qb_members(user_id, organization_id, role) VALUES (?, ?, ?) ON CONFLICT(user_id, organization_id) DO UPDATE SET role = excluded.role", u.ID, m.Org, m.Role); err != nil {
				bad(u.File, u.Line, "users.memberships", fmt.Sprintf("unknown organization %q", m.Org))
			}
		}
	}
	for _, st := range data.Tables {
		t := s.cfg.Table(st.Table)
		if t == nil {
			for _, r := range st.Rows {
				bad(r.File, r.Line, st.Table, "unknown table")
			}
			continue
		}
		for _, r := range st.Rows {
			probs = append(probs, s.seedRow(ctx, tx, t, r, e.now())...)
		}
	}
	if len(probs) > 0 {
		return &SeedError{Problems: probs}
	}
	ent := e.systemEntry("seed", "", "", nil)
	if reset {
		ent.Operation = "seed:reset"
	}
	if err := appendAudit(ctx, tx, ent); err != nil {
		return s.wrapErr(err)
	}
	return s.wrapErr(tx.Commit())
}

// seedRow writes one row; now fills "now" defaults and a missing
// createdAt.
func (s *store) seedRow(ctx context.Context, tx *sql.Tx, t *schema.Table, r SeedRow, now string) []string {
	var probs []string
	bad := func(col, msg string) {
		probs = append(probs, fmt.Sprintf("%s:%d: %s.%s: %s", r.File, r.Line, t.Name, col, msg))
	}
	vals := map[string]any{}
	for _, name := range sortedKeys(r.Values) {
		if t.Column(name) == nil {
			bad(name, "unknown column")
		}
	}
	for _, c := range t.Columns {
		v, ok := r.Values[c.Name]
		if !ok && c.HasDefault {
			v, ok = c.Default, true
			if c.Type == schema.TypeTimestamp && v == "now" {
				v = now
			}
		}
		if !ok && c.Name == "createdAt" {
			v, ok = now, true
		}
		if !ok || v == nil {
			if notNull(t, c) {
				bad(c.Name, "is required")
			}
			continue
		}
		sv, msg := toSQL(c, v)
		if msg != "" {
			bad(c.Name, msg)
			continue
		}
		vals[c.Name] = sv
	}
	if len(probs) > 0 {
		return probs
	}
	orgCol := t.OrgColumn()
	for _, c := range t.Columns {
		v := vals[c.Name]
		if c.References == "" || v == nil {
			continue
		}
		rt := s.cfg.Table(c.References)
		q := fmt.Sprintf("SELECT 1 FROM %s WHERE %s = ?", Q(rt.Name), Q(rt.PrimaryKey().SQLName))
		args := []any{v}
		if rc := rt.OrgColumn(); rc != nil && orgCol != nil {
			q += " AND " + Q(rc.SQLName) + " = ?"
			args = append(args, vals[orgCol.Name])
		}
		var one int
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&one); err != nil {
			bad(c.Name, fmt.Sprintf("references a %s row that does not exist in this organization", rt.Name))
		}
	}
	if len(probs) > 0 {
		return probs
	}
	var cols, marks, sets []string
	var args []any
	pk := t.PrimaryKey()
	for _, c := range t.Columns {
		v, ok := vals[c.Name]
		if !ok {
			continue
		}
		cols = append(cols, Q(c.SQLName))
		marks = append(marks, "?")
		args = append(args, v)
		if c != pk {
			sets = append(sets, Q(c.SQLName)+" = excluded."+Q(c.SQLName))
		}
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT(%s) DO UPDATE SET %s", Q(t.Name), strings.Join(cols, ", "), strings.Join(marks, ", "), Q(pk.SQLName), strings.Join(sets, ", "))
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		msg := err.Error()
		col := pk.Name
		if i := strings.Index(msg, "constraint failed: "); i >= 0 {
			rest := msg[i+len("constraint failed: "):]
			if j := strings.LastIndexByte(strings.Fields(rest)[0], '.'); j >= 0 {
				sqlName := strings.TrimRight(strings.Fields(rest)[0][j+1:], ",)")
				for _, c := range t.Columns {
					if c.SQLName == sqlName {
						col = c.Name
					}
				}
			}
		}
		switch {
		case strings.Contains(msg, "UNIQUE"):
			bad(col, "duplicate value (unique)")
		default:
			bad(col, "breaks a constraint")
		}
	}
	return probs
}
