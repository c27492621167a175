package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/skill"
)

func (e *env) playbookCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "playbook",
		Short: "Lint, list, show and run playbooks",
		Long: `Playbooks are YAML: triggers, typed inputs, variables, steps (call a skill, for_each,
batch, if, parallel, set, append, report, write_file, webhook, terminate) and outputs.
The incident enrichment behind 'spotter investigate' is the built-in playbook
incident-enrichment: 'spotter playbook show incident-enrichment' prints it to copy and change.`,
	}
	cmd.AddCommand(e.playbookLintCmd(), e.playbookListCmd(), e.playbookShowCmd(), e.playbookRunCmd())
	return cmd
}

func (e *env) playbookLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check playbooks and report every problem as file:line:col",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("playbook lint: expected one or more playbook files")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			rt, err := e.openRuntime(c.Context(), false)
			if err != nil {
				return err
			}
			defer rt.close()
			opts := playbook.LintOptions{Skill: func(name string) (skill.Spec, bool) {
				s, err := rt.gw.Skill(name)
				return s, err == nil
			}}
			problems := 0
			for _, f := range args {
				data, err := e.readInput(f)
				if err != nil {
					return err
				}
				_, diags := playbook.Check(f, data, opts)
				for _, d := range diags {
					fmt.Fprintln(e.stdout, d.String())
				}
				problems += len(diags)
			}
			if problems > 0 {
				return fmt.Errorf("playbook lint: %d problem%s", problems, map[bool]string{true: "", false: "s"}[problems == 1])
			}
			return nil
		},
	}
}

func (e *env) playbookListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in playbooks",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDESCRIPTION")
			for _, name := range playbook.Builtins() {
				pb, err := playbook.Builtin(name)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\n", name, firstLine(pb.Description))
			}
			return tw.Flush()
		},
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func (e *env) playbookShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Print a built-in playbook's YAML",
		Example: "  spotter playbook show incident-enrichment > my-enrichment.yaml",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("playbook show: expected one built-in playbook name (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			data, err := playbook.BuiltinSource(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			_, err = e.stdout.Write(data)
			return err
		},
	}
}

func (e *env) playbookRunCmd() *cobra.Command {
	var (
		incidentFile string
		inputs       []string
		out          string
		noCache      bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE|NAME",
		Short: "Run a playbook file or a built-in playbook",
		Long: `Runs a playbook in process. --incident gives the incident the run is about (any shape
'spotter investigate' accepts); --input k=v sets an input (lists as a,b,c). The built-in
enrichment's switches and report budget default to the configuration (enrich.*,
report.max_chars). The report the playbook composes is written to standard output or
--out; a playbook without one prints its outputs as JSON.

Exit codes: 0 the run succeeded, 2 bad input or a playbook that does not lint, 1 otherwise.`,
		Example: `  spotter playbook run incident-enrichment --incident examples/phishing-credential-theft.json
  spotter playbook run mine.yaml --incident incident.json --input ips=false --input skip_accounts=svc@contoso.com`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("playbook run: expected one playbook file or built-in name (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			given, err := parseInputs(inputs)
			if err != nil {
				return err
			}
			rt, err := e.openRuntime(c.Context(), true)
			if err != nil {
				return err
			}
			defer rt.close()
			name, data, err := e.playbookSource(args[0])
			if err != nil {
				return err
			}
			pb, diags := playbook.Check(name, data, playbook.LintOptions{Skill: func(n string) (skill.Spec, bool) {
				s, err := rt.gw.Skill(n)
				return s, err == nil
			}})
			if len(diags) > 0 {
				return &usageError{diags}
			}
			cfg := rt.cfg
			if name == "builtin/"+playbook.EnrichmentName+".yaml" {
				addEnrichmentDefaults(given, cfg)
			}
			if _, err := playbook.ResolveInputs(pb, given); err != nil {
				return usagef("%s: %v", args[0], err)
			}
			req := playbook.Request{Trigger: playbook.TriggerManual, Inputs: given}
			if incidentFile != "" {
				raw, err := e.readInput(incidentFile)
				if err != nil {
					return err
				}
				inc, err := incident.Parse(raw)
				if err != nil {
					return &usageError{fmt.Errorf("--incident %s: %w", inputName(incidentFile), err)}
				}
				req.Incident, req.Trigger = inc, playbook.TriggerIncident
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			specs, err := e.enrichingSkills(ctx, rt)
			if err != nil {
				return err
			}
			in := &playbook.Interpreter{Invoker: invoker{gw: rt.gw, noCache: noCache}, Skills: specs, Options: incidentOptions(cfg)}
			res, err := in.Run(ctx, pb, req)
			if err != nil {
				return usagef("%s: %v", args[0], err)
			}
			werr := e.writeOutput(out, func(w io.Writer) error {
				if res.Rendered != "" {
					_, err := io.WriteString(w, res.Rendered)
					return err
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(res.Outputs)
			})
			if werr != nil {
				return werr
			}
			if res.Status != playbook.StatusSucceeded {
				return fmt.Errorf("playbook %s %s: %s", pb.Name, res.Status, res.Message)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&incidentFile, "incident", "", "the incident the run is about (FILE or - for standard input)")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "set an input, NAME=VALUE; repeatable")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the report (or the outputs) to FILE instead of standard output")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "ignore cached skill results and ask every provider again")
	return cmd
}

// playbookSource reads a playbook file, or a built-in playbook by name
// when no such file exists.
func (e *env) playbookSource(arg string) (string, []byte, error) {
	if _, err := os.Stat(arg); err == nil || arg == "-" {
		data, err := e.readInput(arg)
		return inputName(arg), data, err
	}
	data, err := playbook.BuiltinSource(arg)
	if err != nil {
		return "", nil, usagef("%s: no such file, and %v", arg, err)
	}
	return "builtin/" + arg + ".yaml", data, nil
}
