package schema

import (
	"strconv"
	"strings"
	"testing"
)

// warningCases each make one configuration of base whose refusals would
// reveal hidden data (SPEC §3.3); each warning names the safe alternative.
var warningCases = []struct {
	name string
	src  string
	line int
	path string
	msg  []string
}{
	{"single-column unique", edit(9, `name = { type = "text", maxLength = 10, unique = true }`), 9, "tables.items.columns.name.unique",
		[]string{"UNIQUE_VIOLATION", `unique = [["organizationId", "ownerId", "name"]]`}},
	{"unique group outside the firewall", edit(2, `unique = [["name", "memo"]]`), 2, "tables.items.unique[0]",
		[]string{"lacks organizationId and ownerId", `unique = [["organizationId", "ownerId", "name", "memo"]]`}},
	{"unique group without the owner", edit(2, `unique = [["organizationId", "name"]]`), 2, "tables.items.unique[0]",
		[]string{"lacks ownerId", `unique = [["ownerId", "organizationId", "name"]]`}},
	{"client-chosen id", edit(17, `createable = ["name", "score", "id"]`), 17, "tables.items.guards.createable[2]",
		[]string{"UNIQUE_VIOLATION", `remove "id" from createable`}},
	{"masked upsert key", afterLabel(edit(21, "list.access = { roles = [\"viewer+\"] }\ncreate.access = { roles = [\"viewer+\"] }"), `upsertKey = ["name"]`), 3, "tables.items.upsertKey[0]",
		[]string{"name is masked for viewer, who may upsert", "key upserts on a column no writer sees masked"}},
	{"masked transition field", edit(24, `status = { type = "redact", show = { roles = ["admin"] } }`), 29, "tables.items.actions.finish.transition.field",
		[]string{"status is masked for editor, who may run finish", "masking.status.show.roles", "take them out of the action's access"}},
	{"hard delete of a referenced table", edit(21, "list.access = { roles = [\"viewer+\"] }\ndelete = { access = { roles = [\"admin\"] }, mode = \"hard\" }"), 22, "tables.items.crud.delete.mode",
		[]string{"FK_NOT_FOUND", "logs.itemId (internal, soft-deleted rows)", `use mode = "soft"`}},
}

// afterLabel inserts line after the second line of base (label = "Items").
func afterLabel(src, line string) string {
	return strings.Replace(src, `label = "Items"`, `label = "Items"`+"\n"+line, 1)
}

func TestWarnings(t *testing.T) {
	for _, tc := range warningCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("w.toml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Warnings) != 1 {
				t.Fatalf("want one warning, got %d:\n%v", len(cfg.Warnings), cfg.Warnings)
			}
			w := cfg.Warnings[0]
			if w.File != "w.toml" || w.Line != tc.line || w.Path != tc.path || !w.Warning {
				t.Errorf("got %s, want w.toml:%d: warning: %s", w, tc.line, tc.path)
			}
			for _, m := range tc.msg {
				if !strings.Contains(w.Message, m) {
					t.Errorf("message %q lacks %q", w.Message, m)
				}
			}
			if prefix := "w.toml:" + strconv.Itoa(tc.line) + ": warning: " + tc.path + ": "; !strings.HasPrefix(w.String(), prefix) {
				t.Errorf("String() = %q, want prefix %q", w.String(), prefix)
			}
		})
	}
}

// What does not reveal anything is not warned about.
func TestNoWarnings(t *testing.T) {
	for name, src := range map[string]string{
		"base":                                   base,
		"unique inside the firewall":             edit(2, `unique = [["organizationId", "ownerId", "name"]]`),
		"upsert key shown to every writer":       strings.Replace(edit(21, "list.access = { roles = [\"viewer+\"] }\ncreate.access = { roles = [\"editor+\"] }"), `label = "Items"`, `label = "Items"`+"\n"+`upsertKey = ["name"]`, 1),
		"transition field shown to every runner": edit(24, `status = { type = "redact", show = { roles = ["editor+"] } }`),
		"soft delete":                            edit(21, "list.access = { roles = [\"viewer+\"] }\ndelete = { access = { roles = [\"admin\"] } }"),
	} {
		cfg, err := Parse("ok.toml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cfg.Warnings) != 0 {
			t.Errorf("%s: %v", name, cfg.Warnings)
		}
	}
	cfg := mustLoad(t, "../quickback.toml")
	if len(cfg.Warnings) != 0 {
		t.Errorf("the default project warns:\n%v", cfg.Warnings)
	}
}

// guards = false lets clients choose the primary key of an organization's
// table.
func TestWarningGuardsOff(t *testing.T) {
	src := `[project]
name = "T"
database = "t.db"
[auth]
roles = ["a"]
[tables.feed]
guards = false
[tables.feed.columns]
id = { type = "id" }
organizationId = { type = "text", required = true }
[tables.feed.firewall]
organization = {}
`
	cfg, err := Parse("g.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || cfg.Warnings[0].Path != "tables.feed.guards" || cfg.Warnings[0].Line != 7 || !strings.Contains(cfg.Warnings[0].Message, `leave "id" out of createable`) {
		t.Errorf("warnings %v", cfg.Warnings)
	}
}
