package tui

// resultView is what happened: an action's changes and the records it
// wrote, or why a config was not reloaded.
type resultView struct {
	*pager
}

// newResultView shows the lines render makes for a width.
func newResultView(c *Common, render func(w int) []string) *resultView {
	return &resultView{pager: newPager(c, render, c.Keys.Detail)}
}
