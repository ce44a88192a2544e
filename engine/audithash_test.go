package engine

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"

	"quickback.dev/qb/schema"
)

// The content an entry's hash covers is written without encoding/json
// (appendContent) but must be byte for byte what json.Marshal writes: every
// hash ever computed depends on it. Strings of every kind — HTML
// characters, controls, quotes, invalid UTF-8, U+2028 — and nil, empty and
// full field lists, under both hash versions.
func TestEntryContentJSON(t *testing.T) {
	str := rapid.OneOf(
		rapid.String(),
		rapid.StringOfN(rapid.RuneFrom([]rune("aZ09 -_:.@<>&\"\\\t\n\x00\x7f\u2028\u2029é中")), 0, 12, -1),
		rapid.SampledFrom([]string{"", "\xff", "a\xc3", "2026-03-02T09:00:00.000Z", "list", "ok"}),
	)
	fields := rapid.OneOf(
		rapid.Just([]string(nil)),
		rapid.Just([]string{}),
		rapid.SliceOfN(str, 1, 4),
	)
	rapid.Check(t, func(t *rapid.T) {
		e := &AuditEntry{
			Seq: rapid.Int64().Draw(t, "seq"), At: str.Draw(t, "at"), OSUser: str.Draw(t, "os"),
			UserID: str.Draw(t, "user"), OrgID: str.Draw(t, "org"), Role: str.Draw(t, "role"),
			RealRole: str.Draw(t, "realRole"), Operation: str.Draw(t, "op"), Table: str.Draw(t, "table"),
			RecordID: str.Draw(t, "record"), Outcome: str.Draw(t, "outcome"), Fields: fields.Draw(t, "fields"),
			Reason: str.Draw(t, "reason"), HashVersion: rapid.IntRange(1, 2).Draw(t, "version"),
		}
		var content []any
		if e.HashVersion >= hashV2 {
			content = []any{"qb-audit-v2", e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.RealRole, e.Operation, e.Table, e.RecordID, e.Outcome, e.Fields, e.Reason}
		} else {
			content = []any{e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, e.Fields}
		}
		want, err := json.Marshal(content)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendContent(nil, e); string(got) != string(want) {
			t.Fatalf("content\n got %s\nwant %s", got, want)
		}
		wantFields, _ := json.Marshal(e.Fields)
		if got := appendJSONStrings(nil, e.Fields); string(got) != string(wantFields) {
			t.Fatalf("fields\n got %s\nwant %s", got, wantFields)
		}
	})
}

// Row.MarshalJSON writes each key and value as json.Marshal does (every
// --json output and its goldens depend on it): strings of every kind,
// integers, null, and the types it leaves to json.Marshal.
func TestRowJSONAsMarshal(t *testing.T) {
	tbl := &schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a"}, {Name: "b<&>"}, {Name: "c\u2028"}}}
	val := rapid.OneOf(
		rapid.Map(rapid.String(), func(s string) any { return s }),
		rapid.Map(rapid.StringOfN(rapid.RuneFrom([]rune("aZ <>&\"\\\t\n\x00\x7f\u2028é中")), 0, 10, -1), func(s string) any { return s }),
		rapid.Map(rapid.Int64(), func(i int64) any { return i }),
		rapid.Map(rapid.Float64(), func(f float64) any { return f }),
		rapid.Map(rapid.Bool(), func(b bool) any { return b }),
		rapid.Just[any](nil),
		rapid.Just[any]("\xff\xfe"),
	)
	rapid.Check(t, func(t *rapid.T) {
		r := Row{Table: tbl, Values: []any{val.Draw(t, "a"), val.Draw(t, "b"), val.Draw(t, "c")}}
		got, err := r.MarshalJSON()
		want := []byte{'{'}
		for i, c := range tbl.Columns {
			if i > 0 {
				want = append(want, ',')
			}
			k, _ := json.Marshal(c.Name)
			v, verr := json.Marshal(r.Values[i])
			if verr != nil {
				if err == nil {
					t.Fatalf("%v: no error, json.Marshal gives %v", r.Values[i], verr)
				}
				return
			}
			want = append(append(append(want, k...), ':'), v...)
		}
		want = append(want, '}')
		if err != nil || string(got) != string(want) {
			t.Fatalf("got %s (%v)\nwant %s", got, err, want)
		}
	})
}
