package tui

import "github.com/charmbracelet/lipgloss"

// Marker glyphs. They carry meaning on their own, so the screen stays
// readable without colour (the Ascii profile the golden tests pin).
const (
	// MaskMark prefixes every masked value.
	MaskMark = "◆"
	// NullMark stands for a null value in the grid.
	NullMark = "∅"
	// NoListMark marks a table the identity may not list.
	NoListMark = "⊘"
	// InternalMark marks an internal table (no CRUD; actions write to it).
	InternalMark = "◇"
	// CursorMark points at the selected row or item.
	CursorMark = "›"
)

// Styles is the console's one set of styles, built by DefaultStyles.
type Styles struct {
	App         lipgloss.Style
	Title       lipgloss.Style
	Project     lipgloss.Style
	Identity    lipgloss.Style
	IdentityDim lipgloss.Style
	Impersonate lipgloss.Style
	Synthetic   lipgloss.Style
	ReadOnly    lipgloss.Style
	Rule        lipgloss.Style

	SidebarTitle    lipgloss.Style
	SidebarItem     lipgloss.Style
	SidebarSelected lipgloss.Style
	SidebarDenied   lipgloss.Style
	SidebarLegend   lipgloss.Style

	GridTitle    lipgloss.Style
	GridInfo     lipgloss.Style
	Header       lipgloss.Style
	HeaderActive lipgloss.Style
	Cell         lipgloss.Style
	Selected     lipgloss.Style
	SelectedCell lipgloss.Style
	Masked       lipgloss.Style
	Null         lipgloss.Style
	Pending      lipgloss.Style
	Separator    lipgloss.Style

	PanelTitle lipgloss.Style
	Label      lipgloss.Style
	Value      lipgloss.Style
	Reason     lipgloss.Style
	Allowed    lipgloss.Style
	Denied     lipgloss.Style
	// Conditional is a grant limited to some rows (own rows, a record
	// condition).
	Conditional lipgloss.Style
	Diff        lipgloss.Style

	Status      lipgloss.Style
	StatusError lipgloss.Style
	StatusOK    lipgloss.Style
	HelpKey     lipgloss.Style
	HelpDesc    lipgloss.Style
	HelpSep     lipgloss.Style
	Prompt      lipgloss.Style
}

// DefaultStyles returns the console's styles.
func DefaultStyles() Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FD9", Dark: "#A78BFA"}
	subtle := lipgloss.AdaptiveColor{Light: "#8A8A8A", Dark: "#6B6B6B"}
	warn := lipgloss.AdaptiveColor{Light: "#B45309", Dark: "#FBBF24"}
	danger := lipgloss.AdaptiveColor{Light: "#B91C1C", Dark: "#F87171"}
	ok := lipgloss.AdaptiveColor{Light: "#047857", Dark: "#34D399"}
	mask := lipgloss.AdaptiveColor{Light: "#A21CAF", Dark: "#F0ABFC"}
	return Styles{
		App:         lipgloss.NewStyle(),
		Title:       lipgloss.NewStyle().Bold(true).Foreground(accent),
		Project:     lipgloss.NewStyle().Foreground(subtle),
		Identity:    lipgloss.NewStyle().Bold(true),
		IdentityDim: lipgloss.NewStyle().Foreground(subtle),
		Impersonate: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#1F1F1F")).Background(warn),
		Synthetic:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#1F1F1F")).Background(accent),
		ReadOnly:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(danger),
		Rule:        lipgloss.NewStyle().Foreground(subtle),

		SidebarTitle:    lipgloss.NewStyle().Bold(true).Foreground(subtle),
		SidebarItem:     lipgloss.NewStyle(),
		SidebarSelected: lipgloss.NewStyle().Bold(true).Foreground(accent),
		SidebarDenied:   lipgloss.NewStyle().Foreground(subtle).Faint(true),
		SidebarLegend:   lipgloss.NewStyle().Foreground(subtle),

		GridTitle:    lipgloss.NewStyle().Bold(true),
		GridInfo:     lipgloss.NewStyle().Foreground(subtle),
		Header:       lipgloss.NewStyle().Bold(true),
		HeaderActive: lipgloss.NewStyle().Bold(true).Foreground(accent),
		Cell:         lipgloss.NewStyle(),
		Selected:     lipgloss.NewStyle().Background(lipgloss.AdaptiveColor{Light: "#E9E5FB", Dark: "#2E2A47"}),
		SelectedCell: lipgloss.NewStyle().Bold(true).Underline(true),
		Masked:       lipgloss.NewStyle().Foreground(mask).Italic(true),
		Null:         lipgloss.NewStyle().Foreground(subtle),
		Pending:      lipgloss.NewStyle().Foreground(subtle).Italic(true),
		Separator:    lipgloss.NewStyle().Foreground(subtle),

		PanelTitle:  lipgloss.NewStyle().Bold(true).Foreground(accent),
		Label:       lipgloss.NewStyle().Bold(true),
		Value:       lipgloss.NewStyle(),
		Reason:      lipgloss.NewStyle().Foreground(subtle),
		Allowed:     lipgloss.NewStyle().Foreground(ok),
		Denied:      lipgloss.NewStyle().Foreground(danger),
		Conditional: lipgloss.NewStyle().Foreground(warn),
		Diff:        lipgloss.NewStyle().Bold(true).Foreground(warn),

		Status:      lipgloss.NewStyle(),
		StatusError: lipgloss.NewStyle().Foreground(danger).Bold(true),
		StatusOK:    lipgloss.NewStyle().Foreground(ok),
		HelpKey:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		HelpDesc:    lipgloss.NewStyle().Foreground(subtle),
		HelpSep:     lipgloss.NewStyle().Foreground(subtle),
		Prompt:      lipgloss.NewStyle().Bold(true).Foreground(warn),
	}
}
