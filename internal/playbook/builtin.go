package playbook

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// EnrichmentName is the built-in playbook behind spotter investigate.
const EnrichmentName = "incident-enrichment"

// Builtins lists the names of the playbooks embedded in the binary.
func Builtins() []string {
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// BuiltinSource returns a built-in playbook's YAML.
func BuiltinSource(name string) ([]byte, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in playbook %q (built-in: %s)", name, strings.Join(Builtins(), ", "))
	}
	return data, nil
}

// Builtin parses a built-in playbook.
func Builtin(name string) (*Playbook, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("builtin/"+name+".yaml", data)
}
