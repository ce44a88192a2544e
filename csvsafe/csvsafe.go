// Package csvsafe writes CSV that a spreadsheet opens as data: a cell that
// would start a formula is prefixed with an apostrophe (SPEC §5,
// spreadsheet formula injection).
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s with a leading ' when it begins with =, +, -, @, a tab or
// a carriage return (the characters spreadsheets read as the start of a
// formula), and s unchanged otherwise.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a [csv.Writer] that passes every cell through [Cell].
type Writer struct {
	w   *csv.Writer
	buf []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, every cell guarded.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, s := range record {
		w.buf = append(w.buf, Cell(s))
	}
	return w.w.Write(w.buf)
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error from a previous Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }
