package tui

import (
	"fmt"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// The header: the console, the project and the database, then who the
// console acts as, then a rule.

func (m *Model) headerView() string {
	key := fmt.Sprintf("%v|%v|%d|%d|%v|%v|%v", m.s.id, m.haveID, len(m.orgs), m.c.Width, m.opts.ReadOnly, m.unaudited != "", m.awaitingReason)
	return m.cached("header", key, m.renderHeader)
}

func (m *Model) renderHeader() string {
	st := m.c.Styles
	w := m.c.Width
	project := m.opts.Project
	if project == "" {
		project = m.cfg.Project.Name
	}
	left := st.Title.Render("QUICKBACK CONSOLE") + st.Project.Render("  project "+termsafe.Sanitize(project)+" · db "+termsafe.Sanitize(m.opts.DBPath))
	var flags []string
	if m.opts.ReadOnly {
		flags = append(flags, st.ReadOnly.Render(" READ-ONLY "))
	}
	// Nothing this session does reaches the audit log (the database
	// cannot be written at all): said where it cannot be missed.
	if m.unaudited != "" {
		flags = append(flags, st.ReadOnly.Render(" UNAUDITED "))
	}
	right := strings.Join(flags, " ")
	line1 := fitLine(left, "", w-termsafe.Width(right), st.Project) + right
	line1 = strings.TrimRight(line1, " ")
	if right != "" {
		pad := w - termsafe.Width(left) - termsafe.Width(right)
		line1 = left + strings.Repeat(" ", max(1, pad)) + right
	}
	var line2 string
	if !m.haveID {
		line2 = st.IdentityDim.Render("acting as … (resolving the default identity)")
		if m.awaitingReason != nil {
			line2 = st.IdentityDim.Render("acting as no one until a reason is given for " + identityLabel(*m.awaitingReason))
		}
	} else {
		id := m.s.id
		var badges []string
		// The operator is never the identity the console acts as: a real
		// user is always impersonated; a synthetic or anonymous identity
		// is marked as what it is.
		switch {
		case id.Anonymous:
			badges = append(badges, st.Synthetic.Render(" ANONYMOUS "))
		case id.Synthetic:
			badges = append(badges, st.Synthetic.Render(" SYNTHETIC "))
		default:
			badges = append(badges, st.Impersonate.Render(" IMPERSONATING "))
		}
		if id.RealRole != "" {
			badges = append(badges, st.Synthetic.Render(" OVERRIDE "))
		}
		room := w
		if len(badges) > 0 {
			room -= termsafe.Width(strings.Join(badges, " ")) + 1
		}
		line2 = m.identityLine(id, room)
		if len(badges) > 0 {
			b := strings.Join(badges, " ")
			pad := w - termsafe.Width(line2) - termsafe.Width(b)
			if pad < 1 {
				line2 = termsafe.Truncate(line2, max(0, w-termsafe.Width(b)-1))
				pad = 1
			}
			line2 += strings.Repeat(" ", pad) + b
		}
	}
	rule := st.Rule.Render(strings.Repeat("─", w))
	return termsafe.Truncate(line1, w) + "\n" + termsafe.Truncate(line2, w) + "\n" + rule
}

// identityLine is "acting as NAME (USER) <EMAIL> · org ORG (ORG NAME) ·
// role ROLE" in at most room cells when it can be: the user id, the org id
// and the role are always shown in full; the email, then the display name,
// then the organization's name are shortened (and dropped) first, then
// "acting as" becomes "as".
func (m *Model) identityLine(id engine.Identity, room int) string {
	st := m.c.Styles
	role := id.Role
	if role == "" {
		role = "none"
	}
	// Anonymous and "any R of O" identities have no name to shorten.
	user, name := identityLabel(id), ""
	if !id.Anonymous && !id.Synthetic && id.Name != "" {
		user, name = termsafe.Sanitize(id.UserID), termsafe.Sanitize(id.Name)
	}
	email := termsafe.Sanitize(id.Email)
	orgName := m.orgName(id.OrgID)
	// The organization's name goes between orgPart and rolePart.
	orgPart := st.IdentityDim.Render(" · org ") + st.Identity.Render(termsafe.Sanitize(id.OrgID))
	rolePart := st.IdentityDim.Render(" · role ") + st.Identity.Render(termsafe.Sanitize(role))
	if id.UserRole != "" && id.UserRole != "user" {
		rolePart += st.IdentityDim.Render(" · userRole ") + st.Identity.Render(termsafe.Sanitize(id.UserRole))
	}
	prefix := "acting as "
	// fixed is what is always shown: the user id, the org id, the role.
	fixed := termsafe.Width(prefix+user) + termsafe.Width(orgPart+rolePart)
	if fixed > room {
		prefix = "as "
		fixed -= len("acting ")
	}
	// Optional parts take the room left in order of importance: the
	// organization's name, the display name, the email; each is shortened
	// to what is left, or dropped when fewer than 4 cells would be left of
	// it. Each costs 3 cells of brackets.
	left := room - fixed
	fit := func(s string) string {
		if s == "" || left < 3+min(4, termsafe.Width(s)) {
			return ""
		}
		s = termsafe.Truncate(s, left-3)
		left -= termsafe.Width(s) + 3
		return s
	}
	// An overridden role (the engine decides as role; the user really
	// holds RealRole) says so first; the OVERRIDE badge says it anyway.
	held := ""
	if id.RealRole != "" {
		// Whole or in its short form, never cut.
		for _, h := range []string{"override; holds ", "holds "} {
			if h += termsafe.Sanitize(id.RealRole); termsafe.Width(h)+3 <= left {
				held = fit(h)
				break
			}
		}
	}
	orgName, name, email = fit(orgName), fit(name), fit(email)
	who := user
	if name != "" {
		who = name + " (" + user + ")"
	}
	line := st.IdentityDim.Render(prefix) + st.Identity.Render(who)
	if email != "" {
		line += st.IdentityDim.Render(" <" + email + ">")
	}
	org := ""
	if orgName != "" {
		org = st.Identity.Render(" (" + orgName + ")")
	}
	if held != "" {
		rolePart += st.IdentityDim.Render(" (" + held + ")")
	}
	return line + orgPart + org + rolePart
}

// identityLabel is "Dana Reyes <dana@acme.test> (u-dana)".
func identityLabel(id engine.Identity) string {
	switch {
	case id.Anonymous:
		return "anonymous"
	case id.Synthetic:
		return "any " + id.Role + " of " + id.OrgID
	}
	s := id.UserID
	if id.Name != "" {
		s = id.Name + " (" + id.UserID + ")"
	}
	return termsafe.Sanitize(s)
}

func (m *Model) orgName(id string) string {
	for _, o := range m.orgs {
		if o.ID == id && o.Name != "" {
			return termsafe.Sanitize(o.Name)
		}
	}
	return ""
}
