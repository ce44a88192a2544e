package engine_test

import (
	"os"
	"testing"

	"quickback.dev/qb/internal/testkit"
)

// TestMain keeps the audit witness files of every test (and of the qb
// processes the tests start) in a temporary directory.
func TestMain(m *testing.M) { os.Exit(testkit.IsolateWitness(m.Run)) }
