//go:build !unix

package engine

// canWrite has no portable answer here: the permission bits (the
// read-only attribute) checked by ReadOnlyReason and the errors of SQLite
// itself decide.
func canWrite(path string, dir bool) error { return nil }
