package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/spotter-soc/spotter/internal/config"
)

func (e *env) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as YAML, secrets redacted",
		Long: `Prints the configuration after defaults, the file and the environment are applied.
Plugin settings whose names mark them as secret (key, secret, token, password) are
shown as <secret> when set.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig()
			if err != nil {
				return err
			}
			if cfg.Source != "" {
				fmt.Fprintf(e.stdout, "# from %s and the environment\n", cfg.Source)
			} else {
				fmt.Fprintln(e.stdout, "# defaults and the environment (no configuration file)")
			}
			enc := yaml.NewEncoder(e.stdout)
			enc.SetIndent(2)
			defer enc.Close()
			return enc.Encode(cfg.Redacted())
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "keys",
		Short: "List every configuration key with its environment variable",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			for _, k := range config.Keys() {
				fmt.Fprintf(e.stdout, "%-40s %s%s\n", k, config.EnvPrefix, strings.ToUpper(strings.ReplaceAll(k, ".", "_")))
			}
			fmt.Fprintf(e.stdout, "%-40s %s\n", "plugins.<plugin>.<setting>", config.EnvPrefix+"<PLUGIN>_<SETTING>")
			for _, k := range config.MapKeys() {
				if k != "plugins" {
					fmt.Fprintf(e.stdout, "%-40s %s\n", k+".<name>", "(configuration file only)")
				}
			}
			return nil
		},
	})
	return cmd
}
