package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"

	"quickback.dev/qb/internal/dbconn"
)

// Scratch copies of a PostgreSQL database (`qb test` on a postgres://
// --db): PostgreSQL copies a whole database with CREATE DATABASE …
// TEMPLATE, which needs CREATEDB and no other session on the database
// copied. The snapshot is such a copy of the database, taken once; each
// copy is a copy of the snapshot (on which nobody else is connected); all
// are dropped at the end. The statements run on a connection to the
// server's maintenance database (postgres), never to the database itself.
type pgScratch struct {
	admin *sql.DB
	src   string // the database's URL
	// snapshot is the snapshot database's name; copies those of the
	// copies made and not yet dropped, by URL.
	snapshot string
	copies   map[string]string
	prefix   string
}

// newPGScratch snapshots the database the URL src names.
func newPGScratch(ctx context.Context, src string) (*pgScratch, error) {
	cfg, err := pgx.ParseConfig(src)
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL URL does not parse: %w", err)
	}
	admin, err := dbconn.OpenRaw(pgWithDatabase(src, "postgres"))
	if err != nil {
		return nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	p := &pgScratch{admin: admin, src: src, copies: map[string]string{}, prefix: "qb_scratch_" + hex.EncodeToString(b)}
	p.snapshot = p.prefix
	if err := p.create(ctx, p.snapshot, cfg.Database); err != nil {
		admin.Close()
		return nil, err
	}
	return p, nil
}

// create makes database name as a copy of from.
func (p *pgScratch) create(ctx context.Context, name, from string) error {
	_, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+Q(name)+" TEMPLATE "+Q(from))
	switch pgState(err) {
	case "":
		return err
	case "55006":
		return fmt.Errorf("qb test runs on a copy of %s, which PostgreSQL makes (CREATE DATABASE … TEMPLATE) only while no other session is connected to the database; stop its other clients, or run the tests on a database no one else uses (SQLSTATE 55006)", dbconn.DisplayName(p.src))
	case "42501":
		return fmt.Errorf("qb test runs on a copy of %s, and this user may not create databases (CREATEDB is needed for CREATE DATABASE … TEMPLATE) (SQLSTATE 42501)", dbconn.DisplayName(p.src))
	}
	return fmt.Errorf("cannot copy %s: %w", dbconn.DisplayName(p.src), pgSafe{asPG(err)})
}

// copy makes a new copy of the snapshot and returns its URL.
func (p *pgScratch) copy(ctx context.Context, n int) (string, error) {
	name := fmt.Sprintf("%s_%d", p.prefix, n)
	if err := p.create(ctx, name, p.snapshot); err != nil {
		return "", err
	}
	u := pgWithDatabase(p.src, name)
	p.copies[u] = name
	return u, nil
}

// discard drops the copy at the URL (its engine closed).
func (p *pgScratch) discard(u string) {
	if name, ok := p.copies[u]; ok {
		p.drop(name)
		delete(p.copies, u)
	}
}

// drop removes a database of the scratch, ending any session left on it.
func (p *pgScratch) drop(name string) {
	p.admin.Exec("DROP DATABASE IF EXISTS " + Q(name) + " WITH (FORCE)")
}

// close drops every copy and the snapshot.
func (p *pgScratch) close() error {
	for u, name := range p.copies {
		p.drop(name)
		delete(p.copies, u)
	}
	p.drop(p.snapshot)
	p.admin.Close()
	return nil
}

// pgWithDatabase is the postgres:// URL u naming database name instead.
func pgWithDatabase(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Path = "/" + name
	parsed.RawPath = ""
	q := parsed.Query()
	if q.Has("dbname") {
		q.Del("dbname")
		parsed.RawQuery = q.Encode()
	}
	return parsed.String()
}
