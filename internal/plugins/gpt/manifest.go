package gpt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Manifest declares a plugin of prompt-template skills in YAML:
//
//	name: triage
//	description: Prompt skills of the SOC team
//	skills:
//	  - name: ExplainAlert
//	    format: gpt
//	    description: Explains an alert to a junior analyst
//	    inputs:
//	      - name: alert
//	        description: The alert text
//	        required: true
//	    template: |
//	      Explain this alert to a junior analyst: {{alert}}
//
// Each {{input}} of the template is replaced by the input's value fenced
// as data, so an input can never add instructions.
type Manifest struct {
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Skills      []ManifestSkill `yaml:"skills"`
	// File is where the manifest was read from.
	File string `yaml:"-"`
}

// ManifestSkill is one declared skill.
type ManifestSkill struct {
	Name        string          `yaml:"name"`
	Format      string          `yaml:"format"`
	Description string          `yaml:"description"`
	Examples    []string        `yaml:"examples"`
	Inputs      []ManifestInput `yaml:"inputs"`
	Template    string          `yaml:"template"`
}

// ManifestInput is one input of a skill; every input is a string.
type ManifestInput struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

// maxToolName is the longest tool name the model APIs accept (OpenAI and
// Anthropic: ^[a-zA-Z0-9_-]{1,64}$); a skill is offered as plugin__Skill.
const maxToolName = 64

var (
	// pluginName keeps the tool names of the skills within what model
	// APIs accept: one plugin name they refuse would fail every planner
	// call whose scope holds it.
	pluginName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	skillName   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,63}$`)
	inputName   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	templateRef = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
)

// maxManifest bounds a manifest file.
const maxManifest = 1 << 20

// ParseManifest reads one manifest. Errors name the file and the field.
func ParseManifest(file string, data []byte) (Manifest, error) {
	var m Manifest
	if len(data) > maxManifest {
		return m, fmt.Errorf("%s: %d bytes; expected at most %d", file, len(data), maxManifest)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return m, fmt.Errorf("%s: empty; expected a manifest with name and skills", file)
		}
		return m, fmt.Errorf("%s: %v", file, err)
	}
	m.File = file
	return m, m.Check()
}

// Check validates the manifest: a plugin name, skills of format gpt with
// a description, declared inputs and a template whose placeholders name
// declared inputs.
func (m Manifest) Check() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", m.File, field, fmt.Sprintf(format, args...)))
	}
	if !pluginName.MatchString(m.Name) {
		bad("name", "%q: expected a lower-case word of letters, digits and hyphens (the plugin name)", m.Name)
	}
	if len(m.Skills) == 0 {
		bad("skills", "expected at least one skill")
	}
	seen := map[string]bool{}
	for i, s := range m.Skills {
		f := fmt.Sprintf("skills[%d]", i)
		if !skillName.MatchString(s.Name) {
			bad(f+".name", "%q: expected a name of letters and digits, e.g. ExplainAlert", s.Name)
		} else if n := len(m.Name) + len("__") + len(s.Name); n > maxToolName {
			bad(f+".name", "%q: the tool name %s__%s offered to models is %d characters; expected at most %d (shorten the plugin or skill name)", s.Name, m.Name, s.Name, n, maxToolName)
		} else if seen[strings.ToLower(s.Name)] {
			bad(f+".name", "%q is declared twice", s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		if !strings.EqualFold(s.Format, "gpt") {
			bad(f+".format", "%q: expected gpt (prompt-template skills are the only kind a manifest declares)", s.Format)
		}
		if strings.TrimSpace(s.Description) == "" {
			bad(f+".description", "expected a description (models choose tools by it)")
		}
		if strings.TrimSpace(s.Template) == "" {
			bad(f+".template", "expected the prompt template")
		}
		declared := map[string]bool{}
		for j, in := range s.Inputs {
			if !inputName.MatchString(in.Name) || declared[in.Name] {
				bad(fmt.Sprintf("%s.inputs[%d].name", f, j), "%q: expected a unique lower_case name", in.Name)
			}
			declared[in.Name] = true
		}
		for _, ref := range templateRef.FindAllStringSubmatch(s.Template, -1) {
			if !declared[ref[1]] {
				bad(f+".template", "{{%s}} names no declared input", ref[1])
			}
		}
	}
	return errors.Join(errs...)
}

// Spec returns the skill spec of one declared skill.
func (m Manifest) Spec(s ManifestSkill) skill.Spec {
	spec := skill.Spec{ID: m.Name + "." + s.Name, Name: s.Name, Description: strings.TrimSpace(s.Description), Examples: s.Examples, CacheTTL: -1}
	for _, in := range s.Inputs {
		si := skill.Input{Name: in.Name, Type: skill.TypeString, Required: in.Required, Description: in.Description}
		if in.Default != "" {
			si.Default = in.Default
		}
		spec.Inputs = append(spec.Inputs, si)
	}
	return spec
}

// LoadManifests reads every *.yaml and *.yml file of dir, sorted by name.
// All problems are reported together.
func LoadManifests(dir string) ([]Manifest, error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("llm.skills_dir: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ext := strings.ToLower(filepath.Ext(e.Name())); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []Manifest
	var errs []error
	plugins := map[string]string{}
	for _, n := range names {
		path := filepath.Join(dir, n)
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := ParseManifest(path, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := plugins[m.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: name: plugin %q is already declared by %s", path, m.Name, other))
			continue
		}
		plugins[m.Name] = path
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}
