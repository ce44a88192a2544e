package tui

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
)

// BenchmarkKeyPress times what a key press costs the console — Update and
// View, the engine's work running afterwards in a command — next to the
// engine's page fetch alone (e.List of one page), on a large table:
// QB_BENCH_ROWS candidates (default 200,000; the 1,000,000 with
// QB_BENCH_ROWS=1000000) in one organization. The ratio key/fetch is
// reported: far below 1 means a key press never waits for the database.
func BenchmarkKeyPress(b *testing.B) {
	rows := 200000
	if s := os.Getenv("QB_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("QB_BENCH_ROWS=%q", s)
		}
		rows = n
	}
	e := newEngine(b)
	ctx := context.Background()
	start := time.Now()
	if _, err := fixtures.Generate(ctx, e, "candidates", fixtures.GenerateOptions{Rows: rows, Orgs: 1, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d candidates in %s", rows, time.Since(start).Round(time.Millisecond))
	manager := memberOf(b, e, "gen-org-001", "hiring-manager")
	interviewer := memberOf(b, e, "gen-org-001", "interviewer")

	// The engine's page fetch alone: consecutive pages by cursor.
	fetch := func(id engine.Identity) time.Duration {
		const n = 200
		cursor := ""
		t0 := time.Now()
		for i := 0; i < n; i++ {
			p, err := e.List(ctx, id, "candidates", engine.ListQuery{Limit: PageSize, Cursor: cursor})
			if err != nil {
				b.Fatal(err)
			}
			cursor = p.Next
		}
		return time.Since(t0) / n
	}
	fetchNs := float64(fetch(manager).Nanoseconds())

	b.Run("pgdown", func(b *testing.B) {
		m := New(e, Options{Identity: &manager, Table: "candidates", Clipboard: &syncBuffer{}})
		drive(m, m.Init())
		key := tea.KeyMsg{Type: tea.KeyPgDown}
		var keyTime time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			_, cmd := m.Update(key)
			_ = m.View()
			keyTime += time.Since(t0)
			drive(m, cmd) // the page fetch, off the key's clock
			if m.grid.res.end {
				drive(m, m.grid.home())
			}
		}
		reportKey(b, keyTime, fetchNs)
	})

	b.Run("identity", func(b *testing.B) {
		m := New(e, Options{Identity: &manager, Table: "candidates", Clipboard: &syncBuffer{}})
		drive(m, m.Init())
		ids := []engine.Identity{interviewer, manager}
		enter := tea.KeyMsg{Type: tea.KeyEnter}
		var keyTime time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			m.Update(keyMsg("i"))
			p := m.overlay.(*picker)
			target := ids[i%2]
			for j, idx := range p.shown {
				if p.all[idx].id == target {
					p.cur = j
				}
			}
			t0 := time.Now()
			_, cmd := m.Update(enter)
			_ = m.View()
			keyTime += time.Since(t0)
			if m.s.id != target {
				b.Fatal("the identity did not switch")
			}
			drive(m, cmd)
		}
		reportKey(b, keyTime, fetchNs)
	})
}

// reportKey reports the mean Update+View time of a key press, the engine's
// page fetch, and their ratio.
func reportKey(b *testing.B, keyTime time.Duration, fetchNs float64) {
	b.StopTimer()
	perKey := float64(keyTime.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perKey, "key-ns/op")
	b.ReportMetric(fetchNs, "fetch-ns/page")
	b.ReportMetric(perKey/fetchNs, "key/fetch")
}
