package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// redacted is what a mask returns when it cannot (or must not) show a
// partial value: unknown types, the "redact" type, and unparseable input.
const redacted = "[REDACTED]"

// maskRune is the character that replaces hidden characters.
const maskRune = '*'

// maskValue masks raw according to maskType (SPEC §3.4): "email", "phone",
// "ssn", "creditCard", "name" or "redact". An unknown type, a value the mask
// cannot parse, or a mask whose output would equal raw yields [REDACTED]:
// a mask fails closed and never reveals the raw value.
func maskValue(maskType string, raw string) string {
	var out string
	switch maskType {
	case "email":
		out = maskEmail(raw)
	case "phone", "ssn", "creditCard":
		out = maskDigits(raw)
	case "name":
		out = maskName(raw)
	default: // "redact" and unknown types
		return redacted
	}
	if out == raw {
		return redacted
	}
	return out
}

// firstAndStars writes the first rune of s followed by one '*' per
// remaining rune (at least minStars of them). Invalid UTF-8 bytes count as
// one rune each and a leading invalid byte is written as U+FFFD.
func firstAndStars(b *strings.Builder, s string, minStars int) {
	r, size := utf8.DecodeRuneInString(s)
	b.WriteRune(r)
	n := utf8.RuneCountInString(s[size:])
	b.WriteString(strings.Repeat(string(maskRune), max(n, minStars)))
}

// maskEmail: local part → first rune + stars; the domain before its last
// dot (as a whole, inner dots included) → first rune + stars; then "." and
// the last label verbatim.
func maskEmail(raw string) string {
	if out, ok := maskEmailASCII(raw); ok {
		return out
	}
	return maskEmailRunes(raw)
}

// maskEmailRunes is maskEmail for any value.
func maskEmailRunes(raw string) string {
	if strings.Count(raw, "@") != 1 {
		return redacted
	}
	local, domain, _ := strings.Cut(raw, "@")
	dot := strings.LastIndexByte(domain, '.')
	if local == "" || dot <= 0 || dot == len(domain)-1 {
		return redacted
	}
	host, tld := domain[:dot], domain[dot+1:]
	var b strings.Builder
	b.Grow(len(raw) + 4)
	firstAndStars(&b, local, 0)
	b.WriteByte('@')
	firstAndStars(&b, host, 0)
	b.WriteByte('.')
	b.WriteString(tld)
	return b.String()
}

// maskDigits replaces every digit (unicode.IsDigit) but the last four with
// '*', keeping every other character; fewer than four digits → redacted.
func maskDigits(raw string) string {
	if out, ok := maskDigitsASCII(raw); ok {
		return out
	}
	return maskDigitsRunes(raw)
}

// maskDigitsRunes is maskDigits for any value.
func maskDigitsRunes(raw string) string {
	digits := 0
	for _, r := range raw {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits < 4 {
		return redacted
	}
	hide := digits - 4
	var b strings.Builder
	b.Grow(len(raw))
	for i, r := range raw {
		switch {
		case unicode.IsDigit(r) && hide > 0:
			b.WriteRune(maskRune)
			hide--
		case r == utf8.RuneError:
			// Keep bytes as they were (an invalid byte is not a digit).
			_, size := utf8.DecodeRuneInString(raw[i:])
			b.WriteString(raw[i : i+size])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maskName masks each whitespace-separated word to its first rune plus one
// '*' per remaining rune (at least one); the separators (runs included) are
// kept. An empty or whitespace-only value → redacted.
func maskName(raw string) string {
	if strings.TrimFunc(raw, unicode.IsSpace) == "" {
		return redacted
	}
	var b strings.Builder
	b.Grow(len(raw) + 4)
	rest := raw
	for rest != "" {
		// Separators are copied verbatim.
		i := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsSpace(r) })
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		j := strings.IndexFunc(rest, unicode.IsSpace)
		if j < 0 {
			j = len(rest)
		}
		firstAndStars(&b, rest[:j], 1)
		rest = rest[j:]
	}
	return b.String()
}

// The masks of an ASCII value (every list of an identity that sees masked
// emails and phones masks two values a row) are computed byte by byte into
// one allocation. They give exactly what the general versions give
// (TestMaskASCIIFastPaths); ok is false for a value with a byte >= 0x80,
// which takes the general path.

// isASCII reports whether s has no byte >= 0x80.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func maskEmailASCII(raw string) (string, bool) {
	if !isASCII(raw) {
		return "", false
	}
	at := strings.IndexByte(raw, '@')
	if at < 0 || strings.IndexByte(raw[at+1:], '@') >= 0 {
		return redacted, true
	}
	local, domain := raw[:at], raw[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if local == "" || dot <= 0 || dot == len(domain)-1 {
		return redacted, true
	}
	var b strings.Builder
	b.Grow(len(raw))
	starred := func(s string) {
		b.WriteByte(s[0])
		for i := 1; i < len(s); i++ {
			b.WriteByte(maskRune)
		}
	}
	starred(local)
	b.WriteByte('@')
	starred(domain[:dot])
	b.WriteString(domain[dot:])
	return b.String(), true
}

func maskDigitsASCII(raw string) (string, bool) {
	digits := 0
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c >= utf8.RuneSelf:
			return "", false
		case c >= '0' && c <= '9':
			digits++
		}
	}
	if digits < 4 {
		return redacted, true
	}
	hide := digits - 4
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c >= '0' && c <= '9' && hide > 0 {
			c = maskRune
			hide--
		}
		b.WriteByte(c)
	}
	return b.String(), true
}
