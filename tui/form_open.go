package tui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// The console's forms: built from the engine's explanation (edit, create),
// a column (filter) or an action's input schema, and what their answers
// become.

// openWriteForm builds the edit (rowID set) or create form from the
// engine's explanation: writable fields are inputs, locked ones are listed
// with the reason.
func (m *Model) openWriteForm(t *schema.Table, ex *engine.Explanation, rowID string, refs map[string]refChoices) tea.Cmd {
	f := &form{c: m.c, kind: "create", table: t.Name, rowID: rowID}
	f.title = "New " + t.Name + " record as " + identityLabel(m.s.id) + " (" + m.s.id.Role + ")"
	if rowID != "" {
		f.kind = "edit"
		if ex.Row != nil {
			f.since = ex.Row.LastChange()
		}
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
		fd.multiline = len(fd.options) == 0 && col.References == "" && isLongText(col.Type, col.MaxLength, fd.initial)
		if col.References != "" {
			refField(fd, col, refs)
		}
		f.fields = append(f.fields, fd)
	}
	if len(system) > 0 {
		f.locked = append(f.locked, strings.Join(system, ", ")+" — system-managed audit columns: set by the engine")
	}
	if len(f.fields) == 0 {
		m.setStatus("nothing on "+t.Name+" is writable for this identity: "+strings.Join(f.locked, "; "), true)
		return nil
	}
	return m.open(modeForm, f)
}

// openFilter opens the filter builder on the selected column.
func (m *Model) openFilter() tea.Cmd {
	c := m.grid.selectedColumn()
	if c == nil {
		return nil
	}
	if why := m.grid.maskedRefusal("filter"); why != "" {
		m.setStatus(why, true)
		return nil
	}
	op := "="
	if c.Type == schema.TypeText {
		op = "~"
	}
	f := &form{c: m.c, kind: "filter", table: m.grid.t.Name, column: c, op: &op}
	f.title = "Filter " + m.grid.t.Name + " on " + c.Name
	hint := string(c.Type)
	if len(c.Values) > 0 {
		hint += ": " + strings.Join(c.Values, ", ")
	}
	f.fields = []*formField{{name: "value", typ: schema.TypeText, hint: hint, value: new(string)}}
	return m.open(modeForm, f)
}

// openActionForm builds an action's input form from its input schema.
func (m *Model) openActionForm(table string, info engine.ActionInfo, rowID, since string) tea.Cmd {
	t := m.cfg.Table(table)
	var tr *schema.Transition
	if t != nil {
		if a := t.Action(info.Name); a != nil {
			tr = a.Transition
		}
	}
	f := &form{c: m.c, kind: "action", table: table, rowID: rowID, action: info.Name, noteTitle: "Current state", since: since}
	if tr != nil {
		f.via = tr.Via
	}
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
				for _, a := range info.Allowed {
					fd.options = append(fd.options, huh.NewOption(termsafe.Sanitize(a)+"  ✓ allowed from "+termsafe.Sanitize(info.Current), a))
				}
				for _, v := range in.Values {
					if !slices.Contains(info.Allowed, v) {
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
		fd.multiline = len(fd.options) == 0 && isLongText(in.Type, in.MaxLength, fd.initial)
		f.fields = append(f.fields, fd)
	}
	return m.open(modeForm, f)
}

// onFormDone acts on a submitted form: a filter is applied, an edit or a
// create previewed as a dry run, an action's input previewed; a cancelled
// form writes nothing.
func (m *Model) onFormDone(msg formDoneMsg) tea.Cmd {
	f := msg.form
	if f.kind == "reason" {
		return m.onReason(f, msg.aborted)
	}
	if msg.aborted {
		m.form = nil
		m.setStatus("cancelled: nothing written", false)
		return nil
	}
	f.refusal = ""
	switch f.kind {
	case "filter":
		m.form = nil
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
				m.form = nil
				m.setStatus("nothing changed: nothing written", false)
				return nil
			}
		}
		return m.write(writeReq{op: map[string]string{"edit": "update", "create": "create"}[f.kind], table: f.table, rowID: f.rowID, data: data, dry: true, since: f.since})
	case "action":
		input := map[string]any{}
		for _, fd := range f.fields {
			if *fd.value == "" {
				continue
			}
			input[fd.name] = convertValue(fd.typ, *fd.value)
		}
		return m.runAction(runReq{table: f.table, action: f.action, rowID: f.rowID, input: input, dry: true, since: f.since})
	}
	return nil
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

// askReason asks why the operator acts as id before the console does
// ([audit].requireReason): the answer becomes the session's reason,
// recorded on every audit entry from then on.
func (m *Model) askReason(id engine.Identity) tea.Cmd {
	m.awaitingReason = &id
	f := &form{c: m.c, kind: "reason", title: "Why do you act as " + identityLabel(id) + "?", pending: id}
	f.fields = []*formField{{name: "reason", typ: schema.TypeText, required: true, value: new(string),
		hint: "a ticket or an incident: this project records it on every audit entry of the session (enter to go on, esc to cancel)"}}
	return m.open(modeForm, f)
}

// onReason takes the answer of the reason form: with a reason the console
// acts as the identity; without one it does not (and, for the first
// identity, the console ends).
func (m *Model) onReason(f *form, aborted bool) tea.Cmd {
	m.form = nil
	reason := strings.TrimSpace(*f.fields[0].value)
	if !aborted && reason == "" {
		f.fields[0].problem = "a reason is required to act as a real user in this project ([audit].requireReason)"
		return m.open(modeForm, f)
	}
	m.awaitingReason = nil
	if aborted {
		msg := "not switched: acting as " + identityLabel(f.pending) + " needs a reason ([audit].requireReason)"
		if !m.haveID {
			m.exitErr = errors.New("the console did not start: acting as " + identityLabel(f.pending) + " needs a reason ([audit].requireReason); pass --reason TEXT")
			return m.quit()
		}
		m.setStatus(msg, true)
		return nil
	}
	if n := len([]rune(reason)); n > maxReason {
		f.fields[0].problem = fmt.Sprintf("%d characters: give at most %d (a ticket or a sentence)", n, maxReason)
		return m.open(modeForm, f)
	}
	m.s.eng.SetReason(reason)
	m.setStatus("reason recorded on every audit entry of this session: "+termsafe.Sanitize(reason), false)
	return m.switchIdentity(f.pending)
}

// maxReason bounds a reason (as --reason does).
const maxReason = 500
