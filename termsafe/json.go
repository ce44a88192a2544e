package termsafe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// EncodeJSON writes v as JSON indented by two spaces, HTML characters left
// as they are, followed by a newline, and with [EscapeJSON] applied: the one
// encoder of every machine-readable (--json) output, so that piping it to a
// terminal is as safe as the table output.
func EncodeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(EscapeJSON(b.Bytes()))
	return err
}

// EscapeJSON rewrites JSON text so that every character [Sanitize] would
// replace — DEL, C1 and bidi controls, line and paragraph separators,
// invisible characters, tags (zero-width joiners included) — is a \uXXXX
// escape (a surrogate pair above U+FFFF), and each invalid UTF-8 byte is
// \ufffd. encoding/json already escapes C0 controls; outside strings JSON
// holds only ASCII, so the result means exactly what b meant.
func EscapeJSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf && c != 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if c == 0x7f || (r == utf8.RuneError && size <= 1) || marked(r) {
			break
		}
		i += size
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf && c != 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case c == 0x7f:
			out = append(out, `\u007f`...)
		case r == utf8.RuneError && size <= 1:
			out = append(out, `\ufffd`...)
		case marked(r) && r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		case marked(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
