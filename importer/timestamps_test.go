package importer

import (
	"strings"
	"testing"

	"quickback.dev/qb/schema"
)

// TestDrizzleTimestampModes: Drizzle's integer timestamps are stored as
// epoch seconds (mode "timestamp") or milliseconds ("timestamp_ms"); the
// import declares that format, so qb reads, sorts, filters and writes them
// as the database holds them and its adoption check accepts the integer
// column. A text column stays ISO text.
func TestDrizzleTimestampModes(t *testing.T) {
	dir := project(t, map[string]string{"quickback/features/events/events.ts": `import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";

export const events = sqliteTable("events", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  startsAt: integer("starts_at", { mode: "timestamp" }).notNull(),
  seenAt: integer("seen_at", { mode: "timestamp_ms" }),
  note: text("note"),
});

export default defineTable(events, {
  firewall: { organization: {} },
  crud: { list: { access: { roles: ["member+"] } } },
});
`})
	res, err := Import(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	events := res.Config.Table("events")
	if events == nil {
		t.Fatalf("events not imported:\n%s", res.TOML)
	}
	for col, want := range map[string]schema.TimeFormat{"startsAt": schema.TimeEpochSeconds, "seenAt": schema.TimeEpochMillis, "createdAt": schema.TimeISOMillis} {
		c := events.Column(col)
		if c == nil || c.Type != schema.TypeTimestamp || c.Format != want {
			t.Errorf("%s: %+v, want a timestamp in format %s", col, c, want)
		}
	}
	if !strings.Contains(string(res.TOML), `startsAt = { type = "timestamp", format = "epoch_s", required = true }`) {
		t.Errorf("the TOML does not declare the format where it is read:\n%s", res.TOML)
	}
}
