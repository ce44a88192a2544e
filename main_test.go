package main

import (
	"os"
	"testing"

	"quickback.dev/qb/internal/pgtest"
	"quickback.dev/qb/internal/testkit"
)

// TestMain keeps the audit witness files of every test (and of the qb
// processes the tests start) in a temporary directory, and stops the
// throwaway PostgreSQL cluster a test started.
func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(func() int { return testkit.IsolateWitness(m.Run) }))
}
