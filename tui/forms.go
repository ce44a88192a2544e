package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
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
}

// formState is a huh form and what its answers are for.
type formState struct {
	c      *Common
	kind   string // "edit", "create", "filter", "action"
	title  string
	table  string
	rowID  string
	action string
	locked []string
	// noteTitle heads the locked lines.
	noteTitle string
	fields    []*formField
	form      *huh.Form
	w, h      int
	// filter forms
	column *schema.Column
	op     *string
}

// SetSize sets the form's box.
func (f *formState) SetSize(w, h int) {
	f.w, f.h = w, h
	if f.form != nil {
		f.form.WithWidth(min(w, 100)).WithHeight(max(5, h-2))
	}
}

// start (re)builds the huh form from the fields (their answers are kept)
// reopenForm is the "No" of a preview's confirmation: back to the form the
// preview came from, as it was (nothing when there was none).
func (m *Model) reopenForm(form *formState) func() tea.Cmd {
	return func() tea.Cmd {
		if form == nil {
			return nil
		}
		m.form, m.mode = form, modeForm
		return form.start()
	}
}

// and returns its Init.
func (f *formState) start() tea.Cmd {
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
			hf = append(hf, huh.NewSelect[string]().Title(title).Description(desc).Options(fd.options...).Value(fd.value))
			continue
		}
		in := huh.NewInput().Title(title).Description(desc).Value(fd.value).CharLimit(100000)
		if fd.masked {
			in = in.Placeholder("masked for this identity (" + MaskMark + ") — leave empty to keep")
		}
		hf = append(hf, in)
	}
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
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
func (f *formState) update(msg tea.Msg) tea.Cmd {
	if f.form == nil {
		return nil
	}
	m, cmd := f.form.Update(msg)
	if hf, ok := m.(*huh.Form); ok {
		f.form = hf
	}
	return cmd
}

// setProblems puts the engine's per-field problems next to the fields;
// false when none of them is a field of this form.
func (f *formState) setProblems(ps []engine.FieldProblem) bool {
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
func (f *formState) View() string {
	st := f.c.Styles
	if f.form == nil {
		return ""
	}
	return padLines(st.PanelTitle.Render(f.title)+"\n\n"+f.form.View(), f.h)
}

// escapeNote keeps huh's note markup (*bold*, _italic_, `code`) from
// interpreting data: masked values are full of '*'.
func escapeNote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`")
	return r.Replace(s)
}

// formUpdate feeds the form and acts when it is submitted or cancelled.
func (m *Model) formUpdate(msg tea.Msg) tea.Cmd {
	f := m.form
	if f == nil {
		m.mode = modeBrowse
		return nil
	}
	cmd := f.update(msg)
	switch f.form.State {
	case huh.StateAborted:
		m.form, m.mode = nil, modeBrowse
		m.setStatus("cancelled: nothing written", false)
		return nil
	case huh.StateCompleted:
		return m.submitForm(f)
	}
	return cmd
}

func (m *Model) submitForm(f *formState) tea.Cmd {
	switch f.kind {
	case "filter":
		m.form, m.mode = nil, modeBrowse
		val := strings.TrimSpace(*f.fields[0].value)
		spec := m.grid.res.spec
		var fs []engine.Filter
		for _, x := range spec.filters {
			if x.Column != f.column.Name || x.Op != *f.op {
				fs = append(fs, x)
			}
		}
		spec.filters = append(fs, engine.Filter{Column: f.column.Name, Op: *f.op, Value: val})
		return m.grid.setQuery(spec)
	case "edit", "create":
		data := map[string]any{}
		for _, fd := range f.fields {
			v := *fd.value
			if f.kind == "edit" {
				if fd.masked && v == "" || !fd.masked && v == fd.initial {
					continue
				}
				if v == "" {
					// An emptied field is cleared.
					data[fd.name] = nil
					continue
				}
			} else if v == "" || v == nullOption {
				continue
			}
			data[fd.name] = convertValue(fd.typ, v)
		}
		if len(data) == 0 {
			if f.kind == "edit" {
				m.form, m.mode = nil, modeBrowse
				m.setStatus("nothing changed: nothing written", false)
				return nil
			}
		}
		m.mode = modeBrowse
		return m.write(map[string]string{"edit": "update", "create": "create"}[f.kind], f.rowID, data, true)
	case "action":
		input := map[string]any{}
		for _, fd := range f.fields {
			if *fd.value == "" {
				continue
			}
			input[fd.name] = convertValue(fd.typ, *fd.value)
		}
		m.mode = modeBrowse
		return m.runAction(f.table, f.action, f.rowID, input, true)
	}
	return nil
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

func typeHint(typ schema.ColumnType, values []string, required bool, maxLen *int, lo, hi *float64) string {
	var parts []string
	parts = append(parts, string(typ))
	if required {
		parts = append(parts, "required")
	}
	if maxLen != nil {
		parts = append(parts, fmt.Sprintf("at most %d characters", *maxLen))
	}
	if lo != nil {
		parts = append(parts, "min "+strconv.FormatFloat(*lo, 'g', -1, 64))
	}
	if hi != nil {
		parts = append(parts, "max "+strconv.FormatFloat(*hi, 'g', -1, 64))
	}
	return strings.Join(parts, " · ")
}

func enumOptions(values []string, required bool) []huh.Option[string] {
	var opts []huh.Option[string]
	if !required {
		opts = append(opts, huh.NewOption(NullMark+" null", nullOption))
	}
	for _, v := range values {
		opts = append(opts, huh.NewOption(termsafe.Sanitize(v), v))
	}
	return opts
}

// openWriteForm builds the edit (rowID set) or create form from the
// engine's explanation: writable fields are inputs, locked ones are listed
// with the reason.
func (m *Model) openWriteForm(t *schema.Table, ex *engine.Explanation, rowID string) tea.Cmd {
	f := &formState{c: m.c, kind: "create", table: t.Name, rowID: rowID}
	f.title = "New " + t.Name + " record as " + identityLabel(m.s.id) + " (" + m.s.id.Role + ")"
	if rowID != "" {
		f.kind = "edit"
		f.title = "Edit " + t.Name + " " + termsafe.Sanitize(rowID) + " as " + identityLabel(m.s.id) + " (" + m.s.id.Role + ")"
	}
	var system []string
	for i, fx := range ex.Fields {
		col := t.Column(fx.Field)
		acc := fx.Update
		if f.kind == "create" {
			acc = fx.Create
		}
		var shown string
		if ex.Row != nil {
			shown = cellText(*ex.Row, i)
		}
		if !acc.Writable {
			if col.System {
				system = append(system, col.Name)
				continue
			}
			line := col.Name
			if shown != "" {
				line += " = " + shown
			}
			f.locked = append(f.locked, line+" — "+termsafe.Sanitize(acc.Reason))
			continue
		}
		fd := &formField{name: col.Name, typ: col.Type, values: col.Values, required: col.Required, value: new(string)}
		fd.hint = typeHint(col.Type, col.Values, col.Required && f.kind == "create" && !col.HasDefault, col.MaxLength, col.Min, col.Max)
		if col.References != "" {
			fd.hint += " · id of a " + col.References + " record"
		}
		switch col.Type {
		case schema.TypeEnum:
			fd.options = enumOptions(col.Values, col.Required)
		case schema.TypeBoolean:
			fd.options = enumOptions([]string{"true", "false"}, col.Required)
		}
		if ex.Row != nil {
			v := ex.Row.Values[i]
			switch {
			case ex.Row.Masked[i]:
				fd.masked = true
			case v == nil:
				fd.initialNull = true
				if len(fd.options) > 0 && !col.Required {
					fd.initial = nullOption
				}
			default:
				fd.initial = termsafe.Sanitize(engine.ValueString(v))
			}
		} else if col.HasDefault && len(fd.options) > 0 {
			fd.initial = engine.ValueString(col.Default)
		} else if len(fd.options) > 0 {
			fd.initial = fd.options[0].Value
		}
		*fd.value = fd.initial
		f.fields = append(f.fields, fd)
	}
	if len(system) > 0 {
		f.locked = append(f.locked, strings.Join(system, ", ")+" — system-managed audit columns: set by the engine")
	}
	if len(f.fields) == 0 {
		m.setStatus("nothing on "+t.Name+" is writable for this identity: "+strings.Join(f.locked, "; "), true)
		return nil
	}
	m.form = f
	f.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeForm
	return f.start()
}

// openFilter opens the filter builder on the selected column.
func (m *Model) openFilter() tea.Cmd {
	c := m.grid.selectedColumn()
	if c == nil {
		return nil
	}
	op := "="
	if c.Type == schema.TypeText {
		op = "~"
	}
	f := &formState{c: m.c, kind: "filter", table: m.grid.t.Name, column: c, op: &op}
	f.title = "Filter " + m.grid.t.Name + " on " + c.Name
	hint := string(c.Type)
	if len(c.Values) > 0 {
		hint += ": " + strings.Join(c.Values, ", ")
	}
	f.fields = []*formField{{name: "value", typ: schema.TypeText, hint: hint, value: new(string)}}
	m.form = f
	f.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeForm
	return f.start()
}

// openActionForm builds an action's input form from its input schema.
func (m *Model) openActionForm(table string, info engine.ActionInfo, rowID string) tea.Cmd {
	t := m.cfg.Table(table)
	var tr *schema.Transition
	if t != nil {
		if a := t.Action(info.Name); a != nil {
			tr = a.Transition
		}
	}
	f := &formState{c: m.c, kind: "action", table: table, rowID: rowID, action: info.Name, noteTitle: "Current state"}
	target := table
	if rowID != "" {
		target += " " + termsafe.Sanitize(rowID)
	}
	f.title = "Run " + info.Name + " on " + target + " as " + identityLabel(m.s.id) + " (" + m.s.id.Role + ")"
	if info.Field != "" && info.Current != "" {
		f.locked = append(f.locked, termsafe.Sanitize(info.Field+" is "+info.Current+"; allowed next: "+strings.Join(info.Allowed, ", ")))
	}
	for _, in := range info.Inputs {
		fd := &formField{name: in.Name, typ: in.Type, values: in.Values, required: in.Required, value: new(string)}
		fd.hint = typeHint(in.Type, in.Values, in.Required, in.MaxLength, in.Min, in.Max)
		switch in.Type {
		case schema.TypeEnum:
			if tr != nil && tr.Via == in.Name && info.Current != "" {
				allowed := map[string]bool{}
				for _, a := range info.Allowed {
					allowed[a] = true
					fd.options = append(fd.options, huh.NewOption(termsafe.Sanitize(a)+"  ✓ allowed from "+termsafe.Sanitize(info.Current), a))
				}
				for _, v := range in.Values {
					if !allowed[v] {
						fd.options = append(fd.options, huh.NewOption(termsafe.Sanitize(v)+"  (not allowed from "+termsafe.Sanitize(info.Current)+")", v))
					}
				}
				if !in.Required {
					fd.options = append(fd.options, huh.NewOption(NullMark+" none", ""))
				}
			} else {
				fd.options = enumOptions(in.Values, true)
				if !in.Required {
					fd.options = append(fd.options, huh.NewOption(NullMark+" none", ""))
				}
			}
		case schema.TypeBoolean:
			fd.options = enumOptions([]string{"true", "false"}, true)
		}
		if in.HasDefault {
			fd.initial = engine.ValueString(in.Default)
		}
		if fd.initial == "" && len(fd.options) > 0 {
			fd.initial = fd.options[0].Value
		}
		*fd.value = fd.initial
		f.fields = append(f.fields, fd)
	}
	m.form = f
	f.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeForm
	return f.start()
}
