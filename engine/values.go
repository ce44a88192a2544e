package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"quickback.dev/qb/schema"
)

// timeFormat is how qb stores timestamps by default and how the API shows
// every timestamp: UTC, fixed width, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000Z"

// timeFormatSeconds is the ISO form without fractional seconds (iso_s).
const timeFormatSeconds = "2006-01-02T15:04:05Z"

// formatTime renders t the way the store keeps it.
func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// ParseTime accepts RFC 3339 (with or without fractional seconds) and plain
// dates, and returns the stored form.
func ParseTime(s string) (string, bool) {
	if t, ok := parseTime(s); ok {
		return formatTime(t), true
	}
	return "", false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// StoredTime is t as the timestamp column c stores it: ISO text with or
// without milliseconds, or an integer of epoch milliseconds or seconds.
func StoredTime(c *schema.Column, t time.Time) any {
	switch c.Format {
	case schema.TimeEpochMillis:
		return t.UnixMilli()
	case schema.TimeEpochSeconds:
		return t.Unix()
	case schema.TimeISOSeconds:
		return t.UTC().Format(timeFormatSeconds)
	}
	return formatTime(t)
}

// timeOf reads a client, fixture or filter value of a timestamp column: a
// time, ISO-8601 text, or (for an epoch column) the integer it stores.
func timeOf(c *schema.Column, v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		return parseTime(x)
	}
	if !c.Format.Epoch() {
		return time.Time{}, false
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return time.Time{}, false
		}
		n = int64(x)
	default:
		return time.Time{}, false
	}
	if c.Format == schema.TimeEpochSeconds {
		return time.Unix(n, 0), true
	}
	return time.UnixMilli(n), true
}

// timeKind names what a timestamp column accepts, for messages.
func timeKind(c *schema.Column) string {
	switch c.Format {
	case schema.TimeEpochMillis:
		return "an ISO-8601 timestamp or epoch milliseconds"
	case schema.TimeEpochSeconds:
		return "an ISO-8601 timestamp or epoch seconds"
	}
	return "an ISO-8601 timestamp"
}

// valueKind names what a column of a type accepts, for messages.
func valueKind(t schema.ColumnType) string {
	switch t {
	case schema.TypeInteger:
		return "an integer"
	case schema.TypeReal:
		return "a number"
	case schema.TypeBoolean:
		return "true or false"
	case schema.TypeTimestamp:
		return "an ISO-8601 timestamp"
	case schema.TypeJSON:
		return "JSON"
	case schema.TypeEnum:
		return "one of the listed values"
	}
	return "text"
}

// toSQL converts a client or fixture value to the stored representation of
// the column's type and checks enum, range and length. A nil value is
// returned as nil (required is checked elsewhere). The message never echoes
// the value.
func toSQL(c *schema.Column, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			v = i
		} else if f, err := n.Float64(); err == nil {
			v = f
		}
	}
	var out any
	switch c.Type {
	case schema.TypeID, schema.TypeText, schema.TypeEnum:
		s, ok := v.(string)
		if !ok {
			return nil, "must be " + valueKind(c.Type)
		}
		if !utf8.ValidString(s) {
			return nil, "must be valid UTF-8 text"
		}
		if c.Type == schema.TypeEnum && !slices.Contains(c.Values, s) {
			return nil, "must be one of " + strings.Join(c.Values, ", ")
		}
		if c.MaxLength != nil && utf8.RuneCountInString(s) > *c.MaxLength {
			return nil, fmt.Sprintf("must be at most %d characters", *c.MaxLength)
		}
		if c.Type == schema.TypeID && s == "" {
			return nil, "must not be empty"
		}
		out = s
	case schema.TypeInteger:
		switch x := v.(type) {
		case int64:
			out = x
		case int:
			out = int64(x)
		case float64:
			if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<53 {
				return nil, "must be an integer"
			}
			out = int64(x)
		default:
			return nil, "must be an integer"
		}
	case schema.TypeReal:
		switch x := v.(type) {
		case int64:
			out = float64(x)
		case int:
			out = float64(x)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, "must be a finite number"
			}
			out = x
		default:
			return nil, "must be a number"
		}
	case schema.TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, "must be true or false"
		}
		if b {
			out = int64(1)
		} else {
			out = int64(0)
		}
	case schema.TypeTimestamp:
		t, ok := timeOf(c, v)
		if !ok {
			return nil, "must be " + timeKind(c)
		}
		out = StoredTime(c, t)
	case schema.TypeJSON:
		if s, ok := v.(string); ok && json.Valid([]byte(s)) {
			out = s
		} else {
			b, err := json.Marshal(normalizeJSON(v))
			if err != nil {
				return nil, "must be JSON"
			}
			out = string(b)
		}
	default:
		return nil, "has an unknown type"
	}
	if c.Min != nil || c.Max != nil {
		var f float64
		switch x := out.(type) {
		case int64:
			f = float64(x)
		case float64:
			f = x
		}
		if c.Min != nil && f < *c.Min {
			return nil, fmt.Sprintf("must be at least %v", *c.Min)
		}
		if c.Max != nil && f > *c.Max {
			return nil, fmt.Sprintf("must be at most %v", *c.Max)
		}
	}
	return out, ""
}

// normalizeJSON turns TOML values (time.Time, nested maps) into values
// encoding/json renders predictably.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case time.Time:
		return formatTime(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalizeJSON(e)
		}
		return m
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeJSON(e)
		}
		return out
	}
	return v
}

// fromSQL converts a scanned value into the API representation of the type.
func fromSQL(c *schema.Column, v any) any {
	if v == nil {
		return nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch c.Type {
	case schema.TypeBoolean:
		switch x := v.(type) {
		case int64:
			return x != 0
		}
	case schema.TypeInteger:
		if f, ok := v.(float64); ok {
			return int64(f)
		}
	case schema.TypeReal:
		if i, ok := v.(int64); ok {
			return float64(i)
		}
	case schema.TypeJSON:
		if s, ok := v.(string); ok {
			var out any
			if json.Unmarshal([]byte(s), &out) == nil {
				return out
			}
		}
	case schema.TypeTimestamp:
		// The API shows every timestamp as ISO-8601 text, whatever the
		// column stores; text is shown as stored.
		if c.Format.Epoch() {
			switch x := v.(type) {
			case int64:
				return epochText(c, x)
			case float64:
				return epochText(c, int64(x))
			}
		}
	}
	return v
}

// epochText is an epoch integer of column c as ISO-8601 text.
func epochText(c *schema.Column, n int64) string {
	if c.Format == schema.TimeEpochSeconds {
		return time.Unix(n, 0).UTC().Format(timeFormatSeconds)
	}
	return formatTime(time.UnixMilli(n))
}

// parseLiteral converts a filter's text value into the column's type.
func parseLiteral(c *schema.Column, s string) (any, string) {
	switch c.Type {
	case schema.TypeInteger:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, "must be an integer"
		}
		return i, ""
	case schema.TypeReal:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, "must be a number"
		}
		return f, ""
	case schema.TypeBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, "must be true or false"
		}
		if b {
			return int64(1), ""
		}
		return int64(0), ""
	case schema.TypeTimestamp:
		if c.Format.Epoch() {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, ""
			}
		}
		if t, ok := parseTime(s); ok {
			return StoredTime(c, t), ""
		}
		if c.Format.Epoch() {
			return nil, "must be " + timeKind(c)
		}
		// ISO text compares as text: a prefix such as 2026-01 works.
		return s, ""
	}
	return s, ""
}

// ValueString renders an API value as display text (not sanitized).
func ValueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
