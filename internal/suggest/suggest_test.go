package suggest

import (
	"testing"

	"pgregory.net/rapid"
)

func TestClosest(t *testing.T) {
	commands := []string{"check", "seed", "generate", "users", "list", "get", "create", "update", "delete", "upsert", "run", "explain", "matrix", "audit"}
	cases := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"lst", commands, "list"},
		{"udpate", commands, "update"}, // transposition
		{"seeed", commands, "seed"},
		{"xyz", commands, ""},
		{"list", commands, ""}, // the word itself is no correction
		{"lmit", []string{"limit", "filter", "sort", "search", "cursor"}, "limit"},
		{"jbos", []string{"jobs", "candidates", "applications"}, "jobs"},
		{"nmae", []string{"id", "name", "email"}, "name"},
		{"u-dnaa", []string{"u-ben", "u-dana", "u-ivan"}, "u-dana"},
		{"globx", []string{"acme", "globex"}, "globex"},
		{"advanceStag", []string{"advanceStage", "submitScore"}, "advanceStage"},
		{"titel", []string{"id", "title", "status"}, "title"},
		{"opn", []string{"draft", "open", "closed"}, "open"},
		{"adv", []string{"advanceStage", "submitScore"}, "advanceStage"}, // an abbreviation
		{"JOBS", []string{"jobs"}, "jobs"},                               // case is ignored
		{"a", []string{"b"}, ""},                                         // one letter is too short to guess
		{"", []string{"a"}, ""},
		{"interviewr", []string{"interviewer", "recruiter", "hiring-manager", "owner"}, "interviewer"},
	}
	for _, c := range cases {
		if got := Closest(c.word, c.candidates); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
	if got := Hint("lst", commands); got != `; did you mean "list"?` {
		t.Errorf("Hint = %q", got)
	}
	if got := Hint("zzzz", commands); got != "" {
		t.Errorf("Hint with nothing near = %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"jbos", "jobs", 1}, {"ab", "ba", 1}, {"é", "e", 1},
	} {
		if got := distance(c.a, c.b); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// The distance is a metric's first axioms, and Closest never offers the
// word itself nor a word beyond the typo threshold.
func TestDistanceProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.StringN(0, 12, -1).Draw(t, "a")
		b := rapid.StringN(0, 12, -1).Draw(t, "b")
		if distance(a, a) != 0 {
			t.Fatalf("distance(a, a) != 0 for %q", a)
		}
		if distance(a, b) != distance(b, a) {
			t.Fatalf("asymmetric for %q %q", a, b)
		}
		if a != b && distance(a, b) == 0 {
			t.Fatalf("distinct strings at distance 0: %q %q", a, b)
		}
		if got := Closest(a, []string{a}); got != "" {
			t.Fatalf("Closest offered the word itself: %q", a)
		}
	})
}
