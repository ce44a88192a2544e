package dbconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// A PostgreSQL database qb did not create (SPEC §9.2) keeps booleans, times
// and JSON in PostgreSQL's own types — a Drizzle pg-core schema declares
// boolean, timestamp [with time zone] and jsonb columns, Better Auth's
// tables among them — while the engine keeps them as SQLite does: booleans
// 0/1, times ISO-8601 text, JSON text. The connection translates at the
// edge, so every rule, predicate and audit form stays one for both: values
// read from those types come back in qb's forms (pgRows), and a boolean
// parameter takes qb's 0/1 (intBoolCodec). Times and JSON go in as text,
// which PostgreSQL parses into the column's type.

// pgAfterConnect prepares a new connection's type map: a boolean parameter
// accepts the integers 0 and 1, and a time one ISO-8601 text where pgx
// sends it in binary (COPY, which bulk loads use).
func pgAfterConnect(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.RegisterType(&pgtype.Type{Name: "bool", OID: pgtype.BoolOID, Codec: intBoolCodec{}})
	m.RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: textTimeCodec{&pgtype.TimestamptzCodec{}}})
	m.RegisterType(&pgtype.Type{Name: "timestamp", OID: pgtype.TimestampOID, Codec: textTimeCodec{&pgtype.TimestampCodec{}}})
	m.RegisterType(&pgtype.Type{Name: "date", OID: pgtype.DateOID, Codec: textTimeCodec{pgtype.DateCodec{}}})
	return nil
}

// textTimeCodec is a pgx time codec that also encodes ISO-8601 text in
// binary: a statement's text parameter goes as text, which PostgreSQL
// parses, but COPY sends every value in binary.
type textTimeCodec struct{ pgtype.Codec }

func (c textTimeCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(string); ok && format == pgtype.BinaryFormatCode {
		if inner := m.PlanEncode(oid, format, time.Time{}); inner != nil {
			return textTimePlan{inner}
		}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

// textTimePlan parses ISO-8601 text (RFC 3339, or a plain date) into the
// time it names.
type textTimePlan struct{ inner pgtype.EncodePlan }

var errNotTime = errors.New("a time column takes ISO-8601 text")

func (p textTimePlan) Encode(value any, buf []byte) ([]byte, error) {
	s := value.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return nil, errNotTime
		}
	}
	return p.inner.Encode(t, buf)
}

// intBoolCodec is pgx's boolean codec that also encodes an integer 0 or 1
// (what the engine binds for a boolean everywhere).
type intBoolCodec struct{ pgtype.BoolCodec }

func (c intBoolCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	switch value.(type) {
	case int64, int:
		return intBoolPlan{inner: c.BoolCodec.PlanEncode(m, oid, format, true)}
	}
	return c.BoolCodec.PlanEncode(m, oid, format, value)
}

// intBoolPlan encodes 0 as false and 1 as true; any other integer is an
// error rather than a guess.
type intBoolPlan struct{ inner pgtype.EncodePlan }

var errNotBool = errors.New("a boolean column takes 0 or 1")

func (p intBoolPlan) Encode(value any, buf []byte) ([]byte, error) {
	var n int64
	switch x := value.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	}
	if n != 0 && n != 1 {
		return nil, errNotBool
	}
	return p.inner.Encode(n == 1, buf)
}

// pgNativeValue is how a value of a column of the PostgreSQL type typ (as
// pgx names it) is turned into qb's form; nil for a type read as it is.
func pgNativeValue(typ string) func(driver.Value) driver.Value {
	switch typ {
	case "BOOL":
		return func(v driver.Value) driver.Value {
			if b, ok := v.(bool); ok {
				if b {
					return int64(1)
				}
				return int64(0)
			}
			return v
		}
	case "TIMESTAMPTZ", "TIMESTAMP", "DATE":
		return func(v driver.Value) driver.Value {
			if t, ok := v.(time.Time); ok {
				return pgTimeText(t)
			}
			return v
		}
	case "JSON", "JSONB":
		return func(v driver.Value) driver.Value {
			if b, ok := v.([]byte); ok {
				return string(b)
			}
			return v
		}
	}
	return nil
}

// pgTimeText is a PostgreSQL time as qb's ISO-8601 text: milliseconds, as
// qb writes times, or microseconds when the database holds them (a
// default of now()), so that a keyset cursor keeps the row's exact place.
func pgTimeText(t time.Time) string {
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// pgWrapRows returns rows whose values of PostgreSQL's own types come back
// in qb's forms (rows as they are when none of its columns needs it).
func pgWrapRows(rows driver.Rows) driver.Rows {
	typed, ok := rows.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		return rows
	}
	var conv []func(driver.Value) driver.Value
	for i := range rows.Columns() {
		if f := pgNativeValue(typed.ColumnTypeDatabaseTypeName(i)); f != nil {
			if conv == nil {
				conv = make([]func(driver.Value) driver.Value, len(rows.Columns()))
			}
			conv[i] = f
		}
	}
	if conv == nil {
		return rows
	}
	return &pgRows{Rows: rows, typed: typed, conv: conv}
}

// pgRows converts the values of the columns that have a conversion.
type pgRows struct {
	driver.Rows
	typed driver.RowsColumnTypeDatabaseTypeName
	conv  []func(driver.Value) driver.Value
}

func (r *pgRows) Next(dest []driver.Value) error {
	if err := r.Rows.Next(dest); err != nil {
		return err
	}
	for i, f := range r.conv {
		if f != nil && dest[i] != nil {
			dest[i] = f(dest[i])
		}
	}
	return nil
}

func (r *pgRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.typed.ColumnTypeDatabaseTypeName(i)
}

// pgStmt is a prepared statement whose rows are converted as pgWrapRows.
type pgStmt struct{ *stdlib.Stmt }

func (s pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	return pgWrapRows(rows), nil
}

func (s pgStmt) Query(args []driver.Value) (driver.Rows, error) {
	rows, err := s.Stmt.Query(args)
	if err != nil {
		return nil, err
	}
	return pgWrapRows(rows), nil
}

// pgWrapStmt wraps a statement pgx prepared.
func pgWrapStmt(st driver.Stmt, err error) (driver.Stmt, error) {
	if err != nil {
		return nil, err
	}
	if s, ok := st.(*stdlib.Stmt); ok {
		return pgStmt{s}, nil
	}
	return st, nil
}
