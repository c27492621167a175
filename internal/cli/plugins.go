package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (e *env) pluginsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List plugins, their settings and whether each is configured",
		Long: `Lists every plugin with its settings and whether it is configured. Settings come from
spotter.yaml (plugins.<plugin>.<setting>) or SPOTTER_<PLUGIN>_<SETTING>. Secret settings
are shown only as set or unset; their values are never printed. A plugin missing a
required setting is "not configured" and its skills are skipped with that reason.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rt, err := e.openRuntime(c.Context(), false)
			if err != nil {
				return err
			}
			defer rt.close()
			status := rt.gw.Status()
			if asJSON {
				return writeJSON(e.stdout, status)
			}
			for i, p := range status {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				state := "configured"
				if !p.Configured {
					state = "not configured: " + p.Reason
				}
				fmt.Fprintf(e.stdout, "%s — %s\n  %s\n", p.Name, p.Description, state)
				for _, s := range p.Settings {
					val := s.Value
					switch {
					case s.Secret && s.Set:
						val = "(set)"
					case s.Secret || !s.Set:
						val = "(unset)"
					}
					req := ""
					if s.Required {
						req = " required"
					}
					fmt.Fprintf(e.stdout, "  %-22s %s%s\n", s.Name, val, req)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
