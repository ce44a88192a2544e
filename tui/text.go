package tui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"

	"quickback.dev/qb/termsafe"
)

// Text layout shared by the components.

// fitLine puts left and right on one line of width w.
func fitLine(left, right string, w int, rightStyle lipgloss.Style) string {
	rw := termsafe.Width(right)
	lw := termsafe.Width(left)
	if lw+rw+1 > w {
		left = termsafe.Truncate(left, max(0, w-rw-1))
		lw = termsafe.Width(left)
	}
	return left + strings.Repeat(" ", max(1, w-lw-rw)) + rightStyle.Render(right)
}

// padLines makes s exactly h lines (cutting or adding blank lines).
func padLines(s string, h int) string {
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		hi = lo
	}
	return min(max(v, lo), hi)
}

func humanInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 1000 && n > -1000 {
		return s
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// box makes s exactly h lines of at most w cells: how a component keeps to
// the box SetSize gave it (a line too long for it is cut, escape sequences
// kept, with an ellipsis).
func box(s string, w, h int) string {
	s = padLines(s, h)
	if !strings.Contains(s, "\n") && termsafe.Width(s) <= w {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if termsafe.Width(l) > w {
			lines[i] = termsafe.Truncate(l, max(0, w))
		}
	}
	return strings.Join(lines, "\n")
}

// joinColumns puts the sidebar's lines (lw cells each) left of the main
// view's, a space between them; without room for the main view (rw <= 0)
// only the sidebar is shown.
func joinColumns(left, right string, lw, rw, h int) string {
	ls := strings.Split(left, "\n")
	rs := strings.Split(right, "\n")
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(ls) {
			b.WriteString(ls[i])
		} else {
			b.WriteString(strings.Repeat(" ", lw))
		}
		if rw <= 0 {
			continue
		}
		b.WriteByte(' ')
		if i < len(rs) {
			b.WriteString(rs[i])
		}
	}
	return b.String()
}

// wrapText wraps s to lines of at most w cells, at spaces where possible.
func wrapText(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for termsafe.Width(word) > w {
				if line != "" {
					out = append(out, line)
					line = ""
				}
				cut := identifierCut(word, w)
				if cut == "" {
					cut = strings.TrimSuffix(termsafe.Truncate(word, w), termsafe.Ellipsis)
				}
				if cut == "" {
					break
				}
				out = append(out, cut)
				word = word[len(cut):]
			}
			switch {
			case line == "":
				line = word
			case termsafe.Width(line)+1+termsafe.Width(word) <= w:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return out
}

// truncateWords cuts s to at most w cells at a space, never inside a word
// (a single word longer than w is cut), marking the cut with an ellipsis.
func truncateWords(s string, w int) string {
	if termsafe.Width(s) <= w {
		return s
	}
	cut := strings.TrimSuffix(termsafe.Truncate(s, w), termsafe.Ellipsis)
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ") + termsafe.Ellipsis
}

// truncateLeft cuts s to at most w cells keeping its end, the cut marked
// by an ellipsis at the start.
func truncateLeft(s string, w int) string {
	if termsafe.Width(s) <= w {
		return s
	}
	if w <= 1 {
		return termsafe.Truncate(s, w)
	}
	// Walk back from the end while the kept part and the ellipsis fit.
	rs := []rune(s)
	width, i := 0, len(rs)
	for i > 0 {
		rw := termsafe.Width(string(rs[i-1]))
		if width+rw+1 > w {
			break
		}
		width += rw
		i--
	}
	return termsafe.Ellipsis + string(rs[i:])
}

// cutMasked cuts a masked value (behind its MaskMark) to w cells keeping
// its end, the mark kept.
func cutMasked(s string, w int) string {
	if termsafe.Width(s) <= w {
		return s
	}
	if rest, ok := strings.CutPrefix(s, MaskMark); ok {
		return MaskMark + truncateLeft(rest, w-termsafe.Width(MaskMark))
	}
	return truncateLeft(s, w)
}

// rowName names a row, "table id", or the table alone (no row).
func rowName(table, rowID string) string {
	if rowID == "" {
		return table
	}
	return table + " " + termsafe.Sanitize(rowID)
}

// identifierCut is the longest start of word, at most w cells, that ends
// just after a separator of an identifier or a path (". / _ - : ,"), so a
// rule like tables.applications.actions.advanceStage breaks between its
// parts; "" when there is none.
func identifierCut(word string, w int) string {
	width, best := 0, 0
	for i, r := range word {
		width += termsafe.Width(string(r))
		if width > w {
			break
		}
		if strings.ContainsRune("./_-:,", r) {
			best = i + utf8.RuneLen(r)
		}
	}
	return word[:best]
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
