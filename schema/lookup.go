package schema

import (
	"path/filepath"
	"strings"
	"unicode"
)

// Table returns the table with the given SQL name, or nil.
func (c *Config) Table(name string) *Table {
	if c.byName == nil {
		c.index()
	}
	return c.byName[name]
}

func (c *Config) index() {
	c.byName = make(map[string]*Table, len(c.Tables))
	for _, t := range c.Tables {
		c.byName[t.Name] = t
		t.index()
	}
}

// TableBySQLName returns the table whose database name is name (compared
// without case, as SQLite compares names), or nil.
func (c *Config) TableBySQLName(name string) *Table {
	for _, t := range c.Tables {
		if strings.EqualFold(t.SQLName, name) {
			return t
		}
	}
	return nil
}

// DatabasePath is the database file, resolved against the config's directory.
func (c *Config) DatabasePath() string { return c.resolve(c.Project.Database) }

// FixturesPath is the fixtures folder, resolved against the config's directory.
func (c *Config) FixturesPath() string { return c.resolve(c.Project.Fixtures) }

// WitnessDir is [audit].witness resolved against the config's directory
// ("" when the config does not set it).
func (c *Config) WitnessDir() string { return c.resolve(c.Audit.Witness) }

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "postgres://") || strings.HasPrefix(p, "postgresql://") {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// RoleIndex is the rank of role in [auth].roles, or -1.
func (c *Config) RoleIndex(role string) int {
	for i, r := range c.Auth.Roles {
		if r == role {
			return i
		}
	}
	return -1
}

func (t *Table) index() {
	t.byName = make(map[string]*Column, len(t.Columns))
	for _, col := range t.Columns {
		t.byName[col.Name] = col
	}
}

// Column returns the column with the given config name, or nil.
func (t *Table) Column(name string) *Column {
	if t.byName == nil {
		t.index()
	}
	return t.byName[name]
}

// PrimaryKey is the table's column of type id.
func (t *Table) PrimaryKey() *Column {
	for _, c := range t.Columns {
		if c.Type == TypeID {
			return c
		}
	}
	return nil
}

// Action returns the named action, or nil.
func (t *Table) Action(name string) *Action {
	for _, a := range t.Actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// OrgColumn is the firewall's organization column, or nil when unscoped.
func (t *Table) OrgColumn() *Column {
	if t.Firewall.Organization == nil {
		return nil
	}
	return t.Column(t.Firewall.Organization.Column)
}

// OwnerColumn is the firewall's owner column, or nil when there is none.
func (t *Table) OwnerColumn() *Column {
	if t.Firewall.Owner == nil {
		return nil
	}
	return t.Column(t.Firewall.Owner.Column)
}

// IsSystemManaged reports whether no client write may set the column:
// the audit columns and the firewall's organization and owner columns.
func (t *Table) IsSystemManaged(col string) bool {
	if c := t.Column(col); c != nil && c.System {
		return true
	}
	if o := t.Firewall.Organization; o != nil && o.Column == col {
		return true
	}
	if o := t.Firewall.Owner; o != nil && o.Column == col {
		return true
	}
	return false
}

// Hidden is the mode of firewall errors: true for errorMode = "hide".
func (t *Table) Hidden() bool { return t.Firewall.ErrorMode == "hide" }

// SearchColumns are the columns a default search covers: the searchable
// ones, else every text column that is not system-managed.
func (t *Table) SearchColumns() []*Column {
	var out []*Column
	for _, c := range t.Columns {
		if c.Searchable {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, c := range t.Columns {
		if (c.Type == TypeText || c.Type == TypeEnum) && !c.System && !t.IsSystemManaged(c.Name) && c.References == "" {
			out = append(out, c)
		}
	}
	return out
}

// Input returns the named input, or nil.
func (a *Action) Input(name string) *Input {
	for _, in := range a.Inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// SnakeCase converts a camelCase config name into its default SQL name.
func SnakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TableNames lists the tables in config order.
func (c *Config) TableNames() []string {
	out := make([]string, len(c.Tables))
	for i, t := range c.Tables {
		out[i] = t.Name
	}
	return out
}

// ColumnNames lists the table's columns in display order.
func (t *Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// ActionNames lists the table's actions.
func (t *Table) ActionNames() []string {
	out := make([]string, len(t.Actions))
	for i, a := range t.Actions {
		out[i] = a.Name
	}
	return out
}

// InputNames lists the action's inputs.
func (a *Action) InputNames() []string {
	out := make([]string, len(a.Inputs))
	for i, in := range a.Inputs {
		out[i] = in.Name
	}
	return out
}
