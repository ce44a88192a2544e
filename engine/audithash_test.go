package engine

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
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
