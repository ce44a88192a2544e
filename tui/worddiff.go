package tui

import (
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// A long text value's change is shown word by word: the words both sides
// share once, what was removed marked [-like this-] and what was added
// {+like this+} (git's plain word diff), long shared stretches cut to the
// words around the changes.

// wordContext is how many shared words are kept on each side of a change.
const wordContext = 6

// wordRun is a run of words both sides share (op 0), only the old value
// has (-1) or only the new one (+1).
type wordRun struct {
	op   int
	text string
}

// words splits s into words and the runs of spaces between them, so the
// parts joined give s back.
func words(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if i > start && unicode.IsSpace(r) != unicode.IsSpace(rune(s[start])) {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// wordDiff compares before and after word by word.
func wordDiff(before, after string) []wordRun {
	// Each distinct word becomes one rune of a private-use plane, so the
	// character diff of the two rune strings is a word diff.
	const base = 0xF0000
	ids := map[string]rune{}
	var vocab []string
	encode := func(ws []string) []rune {
		out := make([]rune, len(ws))
		for i, w := range ws {
			r, ok := ids[w]
			if !ok {
				r = rune(base + len(vocab))
				ids[w] = r
				vocab = append(vocab, w)
			}
			out[i] = r
		}
		return out
	}
	a, b := encode(words(before)), encode(words(after))
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	var out []wordRun
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		var sb strings.Builder
		for _, r := range d.Text {
			sb.WriteString(vocab[r-base])
		}
		op := map[diffmatchpatch.Operation]int{diffmatchpatch.DiffEqual: 0, diffmatchpatch.DiffDelete: -1, diffmatchpatch.DiffInsert: 1}[d.Type]
		if n := len(out); n > 0 && out[n-1].op == op {
			out[n-1].text += sb.String()
			continue
		}
		out = append(out, wordRun{op: op, text: sb.String()})
	}
	return out
}

// elide cuts a shared run to the words next to the changes around it:
// first and last say whether it opens or closes the value.
func elide(text string, first, last bool) string {
	ws := strings.Fields(text)
	keepHead, keepTail := wordContext, wordContext
	if first {
		keepHead = 0
	}
	if last {
		keepTail = 0
	}
	if len(ws) <= keepHead+keepTail+1 {
		return text
	}
	return strings.Join(ws[:keepHead], " ") + " … " + strings.Join(ws[len(ws)-keepTail:], " ")
}

// wordDiffText is the change from before to after as words separated by
// single spaces: shared words plain (long stretches elided), removed ones
// [-marked-], added ones {+marked+}; style renders each word (op as in
// wordRun), so the text wraps between words.
func wordDiffText(before, after string, style func(op int, s string) string) string {
	runs := wordDiff(before, after)
	var parts []string
	for i, r := range runs {
		text := r.text
		if r.op == 0 {
			text = elide(text, i == 0, i == len(runs)-1)
		}
		ws := strings.Fields(text)
		for j, w := range ws {
			switch {
			case r.op < 0 && j == 0:
				w = "[-" + w
			case r.op > 0 && j == 0:
				w = "{+" + w
			}
			switch {
			case r.op < 0 && j == len(ws)-1:
				w += "-]"
			case r.op > 0 && j == len(ws)-1:
				w += "+}"
			}
			parts = append(parts, style(r.op, w))
		}
	}
	return strings.Join(parts, " ")
}
