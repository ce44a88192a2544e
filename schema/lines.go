package schema

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kpath is a config key path. disp is its display form
// (tables.jobs.guards.createable[1]), meta the raw key segments joined by
// NUL without array indices (how toml.MetaData orders keys).
type kpath struct {
	// seg is this key ("" for the root); index >= 0 makes the path an
	// array element of its parent instead.
	seg    string
	index  int
	meta   string
	parent *kpath
}

var rootPath = &kpath{index: -1}

func (p *kpath) key(k string) *kpath {
	if p.parent == nil {
		return &kpath{seg: k, index: -1, meta: k, parent: p}
	}
	return &kpath{seg: k, index: -1, meta: p.meta + "\x00" + k, parent: p}
}

func (p *kpath) idx(i int) *kpath {
	return &kpath{index: i, meta: p.meta, parent: p}
}

// disp is the path as messages show it (tables.jobs.guards.updatable[2]),
// built when asked: most paths of a config never are.
func (p *kpath) disp() string {
	switch {
	case p.parent == nil:
		return ""
	case p.index >= 0:
		return p.parent.disp() + "[" + strconv.Itoa(p.index) + "]"
	}
	return joinKey(p.parent.disp(), p.seg)
}

func (p *kpath) String() string { return p.disp() }

func joinKey(base, k string) string {
	if base == "" {
		return quoteKey(k)
	}
	return base + "." + quoteKey(k)
}

// quoteKey renders a key bare when it can be, else double-quoted.
func quoteKey(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		if !isBareByte(k[i]) {
			return strconv.Quote(k)
		}
	}
	return k
}

func isBareByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// lineIndex maps a display key path to the 1-based line where it is
// defined. Array elements get the line where the element starts.
type lineIndex map[string]int

// KeyLines maps the key paths of TOML source to the 1-based lines that
// define them: table headers, keys (dotted and inline), array elements and
// the entries of arrays of tables ("rows[2]"; "rows" is the first entry's).
// Segments that are not bare keys are double-quoted. A multi-line string is
// skipped whole, so a header inside one is not counted. It never panics and
// always terminates, even on input that is not TOML.
func KeyLines(src string) map[string]int { return indexLines(src) }

// indexLines scans TOML source (already known to parse) for table headers,
// keys (dotted and inline) and array elements, recording the line of each.
// It never panics and always terminates, even on input that is not TOML.
func indexLines(src string) lineIndex {
	s := &scanner{src: src, lines: lineIndex{}, arrays: map[string]int{}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.nl = append(s.nl, i)
		}
	}
	if strings.HasPrefix(src, "\uFEFF") {
		s.i = len("\uFEFF")
	}
	s.run()
	return s.lines
}

type scanner struct {
	src    string
	i      int
	nl     []int // offsets of '\n'
	lines  lineIndex
	arrays map[string]int // array-of-tables path → elements so far
}

func (s *scanner) line(off int) int { return sort.SearchInts(s.nl, off) + 1 }

func (s *scanner) set(p string, line int) {
	if _, ok := s.lines[p]; !ok {
		s.lines[p] = line
	}
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) run() {
	cur := ""
	for !s.eof() {
		start := s.i
		s.skipBlank()
		if s.eof() {
			break
		}
		if s.src[s.i] == '[' {
			line := s.line(s.i)
			arr := strings.HasPrefix(s.src[s.i:], "[[")
			if arr {
				s.i += 2
			} else {
				s.i++
			}
			cur = s.header(s.keys(), arr, line)
		} else {
			s.keyValue(cur)
		}
		s.skipLine()
		if s.i == start {
			s.i++
		}
	}
}

func (s *scanner) header(keys []string, arr bool, line int) string {
	p := ""
	for i, k := range keys {
		p = joinKey(p, k)
		last := i == len(keys)-1
		switch {
		case last && arr:
			s.set(p, line)
			n := s.arrays[p]
			s.arrays[p] = n + 1
			p += "[" + strconv.Itoa(n) + "]"
			s.lines[p] = line
		default:
			if n, ok := s.arrays[p]; ok && n > 0 {
				p += "[" + strconv.Itoa(n-1) + "]"
			}
			if last {
				s.lines[p] = line
			} else {
				s.set(p, line)
			}
		}
	}
	return p
}

func (s *scanner) keyValue(base string) {
	line := s.line(s.i)
	ks := s.keys()
	if len(ks) == 0 {
		return
	}
	p := base
	for _, k := range ks {
		p = joinKey(p, k)
		s.set(p, line)
	}
	s.skipSpaces()
	if s.eof() || s.src[s.i] != '=' {
		return
	}
	s.i++
	s.skipSpaces()
	s.value(p)
}

func (s *scanner) value(p string) {
	if s.eof() {
		return
	}
	switch s.src[s.i] {
	case '"', '\'':
		s.str()
	case '[':
		s.i++
		for n := 0; ; n++ {
			s.skipBlank()
			if s.eof() {
				return
			}
			if s.src[s.i] == ']' {
				s.i++
				return
			}
			start := s.i
			ep := p + "[" + strconv.Itoa(n) + "]"
			s.set(ep, s.line(s.i))
			s.value(ep)
			s.skipBlank()
			if !s.eof() && s.src[s.i] == ',' {
				s.i++
			}
			if s.i == start {
				s.i++
			}
		}
	case '{':
		s.i++
		for {
			s.skipBlank()
			if s.eof() {
				return
			}
			if s.src[s.i] == '}' {
				s.i++
				return
			}
			start := s.i
			s.keyValue(p)
			s.skipBlank()
			if !s.eof() && s.src[s.i] == ',' {
				s.i++
			}
			if s.i == start {
				s.i++
			}
		}
	default:
		for !s.eof() && !strings.ContainsRune(",]}#\n", rune(s.src[s.i])) {
			s.i++
		}
	}
}

// keys reads a possibly dotted key and returns its unescaped segments.
func (s *scanner) keys() []string {
	var ks []string
	for {
		s.skipSpaces()
		if s.eof() {
			return ks
		}
		var k string
		switch c := s.src[s.i]; {
		case c == '"' || c == '\'':
			k = s.str()
		default:
			j := s.i
			for j < len(s.src) && (isBareByte(s.src[j]) || s.src[j] >= utf8.RuneSelf) {
				j++
			}
			if j == s.i {
				return ks
			}
			k = s.src[s.i:j]
			s.i = j
		}
		ks = append(ks, k)
		s.skipSpaces()
		if s.eof() || s.src[s.i] != '.' {
			return ks
		}
		s.i++
	}
}

// str consumes a basic, literal or multi-line string at s.i and returns its
// value (escapes decoded for basic strings).
func (s *scanner) str() string {
	q := s.src[s.i]
	if strings.HasPrefix(s.src[s.i:], strings.Repeat(string(q), 3)) {
		s.i += 3
		start := s.i
		for !s.eof() {
			c := s.src[s.i]
			if c == '\\' && q == '"' {
				s.i += 2
				continue
			}
			if c == q {
				r := 0
				for s.i+r < len(s.src) && s.src[s.i+r] == q {
					r++
				}
				if r >= 3 {
					end := s.i + r - 3
					s.i += r
					return s.src[start:min(end, len(s.src))]
				}
				s.i += r
				continue
			}
			s.i++
		}
		return ""
	}
	s.i++
	start := s.i
	for !s.eof() {
		c := s.src[s.i]
		switch {
		case c == '\n':
			return s.src[start:s.i]
		case c == '\\' && q == '"':
			s.i += 2
		case c == q:
			raw := s.src[start:s.i]
			s.i++
			if q == '"' {
				return unescape(raw)
			}
			return raw
		default:
			s.i++
		}
	}
	return ""
}

func unescape(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[raw[i]]
			if i+n < len(raw) {
				if r, err := strconv.ParseUint(raw[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += n
					continue
				}
			}
			b.WriteByte(raw[i])
		default:
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}

func (s *scanner) skipSpaces() {
	for !s.eof() && (s.src[s.i] == ' ' || s.src[s.i] == '\t') {
		s.i++
	}
}

// skipBlank skips whitespace, newlines and comments.
func (s *scanner) skipBlank() {
	for !s.eof() {
		switch s.src[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		case '#':
			for !s.eof() && s.src[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

// skipLine moves past the end of the current line.
func (s *scanner) skipLine() {
	for !s.eof() && s.src[s.i] != '\n' {
		s.i++
	}
	if !s.eof() {
		s.i++
	}
}
