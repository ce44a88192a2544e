package termsafe

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestEncodeJSONEscapes(t *testing.T) {
	tests := []struct{ in, escape string }{
		{"a\x1bb", `\u001b`},
		{"a\x7fb", `\u007f`},
		{"next\u0085line", `\u0085`},
		{"\u009b2J", `\u009b`},
		{"abc\u202etxt.exe", `\u202e`},
		{"\u2066isolate\u2069", `\u2066`},
		{"line\u2028sep", `\u2028`},
		{"para\u2029sep", `\u2029`},
		{"ad\u200bmin", `\u200b`},
		{"a\ufeffb", `\ufeff`},
		{"a\u180eb", `\u180e`},
		{"hidden\U000E0041", `\udb40\udc41`},
		{"👩\u200d💻", `\u200d`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := EncodeJSON(&b, map[string]any{"v": tt.in, tt.in: 1}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Count(out, tt.escape) != 2 {
			t.Errorf("EncodeJSON(%q) = %s: want %s in the key and the value", tt.in, out, tt.escape)
		}
		checkJSONOutput(t, out)
		var back map[string]any
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if want := map[string]any{"v": tt.in, tt.in: float64(1)}; !reflect.DeepEqual(back, want) {
			t.Errorf("round trip of %q: %v", tt.in, back)
		}
	}
}

func TestEncodeJSONKeepsTheRest(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeJSON(&b, map[string]any{"name": "Tomás <b>&</b> 日本 👍"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"name\": \"Tomás <b>&</b> 日本 👍\"\n}\n"; b.String() != want {
		t.Errorf("EncodeJSON = %q, want %q", b.String(), want)
	}
}

func TestEscapeJSONInvalidUTF8(t *testing.T) {
	if got := string(EscapeJSON([]byte("\"a\xffb\""))); got != `"a\ufffdb"` {
		t.Errorf("EscapeJSON = %s", got)
	}
}

// checkJSONOutput fails unless every line of out is in the sanitizer's
// allowed set.
func checkJSONOutput(t interface {
	Helper()
	Fatalf(string, ...any)
}, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !Safe(line) {
			t.Fatalf("JSON output line %q is outside the allowed set", line)
		}
	}
}

func TestEncodeJSONProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := messy.Draw(t, "in")
		var b bytes.Buffer
		if err := EncodeJSON(&b, []string{in}); err != nil {
			t.Fatal(err)
		}
		checkJSONOutput(t, b.String())
		var back []string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatalf("%q: %v", b.String(), err)
		}
		if want := validPerByte(in); len(back) != 1 || back[0] != want {
			t.Fatalf("round trip of %q gave %q, want %q", in, back, want)
		}
	})
}

// validPerByte is s with each invalid UTF-8 byte replaced by U+FFFD, as
// encoding/json does.
func validPerByte(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}
