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
	"unicode"
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
//   - C1 controls U+0080–U+009F, the bidi controls U+061C, U+200E, U+200F,
//     U+202A–U+202E and U+2066–U+2069, the line and paragraph separators
//     U+2028 and U+2029, and the invisible characters U+180E, U+200B–U+200D,
//     U+2060, U+FEFF and the tags U+E0000–U+E007F become markers like
//     ⟨U+202E⟩ — except a zero-width joiner between two pictographs (an
//     emoji ZWJ sequence such as 👩‍💻, drawn as one visible glyph);
//   - each invalid UTF-8 byte becomes U+FFFD.
//
// Everything else (CJK, emoji, combining marks, RTL letters) is unchanged.
// The output is valid UTF-8 and Sanitize(Sanitize(s)) == Sanitize(s); [Safe]
// reports whether a string is left as it is.
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
		case marked(r) && !joinsPictographs(s, i, size):
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
		if (r == utf8.RuneError && size <= 1) || (marked(r) && !joinsPictographs(s, i, size)) {
			return i
		}
		i += size
	}
	return -1
}

// Safe reports whether s holds only characters [Sanitize] leaves as they
// are: valid UTF-8 without controls, bidi controls, separators or invisible
// characters. It is the set every output of the console and the command line
// stays inside (line breaks between lines aside).
func Safe(s string) bool { return firstUnsafe(s) < 0 }

// marked reports whether Sanitize shows the non-ASCII rune r as a ⟨U+XXXX⟩
// marker.
func marked(r rune) bool { return isC1(r) || isBidi(r) || isInvisible(r) }

// zwj is U+200D ZERO WIDTH JOINER.
const zwj = 0x200d

// joinsPictographs reports whether the rune at s[i:i+size] is a zero-width
// joiner inside an emoji ZWJ sequence: a pictograph (or one ended by an
// emoji modifier or VS16) before it and a pictograph after it. Such a joiner
// changes the glyph drawn; anywhere else it is invisible. Both neighbours
// are left unchanged by Sanitize, so the decision is the same on its output.
func joinsPictographs(s string, i, size int) bool {
	if r, _ := utf8.DecodeRuneInString(s[i:]); r != zwj {
		return false
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i+size:])
	return pictograph(next) && (pictograph(prev) || prev == 0xfe0f || (prev >= 0x1f3fb && prev <= 0x1f3ff))
}

// pictograph reports whether r is a pictographic symbol (Unicode category
// So), the Control Pictures and U+FFFD that Sanitize itself writes
// excepted (an empty string decodes as U+FFFD too).
func pictograph(r rune) bool {
	return r >= 0xa0 && r != utf8.RuneError && !(r >= 0x2400 && r <= 0x243f) && unicode.Is(unicode.So, r)
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// isInvisible reports whether r is a separator or a character that renders
// as nothing, so that it could make two different strings look alike or
// hide text (tag characters carry whole invisible messages).
func isInvisible(r rune) bool {
	switch {
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x200b && r <= 0x200d: // zero-width space, non-joiner, joiner
		return true
	case r == 0x2060, r == 0xfeff, r == 0x180e: // word joiner, BOM, Mongolian vowel separator
		return true
	case r >= 0xe0000 && r <= 0xe007f: // tags
		return true
	}
	return false
}

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
