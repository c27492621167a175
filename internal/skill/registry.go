package skill

import (
	"fmt"
	"sort"
	"strings"
)

// Registry holds plugins. It is a value: tests build their own; the binary
// builds one with every built-in plugin (see package plugins).
type Registry struct {
	plugins map[string]Plugin
	names   []string
	skills  map[string]Spec   // by id, lower-cased
	aliases map[string]string // lower-cased alias -> id
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{plugins: map[string]Plugin{}, skills: map[string]Spec{}, aliases: map[string]string{}}
}

// Register adds a plugin after checking its declarations: a unique name,
// skill ids under that name, no id or alias claimed twice.
func (r *Registry) Register(p Plugin) error {
	info := p.Info()
	if info.Name == "" || strings.ContainsAny(info.Name, ". _") || strings.ToLower(info.Name) != info.Name {
		return fmt.Errorf("plugin name %q: expected a lower-case word", info.Name)
	}
	if _, dup := r.plugins[info.Name]; dup {
		return fmt.Errorf("plugin %s registered twice", info.Name)
	}
	for _, s := range info.Settings {
		if s.Name == "" || strings.ToLower(s.Name) != s.Name {
			return fmt.Errorf("plugin %s: setting name %q: expected lower_case", info.Name, s.Name)
		}
	}
	ids, aliases := map[string]bool{}, map[string]bool{}
	for _, s := range info.Skills {
		if ids[strings.ToLower(s.ID)] {
			return fmt.Errorf("skill %s declared twice", s.ID)
		}
		ids[strings.ToLower(s.ID)] = true
		for _, a := range s.Aliases {
			if aliases[strings.ToLower(a)] {
				return fmt.Errorf("alias %s declared twice in plugin %s", a, info.Name)
			}
			aliases[strings.ToLower(a)] = true
		}
		if err := s.Check(); err != nil {
			return err
		}
		if s.Plugin() != info.Name {
			return fmt.Errorf("skill %s: id must start with %s.", s.ID, info.Name)
		}
		if _, dup := r.skills[strings.ToLower(s.ID)]; dup {
			return fmt.Errorf("skill %s declared twice", s.ID)
		}
		for _, a := range s.Aliases {
			if other, dup := r.aliases[strings.ToLower(a)]; dup {
				return fmt.Errorf("alias %s of %s is already taken by %s", a, s.ID, other)
			}
		}
	}
	r.plugins[info.Name] = p
	r.names = append(r.names, info.Name)
	sort.Strings(r.names)
	for _, s := range info.Skills {
		r.skills[strings.ToLower(s.ID)] = s
		for _, a := range s.Aliases {
			r.aliases[strings.ToLower(a)] = s.ID
		}
	}
	return nil
}

// MustRegister is Register for built-in plugins, whose declarations are checked by tests.
func (r *Registry) MustRegister(p Plugin) {
	if err := r.Register(p); err != nil {
		panic(err)
	}
}

// Plugin returns a registered plugin.
func (r *Registry) Plugin(name string) (Plugin, bool) {
	p, ok := r.plugins[strings.ToLower(name)]
	return p, ok
}

// Plugins lists the plugins' descriptions, sorted by name.
func (r *Registry) Plugins() []PluginInfo {
	out := make([]PluginInfo, 0, len(r.names))
	for _, n := range r.names {
		out = append(out, r.plugins[n].Info())
	}
	return out
}

// Specs lists every skill, sorted by id.
func (r *Registry) Specs() []Spec {
	out := make([]Spec, 0, len(r.skills))
	for _, s := range r.skills {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds a skill by id or alias, case-insensitively.
func (r *Registry) Lookup(name string) (Spec, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if s, ok := r.skills[key]; ok {
		return s, nil
	}
	if id, ok := r.aliases[key]; ok {
		return r.skills[strings.ToLower(id)], nil
	}
	var near []string
	for _, s := range r.skills {
		if strings.Contains(strings.ToLower(s.ID), key) {
			near = append(near, s.ID)
		}
	}
	sort.Strings(near)
	return Spec{}, &notFoundError{name: name, near: near}
}

type notFoundError struct {
	name string
	near []string
}

func (e *notFoundError) Error() string {
	msg := fmt.Sprintf("%q: no such skill", e.name)
	if len(e.near) > 0 {
		msg += "; did you mean " + strings.Join(e.near, ", ") + "?"
	}
	return msg + " ('spotter skills' lists them)"
}

func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }
