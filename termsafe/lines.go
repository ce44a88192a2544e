package termsafe

import "strings"

// SanitizeLines sanitizes each line of a multi-line message (such as an
// error with details) and keeps the line breaks.
func SanitizeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Sanitize(l)
	}
	return strings.Join(lines, "\n")
}
