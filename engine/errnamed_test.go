package engine_test

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
)

// TestDatabaseErrorNamedOnce: a database error the engine does not
// classify (here a trigger's refusal) is said once, naming the database
// once, though the write path passes it up through more than one layer
// that says database errors.
func TestDatabaseErrorNamedOnce(t *testing.T) {
	triggers := map[string][]string{
		"sqlite": {`CREATE TRIGGER refuse BEFORE UPDATE ON jobs BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END`},
		"postgres": {
			`CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$`,
			`CREATE TRIGGER refuse BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_update()`,
		},
	}
	for _, b := range enginetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			e := enginetest.Seeded(t, b.Opts...)
			for _, st := range triggers[b.Name] {
				if _, err := engine.RawDB(e).Exec(st); err != nil {
					t.Fatal(err)
				}
			}
			dana := enginetest.Member(t, e, "u-dana", "")
			_, err := e.Update(context.Background(), dana, "jobs", ctAcmeJobs[0], map[string]any{"title": "Never"}, engine.WriteOptions{})
			name := dbconn.DisplayName(e.Path())
			if err == nil || !strings.Contains(err.Error(), "refused by a trigger") || strings.Count(err.Error(), name) != 1 {
				t.Errorf("update refused by a trigger: %v, want the refusal naming %s once", err, name)
			}
		})
	}
}
