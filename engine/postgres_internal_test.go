package engine

import (
	"strings"
	"testing"
)

// TestPGIdent: names within PostgreSQL's 63 bytes stay as they are; longer
// ones are cut to 63 bytes ending in a hash of the whole name, so two long
// names that share their first 63 bytes stay distinct.
func TestPGIdent(t *testing.T) {
	short := "qbx_jobs_scope"
	if got := pgIdent(short); got != short {
		t.Errorf("pgIdent(%q) = %q", short, got)
	}
	a := "qbx_" + strings.Repeat("very_long_table_name_", 4) + "scope"
	b := "qbx_" + strings.Repeat("very_long_table_name_", 4) + "owner"
	ia, ib := pgIdent(a), pgIdent(b)
	if len(ia) > pgMaxIdent || len(ib) > pgMaxIdent {
		t.Errorf("over 63 bytes: %q (%d), %q (%d)", ia, len(ia), ib, len(ib))
	}
	if ia == ib {
		t.Errorf("%q and %q both became %q", a, b, ia)
	}
	if !strings.HasPrefix(ia, "qbx_very_long") {
		t.Errorf("pgIdent(%q) = %q: the start is kept", a, ia)
	}
	// A multi-byte character is never cut in half.
	u := "qbx_" + strings.Repeat("é", 40)
	if got := pgIdent(u); !strings.HasPrefix(u, got[:strings.LastIndexByte(got, '_')]) || len(got) > pgMaxIdent {
		t.Errorf("pgIdent(%q) = %q", u, got)
	}
}
