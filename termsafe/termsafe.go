// Package termsafe makes untrusted strings (database values, error
// messages, file names) safe to print on a terminal and lays them out in
// fixed-width cells.
//
// Every database string passes through [Sanitize] before it reaches a
// terminal: control characters, escape sequences, C1 controls, bidi
// overrides and invalid UTF-8 become visible, inert text. [Width],
// [Truncate] and [Pad] then measure and fit sanitized text into table or
// grid cells using the same width rules as lipgloss (charmbracelet/x/ansi),
// so columns built with either line up.
package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Ellipsis ends a string that [Truncate] had to cut.
const Ellipsis = "…"

// controlPictureDEL is the Control Picture shown for DEL (0x7F).
const controlPictureDEL = '\u2421'

// Sanitize returns s with everything a terminal could interpret made
// visible, so the result is one line of inert text:
//
//   - C0 controls U+0000–U+001F (newline, tab and ESC included) become their
//     Control Pictures U+2400–U+241F (ESC → ␛, so CSI/OSC sequences show as
//     text); DEL becomes ␡ (U+2421);
//   - C1 controls U+0080–U+009F and the bidi controls U+061C, U+200E,
//     U+200F, U+202A–U+202E and U+2066–U+2069 become markers like ⟨U+202E⟩;
//   - each invalid UTF-8 byte becomes U+FFFD.
//
// Everything else (CJK, emoji, combining marks, RTL letters) is unchanged.
// The output is valid UTF-8 and Sanitize(Sanitize(s)) == Sanitize(s).
func Sanitize(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune(controlPictureDEL)
		case isC1(r) || isBidi(r):
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the byte offset of the first character Sanitize must
// replace, or -1 if s is already safe.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || isC1(r) || isBidi(r) {
			return i
		}
		i += size
	}
	return -1
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// isBidi reports whether r is a bidirectional formatting control that can
// reorder what a terminal displays (Trojan Source).
func isBidi(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Width returns the number of terminal cells s occupies, counting grapheme
// clusters (wide CJK and emoji are 2, combining marks 0). s should already
// be sanitized; ANSI escape sequences (e.g. lipgloss styling applied after
// Sanitize) count as zero width.
func Width(s string) int {
	return ansi.StringWidth(s)
}

// Truncate shortens s to at most w cells. A cut string ends in [Ellipsis]
// (which counts toward w); a wide character or grapheme cluster is never
// split. w <= 0 yields "". s should already be sanitized.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if Width(s) <= w {
		return s
	}
	if strings.IndexByte(s, 0x1b) >= 0 {
		// Styled (not raw sanitized) text: keep its escape sequences intact.
		return ansi.Truncate(s, w, Ellipsis)
	}
	// Walk whole grapheme clusters: ansi.Truncate measures an ASCII letter
	// apart from a following spacing mark and could split "aः".
	budget := w - Width(Ellipsis)
	used, end := 0, 0
	for end < len(s) {
		c, _ := ansi.FirstGraphemeCluster(s[end:], ansi.GraphemeWidth)
		if c == "" { // not reached for valid UTF-8; never loop forever
			_, size := utf8.DecodeRuneInString(s[end:])
			c = s[end : end+size]
		}
		cw := Width(c)
		if used+cw > budget {
			break
		}
		used += cw
		end += len(c)
	}
	return s[:end] + Ellipsis
}

// Pad truncates s to w cells (see [Truncate]) and right-pads it with spaces
// to exactly w cells. w <= 0 yields "". s should already be sanitized.
func Pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	t := Truncate(s, w)
	n := w - Width(t)
	if n <= 0 {
		return t
	}
	res := t + strings.Repeat(" ", n)
	// A trailing grapheme "prepend" character (e.g. U+0600) joins the first
	// pad space into its zero-width cluster; add spaces until w is reached.
	for extra := 0; extra < 4; extra++ {
		if Width(res) >= w {
			break
		}
		res += " "
	}
	return res
}
