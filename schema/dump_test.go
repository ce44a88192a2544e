package schema

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestDumpTmp(t *testing.T) {
	cfg, err := Load("../quickback.toml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(cfg, "", " ")
	fmt.Println(string(b))
}
