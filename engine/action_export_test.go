package engine

import (
	"context"
	"database/sql"
)

// SetBeforeActionUpdate installs f to run inside an action's transaction
// just before the record's conditional update (a test changes the record
// under the action with it). It returns a function restoring the previous
// hook. Compiled into tests only.
func SetBeforeActionUpdate(f func(ctx context.Context, tx *sql.Tx)) (restore func()) {
	prev := beforeActionUpdate
	beforeActionUpdate = f
	return func() { beforeActionUpdate = prev }
}
