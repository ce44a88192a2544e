package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"quickback.dev/qb/termsafe"
)

func TestTruncateWords(t *testing.T) {
	cases := []struct {
		s    string
		w    int
		want string
	}{
		{"short enough", 20, "short enough"},
		{"the rule tables.applications.actions.advanceStage decides", 30, "the rule…"},
		{"cut here please", 12, "cut here…"},
		{"onesinglelongword", 8, "onesing…"},
	}
	for _, c := range cases {
		if got := truncateWords(c.s, c.w); got != c.want || termsafe.Width(got) > c.w {
			t.Errorf("truncateWords(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

// TestStatusNeverCutsMidWord (issue 15, defect 3): a refusal too long for
// the status line's two lines is cut between words, at every width.
func TestStatusNeverCutsMidWord(t *testing.T) {
	e := newEngine(t)
	m := New(e, Options{Identity: identity(t, e, "u-dana", "")})
	m.setStatus("VALIDATION_FAILED (400): invalid input for advanceStage: note must be at most 500 characters; stage is required: it names the target state", true)
	words := strings.Fields(m.status)
	for w := 36; w <= 48; w++ {
		m.SetSize(w, 12)
		lines := strings.Split(ansi.Strip(m.statusView()), "\n")
		if len(lines) != 2 {
			t.Fatalf("width %d: status lines %q", w, lines)
		}
		last := strings.Fields(strings.TrimSuffix(lines[1], termsafe.Ellipsis))
		if len(last) == 0 || !slices.Contains(words, last[len(last)-1]) {
			t.Errorf("width %d: the status is cut inside a word: %q", w, lines[1])
		}
	}
}

// TestWrapKeepsIdentifiersWhole (issue 15, defect 9): a rule's path too
// long for a line breaks after one of its dots, never inside a name.
func TestWrapKeepsIdentifiersWhole(t *testing.T) {
	s := "denied by tables.applications.actions.advanceStage.transition.from for this state"
	for w := 18; w <= 40; w++ {
		for _, l := range wrapText(s, w) {
			if termsafe.Width(l) > w {
				t.Fatalf("width %d: line %q too wide", w, l)
			}
			for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '.' }) {
				if !strings.Contains(" "+s+" ", " "+part+" ") && !strings.Contains(s, "."+part+".") && !strings.Contains(s, " "+part+".") && !strings.Contains(s, "."+part+" ") {
					t.Errorf("width %d: %q is cut out of a name (line %q)", w, part, l)
				}
			}
		}
	}
}
