package engine_test

import (
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestSeedJSONComparesAsJSON: a second seed finds a json column unchanged
// when the database holds the same document in other text (keys reordered,
// spaced, as PostgreSQL's jsonb keeps it), and updates it when the
// document differs.
func TestSeedJSONComparesAsJSON(t *testing.T) {
	dir := sdCopyFixtures(t)
	e := enginetest.Open(t)
	sdReport(t, e, dir, false)
	db := engine.RawDB(e)
	const id = "x-acme-3"
	var payload string
	if err := db.QueryRow("SELECT raw_payload FROM ats_imports WHERE id = ?", id).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	reformatted := `{"score": 0.82, "prospect": true, "last_name": "Costa", "first_name": "Beatriz", "id": 1003, "applications": []}`
	if payload == reformatted {
		t.Fatalf("the seed wrote %s: the test needs other text of the same document", payload)
	}
	if _, err := db.Exec("UPDATE ats_imports SET raw_payload = ? WHERE id = ?", reformatted, id); err != nil {
		t.Fatal(err)
	}
	if c := sdCount(t, sdReport(t, e, dir, false), "ats_imports"); c.Updated != 0 {
		t.Errorf("the same document in other text was rewritten: %+v", c)
	}
	if _, err := db.Exec("UPDATE ats_imports SET raw_payload = ? WHERE id = ?", `{"id": 1003}`, id); err != nil {
		t.Fatal(err)
	}
	if c := sdCount(t, sdReport(t, e, dir, false), "ats_imports"); c.Updated != 1 {
		t.Errorf("another document was not rewritten: %+v", c)
	}
}
