package engine

import "testing"

// TestCodesAreTheCatalogue: Codes lists every code that has a status, once.
func TestCodesAreTheCatalogue(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes() {
		if _, ok := statusOf[c]; !ok || seen[c] {
			t.Errorf("%s: no status, or listed twice", c)
		}
		seen[c] = true
	}
	if len(seen) != len(statusOf) {
		t.Errorf("Codes lists %d codes, the catalogue has %d", len(seen), len(statusOf))
	}
}
