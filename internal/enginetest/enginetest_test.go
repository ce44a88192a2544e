package enginetest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// fatalTB records the first Fatal instead of failing the test.
type fatalTB struct {
	*testing.T
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// fatal runs fn with a recording TB and returns what it failed with.
func fatal(t *testing.T, fn func(tb enginetest.TB)) string {
	f := &fatalTB{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.msg
}

func TestConfigTextEdits(t *testing.T) {
	base := enginetest.ConfigText(t)
	const list = `list.access   = { roles = ["interviewer+"] }`
	got := enginetest.ConfigText(t,
		enginetest.Edit{Section: "[tables.candidates.crud]", Old: list, New: `list.access   = { roles = ["owner"] }`},
		enginetest.Edit{New: "# appended"})
	cand := got[strings.Index(got, "[tables.candidates.crud]"):]
	if !strings.HasPrefix(cand, "[tables.candidates.crud]\n"+`list.access   = { roles = ["owner"] }`) {
		t.Errorf("the edit did not land in its section:\n%.200s", cand)
	}
	if strings.Count(got, list) != strings.Count(base, list)-1 {
		t.Error("the edit changed more than the first occurrence after its section")
	}
	if !strings.HasSuffix(got, "\n# appended\n") {
		t.Errorf("an edit without Old does not append: %q", got[len(got)-40:])
	}

	for name, c := range map[string]struct {
		edit enginetest.Edit
		want string
	}{
		"missing section": {enginetest.Edit{Section: "[tables.nope]", Old: "x", New: "y"}, "section"},
		"missing text":    {enginetest.Edit{Section: "[tables.jobs]", Old: "no such text", New: "y"}, "not found"},
		"ambiguous text":  {enginetest.Edit{Old: list, New: "y"}, "occurs"},
	} {
		if msg := fatal(t, func(tb enginetest.TB) { enginetest.ConfigText(tb, c.edit) }); !strings.Contains(msg, c.want) {
			t.Errorf("%s: failed with %q, want %q", name, msg, c.want)
		}
	}
}

func TestConfigIsCachedByText(t *testing.T) {
	if enginetest.Config(t) != enginetest.Config(t) {
		t.Error("the default config is parsed twice")
	}
	e := enginetest.Edit{Old: `label = "Jobs"`, New: `label = "Openings"`}
	if c := enginetest.Config(t, e); c == enginetest.Config(t) || c.Table("jobs").Label != "Openings" {
		t.Errorf("an edited config: label %q", c.Table("jobs").Label)
	}
}

// TestSeededCopiesAreIndependent: every Seeded engine starts from the same
// rows, and a write to one is not seen by another.
func TestSeededCopiesAreIndependent(t *testing.T) {
	a, b := enginetest.Seeded(t, enginetest.Fixed()), enginetest.Seeded(t)
	da, db := enginetest.DB(t, a), enginetest.DB(t, b)
	if enginetest.Dump(t, da, "qb_audit") != enginetest.Dump(t, db, "qb_audit") {
		t.Fatal("two seeded copies differ")
	}
	dana := enginetest.Member(t, a, "u-dana", "")
	res, err := a.Create(context.Background(), dana, "jobs", map[string]any{"title": "Welder"}, engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// enginetest.Now as the store keeps a time.
	if got, want := res.Row.Get("createdAt"), "2026-03-02T09:00:00.000Z"; got != want {
		t.Errorf("Fixed: createdAt %v, want %s", got, want)
	}
	after := enginetest.Dump(t, da, "qb_audit")
	if after == enginetest.Dump(t, db, "qb_audit") {
		t.Fatal("a write does not change the dump")
	}
	if !strings.Contains(after, "t6:Welder") {
		t.Errorf("the new row is not in the dump")
	}
	if n := len(enginetest.Rows(t, db, "SELECT id FROM jobs WHERE title = 'Welder'")); n != 0 {
		t.Errorf("the other copy sees the write (%d rows)", n)
	}
}

// TestDumpTypes: values of different types never render alike.
func TestDumpTypes(t *testing.T) {
	db := enginetest.DB(t, enginetest.Open(t))
	if _, err := db.Exec(`CREATE TABLE v (x)`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, v := range []any{nil, int64(1), 1.0, "1", "", "NULL", "a|b", "a\nb"} {
		if _, err := db.Exec(`DELETE FROM v`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO v VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
		d := enginetest.Dump(t, db, "qb_audit")
		if prev, ok := seen[d]; ok {
			t.Errorf("%#v and %s dump alike", v, prev)
		}
		seen[d] = fmt.Sprintf("%#v", v)
	}
}
