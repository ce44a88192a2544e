// Package seed is what one seed run writes — organizations, users with
// their memberships, and table rows, each with the file and line it came
// from — and what the run did to each table. The fixtures package builds a
// Data from a project's fixture files (or the generator's plan); the engine
// writes it (Engine.Seed, engine.NewScratch) and returns a Report.
package seed

// Data is everything one seed run writes: identities and table rows.
// It is produced by the fixtures package and written by Engine.Seed in one
// transaction (all or nothing).
type Data struct {
	Organizations []Org
	Users         []User
	// Tables in the order they must be loaded (referenced tables first).
	Tables []Table
}

// Org is one organization of identities.toml.
type Org struct {
	ID, Name string
	File     string
	Line     int
}

// User is one user of identities.toml with its memberships.
type User struct {
	ID, Name, Email, UserRole string
	Memberships               []Membership
	File                      string
	Line                      int
}

// Membership is a user's role in an organization.
type Membership struct {
	Org, Role string
}

// Table holds the rows of one fixture file.
type Table struct {
	Table string // SQL table name (the file's base name)
	Rows  []Row
}

// Row is one [[rows]] entry: config column names to TOML values
// (string, int64, float64, bool, time.Time, or map/slice for json columns).
type Row struct {
	Values map[string]any
	File   string
	Line   int
}

// Report says what a seed run did, per table: the identity tables
// first (organizations, users, memberships), then the feature tables in
// load order.
type Report struct {
	Tables []Count `json:"tables"`
}

// Count is what a seed run did to one table's rows: those it inserted,
// those it changed, those already as the fixtures say, and (with reset)
// those it removed first.
type Count struct {
	Table     string `json:"table"`
	Inserted  int    `json:"inserted"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Removed   int    `json:"removed,omitempty"`
}

// Changed reports whether the run wrote anything at all.
func (r *Report) Changed() bool {
	for _, c := range r.Tables {
		if c.Inserted+c.Updated+c.Removed > 0 {
			return true
		}
	}
	return false
}
