package tui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/csvsafe"
	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// export writes the whole current result — every page of the query, as
// this identity sees it, masked values masked — to a new file in the
// export directory.
func (m *Model) export(format string) tea.Cmd {
	g := m.grid
	if g.t == nil || g.err != nil {
		m.setStatus("nothing to export", true)
		return nil
	}
	dir := m.opts.ExportDir
	if dir == "" {
		dir = "."
	}
	eng, id, t, spec := m.s.eng, m.s.id, g.t, g.res.spec
	role := id.Role
	if role == "" {
		role = "anonymous"
	}
	base := t.Name + "-" + safeName(id.UserID) + "-" + safeName(role)
	m.setStatus("exporting "+t.Name+"…", false)
	return func() tea.Msg {
		path, f, err := createUnique(dir, base, format)
		if err != nil {
			return exportMsg{err: err}
		}
		n, masked, err := writeExport(f, eng, id, t.Name, spec, format)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return exportMsg{err: err}
		}
		return exportMsg{file: filepath.Base(path), rows: n, masked: masked}
	}
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

func createUnique(dir, base, ext string) (string, *os.File, error) {
	for i := 1; i < 1000; i++ {
		name := base + "." + ext
		if i > 1 {
			name = fmt.Sprintf("%s-%d.%s", base, i, ext)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return path, f, err
	}
	return "", nil, fmt.Errorf("too many exports named %s.%s", base, ext)
}

// writeExport writes every row of the query as id sees it; masked tells
// whether any value written is masked.
func writeExport(f *os.File, eng *engine.Engine, id engine.Identity, table string, spec querySpec, format string) (n int, masked bool, err error) {
	bw := bufio.NewWriter(f)
	var cw *csvsafe.Writer
	if format == "csv" {
		cw = csvsafe.NewWriter(bw)
	} else {
		bw.WriteString("[")
	}
	cursor := ""
	for {
		page, err := eng.List(context.Background(), id, table, spec.listQuery(cursor, engine.MaxLimit))
		if err != nil {
			return n, masked, err
		}
		if cw != nil && n == 0 {
			var hdr []string
			for _, c := range page.Table.Columns {
				hdr = append(hdr, c.Name)
			}
			cw.Write(hdr)
		}
		for _, r := range page.Rows {
			masked = masked || slices.Contains(r.Masked, true)
			if cw != nil {
				rec := make([]string, len(r.Values))
				for i := range r.Values {
					rec[i] = shownText(r, i)
				}
				cw.Write(rec)
			} else {
				b, err := json.Marshal(r)
				if err != nil {
					return n, masked, err
				}
				if n > 0 {
					bw.WriteString(",")
				}
				bw.WriteString("\n  ")
				bw.Write(termsafe.EscapeJSON(b))
			}
			n++
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, masked, err
		}
	} else {
		bw.WriteString("\n]\n")
	}
	return n, masked, bw.Flush()
}
