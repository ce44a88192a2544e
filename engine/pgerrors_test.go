package engine_test

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestPostgresDataErrorHidesValue: PostgreSQL's data exceptions (SQLSTATE
// class 22) quote the value they could not take in their message, not only
// in the detail ("invalid input syntax for type integer: \"…\""); qb shows
// the message and SQLSTATE with the value left out.
func TestPostgresDataErrorHidesValue(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Postgres())
	// A constraint of the database qb did not declare, which casts the
	// column: a department that is not a number fails the cast.
	if _, err := engine.RawDB(e).Exec(`ALTER TABLE jobs ADD CONSTRAINT department_code CHECK (department IS NULL OR department::int >= 0) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	dana := enginetest.Member(t, e, "u-dana", "")
	_, err := e.Update(context.Background(), dana, "jobs", ctAcmeJobs[0], map[string]any{"department": "Secret Ops"}, engine.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "SQLSTATE 22P02") || strings.Contains(err.Error(), "Secret Ops") {
		t.Errorf("update failing the database's cast: %v, want its message and SQLSTATE without the value", err)
	}
}
