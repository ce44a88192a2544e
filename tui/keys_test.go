package tui

import (
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
)

// everyComponent builds one of each component, as the console opens them.
func everyComponent(t *testing.T, readOnly bool) map[string]component {
	t.Helper()
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications", ReadOnly: readOnly})
	c, cfg := m.c, m.cfg
	ex, err := e.Explain(t.Context(), m.s.id, "applications", "a-1001")
	if err != nil {
		t.Fatal(err)
	}
	mx, err := engine.BuildMatrix(cfg, "applications")
	if err != nil {
		t.Fatal(err)
	}
	f := &form{c: c, kind: "filter", title: "Filter", op: new(string), fields: []*formField{{name: "value", typ: schema.TypeText, value: new(string)}}}
	f.start()
	return map[string]component{
		"grid":    m.grid,
		"sidebar": m.sidebar,
		"search":  m.search,
		"picker":  newPicker(c, identityItems(m.members, m.orgs, cfg.Auth.Roles), m.s.id),
		"detail":  newDetailView(c, cfg.Table("applications"), ex, nil),
		"compare": newCompareView(c, cfg.Table("applications"), compareMsg{table: "applications", rowID: "a-1001"}, "acme"),
		"help":    newHelpView(c, m.grid.FullHelp()),
		"result":  newResultView(c, func(int) []string { return []string{"done"} }),
		"matrix":  newMatrixView(c, mx),
		"audit":   newAuditLog(c, m.s),
		"form":    f,
		"confirm": &confirm{c: c, title: "Delete?", question: "Delete it?", yes: func() tea.Cmd { return nil }},
		"palette": newPalette(c, m.paletteItems()),
		"columns": newColumnChooser(c, cfg.Table("applications"), nil),
		"actions": &actionList{c: c, table: "applications", list: []engine.ActionInfo{{Name: "advanceStage", Available: true}}},
	}
}

// The key map is derived from its fields: every Binding field is listed.
func TestKeyMapAllIsEveryField(t *testing.T) {
	k := DefaultKeyMap()
	typ := reflect.TypeOf(k)
	var want []string
	for i := range typ.NumField() {
		if typ.Field(i).Type == reflect.TypeOf(Binding{}) {
			want = append(want, typ.Field(i).Name)
		}
	}
	all := k.all()
	if len(all) != len(want) || len(all) < 30 {
		t.Fatalf("all() lists %d bindings, the KeyMap has %d Binding fields", len(all), len(want))
	}
	// all() points into the map: disabling through it disables the field.
	all[0].SetEnabled(false)
	if k.Up.Enabled() {
		t.Error("all() does not point at the key map's fields")
	}
}

// Every binding of the key map is reachable: some component lists it in
// its help, and within each component no two bindings share a key (the
// second would never match). In read-only mode exactly the bindings marked
// Writes are disabled, and no help lists them.
func TestKeyMapReachable(t *testing.T) {
	for _, ro := range []bool{false, true} {
		comps := everyComponent(t, ro)
		keys := comps["grid"].(*grid).c.Keys
		listed := map[string]bool{} // "help key|desc" of every binding a component lists
		for name, comp := range comps {
			var bs []Binding
			bs = append(bs, comp.ShortHelp()...)
			for _, g := range comp.FullHelp() {
				bs = append(bs, g.Bindings...)
			}
			owner := map[string]string{}
			for _, b := range bs {
				h := b.Help()
				id := h.Key + "|" + h.Desc
				listed[id] = true
				if ro && b.Writes {
					t.Errorf("read-only: %s lists %q, a binding that writes", name, h.Key)
				}
				// A binding is its keys and its help key: the same binding
				// described twice (Select as "run…") is one.
				same := strings.Join(b.Keys(), ",") + "|" + h.Key
				for _, k := range b.Keys() {
					if o, ok := owner[k]; ok && o != same {
						t.Errorf("%s: key %q is bound to %q and to %q", name, k, o, same)
					}
					owner[k] = same
				}
			}
		}
		v := reflect.ValueOf(&keys).Elem()
		for i, b := range keys.all() {
			field := v.Type().Field(i).Name
			if b.Enabled() != !(ro && b.Writes) {
				t.Errorf("read-only %v: %s enabled %v, writes %v", ro, field, b.Enabled(), b.Writes)
			}
			if !b.Enabled() {
				continue
			}
			h := b.Help()
			if !listed[h.Key+"|"+h.Desc] {
				t.Errorf("%s (%s) is in no component's help", field, h.Key)
			}
		}
	}
	var writes []string
	k := DefaultKeyMap()
	v := reflect.ValueOf(&k).Elem()
	for i, b := range k.all() {
		if b.Writes {
			writes = append(writes, v.Type().Field(i).Name)
		}
	}
	if got := strings.Join(writes, " "); got != "Edit Create Delete" {
		t.Errorf("bindings that write: %s", got)
	}
}
