package access

// Kinds of policy change.
const (
	ChangeRole      = "role"
	ChangeTable     = "table"
	ChangeOperation = "operation"
	ChangeField     = "field"
	ChangeAction    = "action"
)

// Bases of a row count (see RowImpact).
const (
	BasisRole    = "role"
	BasisMembers = "members"
)

// PolicyDiff is what changes between the current config and another one:
// every decision that differs and, for each changed row-visibility decision
// (list or get), how many rows it affects per organization.
type PolicyDiff struct {
	Current string         `json:"current"`
	Other   string         `json:"other"`
	Changes []PolicyChange `json:"changes"`
	Impacts []RowImpact    `json:"impacts"`
}

// PolicyChange is one decision that differs. Role is empty for a
// role-independent change (a table's firewall, a field's guard, an action's
// states).
type PolicyChange struct {
	// Kind is ChangeRole, ChangeTable, ChangeOperation, ChangeField or
	// ChangeAction.
	Kind  string `json:"kind"`
	Table string `json:"table,omitempty"`
	Role  string `json:"role,omitempty"`
	// Item is the operation, field or action; for a table the rule that
	// changed (exists, internal, firewall.organization, firewall.owner,
	// firewall.errorMode, crud.delete.mode); for a role "exists".
	Item string `json:"item,omitempty"`
	// Aspect says what of a field or action changed: visibility, guard,
	// createable, updatable, exists (fields); access, from states, exists
	// (actions).
	Aspect string `json:"aspect,omitempty"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// RowImpact is the blast radius of one changed row-visibility decision (a
// role's list or get on a table), per organization.
//
// The rows a role "sees" in an organization are the rows of the table that
// the role, as a group, could read there under a config:
//   - when the decision does not depend on who the user is (no owner scope,
//     no $ctx.userId / $ctx.email / $ctx.userRole condition, no userRole
//     test), they are the rows any user holding the role in that
//     organization would see, whether or not it has such a member today
//     (basis "role");
//   - otherwise they are the rows at least one current member holding the
//     role in that organization can see, each member's own user id, email
//     and tier bound (basis "members"). An organization with no such member
//     sees no rows on this basis.
//
// Both are computed in SQL with each config's firewall and access
// predicates (soft-deleted rows excluded), in one pass over the table.
type RowImpact struct {
	Table     string `json:"table"`
	Role      string `json:"role"`
	Operation string `json:"operation"`
	// BeforeBasis and AfterBasis are "role" or "members" (see above).
	BeforeBasis string    `json:"beforeBasis"`
	AfterBasis  string    `json:"afterBasis"`
	Orgs        []OrgRows `json:"orgs"`
	// Note explains a count that could not be made.
	Note string `json:"note,omitempty"`
}

// OrgRows counts one organization's rows for a RowImpact.
type OrgRows struct {
	Org string `json:"org"`
	// Members holding the role in the organization.
	Members int64 `json:"members"`
	Before  int64 `json:"before"`
	After   int64 `json:"after"`
	// Gained: visible after, not before (newly exposed). Lost: the reverse.
	Gained int64 `json:"gained"`
	Lost   int64 `json:"lost"`
}
