package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
)

// skillJSON is the listing form of a skill.
type skillJSON struct {
	ID          string      `json:"id"`
	Plugin      string      `json:"plugin"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Aliases     []string    `json:"aliases"`
	Examples    []string    `json:"examples"`
	Enriches    []string    `json:"enriches"`
	Section     string      `json:"section,omitempty"`
	Configured  bool        `json:"configured"`
	Inputs      []inputJSON `json:"inputs"`
}

type inputJSON struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`
	Default     any      `json:"default,omitempty"`
	Enum        []string `json:"enum,omitempty"`
}

func (e *env) skillsCmd() *cobra.Command {
	var plugin string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "skills",
		Short: "List every skill with its inputs",
		Long: `Lists every skill of every plugin: its id (<plugin>.<Skill>), aliases, description, the
indicator types it enriches, whether its plugin is configured, and its inputs (name,
type, required, default, description). --json prints a list of objects with at least
id, plugin, description and inputs [{name, type, required, description}].`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rt, err := e.openRuntime(c.Context(), false)
			if err != nil {
				return err
			}
			defer rt.close()
			configured := map[string]bool{}
			for _, s := range rt.gw.Configured() {
				configured[s.ID] = true
			}
			var list []skillJSON
			found := false
			for _, p := range rt.gw.Status() {
				if plugin != "" && !strings.EqualFold(p.Name, plugin) {
					continue
				}
				found = true
				for _, id := range p.Skills {
					s, err := rt.gw.Skill(id)
					if err != nil {
						return err
					}
					list = append(list, toJSON(s, configured[s.ID]))
				}
			}
			if plugin != "" && !found {
				return usagef("--plugin %q: no such plugin ('spotter plugins' lists them)", plugin)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
			if asJSON {
				return writeJSON(e.stdout, list)
			}
			return printSkills(e.stdout, list)
		},
	}
	cmd.Flags().StringVar(&plugin, "plugin", "", "only the skills of this plugin")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func toJSON(s skill.Spec, configured bool) skillJSON {
	j := skillJSON{ID: s.ID, Plugin: s.Plugin(), Name: s.Name, Description: s.Description, Aliases: nonNilStrings(s.Aliases),
		Examples: nonNilStrings(s.Examples), Enriches: nonNilStrings(s.Enriches), Section: s.Section, Configured: configured, Inputs: []inputJSON{}}
	for _, in := range s.Inputs {
		j.Inputs = append(j.Inputs, inputJSON{Name: in.Name, Type: string(in.Type), Required: in.Required, Description: in.Description, Default: in.Default, Enum: in.Enum})
	}
	return j
}

func printSkills(w io.Writer, list []skillJSON) error {
	plugin := ""
	for _, s := range list {
		if s.Plugin != plugin {
			if plugin != "" {
				fmt.Fprintln(w)
			}
			plugin = s.Plugin
			fmt.Fprintf(w, "%s\n", plugin)
		}
		state := "not configured"
		if s.Configured {
			state = "ready"
		}
		fmt.Fprintf(w, "  %s  (%s)\n", s.ID, state)
		if len(s.Aliases) > 0 {
			fmt.Fprintf(w, "    aliases: %s\n", strings.Join(s.Aliases, ", "))
		}
		fmt.Fprintf(w, "    %s\n", s.Description)
		for _, in := range s.Inputs {
			req := "optional"
			if in.Required {
				req = "required"
			}
			def := ""
			if in.Default != nil {
				def = fmt.Sprintf(", default %v", in.Default)
			}
			fmt.Fprintf(w, "    --input %s=<%s>  %s%s: %s\n", in.Name, in.Type, req, def, in.Description)
		}
	}
	return nil
}

func (e *env) skillCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "skill",
		Short: "Run one skill directly, or show its schema",
	}
	var inputs []string
	var asJSON, noCache bool
	run := &cobra.Command{
		Use:   "run NAME --input key=value ...",
		Short: "Invoke one skill directly",
		Long: `Invokes one skill by id or alias with inputs given as --input key=value (repeat the
flag; lists are comma-separated or a JSON array; a value starting with { or [ is read as
JSON). The call goes through the gateway: cached results are reused (--no-cache forces
a fresh lookup), provider rate limits and retries apply.

Exit codes: 0 success, 2 unknown skill or invalid inputs, 1 the plugin is not
configured or the provider failed.`,
		Example: `  spotter skill run abuseipdb.CheckIP --input ip=185.220.101.47
  spotter skill run GetReputationsForIndicators --input indicators=185.220.101.47,evil-cdn.com --json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("skill run: expected the skill id or alias (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			raw, err := parseInputs(inputs)
			if err != nil {
				return err
			}
			rt, err := e.openRuntime(c.Context(), true)
			if err != nil {
				return err
			}
			defer rt.close()
			ctx, cancel := context.WithTimeout(c.Context(), rt.cfg.Enrich.Timeout)
			defer cancel()
			res, err := rt.gw.Invoke(ctx, args[0], raw, gateway.InvokeOptions{NoCache: noCache})
			var ie *skill.InputError
			if errors.Is(err, skill.ErrNotFound) || errors.As(err, &ie) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, res)
			}
			return printResult(e.stdout, res)
		},
	}
	run.Flags().StringArrayVarP(&inputs, "input", "i", nil, "an input as key=value (repeatable)")
	run.Flags().BoolVar(&asJSON, "json", false, "print the whole result as JSON")
	run.Flags().BoolVar(&noCache, "no-cache", false, "ignore cached results and ask the provider again")

	var tool bool
	show := &cobra.Command{
		Use:   "schema NAME",
		Short: "Print a skill's input JSON schema (or, with --tool, its LLM tool definition)",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("skill schema: expected the skill id or alias")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			rt, err := e.openRuntime(c.Context(), false)
			if err != nil {
				return err
			}
			defer rt.close()
			s, err := rt.gw.Skill(args[0])
			if err != nil {
				return &usageError{err}
			}
			if tool {
				return writeJSON(e.stdout, s.Tool())
			}
			return writeJSON(e.stdout, s.JSONSchema())
		},
	}
	show.Flags().BoolVar(&tool, "tool", false, "print the function-calling tool definition instead")
	cmd.AddCommand(run, show)
	return cmd
}

// parseInputs reads key=value pairs; values starting with { or [ are JSON.
func parseInputs(pairs []string) (map[string]any, error) {
	raw := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usagef("--input %q: expected key=value", p)
		}
		if _, dup := raw[k]; dup {
			return nil, usagef("--input %s given twice", k)
		}
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			var j any
			if err := json.Unmarshal([]byte(t), &j); err != nil {
				return nil, usagef("--input %s: value looks like JSON but does not parse: %v", k, err)
			}
			raw[k] = j
			continue
		}
		raw[k] = v
	}
	return raw, nil
}

func printResult(w io.Writer, r *skill.Result) error {
	if r.Cached {
		fmt.Fprintf(w, "(from cache, %s)\n\n", r.CachedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if r.Summary != "" {
		fmt.Fprintln(w, strings.TrimSpace(r.Summary))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "\nVerdicts:")
		for _, f := range r.Findings {
			fmt.Fprintf(w, "  %-10s %3d  %s  %s", f.Level, f.Score, f.Indicator, f.Summary)
			if f.Link != "" {
				fmt.Fprintf(w, "  <%s>", f.Link)
			}
			fmt.Fprintln(w)
		}
	}
	for _, l := range r.Links {
		fmt.Fprintf(w, "  %s\n", l)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
