package tui

import (
	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
)

// session is the engine and the identity the console acts as, and the
// request counter that tags every engine call.
type session struct {
	eng *engine.Engine
	id  engine.Identity
	seq uint64
	// may is what the identity may do on each table (see may.go).
	may permissions
	// fields is how the identity sees each column of each table (raw or
	// masked, and by which rule), as the engine explained it.
	fields map[string]map[string]engine.FieldExplanation
}

// masked returns the masking rule that hides column col of table from the
// identity for queries (filter, sort, search), "" when it is not masked
// (or not known yet: the engine then decides).
func (s *session) masked(table, col string) string {
	f, ok := s.fields[table][col]
	if !ok || f.Visibility == access.VisibilityRaw {
		return ""
	}
	return f.Rule
}

func (s *session) tag() reqTag {
	s.seq++
	return reqTag{ID: s.seq, Identity: s.id}
}

// reqTag identifies an engine request: a unique id and the identity it was
// issued for. A result whose tag is not the one awaited is stale and is
// dropped.
type reqTag struct {
	ID       uint64
	Identity engine.Identity
}

// requests remembers, per purpose ("detail", "edit", "write", …), the id
// of the request whose answer is awaited; any other answer for that
// purpose is stale.
type requests map[string]uint64

// expect records tag as the awaited request of purpose.
func (r requests) expect(purpose string, tag reqTag) { r[purpose] = tag.ID }

// answer reports whether a result with tag answers the awaited request of
// purpose, issued for identity id. The request is then answered: a
// duplicate would be stale too.
func (r requests) answer(purpose string, tag reqTag, id engine.Identity) bool {
	if r[purpose] != tag.ID || tag.Identity != id {
		return false
	}
	delete(r, purpose)
	return true
}
