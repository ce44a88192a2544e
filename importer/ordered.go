package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// obj is a JSON object that keeps its keys in source order (column and
// action order are the definition's order).
type obj struct {
	keys []string
	vals map[string]any
}

func (o *obj) get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[k]
	return v, ok
}

func (o *obj) val(k string) any {
	v, _ := o.get(k)
	return v
}

func (o *obj) has(k string) bool {
	_, ok := o.get(k)
	return ok
}

func (o *obj) str(k string) string {
	v, _ := o.get(k)
	s, _ := v.(string)
	return s
}

func (o *obj) sub(k string) *obj {
	v, _ := o.get(k)
	m, _ := v.(*obj)
	return m
}

// decodeOrdered decodes JSON into nil, bool, float64, string, []any and
// *obj values.
func decodeOrdered(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	v, err := decodeValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("recorded definitions: trailing data after the value")
	}
	return v, nil
}

const maxDepth = 200

func decodeValue(d *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("recorded definitions nest too deep")
	}
	t, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("recorded definitions: %w", err)
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := &obj{vals: map[string]any{}}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, fmt.Errorf("recorded definitions: %w", err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("recorded definitions: object key is not a string")
				}
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = v
			}
			if _, err := d.Token(); err != nil {
				return nil, fmt.Errorf("recorded definitions: %w", err)
			}
			return o, nil
		case '[':
			list := []any{}
			for d.More() {
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, fmt.Errorf("recorded definitions: %w", err)
			}
			return list, nil
		}
		return nil, fmt.Errorf("recorded definitions: unexpected %v", x)
	default:
		return x, nil
	}
}
