package tui

import (
	"strings"
	"testing"
)

func TestWordDiffText(t *testing.T) {
	plain := func(_ int, s string) string { return s }
	long := strings.Repeat("the candidate spoke about motion planning and embedded control ", 10)
	cases := []struct {
		name, before, after, want string
	}{
		{"a word changed", "onsite scheduled with the team", "onsite moved with the team", "onsite [-scheduled-] {+moved+} with the team"},
		{"added at the end", "Strong on RTOS", "Strong on RTOS and CAN bus", "Strong on RTOS {+and CAN bus+}"},
		{"removed in the middle", "one two three four", "one four", "one [-two three-] four"},
		{"from nothing", "", "new note", "{+new note+}"},
		{"a long shared stretch between two changes", "A " + long + "Z", "B " + long + "Y",
			"[-A-] {+B+} the candidate spoke about motion planning … about motion planning and embedded control [-Z-] {+Y+}"},
		{"a long shared stretch is cut to its context", long + "Ends here.", long + "Ends there.",
			"… motion planning and embedded control Ends [-here.-] {+there.+}"},
	}
	for _, c := range cases {
		if got := wordDiffText(c.before, c.after, plain); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestWordsJoinBack(t *testing.T) {
	for _, s := range []string{"", "a", "a b", "  lead", "trail  ", "x\ny\tz"} {
		if got := strings.Join(words(s), ""); got != s {
			t.Errorf("words(%q) join to %q", s, got)
		}
	}
}
