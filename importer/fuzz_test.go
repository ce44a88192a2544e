package importer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// FuzzDecodeOrdered: the ordered JSON reader accepts exactly what
// encoding/json accepts and reads the same values.
func FuzzDecodeOrdered(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x"]}`, `[]`, `"s"`, `{"a":{"a":{}}}`, `{"a":1,"a":2}`, `[1,]`, `{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeOrdered(s)
		var want any
		werr := json.Unmarshal([]byte(s), &want)
		if (err == nil) != (werr == nil) {
			if werr == nil && strings.Contains(err.Error(), "nest too deep") {
				return
			}
			t.Fatalf("decodeOrdered err %v, encoding/json err %v", err, werr)
		}
		if err == nil && !reflect.DeepEqual(plainOf(got), want) {
			t.Fatalf("got %#v, want %#v", plainOf(got), want)
		}
	})
}

// plainOf turns ordered objects into maps.
func plainOf(v any) any {
	switch x := v.(type) {
	case *obj:
		m := map[string]any{}
		for _, k := range x.keys {
			m[k] = plainOf(x.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainOf(e)
		}
		return out
	}
	return v
}

// FuzzHandler: any handler source is parsed and analysed without a panic;
// what it imports is only references and literals qb can load.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{
		"export const execute = async ({ db, record, input, ctx }) => { await db.update(notes).set({ body: input.body ?? record.body }).where(eq(notes.id, record.id)); };",
		"export const execute = async ({ db, ctx }) => { await db.insert(notes).values({ body: `x`, n: -1, ok: true, by: ctx.userId }); };",
		"export const execute = async (a) => { if (a.input.x) { await a.db.delete(notes); } };",
		"export default async function ({ db: d, input: i }) { return d.update(notes).set({ body: i.body }).where(whereRecord(notes)); }",
		"const execute = ({ db }) => db.select().from(notes);",
		"export const execute = async ({ db, input }) => { await db.insert(notes).values(input); };",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		im := &importer{byJS: map[string]*table{}, bySQL: map[string]*table{}, roles: []string{"member"}}
		tb := &table{name: "notes", where: loc{File: "f.ts"}, fwOrg: "organizationId"}
		tb.cols = []*column{
			{name: "id", typ: "id", def: omap{{"type", "id"}}},
			{name: "body", typ: "text", def: omap{{"type", "text"}}},
			{name: "n", typ: "integer", def: omap{{"type", "integer"}}},
			{name: "ok", typ: "boolean", def: omap{{"type", "boolean"}}},
			{name: "by", typ: "text", def: omap{{"type", "text"}}},
			{name: "organizationId", typ: "text", def: omap{{"type", "text"}}},
		}
		im.byJS["notes"] = tb
		a := &action{name: "a", inputNames: []string{"body", "x"}}
		var pf *parsedFile
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			pf, err = parseJS("f.ts", src)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("parsing %q does not return", src)
		}
		if err != nil {
			return
		}
		fn := pf.handlerFunction()
		if fn == nil {
			return
		}
		eff := im.analyze(pf, fn, tb, a)
		vals := append(omap{}, eff.set...)
		for _, ins := range eff.inserts {
			vals = append(vals, ins.values...)
		}
		if eff.skip != "" && len(vals) > 0 {
			t.Fatalf("skipped (%s) but kept %v", eff.skip, vals)
		}
		for _, e := range vals {
			switch v := e.v.(type) {
			case string, float64, bool:
				if s, ok := v.(string); ok && strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "$$") &&
					!strings.HasPrefix(s, "$input.") && !strings.HasPrefix(s, "$record.") && !strings.HasPrefix(s, "$ctx.") && s != "$now" {
					t.Fatalf("%s = %q is not a qb reference", e.k, s)
				}
			default:
				t.Fatalf("%s = %#v is not a TOML literal", e.k, v)
			}
			if e.k == "organizationId" || e.k == "createdAt" {
				t.Fatalf("a system-managed column %s was imported", e.k)
			}
		}
	})
}

// FuzzTOMLString: every string the writer quotes reads back unchanged.
func FuzzTOMLString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ back`, "tab\tnew\nline\r", "\x00\x1f\x7f", "é ☃ \u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var got map[string]any
		if _, err := toml.Decode("v = "+tomlString(s)+"\n[t]\n"+tomlKey(s)+" = 1\n", &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got["v"] != s {
			t.Fatalf("read back %q, wrote %q", got["v"], s)
		}
		if tm, _ := got["t"].(map[string]any); tm[s] != int64(1) {
			t.Fatalf("key %q read back as %v", s, got["t"])
		}
		for _, r := range tomlString(s) + tomlKey(s) {
			if unsafeRune(r) {
				t.Fatalf("%q is written with the raw %U", s, r)
			}
		}
	})
}
