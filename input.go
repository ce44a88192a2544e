package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// readObject reads the JSON object a --data or --input flag gives: the JSON
// text itself, @FILE for a file's content, or - for standard input. Numbers
// are kept exact. A syntax error names where it is (line and column, and
// the file), so a long object is easy to fix.
func (c *cli) readObject(flag, value string) (map[string]any, error) {
	src, where := []byte(value), "--"+flag
	switch {
	case value == "-":
		b, err := io.ReadAll(c.in)
		if err != nil {
			return nil, usagef("--%s -: reading standard input: %v", flag, err)
		}
		src, where = b, "--"+flag+" - (standard input)"
	case strings.HasPrefix(value, "@"):
		b, err := os.ReadFile(value[1:])
		if err != nil {
			return nil, usagef("--%s %s: %v", flag, value, errors.Unwrap(err))
		}
		src, where = b, "--"+flag+" "+value
	}
	return decodeObject(src, where)
}

// decodeObject decodes src as exactly one JSON object.
func decodeObject(src []byte, where string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonSyntaxError(src, where, err, dec.InputOffset())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, usagef("%s must be a JSON object ({\"field\": value, ...}), not %s", where, jsonKind(v))
	}
	end := int(dec.InputOffset())
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		rest := bytes.TrimLeft(src[end:], " \t\r\n")
		line, col := lineCol(src, len(src)-len(rest))
		if err != nil {
			return nil, jsonSyntaxError(src, where, err, dec.InputOffset())
		}
		return nil, usagef("%s: line %d, column %d: text after the JSON object", where, line, col)
	}
	return m, nil
}

// jsonSyntaxError says where the JSON went wrong: "--data: line 1,
// column 10: unexpected end of JSON input".
func jsonSyntaxError(src []byte, where string, err error, offset int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset - 1 // the offending byte was read
	case errors.As(err, &te):
		offset = te.Offset
	case errors.Is(err, io.EOF):
		return usagef("%s is empty: give a JSON object", where)
	case errors.Is(err, io.ErrUnexpectedEOF):
		offset = int64(len(src))
	}
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "the JSON ends too early (an unclosed string, object or array?)"
	}
	msg = strings.TrimPrefix(msg, "json: ")
	line, col := lineCol(src, int(offset))
	return usageErr{
		msg:     fmt.Sprintf("%s: line %d, column %d: %s", where, line, col, msg),
		details: map[string]any{"line": line, "column": col},
	}
}

// lineCol turns a byte offset into a 1-based line and column (in runes).
func lineCol(src []byte, offset int) (int, int) {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, len([]rune(string(before[start:]))) + 1
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
