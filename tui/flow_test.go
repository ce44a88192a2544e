package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"quickback.dev/qb/engine"
)

// Browse jobs as a recruiter.
func TestBrowseJobsAsRecruiter(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "jobs", Project: "Hiring"})
	v := f.waitFor("row 1 of 7", "Senior Robotics Engineer")
	for _, want := range []string{"acting as Rachel Kim (u-rachel)", "role recruiter", "org acme (Acme Robotics)", "Jobs (jobs)"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q", want)
		}
	}
	if !strings.Contains(v, "IMPERSONATING") {
		t.Error("acting as a real user is an impersonation, from the start")
	}
	// globex's jobs never show in acme.
	if strings.Contains(v, "globex") {
		t.Error("a row of another organization is shown")
	}
	f.key("down", "down")
	v = f.waitFor("row 3 of 7")
	f.golden(t, v)
	f.key("q")
	f.tm.WaitFinished(t)
	final := trimLines(ansi.Strip(f.tm.FinalModel(t).View()))
	if final != v {
		t.Errorf("final view differs from the last snapshot:\n%s", final)
	}
}

// Switch to an interviewer on candidates: email and phone are masked; switch
// to a hiring manager: they are raw. Table, position and the status of the
// switch follow.
func TestMaskingFollowsIdentity(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "candidates"})
	f.waitFor("jane@example.com")
	f.key("i")
	f.waitFor("Act as…")
	f.typeText("ivan")
	f.waitFor("› Ivan Petrov")
	f.key("enter")
	v := f.waitFor("role interviewer", "◆j***@e******.com", "◆***-***-4567")
	if strings.Contains(v, "jane@example.com") || strings.Contains(v, "555-123-4567") {
		t.Fatal("raw email or phone shown to an interviewer")
	}
	if !strings.Contains(v, "IMPERSONATING") {
		t.Error("no IMPERSONATING badge after switching identity")
	}
	t.Run("interviewer", func(t *testing.T) { f.golden(t, v) })

	f.key("i")
	f.waitFor("Act as…")
	f.typeText("hiring-manager acme dana")
	f.waitFor("› Dana Reyes")
	f.key("enter")
	v = f.waitFor("role hiring-manager", "jane@example.com", "555-123-4567")
	if strings.Contains(v, "◆j***@") {
		t.Fatal("masked email still shown to a hiring manager")
	}
	t.Run("hiring-manager", func(t *testing.T) { f.golden(t, v) })
}

// The selected row as every role of the organization sees it.
func TestCompareView(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("/")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("row 1 of 1", "Jane Doe")
	f.key("c")
	v := f.waitFor("Compare candidates c-jane")
	for _, want := range []string{"≠ email", "≠ phone", "jane@example.com", "◆j***@e******.com", "◆***-***-4567", "you: u-dana", "any interviewer"} {
		if !strings.Contains(v, want) {
			t.Errorf("compare view lacks %q", want)
		}
	}
	f.golden(t, v)
	f.key("esc")
	f.waitFor("Candidates (candidates)")
}

// The edit form of an application shows stage locked by advanceStage; a
// refused write shows its code in the status line; a validation error
// appears next to its field.
func TestEditFormAndRefusals(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "applications"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("onsite")
	f.key("enter")
	f.waitFor("row 1 of 1", "a-1001")
	f.key("e")
	v := f.waitFor("Edit applications a-1001", "┃ notes")
	if !strings.Contains(v, "stage = interview — protected: only actions advanceStage may set it") {
		t.Fatalf("stage is not shown locked by advanceStage:\n%s", v)
	}
	t.Run("form", func(t *testing.T) { f.golden(t, v) })

	f.key("esc")
	f.waitFor("Applications (applications)")

	// A recruiter may not delete applications: the engine's refusal, by code.
	f.key("d")
	v = f.waitFor("ACCESS_ROLE_REQUIRED (403)")
	if !strings.Contains(v, "tables.applications.crud.delete.access") {
		t.Error("the refusal does not name its rule")
	}
	t.Run("refused", func(t *testing.T) { f.golden(t, v) })
	// The status line is cleared by the next key.
	f.key("down")
	f.waitView("status cleared", func(v string) bool { return !strings.Contains(v, "ACCESS_ROLE_REQUIRED") })

	// Clearing a required field: the engine's VALIDATION_FAILED, next to
	// the field, and its code in the status line.
	f.key("2") // candidates
	f.waitFor("Candidates (candidates)", "row 1 of 14")
	f.key("/")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("row 1 of 1")
	f.key("e")
	f.waitFor("Edit candidates c-jane", "┃ > Jane Doe")
	f.key("ctrl+u", "enter") // name: cleared
	f.waitFor("┃ phone")
	f.key("enter") // phone: kept; submit
	v = f.waitFor("VALIDATION_FAILED (400)", "✗ is required")
	t.Run("validation", func(t *testing.T) { f.golden(t, v) })
	f.key("esc")
	f.waitFor("cancelled: nothing written")
}

// Run advanceStage through its form, preview and confirmation; the grid
// shows the new stage.
func TestRunAdvanceStage(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("onsite")
	f.key("enter")
	f.waitFor("row 1 of 1", "interview")
	f.key("a")
	v := f.waitFor("Actions on applications a-1001", "advanceStage", "✓ available")
	t.Run("actions", func(t *testing.T) { f.golden(t, v) })
	f.key("enter")
	v = f.waitFor("Run advanceStage on applications a-1001", "┃ > offer  ✓ allowed from interview")
	t.Run("form", func(t *testing.T) { f.golden(t, v) })
	f.key("enter") // stage: offer (the first allowed target)
	f.waitFor("┃ note")
	f.key("enter") // note: empty; submit
	v = f.waitFor("preview (dry run, nothing written yet)", "Run it? (y/N)")
	if !strings.Contains(v, "interview → offer") {
		t.Fatalf("the preview does not show the change:\n%s", v)
	}
	t.Run("preview", func(t *testing.T) { f.golden(t, v) })
	// Nothing is written before the confirmation.
	row, err := e.Get(t.Context(), *identity(t, e, "u-dana", ""), "applications", "a-1001")
	if err != nil || row.Get("stage") != "interview" {
		t.Fatalf("the preview wrote: %v %v", row.Get("stage"), err)
	}
	f.key("y")
	v = f.waitFor("advanceStage ran on applications a-1001")
	t.Run("result", func(t *testing.T) { f.golden(t, v) })
	f.key("esc")
	v = f.waitView("the grid with the new stage", func(v string) bool {
		return strings.Contains(v, "Applications (applications)") && strings.Contains(v, "a-1001") && strings.Contains(v, "offer")
	})
	t.Run("grid", func(t *testing.T) { f.golden(t, v) })
	row, err = e.Get(t.Context(), *identity(t, e, "u-dana", ""), "applications", "a-1001")
	if err != nil || row.Get("stage") != "offer" {
		t.Fatalf("stage after the action: %v %v", row.Get("stage"), err)
	}
}

// The same browse flow once per role of the default project.
func TestBrowsePerRole(t *testing.T) {
	e := newEngine(t)
	users := map[string]string{"interviewer": "u-ivan", "recruiter": "u-rachel", "hiring-manager": "u-dana", "owner": "u-ben"}
	for _, role := range e.Config().Auth.Roles {
		t.Run(role, func(t *testing.T) {
			user, ok := users[role]
			if !ok {
				t.Fatalf("no fixture user for role %s", role)
			}
			f := startFlow(t, e, Options{Identity: identity(t, e, user, "acme"), Table: "candidates"})
			v := f.waitFor("row 1 of 14", "Jane Doe")
			raw := role == "recruiter" || role == "hiring-manager"
			if got := strings.Contains(v, "jane@example.com"); got != raw {
				t.Errorf("%s: raw email shown = %v, want %v", role, got, raw)
			}
			if got := strings.Contains(v, "◆j***@e******.com"); got == raw {
				t.Errorf("%s: masked email shown = %v, want %v", role, got, !raw)
			}
			f.golden(t, v)
			// ATS imports: listed by owner and hiring-manager only.
			f.key("6")
			v = f.waitView("ats_imports", func(v string) bool {
				return strings.Contains(v, "ATS imports (ats_imports)") && (strings.Contains(v, "row 1 of") || strings.Contains(v, "cannot be listed") || strings.Contains(v, "no rows"))
			})
			canList := role == "owner" || role == "hiring-manager"
			if got := !strings.Contains(v, "cannot be listed"); got != canList {
				t.Errorf("%s: ats_imports listable = %v, want %v\n%s", role, got, canList, v)
			}
			if !canList && !strings.Contains(v, "ACCESS_ROLE_REQUIRED") {
				t.Errorf("%s: the refusal's code is not shown", role)
			}
		})
	}
}

// Detail: every field with its value as seen and the engine's reasons.
func TestDetailPane(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("/")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("row 1 of 1")
	f.key("enter")
	v := f.waitFor("candidates c-jane", "as seen by Ivan Petrov")
	for _, want := range []string{"◆j***@e******.com", "masked as email by tables.candidates.masking.email", "update is denied to this identity"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	f.golden(t, v)
}

// Filter and sort on a masked column are refused when their key is
// pressed, naming the rule (issue 15, defect 10), and the view is kept.
func TestRefusedQueryExplained(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("right", "right") // id, email
	f.key("s")
	v := f.waitFor("cannot sort on email: the column is masked for this identity (tables.candidates.masking.email)")
	if !strings.Contains(v, "row 1 of 14") || strings.Contains(v, "sort email") {
		t.Errorf("the refused sort changed the view:\n%s", v)
	}
	f.key("f")
	v = f.waitFor("cannot filter on email: the column is masked for this identity (tables.candidates.masking.email)")
	if strings.Contains(v, "Filter candidates on email") || strings.Contains(v, "filter email") {
		t.Errorf("a filter on a masked column was offered:\n%s", v)
	}
	// A filter on a visible column applies.
	f.key("left", "left") // name
	f.key("f")
	f.waitFor("Filter candidates on name", "┃ operator")
	f.key("enter")
	f.waitFor("┃ value")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("filter name~Jane", "row 1 of 1")
	// Sort on name, then reversed.
	f.key("F")
	f.waitFor("row 1 of 14")
	f.key("s")
	f.waitFor("sort name ▲", "row 1 of 14")
	f.key("s")
	v = f.waitFor("sort name ▼", "row 1 of 14")
	// SQLite orders text by code point: the Arabic name comes last, so first
	// when descending.
	if a, b := strings.Index(v, "ليلى"), strings.Index(v, "Aisha Bello"); a < 0 || b < 0 || a > b {
		t.Errorf("descending sort is not reversed:\n%s", v)
	}
}

// Create with a form, preview and confirmation; delete asks (y/N) and
// defaults to No.
func TestCreateAndDelete(t *testing.T) {
	e := newEngine(t)
	dana := identity(t, e, "u-dana", "")
	f := startFlow(t, e, Options{Identity: dana, Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("n")
	v := f.waitFor("New candidates record", "┃ name")
	if !strings.Contains(v, "organizationId — system-managed") || !strings.Contains(v, "id — not in the createable list") {
		t.Errorf("the create form does not list the locked fields:\n%s", v)
	}
	f.typeText("Zed Tester")
	f.key("enter")
	f.waitFor("┃ email")
	f.typeText("zed@example.com")
	f.key("enter")
	f.waitFor("┃ phone")
	f.key("enter")
	f.waitFor("┃ resumeUrl")
	f.key("enter")
	f.waitFor("┃ source")
	f.key("enter")
	v = f.waitFor("Create candidates ", "— preview", "Write it? (y/N)")
	// The preview names the id the write gives the record (generated once).
	previewID := strings.Fields(v[strings.Index(v, "Create candidates "):])[2]
	for _, want := range []string{"name", "Zed Tester", "zed@example.com", "createdBy", "u-dana"} {
		if !strings.Contains(v, want) {
			t.Errorf("preview lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "source ") {
		t.Error("an untouched optional select was sent")
	}
	f.key("y")
	f.waitFor("created candidates "+previewID, "row 1 of 15", "Zed Tester")

	// Delete: No is the default.
	f.key("/")
	f.typeText("Zed")
	f.key("enter")
	f.waitFor("row 1 of 1", "Zed Tester")
	f.key("d")
	v = f.waitFor("Delete candidates", "Delete it? (y/N)", "soft delete")
	t.Run("confirm", func(t *testing.T) {
		if !strings.Contains(v, "deletedBy") {
			t.Errorf("the delete preview lacks its changes:\n%s", v)
		}
	})
	f.key("enter")
	f.waitFor("not written: delete of candidates", "row 1 of 1")
	f.key("d")
	f.waitFor("Delete it? (y/N)")
	f.key("y")
	f.waitFor("deleted candidates", "no rows")
	if n, err := e.Count(t.Context(), *dana, "candidates", engine.ListQuery{}); err != nil || n != 14 {
		t.Errorf("candidates after create and delete: %d %v", n, err)
	}
}

// TestCompareLabels (issue 15, defect 8): acting as a real user, the
// compare shows that user as its own column ("you") and every role as a
// synthetic user ("any ROLE"), none of them called you; acting as a
// synthetic user, its role's column is the one marked.
func TestCompareLabels(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	f.waitFor("row 1 of")
	f.key("c")
	v := f.waitFor("Compare jobs")
	if !strings.Contains(v, "you: u-dana") || strings.Contains(v, "(you)") {
		t.Errorf("a real user's compare:\n%s", v)
	}
	f.key("esc")
	f.tm.Send(actAsMsg{id: engine.SyntheticIdentity("acme", "recruiter")})
	f.waitFor("SYNTHETIC", "row 1 of")
	f.key("c")
	v = f.waitFor("Compare jobs")
	if strings.Contains(v, "you:") || !strings.Contains(v, "any recruiter (you)") {
		t.Errorf("a synthetic user's compare:\n%s", v)
	}
}
