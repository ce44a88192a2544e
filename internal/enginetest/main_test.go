package enginetest

import (
	"os"
	"testing"

	"quickback.dev/qb/internal/testkit"
)

// TestMain keeps the audit witness files of the kit's tests in a
// temporary directory.
func TestMain(m *testing.M) { os.Exit(testkit.IsolateWitness(m.Run)) }
