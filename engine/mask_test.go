package engine

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestMaskValueSpecTable(t *testing.T) {
	// SPEC §3.4, verbatim.
	tests := []struct{ typ, in, want string }{
		{"email", "jane@example.com", "j***@e******.com"},
		{"phone", "555-123-4567", "***-***-4567"},
		{"ssn", "123-45-6789", "***-**-6789"},
		{"creditCard", "4111 1111 1111 1234", "**** **** **** 1234"},
		{"name", "John Doe", "J*** D**"},
		{"redact", "anything", "[REDACTED]"},
	}
	for _, tt := range tests {
		if got := maskValue(tt.typ, tt.in); got != tt.want {
			t.Errorf("maskValue(%q, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestMaskValueEdgeCases(t *testing.T) {
	tests := []struct{ name, typ, in, want string }{
		// email
		{"email multi-label domain", "email", "a@mail.example.co.uk", "a@m**************.uk"},
		{"email unicode runes", "email", "jösé@exämple.de", "j***@e******.de"},
		{"email CJK", "email", "用户名@例子.中国", "用**@例*.中国"},
		{"email one-char local and host equals raw", "email", "a@b.c", Redacted},
		{"email one-char local", "email", "a@bc.d", "a@b*.d"},
		{"email no at", "email", "jane.example.com", Redacted},
		{"email two ats", "email", "jane@doe@example.com", Redacted},
		{"email empty local", "email", "@example.com", Redacted},
		{"email no dot in domain", "email", "jane@localhost", Redacted},
		{"email empty host before last dot", "email", "jane@.com", Redacted},
		{"email empty last label", "email", "jane@example.", Redacted},
		{"email empty domain", "email", "jane@", Redacted},
		{"email empty", "email", "", Redacted},
		{"email invalid utf8 first byte", "email", "\xffane@example.com", "\uFFFD***@e******.com"},
		// phone-like
		{"phone plus and parens", "phone", "+1 (555) 123-4567", "+* (***) ***-4567"},
		{"phone exactly four digits equals raw", "phone", "4567", Redacted},
		{"phone four digits with text", "phone", "ext 4567", Redacted},
		{"phone three digits", "phone", "555", Redacted},
		{"phone no digits", "phone", "call me", Redacted},
		{"phone empty", "phone", "", Redacted},
		{"phone five digits", "phone", "12345", "*2345"},
		{"phone unicode digits", "phone", "٥٥٥-١٢٣-٤٥٦٧", "***-***-٤٥٦٧"},
		{"phone fullwidth digits", "phone", "５５５１２３４", "***１２３４"},
		{"ssn no dashes", "ssn", "123456789", "*****6789"},
		{"creditCard dashes", "creditCard", "4111-1111-1111-1234", "****-****-****-1234"},
		{"creditCard too short", "creditCard", "123", Redacted},
		// name
		{"name single letter", "name", "J", "J*"},
		{"name single letters", "name", "J D", "J* D*"},
		{"name run of spaces", "name", "John  Doe", "J***  D**"},
		{"name leading and trailing spaces", "name", " John Doe ", " J*** D** "},
		{"name three words", "name", "Mary Ann Smith", "M*** A** S****"},
		{"name unicode", "name", "Zoë Ñúñez", "Z** Ñ****"},
		{"name CJK", "name", "山田 太郎", "山* 太*"},
		{"name combining marks are runes", "name", "e\u0301mile", "e*****"},
		{"name empty", "name", "", Redacted},
		{"name whitespace only", "name", "   ", Redacted},
		{"name tab whitespace only", "name", "\t\n", Redacted},
		{"name already masked equals raw", "name", "J*", Redacted},
		// redact and unknown
		{"redact empty", "redact", "", Redacted},
		{"redact value", "redact", "jane@example.com", Redacted},
		{"unknown type", "iban", "DE89370400440532013000", Redacted},
		{"empty type", "", "secret", Redacted},
		{"type is case-sensitive", "Email", "jane@example.com", Redacted},
		{"creditcard lowercase unknown", "creditcard", "4111 1111 1111 1234", Redacted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskValue(tt.typ, tt.in); got != tt.want {
				t.Errorf("maskValue(%q, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
			}
		})
	}
}

var maskTypes = []string{"email", "phone", "ssn", "creditCard", "name", "redact", "unknown"}

// checkMaskInvariants asserts what must hold for every mask type and input.
func checkMaskInvariants(t interface{ Fatalf(string, ...any) }, typ, raw string) {
	got := maskValue(typ, raw)
	if got == raw && raw != Redacted {
		t.Fatalf("maskValue(%q, %q) returned the raw value", typ, raw)
	}
	if got == Redacted {
		return
	}
	switch typ {
	case "email":
		local, _, _ := strings.Cut(raw, "@")
		mlocal, mdomain, ok := strings.Cut(got, "@")
		if !ok {
			t.Fatalf("email mask %q has no @", got)
		}
		// Local part: first rune then only stars, same rune count.
		if utf8.RuneCountInString(mlocal) != utf8.RuneCountInString(local) {
			t.Fatalf("email mask %q: local length differs from %q", got, raw)
		}
		_, size := utf8.DecodeRuneInString(mlocal)
		if strings.Trim(mlocal[size:], "*") != "" {
			t.Fatalf("email mask %q reveals local characters", got)
		}
		dot := strings.LastIndexByte(mdomain, '.')
		if dot <= 0 {
			t.Fatalf("email mask %q: no dot in domain", got)
		}
		_, size = utf8.DecodeRuneInString(mdomain)
		if strings.Trim(mdomain[size:dot], "*") != "" {
			t.Fatalf("email mask %q reveals domain characters", got)
		}
		if !strings.HasSuffix(raw, mdomain[dot:]) {
			t.Fatalf("email mask %q: last label not from %q", got, raw)
		}
	case "phone", "ssn", "creditCard":
		var in, out []rune
		for _, r := range raw {
			if unicode.IsDigit(r) {
				in = append(in, r)
			}
		}
		for _, r := range got {
			if unicode.IsDigit(r) {
				out = append(out, r)
			}
		}
		if len(in) < 4 || string(out) != string(in[len(in)-4:]) {
			t.Fatalf("maskValue(%q, %q) = %q: digits shown %q, want only the last four", typ, raw, got, string(out))
		}
		if utf8.RuneCountInString(got) != utf8.RuneCountInString(raw) {
			t.Fatalf("maskValue(%q, %q) = %q changed the length", typ, raw, got)
		}
	case "name":
		inWords, outWords := strings.Fields(raw), strings.Fields(got)
		if len(inWords) != len(outWords) {
			t.Fatalf("name mask %q: word count differs from %q", got, raw)
		}
		for i, w := range outWords {
			_, size := utf8.DecodeRuneInString(w)
			stars := w[size:]
			if stars == "" || strings.Trim(stars, "*") != "" {
				t.Fatalf("name mask %q: word %q is not first rune + stars", got, w)
			}
			if n := utf8.RuneCountInString(inWords[i]); n > 1 && len(stars) != n-1 {
				t.Fatalf("name mask %q: word %q has wrong star count for %q", got, w, inWords[i])
			}
		}
	default:
		t.Fatalf("maskValue(%q, %q) = %q, want %q", typ, raw, got, Redacted)
	}
}

func TestMaskValueProperties(t *testing.T) {
	emailish := rapid.Custom(func(t *rapid.T) string {
		part := rapid.StringOfN(rapid.RuneFrom([]rune("ab.@é中-_1")), 0, 8, -1)
		return part.Draw(t, "local") + rapid.SampledFrom([]string{"@", "", "@@"}).Draw(t, "at") +
			part.Draw(t, "host") + rapid.SampledFrom([]string{".", ""}).Draw(t, "dot") + part.Draw(t, "tld")
	})
	digitish := rapid.StringOfN(rapid.RuneFrom([]rune("0123456789-() +x٣５"), unicode.Nd), 0, 24, -1)
	nameish := rapid.StringOfN(rapid.RuneFrom([]rune("ab *Jé山\t"), unicode.Zs), 0, 16, -1)
	raw := rapid.OneOf(rapid.String(), emailish, digitish, nameish, rapid.SampledFrom([]string{Redacted, "", "a@b.c", "1234"}))
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom(maskTypes).Draw(t, "type")
		checkMaskInvariants(t, typ, raw.Draw(t, "raw"))
	})
}

func FuzzMaskValue(f *testing.F) {
	for i, s := range []string{
		"jane@example.com", "555-123-4567", "123-45-6789", "4111 1111 1111 1234",
		"John Doe", "a@b.c", "1234", "J", "", " ", "a@mail.example.co.uk", "\xff@\xfe.\xfd",
		"٥٥٥-١٢٣-٤٥٦٧", Redacted,
	} {
		f.Add(maskTypes[i%len(maskTypes)], s)
	}
	f.Fuzz(func(t *testing.T, typ, raw string) {
		checkMaskInvariants(t, typ, raw)
	})
}

// The ASCII fast paths of the email and digit masks give exactly what the
// general versions give, on ASCII values of every shape (and decline any
// other value).
func TestMaskASCIIFastPaths(t *testing.T) {
	part := rapid.StringOfN(rapid.RuneFrom([]rune("ab.@-_1 9+()x*"), &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0, Hi: 0x7f, Stride: 1}}}), 0, 12, -1)
	emailish := rapid.Custom(func(t *rapid.T) string {
		return part.Draw(t, "local") + rapid.SampledFrom([]string{"@", "", "@@"}).Draw(t, "at") +
			part.Draw(t, "host") + rapid.SampledFrom([]string{".", ""}).Draw(t, "dot") + part.Draw(t, "tld")
	})
	digitish := rapid.StringOfN(rapid.RuneFrom([]rune("0123456789-() +x")), 0, 24, -1)
	ascii := rapid.OneOf(part, emailish, digitish)
	rapid.Check(t, func(t *rapid.T) {
		raw := ascii.Draw(t, "raw")
		if got, ok := maskEmailASCII(raw); !ok || got != maskEmailRunes(raw) {
			t.Fatalf("email %q: fast %q (%v), general %q", raw, got, ok, maskEmailRunes(raw))
		}
		if got, ok := maskDigitsASCII(raw); !ok || got != maskDigitsRunes(raw) {
			t.Fatalf("digits %q: fast %q (%v), general %q", raw, got, ok, maskDigitsRunes(raw))
		}
	})
	for _, raw := range []string{"é@x.com", "٥٥٥-١٢٣-٤٥٦٧", "\xff@a.b"} {
		if _, ok := maskEmailASCII(raw); ok {
			t.Errorf("email fast path took %q", raw)
		}
		if _, ok := maskDigitsASCII(raw); ok {
			t.Errorf("digits fast path took %q", raw)
		}
	}
}
