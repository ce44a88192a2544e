package main

import (
	"fmt"
	"strconv"
	"strings"
)

// args is a parsed command line: positional words and flags, which may come
// in any order after the command.
type args struct {
	pos   []string
	vals  map[string][]string
	bools map[string]bool
}

// valueFlags take a value; every other --flag is a switch.
var valueFlags = map[string]bool{
	"config": true, "db": true, "as": true, "org": true, "role": true, "filter": true, "sort": true,
	"search": true, "limit": true, "cursor": true, "data": true, "input": true, "orgs": true, "seed": true,
	"head": true, "table": true, "diff": true, "user": true, "outcome": true, "since": true, "until": true,
	"operation": true,
}

var boolFlags = map[string]bool{
	"json": true, "dry-run": true, "reset": true, "verify": true, "read-only": true, "help": true, "follow": true,
}

func parseArgs(argv []string) (*args, error) {
	a := &args{vals: map[string][]string{}, bools: map[string]bool{}}
	for i := 0; i < len(argv); i++ {
		w := argv[i]
		if w == "--" {
			a.pos = append(a.pos, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" {
			a.pos = append(a.pos, w)
			continue
		}
		name := strings.TrimLeft(w, "-")
		val, hasVal := "", false
		if j := strings.IndexByte(name, '='); j >= 0 {
			name, val, hasVal = name[:j], name[j+1:], true
		}
		if name == "h" {
			name = "help"
		}
		switch {
		case valueFlags[name]:
			if !hasVal {
				if i+1 >= len(argv) {
					return nil, fmt.Errorf("flag --%s needs a value", name)
				}
				i++
				val = argv[i]
			}
			a.vals[name] = append(a.vals[name], val)
		case boolFlags[name]:
			b := true
			if hasVal {
				var err error
				if b, err = strconv.ParseBool(val); err != nil {
					return nil, fmt.Errorf("flag --%s takes true or false", name)
				}
			}
			a.bools[name] = b
		default:
			return nil, fmt.Errorf("unknown flag %s", w)
		}
	}
	return a, nil
}

// get returns the last value of a flag.
func (a *args) get(name string) string {
	v := a.vals[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func (a *args) has(name string) bool { return len(a.vals[name]) > 0 || a.bools[name] }

// only refuses flags the command does not take.
func (a *args) only(cmd string, allowed ...string) error {
	ok := map[string]bool{"config": true, "db": true, "json": true, "help": true}
	for _, n := range allowed {
		ok[n] = true
	}
	for n := range a.vals {
		if !ok[n] {
			return fmt.Errorf("%s does not take --%s", cmd, n)
		}
	}
	for n := range a.bools {
		if !ok[n] {
			return fmt.Errorf("%s does not take --%s", cmd, n)
		}
	}
	return nil
}

func (a *args) intFlag(name string, def int) (int, error) {
	s := a.get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--%s takes a non-negative whole number", name)
	}
	return n, nil
}
