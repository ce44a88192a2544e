package pgtest

import (
	"database/sql"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m.Run)) }

// A schema is empty, private to its test, and what its URL's connections
// create tables in.
func TestSchema(t *testing.T) {
	s := Get(t)
	a, b := s.Schema(t), s.Schema(t)
	if a == b {
		t.Fatalf("two schemas share a URL: %s", a)
	}
	for i, dsn := range []string{a, b} {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE t (x BIGINT)"); err != nil {
			t.Fatalf("schema %d: %v", i, err)
		}
		if _, err := db.Exec("INSERT INTO t VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
		var schema string
		var n int
		if err := db.QueryRow("SELECT current_schema(), count(*) FROM t").Scan(&schema, &n); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(schema, "qbt_") || n != 1 {
			t.Errorf("schema %d: current_schema %q with %d rows, want a qbt_ schema with 1", i, schema, n)
		}
	}
	var collate string
	if err := s.Admin().QueryRow("SELECT datcollate FROM pg_database WHERE datname = current_database()").Scan(&collate); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(EnvDSN) == "" && collate != "C.UTF-8" {
		t.Errorf("the cluster's collation is %q, want C.UTF-8", collate)
	}
}

// Without initdb anywhere the reason names both ways to get the tests run.
func TestFindBinMissing(t *testing.T) {
	_, err := findBin("no-such-postgres-program")
	if err == nil {
		t.Fatal("found a program that does not exist")
	}
	for _, want := range []string{"apt-get install postgresql", EnvDSN} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reason %q does not mention %q", err, want)
		}
	}
}
