package dbconn

import (
	"strings"
	"testing"
)

// TestDisplayName: messages name a PostgreSQL database without its
// password, whether the URL carries it in the user part or as a
// parameter; a SQLite path is shown as it is.
func TestDisplayName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"data/qb.db", "data/qb.db"},
		{"postgres://qb@db.example/app", "postgres://qb@db.example/app"},
		{"postgres://qb:s3cret@db.example/app", "postgres://qb:xxxxx@db.example/app"},
		{"postgresql://db.example/app?password=s3cret&sslmode=require", "postgresql://db.example/app?password=xxxxx&sslmode=require"},
		{"postgres://qb:s3cret@db.example:port/app", "a PostgreSQL URL that does not parse"},
	} {
		if got := DisplayName(c.in); got != c.want {
			t.Errorf("DisplayName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestOpenPostgresBadURLHidesPassword: a URL pgx cannot parse is refused
// without echoing its password, in the user part or as a parameter.
func TestOpenPostgresBadURLHidesPassword(t *testing.T) {
	for _, url := range []string{
		"postgres://qb:s3cret@db.example:port/app",
		"postgres://db.example:port/app?password=s3cret",
		"postgres://qb:s3cret@db.example/app?sslmode=bogus",
	} {
		_, err := OpenPostgres(url, false, BusyTimeoutMS)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("OpenPostgres(%s): %v, want an error without the password", DisplayName(url), err)
		}
	}
}
