package tui

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// nullOption is the select value standing for null.
const nullOption = "\x00null"

// formField is one editable field of a form.
type formField struct {
	name     string
	typ      schema.ColumnType
	values   []string // enum values
	options  []huh.Option[string]
	required bool
	hint     string
	value    *string
	initial  string
	// initialNull: the field was null; masked: its value is masked for this
	// identity (the form starts empty and an empty answer keeps the value).
	initialNull bool
	masked      bool
	problem     string
	// multiline: a long text, edited in a text area.
	multiline bool
}

// longText is the length beyond which a text value is edited in a text
// area rather than on one line.
const longText = 120

// isLongText reports whether a text column (or input) of at most maxLen
// characters holding initial is edited in a text area: it holds more than
// longText characters already, or it is free text (no maxLength, or one
// over 2000: notes, not names or addresses).
func isLongText(typ schema.ColumnType, maxLen *int, initial string) bool {
	return typ == schema.TypeText && (maxLen == nil || *maxLen > 2000 || len([]rune(initial)) > longText)
}

// form is a huh form and what its answers are for: an edit, a create, a
// filter on a column or an action's input.
type form struct {
	c      *Common
	kind   string // "edit", "create", "filter", "action", "reason"
	title  string
	table  string
	rowID  string
	action string
	locked []string
	// noteTitle heads the locked lines.
	noteTitle string
	fields    []*formField
	form      *huh.Form
	// hf are the huh fields in order; first is the index of the first
	// one that takes input (after the locked note).
	hf    []huh.Field
	first int
	w, h  int
	// filter forms
	column *schema.Column
	op     *string
	// reason forms: the identity the reason is for
	pending engine.Identity
	// since is when the edited row (or the action's record) last changed
	// as the operator saw it: the write is conditioned on it.
	since string
	// via is the action input naming the transition's target state.
	via string
	// refusal is the engine's refusal of the last submission when it
	// concerns no field of the form: shown at the top.
	refusal string
}

// SetSize sets the form's box.
func (f *form) SetSize(w, h int) {
	f.w, f.h = w, h
	if f.form != nil {
		f.form.WithWidth(min(w, 100)).WithHeight(max(5, h-2-len(f.refusalLines())))
	}
}

// refusalLines are the refusal shown above the fields, wrapped to the box
// (and a blank line under it).
func (f *form) refusalLines() []string {
	if f.refusal == "" {
		return nil
	}
	st := f.c.Styles
	var out []string
	for i, line := range strings.Split(f.refusal, "\n") {
		style := st.Reason
		if i == 0 {
			style = st.StatusError
		}
		indent := strings.Repeat(" ", len(line)-len(strings.TrimLeft(line, " ")))
		for _, l := range wrapText(strings.TrimLeft(line, " "), max(10, f.w-len(indent))) {
			out = append(out, style.Render(indent+l))
		}
	}
	return append(out, "")
}

// start (re)builds the huh form from the fields (their answers are kept)
// and returns its Init.
func (f *form) start() tea.Cmd {
	var hf []huh.Field
	notes := 0 // leading notes: never focused
	if len(f.locked) > 0 {
		notes = 1
		title := f.noteTitle
		if title == "" {
			title = "Locked for this identity"
		}
		hf = append(hf, huh.NewNote().Title(title).Description(escapeNote(strings.Join(f.locked, "\n"))))
	}
	if f.kind == "filter" {
		ops := []string{"=", "!=", "<", "<=", ">", ">=", "~", "in"}
		labels := map[string]string{"=": "= equals", "!=": "!= differs", "<": "< less than", "<=": "<= at most", ">": "> greater than", ">=": ">= at least", "~": "~ contains", "in": "in one of (comma-separated)"}
		var opts []huh.Option[string]
		for _, o := range ops {
			opts = append(opts, huh.NewOption(labels[o], o))
		}
		hf = append(hf, huh.NewSelect[string]().Title("operator").Options(opts...).Value(f.op))
	}
	focusAt := -1
	for _, fd := range f.fields {
		if fd.problem != "" && focusAt < 0 {
			focusAt = len(hf)
		}
		title := fd.name
		desc := fd.hint
		if fd.problem != "" {
			desc = "✗ " + fd.problem
		}
		if len(fd.options) > 0 {
			sel := huh.NewSelect[string]().Title(title).Description(desc).Options(fd.options...).Value(fd.value)
			if len(fd.options) > 8 {
				sel = sel.Height(10) // a long list (rows to reference) scrolls
			}
			hf = append(hf, sel)
			continue
		}
		placeholder := ""
		if fd.masked {
			placeholder = "masked for this identity (" + MaskMark + ") — leave empty to keep"
		}
		if fd.multiline {
			hf = append(hf, huh.NewText().Title(title).Description(desc).Value(fd.value).CharLimit(100000).
				Lines(4).ExternalEditor(false).Placeholder(placeholder))
			continue
		}
		hf = append(hf, huh.NewInput().Title(title).Description(desc).Value(fd.value).CharLimit(100000).Placeholder(placeholder))
	}
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	f.hf, f.first = hf, notes
	f.form = huh.NewForm(huh.NewGroup(hf...)).WithKeyMap(km).WithShowHelp(true).WithShowErrors(true).WithTheme(huh.ThemeCharm())
	f.SetSize(f.w, f.h)
	cmds := []tea.Cmd{f.form.Init()}
	// After a refusal the focus starts on the first field with a problem;
	// the fields keep their order: Init focused the first focusable field
	// (the locked note is skipped), each NextField moves one field on.
	for i := 0; i < focusAt-notes; i++ {
		cmds = append(cmds, f.form.NextField())
	}
	return tea.Sequence(cmds...)
}

// update passes a message to the huh form.
func (f *form) update(msg tea.Msg) tea.Cmd {
	if f.form == nil {
		return nil
	}
	m, cmd := f.form.Update(msg)
	if hf, ok := m.(*huh.Form); ok {
		f.form = hf
	}
	return cmd
}

// open builds the form and focuses its first field (after a refusal, the
// first field in error).
func (f *form) open() tea.Cmd { return f.start() }

// Update feeds the huh form; a submitted or cancelled form is handed in.
func (f *form) Update(msg tea.Msg) tea.Cmd {
	if f.form == nil {
		f.c.post(closeMsg{})
		return nil
	}
	var cmd tea.Cmd
	if km, ok := msg.(tea.KeyMsg); ok && km.Paste {
		cmd = f.paste(km)
	} else if ok {
		cmd = f.key(km)
	} else {
		cmd = f.update(msg)
	}
	return f.settled(cmd)
}

// key handles a key. From a text field, moving to another field is done
// at once: huh moves by a command, whose message would come after the keys
// typed in the same burst ("Jane<tab>jane@…" filled the first field with
// both). A select (which may be filtering its options) moves as huh does.
func (f *form) key(km tea.KeyMsg) tea.Cmd {
	focused := f.form.GetFocusedField()
	switch focused.(type) {
	case *huh.Input, *huh.Text:
	default:
		return f.update(km)
	}
	i := slices.Index(f.hf, focused)
	switch km.Type {
	case tea.KeyTab:
		if i >= 0 && i < len(f.hf)-1 {
			return f.form.NextField()
		}
		return nil
	case tea.KeyShiftTab:
		if i > f.first {
			return f.form.PrevField()
		}
		return nil
	case tea.KeyEnter:
		return f.form.NextField() // on the last field: submit
	}
	return f.update(km)
}

// paste types a bracketed paste: a tab in it moves to the next field, as
// typed.
func (f *form) paste(km tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, part := range strings.Split(string(km.Runes), "\t") {
		if i > 0 {
			cmds = append(cmds, f.key(tea.KeyMsg{Type: tea.KeyTab}))
		}
		if part != "" {
			cmds = append(cmds, f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(part), Paste: true}))
		}
	}
	return tea.Batch(cmds...)
}

// settled hands in a submitted or cancelled form.
func (f *form) settled(cmd tea.Cmd) tea.Cmd {
	switch f.form.State {
	case huh.StateAborted:
		f.c.post(closeMsg{}, formDoneMsg{form: f, aborted: true})
		return nil
	case huh.StateCompleted:
		f.c.post(closeMsg{}, formDoneMsg{form: f})
		return nil
	}
	return cmd
}

// ShortHelp is the form's footer.
func (f *form) ShortHelp() []Binding {
	bs := []Binding{bind(nil, "tab/⇧tab", "field"), f.c.Keys.Submit, bind(nil, "esc", "cancel")}
	if slices.ContainsFunc(f.fields, func(fd *formField) bool { return fd.multiline }) {
		bs = append(bs, bind(nil, "alt+enter", "new line (text areas)"))
	}
	return bs
}

// FullHelp lists the form's keys.
func (f *form) FullHelp() []HelpGroup {
	return []HelpGroup{{"Form", f.ShortHelp()}}
}

// setRefusal shows a refusal of the form's submission: each problem the
// engine names a field of beside that field, else the whole refusal at the
// top of the form.
func (f *form) setRefusal(err error) {
	probs := fieldProblems(err)
	if e, ok := engine.AsError(err); ok && e.Code == engine.ActionNotAllowedForState && f.via != "" {
		// The transition refused the target state: the input naming it.
		probs = append(probs, engine.FieldProblem{Field: f.via, Message: e.Message})
	}
	f.refusal = ""
	if !f.setProblems(probs) {
		f.refusal = termsafe.SanitizeLines(engine.FormatError(err))
	}
	f.SetSize(f.w, f.h)
}

// setProblems puts the engine's per-field problems next to the fields;
// false when none of them is a field of this form.
func (f *form) setProblems(ps []engine.FieldProblem) bool {
	found := false
	for _, fd := range f.fields {
		fd.problem = ""
	}
	for _, p := range ps {
		for _, fd := range f.fields {
			if fd.name == p.Field {
				msg := p.Message
				if msg == "" {
					msg = p.Category
				}
				if len(p.Actions) > 0 {
					msg += " (only via " + strings.Join(p.Actions, ", ") + ")"
				}
				fd.problem = termsafe.Sanitize(msg)
				found = true
			}
		}
	}
	return found
}

// View renders the form under its title.
func (f *form) View() string {
	st := f.c.Styles
	if f.form == nil {
		return ""
	}
	top := ""
	if ls := f.refusalLines(); len(ls) > 0 {
		top = strings.Join(ls, "\n") + "\n"
	}
	return box(st.PanelTitle.Render(f.title)+"\n\n"+top+f.form.View(), f.w, f.h)
}

// escapeNote keeps huh's note markup (*bold*, _italic_, `code`) from
// interpreting data: masked values are full of '*'.
func escapeNote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`")
	return r.Replace(s)
}

// convertValue turns a form answer into the value the engine expects for a
// type. Answers that do not parse go as text, for the engine to refuse with
// its own message.
func convertValue(t schema.ColumnType, s string) any {
	if s == nullOption {
		return nil
	}
	switch t {
	case schema.TypeInteger:
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return json.Number(s)
		}
	case schema.TypeReal:
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s)
		}
	case schema.TypeBoolean:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	case schema.TypeJSON:
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			return v
		}
	}
	return s
}
