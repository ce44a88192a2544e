package termsafe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"pgregory.net/rapid"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain ascii", "hello, world", "hello, world"},
		{"NUL", "a\x00b", "a\u2400b"},
		{"tab", "a\tb", "a\u2409b"},
		{"newline", "line1\nline2", "line1\u240aline2"},
		{"CRLF", "a\r\nb", "a\u240d\u240ab"},
		{"BEL", "\a", "\u2407"},
		{"backspace", "abc\b\b\bXYZ", "abc\u2408\u2408\u2408XYZ"},
		{"unit separator 0x1F", "\x1f", "\u241f"},
		{"DEL", "a\x7fb", "a\u2421b"},
		{"ESC", "\x1b", "\u241b"},
		{"CSI clear screen", "\x1b[2J", "\u241b[2J"},
		{"CSI SGR", "\x1b[31mred\x1b[0m", "\u241b[31mred\u241b[0m"},
		{"OSC 52 clipboard BEL", "\x1b]52;c;cm0gLXJmIH4=\x07", "\u241b]52;c;cm0gLXJmIH4=\u2407"},
		{"OSC 8 hyperlink ST", "\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", "\u241b]8;;http://evil\u241b\\x\u241b]8;;\u241b\\"},
		{"C1 NEL", "a\u0085b", "a⟨U+0085⟩b"},
		{"C1 CSI", "\u009b2J", "⟨U+009B⟩2J"},
		{"C1 first", "\u0080", "⟨U+0080⟩"},
		{"C1 last", "\u009f", "⟨U+009F⟩"},
		{"not C1 NBSP", "\u00a0", "\u00a0"},
		{"bidi RLO", "abc\u202etxt.exe", "abc⟨U+202E⟩txt.exe"},
		{"bidi LRE..RLO", "\u202a\u202b\u202c\u202d", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩"},
		{"bidi isolates", "\u2066\u2067\u2068\u2069", "⟨U+2066⟩⟨U+2067⟩⟨U+2068⟩⟨U+2069⟩"},
		{"bidi marks", "\u200e\u200f\u061c", "⟨U+200E⟩⟨U+200F⟩⟨U+061C⟩"},
		{"invalid byte", "a\xffb", "a\ufffdb"},
		{"truncated multibyte", "\xe4\xb8", "\ufffd\ufffd"},
		{"encoded C1 as overlong is invalid", "\xc0\x9b", "\ufffd\ufffd"},
		{"surrogate encoding is invalid", "\xed\xa0\x80", "\ufffd\ufffd\ufffd"},
		{"literal U+FFFD kept", "\ufffd", "\ufffd"},
		{"CJK", "日本語の文字", "日本語の文字"},
		{"emoji ZWJ family", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"emoji ZWJ after a skin tone", "👩🏽\u200d💻", "👩🏽\u200d💻"},
		{"emoji ZWJ after VS16", "❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"},
		{"ZWJ between letters", "ad\u200dmin", "ad⟨U+200D⟩min"},
		{"ZWJ after an emoji, before a letter", "👩\u200dx", "👩⟨U+200D⟩x"},
		{"ZWJ before an emoji, after a letter", "x\u200d👩", "x⟨U+200D⟩👩"},
		{"ZWJ first", "\u200d👩", "⟨U+200D⟩👩"},
		{"ZWJ last", "👩\u200d", "👩⟨U+200D⟩"},
		{"ZWJ between control pictures", "\x1b\u200d\x1b", "␛⟨U+200D⟩␛"},
		{"ZWJ between sanitizer symbols", "␛\u200d␛", "␛⟨U+200D⟩␛"},
		{"two ZWJ between emoji", "👩\u200d\u200d💻", "👩⟨U+200D⟩⟨U+200D⟩💻"},
		{"line separator", "a\u2028b", "a⟨U+2028⟩b"},
		{"paragraph separator", "a\u2029b", "a⟨U+2029⟩b"},
		{"zero-width space", "ad\u200bmin", "ad⟨U+200B⟩min"},
		{"zero-width non-joiner", "a\u200cb", "a⟨U+200C⟩b"},
		{"word joiner", "a\u2060b", "a⟨U+2060⟩b"},
		{"BOM inside", "a\ufeffb", "a⟨U+FEFF⟩b"},
		{"BOM first", "\ufeffid", "⟨U+FEFF⟩id"},
		{"Mongolian vowel separator", "a\u180eb", "a⟨U+180E⟩b"},
		{"tag first", "\U000E0000", "⟨U+E0000⟩"},
		{"hidden tag text", "ok\U000E0068\U000E0069", "ok⟨U+E0068⟩⟨U+E0069⟩"},
		{"tag last", "\U000E007F", "⟨U+E007F⟩"},
		{"after the tags", "\U000E0080", "\U000E0080"},
		{"not invisible: soft hyphen", "a\u00adb", "a\u00adb"},
		{"not invisible: narrow nbsp", "a\u202fb", "a\u202fb"},
		{"not a joiner: U+200A hair space", "a\u200ab", "a\u200ab"},
		{"not a joiner: U+2061", "a\u2061b", "a\u2061b"},
		{"flag", "🇩🇪", "🇩🇪"},
		{"combining", "e\u0301", "e\u0301"},
		{"RTL letters", "שלום مرحبا", "שלום مرحبا"},
		{"control pictures pass", "\u241b[2J", "\u241b[2J"},
		{"markers pass", "⟨U+202E⟩", "⟨U+202E⟩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			if got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkSanitized(t, got)
			if again := Sanitize(got); again != got {
				t.Errorf("Sanitize not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestSanitizeEscapeSequencesInert(t *testing.T) {
	for _, in := range []string{
		"\x1b]52;c;cm0gLXJmIH4=\x07", // OSC 52: write the clipboard
		"\x1b]52;c;?\x1b\\",          // OSC 52: read the clipboard
		"\x1b[2J\x1b[H",              // clear screen, cursor home
		"\x1b]0;pwned\x07",           // set window title
		"\x1bP+q544e\x1b\\",          // DCS request
		"\u009d52;c;eA==\u009c",      // 8-bit OSC … ST
	} {
		got := Sanitize(in)
		if strings.ContainsAny(got, "\x1b\x07") {
			t.Errorf("Sanitize(%q) = %q still contains ESC or BEL", in, got)
		}
		checkSanitized(t, got)
		if ansi.Strip(got) != got {
			t.Errorf("Sanitize(%q) = %q still holds something ansi parses as a sequence", in, got)
		}
	}
}

func TestWidth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"日本", 4},
		{"👍", 2},
		{"👨\u200d👩\u200d👧", 2},
		{"🇩🇪", 2},
		{"e\u0301", 1},
		{"␛[2J", 4},
		{"⟨U+202E⟩", 8},
		{"\x1b[31mred\x1b[0m", 3}, // styling added after Sanitize is zero width
	}
	for _, tt := range tests {
		if got := Width(tt.in); got != tt.want {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
		{"", 3, ""},
		{"日本語", 6, "日本語"},
		{"日本語", 5, "日本…"},
		{"日本語", 4, "日…"}, // 日 + … = 3 cells; 日本 would be 5
		{"日本語", 2, "…"},  // never half a wide char
		{"a日本", 3, "a…"}, // 日 would overflow to 4
		{"👍👍👍", 3, "👍…"}, // emoji are 2 cells
		{"👨\u200d👩\u200d👧xyz", 2, "…"},
		{"👨\u200d👩\u200d👧xyz", 3, "👨\u200d👩\u200d👧…"},
		{"e\u0301e\u0301e\u0301", 2, "e\u0301…"}, // accent stays with its letter
		{"a\u0903a", 2, "…"},                     // ASCII letter + spacing mark is one cluster
		{"a\u0903ab", 3, "a\u0903…"},
		{"🇩🇪🇫🇷", 3, "🇩🇪…"}, // flags are not split into letters
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.w)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		if tt.w > 0 && Width(got) > tt.w {
			t.Errorf("Truncate(%q, %d) = %q is %d cells", tt.in, tt.w, got, Width(got))
		}
	}
}

func TestPad(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"ab", 5, "ab   "},
		{"", 3, "   "},
		{"hello", 5, "hello"},
		{"hello", 3, "he…"},
		{"日本", 5, "日本 "},
		{"日本語", 5, "日本…"},
		{"日本語", 4, "日… "}, // wide char does not fit: pad the hole
		{"👍", 1, "…"},
		{"e\u0301", 3, "e\u0301  "},
		{"x", 0, ""},
		{"x", -1, ""},
		{"\u0600", 2, "\u0600   "}, // a prepend char absorbs the first pad space
	}
	for _, tt := range tests {
		got := Pad(tt.in, tt.w)
		if got != tt.want {
			t.Errorf("Pad(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		if tt.w > 0 && Width(got) != tt.w {
			t.Errorf("Pad(%q, %d) = %q is %d cells", tt.in, tt.w, got, Width(got))
		}
	}
}

// checkSanitized fails if s holds anything a terminal could act on.
func checkSanitized(t interface {
	Helper()
	Fatalf(string, ...any)
}, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("output %q is not valid UTF-8", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			t.Fatalf("output %q has control byte %#x at %d", s, c, i)
		}
	}
	for _, r := range s {
		for _, rg := range forbidden {
			if r >= rg[0] && r <= rg[1] {
				t.Fatalf("output %q has rune %U", s, r)
			}
		}
	}
	for i, r := range s {
		if r == 0x200d { // kept only inside an emoji ZWJ sequence
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			next, _ := utf8.DecodeRuneInString(s[i+3:])
			if !unicode.Is(unicode.So, next) || !(unicode.Is(unicode.So, prev) || prev == 0xfe0f || unicode.Is(unicode.Sk, prev)) {
				t.Fatalf("output %q has a zero-width joiner at %d outside an emoji sequence", s, i)
			}
		}
	}
	if !Safe(s) {
		t.Fatalf("Safe(%q) is false for sanitized output", s)
	}
}

// forbidden are the ranges of runes no sanitized output may hold, written
// out apart from the implementation.
var forbidden = [][2]rune{
	{0x00, 0x1f}, {0x7f, 0x9f}, // C0, DEL, C1
	{0x061c, 0x061c}, {0x200e, 0x200f}, {0x202a, 0x202e}, {0x2066, 0x2069}, // bidi
	{0x2028, 0x2029},                                                       // separators
	{0x180e, 0x180e}, {0x200b, 0x200c}, {0x2060, 0x2060}, {0xfeff, 0xfeff}, // invisible
	{0xe0000, 0xe007f}, // tags
}

// interesting is a mix of runes and clusters that stress width handling.
var interesting = []string{
	"a", "Z", " ", "~", "\x00", "\t", "\n", "\x1b", "\x07", "\x7f", "\x1b[2J",
	"\x1b]52;c;eA==\x07", "\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u061c",
	"\xff", "\xe4\xb8", "日", "語", "가", "\u1100\u1161", "👍", "👍🏽", "👨\u200d👩\u200d👧",
	"🇩🇪", "🇫", "☺\ufe0f", "\u0301", "e\u0301", "\u0903", "\u200d", "\u200b", "\u200c", "\u2060", "\ufeff", "\u180e", "\u2029", "\U000E0041", "\u00ad",
	"\u0600", "\u06dd", "\ufffd", "ש", "م", "…", "␛", "⟨U+202E⟩", "\u2028", "\U0001F3F4\U000E0067\U000E0062\U000E007F",
}

var messy = rapid.OneOf(
	rapid.String(),
	rapid.Custom(func(t *rapid.T) string {
		parts := rapid.SliceOfN(rapid.SampledFrom(interesting), 0, 12).Draw(t, "parts")
		return strings.Join(parts, "")
	}),
	rapid.Map(rapid.SliceOfN(rapid.Byte(), 0, 24), func(b []byte) string { return string(b) }),
)

func TestSanitizeProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := messy.Draw(t, "in")
		out := Sanitize(in)
		checkSanitized(t, out)
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
		if utf8.ValidString(in) && firstUnsafe(in) < 0 && out != in {
			t.Fatalf("safe input changed: %q → %q", in, out)
		}
	})
}

func TestLayoutProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := Sanitize(messy.Draw(t, "s"))
		w := rapid.IntRange(1, 20).Draw(t, "w")

		tr := Truncate(s, w)
		if Width(tr) > w {
			t.Fatalf("Width(Truncate(%q, %d)) = %d", s, w, Width(tr))
		}
		if Width(s) <= w {
			if tr != s {
				t.Fatalf("Truncate(%q, %d) = %q cut a fitting string", s, w, tr)
			}
		} else {
			kept, ok := strings.CutSuffix(tr, Ellipsis)
			if !ok || !strings.HasPrefix(s, kept) {
				t.Fatalf("Truncate(%q, %d) = %q is not a prefix + %q", s, w, tr, Ellipsis)
			}
			if !isClusterBoundary(s, len(kept)) {
				t.Fatalf("Truncate(%q, %d) = %q splits a grapheme", s, w, tr)
			}
		}

		p := Pad(s, w)
		if got := Width(p); got != w {
			t.Fatalf("Width(Pad(%q, %d)) = %d (%q)", s, w, got, p)
		}
		if !strings.HasPrefix(p, strings.TrimSuffix(tr, Ellipsis)) {
			t.Fatalf("Pad(%q, %d) = %q does not start with the truncation %q", s, w, p, tr)
		}
	})
}

// isClusterBoundary reports whether byte offset i of s is a grapheme
// cluster boundary.
func isClusterBoundary(s string, i int) bool {
	for off := 0; off < len(s); {
		if off == i {
			return true
		}
		c, _ := ansi.FirstGraphemeCluster(s[off:], ansi.GraphemeWidth)
		off += len(c)
	}
	return i == len(s)
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", "plain", "\x1b[2J", "\x1b]52;c;cm0gLXJmIH4=\x07", "a\u202eb", "\u0085",
		"\xff\xfe", "日本語👨\u200d👩\u200d👧", "e\u0301\u0600", "line\nbreak\ttab\x7f",
		"a\u2028b\u2029", "ad\u200bmin\u200c\u2060", "\ufeffx\u180e", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, in string, w int) {
		out := Sanitize(in)
		checkSanitized(t, out)
		if Sanitize(out) != out {
			t.Fatalf("not idempotent on %q", in)
		}
		w = w%64 + 1
		if w < 1 {
			w += 64
		}
		if got := Width(Truncate(out, w)); got > w {
			t.Fatalf("Width(Truncate(%q, %d)) = %d", out, w, got)
		}
		if got := Width(Pad(out, w)); got != w {
			t.Fatalf("Width(Pad(%q, %d)) = %d", out, w, got)
		}
	})
}
