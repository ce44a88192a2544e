package engine_test

import (
	"context"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestCreateNewID: a create given the id its dry run reported writes the
// record under that id (the preview and the write name the same record);
// without it every create gets a fresh id.
func TestCreateNewID(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	data := map[string]any{"title": "Robotics intern", "department": "Engineering"}
	dry, err := e.Create(ctx, dana, "jobs", data, engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.Create(ctx, dana, "jobs", data, engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.ID == "" || again.ID == dry.ID {
		t.Fatalf("two dry runs gave ids %q and %q: want fresh ones", dry.ID, again.ID)
	}
	res, err := e.Create(ctx, dana, "jobs", data, engine.WriteOptions{NewID: dry.ID})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != dry.ID || res.Row.ID() != dry.ID {
		t.Fatalf("written as %q, previewed as %q", res.ID, dry.ID)
	}
	if _, err := e.Get(ctx, dana, "jobs", dry.ID); err != nil {
		t.Fatalf("the previewed id was not written: %v", err)
	}
	// Used once: a second create under it is a unique violation.
	if _, err := e.Create(ctx, dana, "jobs", data, engine.WriteOptions{NewID: dry.ID}); ctErrCode(t, err) != engine.UniqueViolation {
		t.Fatalf("a second create under %s: %v", dry.ID, err)
	}
}
