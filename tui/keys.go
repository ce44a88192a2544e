package tui

import (
	"reflect"
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Binding is a key binding with the metadata help and read-only mode are
// derived from.
type Binding struct {
	key.Binding
	// Long is the description in the full help (Help().Desc is the short
	// one of the footer).
	Long string
	// Writes marks a binding that changes the database (or leads straight
	// to a change): it is absent from help and inert in read-only mode.
	Writes bool
}

// Matches reports whether msg triggers the binding (never when disabled).
func (b Binding) Matches(msg tea.KeyMsg) bool { return key.Matches(msg, b.Binding) }

// as is the binding described as desc where a component gives it a more
// precise meaning ("enter: run…" in the action list).
func (b Binding) as(desc string) Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func bind(keys []string, help, desc string) Binding {
	return Binding{Binding: key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc)), Long: desc}
}

func long(b Binding, desc string) Binding { b.Long = desc; return b }

func writes(b Binding) Binding { b.Writes = true; return b }

// KeyMap is the console's one key map, built by DefaultKeyMap. Every mode
// reads its keys from here, and help is generated from it.
type KeyMap struct {
	// Browse mode.
	Up, Down, PageUp, PageDown, Top, Bottom  Binding
	Left, Right                              Binding
	NextTable, PrevTable, Jump               Binding
	Detail, Identity, Compare                Binding
	Search, Filter, Sort, ClearQuery         Binding
	Unfilter, Columns                        Binding
	Refresh, Reload                          Binding
	Sidebar                                  Binding
	Edit, Create, Delete, Actions            Binding
	CopyCell, CopyRow, ExportCSV, ExportJSON Binding
	Matrix, Audit                            Binding
	Palette                                  Binding
	Help, Quit                               Binding

	// Shared by panels and prompts.
	Back, Select, Yes, No Binding
	// Toggle flips the item under the cursor (the column chooser).
	Toggle Binding
	// Submit finishes a form.
	Submit Binding
}

// DefaultKeyMap returns the console's key bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         bind([]string{"up", "k"}, "↑/k", "up"),
		Down:       bind([]string{"down", "j"}, "↓/j", "down"),
		PageUp:     bind([]string{"pgup"}, "pgup", "page up"),
		PageDown:   bind([]string{"pgdown", "ctrl+f", " "}, "pgdn", "page down"),
		Top:        bind([]string{"home", "g"}, "g", "first row"),
		Bottom:     bind([]string{"end", "G"}, "G", "last row"),
		Left:       bind([]string{"left", "h"}, "←/h", "column left"),
		Right:      bind([]string{"right", "l"}, "→/l", "column right"),
		NextTable:  long(bind([]string{"tab"}, "tab", "next table"), "next table (each keeps its query and position)"),
		PrevTable:  bind([]string{"shift+tab"}, "⇧tab", "previous table"),
		Jump:       long(bind([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "1-9", "table"), "table N of the sidebar"),
		Detail:     long(bind([]string{"enter"}, "enter", "why"), "detail: every field, its value and why"),
		Identity:   long(bind([]string{"i"}, "i", "identity"), "act as a member, any user of a role, or anonymous"),
		Compare:    long(bind([]string{"c"}, "c", "compare"), "the row as you and every role see it"),
		Search:     long(bind([]string{"/"}, "/", "search"), "search as you type (masked columns are skipped)"),
		Filter:     long(bind([]string{"f"}, "f", "filter"), "filter on the selected column"),
		Sort:       long(bind([]string{"s"}, "s", "sort"), "sort by the selected column (again: reverse)"),
		ClearQuery: bind([]string{"F"}, "F", "clear search/filters/sort"),
		Unfilter:   long(bind([]string{"-"}, "-", "unfilter"), "remove the selected column's filter and sort"),
		Columns:    long(bind([]string{"H"}, "H", "columns"), "hide or show columns"),
		Refresh:    bind([]string{"r", "ctrl+r"}, "r", "refresh"),
		Sidebar:    long(bind([]string{"ctrl+b"}, "ctrl+b", "tables"), "show or hide the table list (hidden below 100 columns)"),
		Reload:     long(bind([]string{"R"}, "R", "reload config"), "reload the config (asks before changing tables)"),
		Edit:       writes(long(bind([]string{"e"}, "e", "edit"), "edit the row (preview, then y/N)")),
		Create:     writes(long(bind([]string{"n"}, "n", "new"), "create a row (preview, then y/N)")),
		Delete:     writes(long(bind([]string{"d"}, "d", "delete"), "delete the row (y/N, default No)")),
		// Not a write: the list shows availability in read-only mode too,
		// where it runs nothing.
		Actions:    long(bind([]string{"a"}, "a", "actions"), "the row's actions: why, form, preview, run"),
		CopyCell:   long(bind([]string{"y"}, "y", "copy"), "copy the cell as shown (OSC 52)"),
		CopyRow:    long(bind([]string{"Y"}, "Y", "copy row"), "copy the row as shown, as JSON"),
		ExportCSV:  long(bind([]string{"x"}, "x", "export"), "export the result as shown to CSV"),
		ExportJSON: long(bind([]string{"X"}, "X", "export JSON"), "export the result as shown to JSON"),
		Matrix:     long(bind([]string{"m"}, "m", "matrix"), "access matrix"),
		Audit:      long(bind([]string{"L"}, "L", "audit"), "audit log"),
		Palette:    long(bind([]string{":"}, ":", "command"), "command palette: table, identity, action, view"),
		Help:       bind([]string{"?"}, "?", "help"),
		Quit:       bind([]string{"q", "ctrl+c"}, "q", "quit"),

		Back:   long(bind([]string{"esc"}, "esc", "back"), "back; stop waiting for a slow answer"),
		Select: bind([]string{"enter"}, "enter", "choose"),
		Yes:    bind([]string{"y", "Y"}, "y", "yes"),
		No:     bind([]string{"n", "N", "enter", "esc"}, "N/enter", "no"),
		Submit: bind([]string{"enter"}, "enter", "next/submit"),
		Toggle: bind([]string{" ", "enter"}, "space", "show/hide"),
	}
}

// SetReadOnly disables (or re-enables) every binding that writes.
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range k.all() {
		if b.Writes {
			b.SetEnabled(!ro)
		}
	}
}

// all lists every binding of the key map: each field of type Binding, in
// declaration order.
func (k *KeyMap) all() []*Binding {
	v := reflect.ValueOf(k).Elem()
	var out []*Binding
	for i := range v.NumField() {
		if b, ok := v.Field(i).Addr().Interface().(*Binding); ok {
			out = append(out, b)
		}
	}
	return out
}

// HelpGroup is a titled list of bindings for the full help.
type HelpGroup struct {
	Title    string
	Bindings []Binding
}

// FullHelp lists every enabled binding of browse mode, grouped. Disabled
// bindings (writes in read-only mode) are left out.
func (k KeyMap) FullHelp() []HelpGroup {
	groups := []HelpGroup{
		{"Move", []Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Left, k.Right, k.NextTable, k.PrevTable, k.Jump}},
		{"Look", []Binding{k.Detail, k.Identity, k.Compare, k.Refresh, k.Sidebar}},
		{"Audit", []Binding{k.Matrix, k.Audit}},
		{"Query", []Binding{k.Search, k.Filter, k.Sort, k.Unfilter, k.ClearQuery, k.Columns}},
		{"Write", []Binding{k.Edit, k.Create, k.Delete, k.Actions}},
		{"Take away", []Binding{k.CopyCell, k.CopyRow, k.ExportCSV, k.ExportJSON}},
		{"General", []Binding{k.Palette, k.Reload, k.Help, k.Back, k.Quit}},
	}
	var out []HelpGroup
	for _, g := range groups {
		g.Bindings = enabled(g.Bindings)
		if len(g.Bindings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func enabled(bs []Binding) []Binding {
	return slices.DeleteFunc(slices.Clone(bs), func(b Binding) bool { return !b.Enabled() })
}
