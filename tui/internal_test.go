package tui

import (
	"strings"
	"testing"

	"quickback.dev/qb/internal/enginetest"
)

// With [audit].inspectInternal = ["owner"], what submitScore wrote into
// the internal interview_scores can be checked: an owner browses the table
// read-only under the INTERNAL badge (no write is offered; one pressed is
// refused by the engine), while an interviewer still gets INTERNAL_TABLE.
func TestInspectInternalTable(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{New: "[audit]\ninspectInternal = [\"owner\"]"}))
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "applications"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("onsite")
	f.key("enter")
	f.waitFor("row 1 of 1", "interview")
	f.key("a")
	f.waitFor("Actions on applications a-1001", "submitScore")
	f.key("down", "enter")
	f.waitFor("Run submitScore on applications a-1001", "score")
	f.typeText("4")
	f.key("enter")
	f.waitFor("┃ feedback")
	f.typeText("zebra-check")
	f.key("enter")
	f.waitFor("Run it? (y/N)")
	f.key("y")
	f.waitFor("submitScore ran on applications a-1001")
	f.key("esc")

	// The interviewer: the internal table is refused as ever.
	f.key("5") // Interview scores
	v := f.waitFor("INTERNAL_TABLE")
	if strings.Contains(v, "zebra-check") {
		t.Fatalf("an interviewer sees the internal row:\n%s", v)
	}

	// The owner inspects it: the new score is there, read-only.
	f.key("i")
	f.typeText("u-ben")
	f.waitFor("Benjamin Adler")
	f.key("enter")
	f.key("/")
	f.typeText("zebra")
	f.key("enter")
	v = f.waitFor("INTERNAL", "read-only inspection", "zebra-check", "row 1 of 1")
	if !strings.Contains(v, "a-1001") {
		t.Errorf("the inspected score does not name its application:\n%s", v)
	}
	h := hintsLine(v)
	for _, w := range []string{"e edit", "n new", "d delete"} {
		if strings.Contains(h, w) {
			t.Errorf("an inspection offers %q: %s", w, h)
		}
	}
	f.key("d")
	f.waitFor("INTERNAL_TABLE")
}
