package engine

import "database/sql"

// Test-only access to the engine's internals, compiled into its tests only.

// RawDB is e's connection pool, for tests that read or tamper with the
// database behind the engine's back.
func RawDB(e *Engine) *sql.DB { return e.store.db }

// IndexDDL, FormatVersion, GenesisHash, NewID and DiffConfigs expose what the
// layout, audit and diff tests check against.
var (
	IndexDDL    = indexDDL
	NewID       = freshID
	DiffConfigs = diffConfigs
)

const (
	FormatVersion = formatVersion
	GenesisHash   = genesisHash
)
