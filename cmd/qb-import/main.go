// Command qb-import reads a Quickback project's TypeScript definitions and
// writes the equivalent quickback.toml (SPEC §9.1). `qb import` runs it: it
// is a separate program so that qb itself does not carry a TypeScript
// compiler and a JavaScript engine (see BENCHMARKS.md, "qb import").
//
//	qb-import DIR            the TOML on stdout, the report on stderr
//	qb-import DIR --json     {"toml", "report", "root"} on stdout (what qb reads)
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"quickback.dev/qb/importer"
)

// Report is the --json output: the TOML and the report.
type Report struct {
	TOML   string `json:"toml"`
	Report []Item `json:"report"`
	Root   string `json:"root"`
}

// Item is one report line.
type Item struct {
	Status  string `json:"status"`
	Where   string `json:"where,omitempty"`
	Subject string `json:"subject"`
	Note    string `json:"note"`
}

// Failure is the --json output of an import that failed.
type Failure struct {
	Error struct {
		Code    string `json:"code"`
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, out, errw io.Writer) int {
	asJSON := false
	var dir string
	for _, a := range args {
		switch {
		case a == "--json":
			asJSON = true
		case a == "-h" || a == "--help":
			fmt.Fprintln(out, "usage: qb-import DIR [--json]   (qb import DIR is the command to use)")
			return 0
		case dir == "" && (a == "" || a[0] != '-'):
			dir = a
		default:
			fmt.Fprintf(errw, "qb-import: unexpected argument %q (usage: qb-import DIR [--json])\n", a)
			return 1
		}
	}
	if dir == "" {
		fmt.Fprintln(errw, "qb-import: needs DIR (usage: qb-import DIR [--json])")
		return 1
	}
	res, err := importer.Import(dir, "")
	if err != nil {
		if asJSON {
			var f Failure
			f.Error.Code, f.Error.Status, f.Error.Message = "CONFIG_ERROR", 400, err.Error()
			json.NewEncoder(out).Encode(f)
		} else {
			fmt.Fprintln(errw, "qb-import:", err)
		}
		return 1
	}
	if !asJSON {
		out.Write(res.TOML)
		for _, it := range res.Report {
			fmt.Fprintln(errw, it)
		}
		return 0
	}
	r := Report{TOML: string(res.TOML), Root: res.Root, Report: []Item{}}
	for _, it := range res.Report {
		r.Report = append(r.Report, Item{Status: string(it.Status), Where: it.Where, Subject: it.Subject, Note: it.Note})
	}
	if err := json.NewEncoder(out).Encode(r); err != nil {
		fmt.Fprintln(errw, "qb-import:", err)
		return 1
	}
	return 0
}
