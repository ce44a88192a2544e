package importer_test

import (
	"reflect"
	"sort"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/importer"
	"quickback.dev/qb/schema"
)

// The seed's six recipes, written as a Quickback project in the
// defineTable form, import to a config that decides every access question
// of those tables as the default project does: the access matrices are
// equal, and no policy decision differs.
func TestSeedRecipesMatchDefaultProject(t *testing.T) {
	res, err := importer.Import("testdata/seed", "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := schema.Load("../quickback.toml")
	if err != nil {
		t.Fatal(err)
	}
	if d := engine.DiffConfigs(want, res.Config); len(d) != 0 {
		t.Errorf("%d policy decisions differ from the default project:", len(d))
		for _, c := range d {
			t.Errorf("  %+v", c)
		}
	}
	gm, _ := engine.BuildMatrix(res.Config, "")
	wm, _ := engine.BuildMatrix(want, "")
	if !reflect.DeepEqual(gm.Roles, wm.Roles) {
		t.Errorf("roles: got %v, want %v", gm.Roles, wm.Roles)
	}
	tables := []string{"jobs", "candidates", "interview_notes", "applications", "interview_scores", "ats_imports"}
	if len(gm.Tables) != len(tables) {
		t.Errorf("imported %d tables, want the %d of the recipes", len(gm.Tables), len(tables))
	}
	for _, name := range tables {
		g, w := gm.Table(name), wm.Table(name)
		if g == nil || w == nil {
			t.Errorf("table %s: imported %v, default %v", name, g != nil, w != nil)
			continue
		}
		g, w = comparable(g), comparable(w)
		if !reflect.DeepEqual(g.Operations, w.Operations) {
			t.Errorf("%s operations differ:\n got %+v\nwant %+v", name, g.Operations, w.Operations)
		}
		if !reflect.DeepEqual(g.Fields, w.Fields) {
			t.Errorf("%s fields differ:\n got %+v\nwant %+v", name, g.Fields, w.Fields)
		}
		if len(g.Actions) != len(w.Actions) {
			t.Errorf("%s: %d actions, want %d", name, len(g.Actions), len(w.Actions))
		}
		for i := range min(len(g.Actions), len(w.Actions)) {
			if !reflect.DeepEqual(g.Actions[i], w.Actions[i]) {
				t.Errorf("%s action differs:\n got %+v\nwant %+v", name, *g.Actions[i], *w.Actions[i])
			}
		}
		if !reflect.DeepEqual(g.Firewall, w.Firewall) || g.Internal != w.Internal {
			t.Errorf("%s firewall differs:\n got %v internal=%v\nwant %v internal=%v", name, g.Firewall, g.Internal, w.Firewall, w.Internal)
		}
	}
}

// comparable drops what is presentation, not policy: labels, action
// descriptions, the order of fields, and the reasons' prose (which lists
// roles in the order a rule wrote them). Decisions, conditions, own-rows
// scopes and the rule that decided stay.
func comparable(t *access.TableMatrix) *access.TableMatrix {
	c := *t
	c.Label = ""
	c.Operations = append([]access.OpCell(nil), t.Operations...)
	for i := range c.Operations {
		c.Operations[i].Reason = ""
	}
	c.Fields = nil
	for _, f := range t.Fields {
		f.Roles = append([]access.FieldCell(nil), f.Roles...)
		for i := range f.Roles {
			f.Roles[i].CreateReason, f.Roles[i].UpdateReason = "", ""
		}
		c.Fields = append(c.Fields, f)
	}
	sort.Slice(c.Fields, func(i, j int) bool { return c.Fields[i].Field < c.Fields[j].Field })
	c.Actions = nil
	for _, a := range t.Actions {
		ac := *a
		ac.Description = ""
		ac.Roles = append([]access.ActionCell(nil), a.Roles...)
		for i := range ac.Roles {
			ac.Roles[i].Reason = ""
		}
		c.Actions = append(c.Actions, &ac)
	}
	return &c
}
