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
	"quickback.dev/qb/internal/enginetest"
)

// BenchmarkKeyPress times what a key press costs the console — Update and
// View, the engine's work running afterwards in a command — next to the
// engine's page fetch alone (e.List of one page), on a large table:
// QB_BENCH_ROWS candidates (default 200,000; the 1,000,000 with
// QB_BENCH_ROWS=1000000) in one organization. The ratio key/fetch is
// reported: far below 1 means a key press never waits for the database.
// The identity switch also reports shown-ns/op: from the key to its first
// page on screen (issue 14: ≤ 50 ms at 1M rows). QB_BENCH_TUI_DB reuses a
// database of that shape instead of generating one.
func BenchmarkKeyPress(b *testing.B) {
	rows := 200000
	if s := os.Getenv("QB_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("QB_BENCH_ROWS=%q", s)
		}
		rows = n
	}
	ctx := context.Background()
	var e *engine.Engine
	if path := os.Getenv("QB_BENCH_TUI_DB"); path != "" {
		// A database generated the same way before (such as the search
		// benchmark's qb-bench-search-1000000.db): no minutes of
		// generating per run.
		var err error
		if e, err = engine.Open(enginetest.Config(b), path, engine.Options{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { e.Close() })
	} else {
		e = newEngine(b)
		start := time.Now()
		if _, err := fixtures.Generate(ctx, e, "candidates", fixtures.GenerateOptions{Rows: rows, Orgs: 1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d candidates in %s", rows, time.Since(start).Round(time.Millisecond))
	}
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
		var keyTime, shown time.Duration
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
			if m.s.id != target || m.grid.res.known != 0 {
				b.Fatalf("the identity did not switch (%v), or the grid kept the old rows (%d)", m.s.id != target, m.grid.res.known)
			}
			shown += driveShown(b, m, cmd, t0)
		}
		reportKey(b, keyTime, fetchNs)
		// From the key to the first page on screen: the key, every engine
		// request it starts (the page, and whatever else the switch
		// asks), and the View that shows the page.
		b.ReportMetric(float64(shown.Nanoseconds())/float64(b.N), "shown-ns/op")
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

// driveShown runs cmd and the commands its messages start as bubbletea
// does — each in its own goroutine, their messages handled one at a time —
// and returns the time from t0 to the View that first shows a page of the
// grid. It returns once every command has finished (the row count of a
// large table among them, which does not hold up the page).
func driveShown(b *testing.B, m *Model, cmd tea.Cmd, t0 time.Time) time.Duration {
	msgs := make(chan tea.Msg, 16)
	pending := 0
	launch := func(c tea.Cmd) {
		if c != nil {
			pending++
			go func() { msgs <- c() }()
		}
	}
	launch(cmd)
	var shown time.Duration
	for pending > 0 {
		msg := <-msgs
		pending--
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				launch(c)
			}
			continue
		}
		if !engineMsg(msg) {
			continue
		}
		_, next := m.Update(msg)
		if _, page := msg.(pageMsg); page && shown == 0 && m.grid.res.known > 0 {
			_ = m.View()
			shown = time.Since(t0)
		}
		launch(next)
	}
	if shown == 0 {
		b.Fatal("no page after the switch")
	}
	return shown
}
