package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/promptbooks"
)

// promptbookSource is where the promptbook commands read promptbooks and
// run them: the local data directory, or a server with --server.
type promptbookSource struct {
	e      *env
	remote remoteFlags
	dir    string
}

// library opens the local library; close releases the database.
func (s *promptbookSource) library(c *cobra.Command) (*copilot.Library, *copilotRuntime, error) {
	rt, err := s.e.openCopilot(c.Context(), "", copilot.Options{Workers: 1, Queue: 1})
	if err != nil {
		return nil, nil, err
	}
	dir := s.dir
	if dir == "" {
		dir = rt.cfg.Server.PromptbooksDir
	}
	return copilot.NewLibrary(promptbooks.FS, dir, rt.engine.Repo()), rt, nil
}

func (s *promptbookSource) list(c *cobra.Command) ([]copilot.Promptbook, error) {
	api, err := s.remote.client(s.e)
	if err != nil || api != nil {
		if err != nil {
			return nil, err
		}
		return api.promptbooks(c.Context())
	}
	lib, rt, err := s.library(c)
	if err != nil {
		return nil, err
	}
	defer rt.close()
	return lib.List(c.Context())
}

func (s *promptbookSource) get(c *cobra.Command, name string) (copilot.Promptbook, error) {
	api, err := s.remote.client(s.e)
	if err != nil {
		return copilot.Promptbook{}, err
	}
	if api != nil {
		return api.promptbook(c.Context(), name)
	}
	lib, rt, err := s.library(c)
	if err != nil {
		return copilot.Promptbook{}, err
	}
	defer rt.close()
	pb, err := lib.Get(c.Context(), name)
	if errors.Is(err, copilot.ErrNotFound) {
		return pb, usagef("promptbook %q: not found ('spotter promptbook list' shows them)", name)
	}
	return pb, err
}

func (s *promptbookSource) run(c *cobra.Command, name string, inputs map[string]string, sessionID string) (copilot.PromptbookRun, error) {
	api, err := s.remote.client(s.e)
	if err != nil {
		return copilot.PromptbookRun{}, err
	}
	if api != nil {
		return api.runPromptbook(c.Context(), name, inputs, sessionID)
	}
	lib, rt, err := s.library(c)
	if err != nil {
		return copilot.PromptbookRun{}, err
	}
	defer rt.close()
	pb, err := lib.Get(c.Context(), name)
	if errors.Is(err, copilot.ErrNotFound) {
		return copilot.PromptbookRun{}, usagef("promptbook %q: not found ('spotter promptbook list' shows them)", name)
	}
	if err != nil {
		return copilot.PromptbookRun{}, err
	}
	run, err := rt.engine.RunPromptbook(c.Context(), pb, inputs, sessionID, "cli")
	var ie *copilot.PromptbookInputError
	if _, ok := copilot.IsRequestError(err); ok || errors.As(err, &ie) || errors.Is(err, copilot.ErrNotFound) {
		return run, &usageError{err}
	}
	return run, err
}

func (e *env) promptbookCmd() *cobra.Command {
	src := &promptbookSource{e: e}
	cmd := &cobra.Command{
		Use:   "promptbook",
		Short: "List, show and run promptbooks: named sequences of prompts",
		Long: `Promptbooks are named, ordered prompts with <Input> placeholders, run together in one
session. Built-in promptbooks ship with Spotter; --promptbooks DIR adds the *.yaml files of
a directory; a server also has those created through its API. With --server URL --token T
the commands use that server instead of the local data directory.`,
	}
	cmd.PersistentFlags().StringVar(&src.dir, "promptbooks", "", "directory of promptbook YAML files (local mode)")
	src.remote.register(cmd.PersistentFlags())

	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List promptbooks by name",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			all, err := src.list(c)
			if err != nil {
				return err
			}
			if listJSON {
				return writeJSON(e.stdout, all)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSOURCE\tINPUTS\tDESCRIPTION")
			for _, pb := range all {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", pb.Name, pb.Source, inputList(pb), firstChars(pb.Description, 80))
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")

	var showJSON bool
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a promptbook's inputs and prompts",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("promptbook show: expected one promptbook name (see 'spotter promptbook list')")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			pb, err := src.get(c, args[0])
			if err != nil {
				return err
			}
			if showJSON {
				return writeJSON(e.stdout, pb)
			}
			fmt.Fprintf(e.stdout, "# %s (%s)\n\n%s\n", pb.Name, pb.Source, strings.TrimSpace(pb.Description))
			if len(pb.Tags) > 0 {
				fmt.Fprintf(e.stdout, "\nTags: %s\n", strings.Join(pb.Tags, ", "))
			}
			if len(pb.Inputs) > 0 {
				fmt.Fprintln(e.stdout, "\n## Inputs")
				for _, in := range pb.Inputs {
					req := ""
					if in.Required {
						req = " (required)"
					}
					fmt.Fprintf(e.stdout, "- %s%s: %s\n", in.Name, req, in.Description)
				}
			}
			fmt.Fprintln(e.stdout, "\n## Prompts")
			for i, p := range pb.Prompts {
				text := p.Content
				if text == "" {
					text = fmt.Sprintf("%s %v", p.SkillName, p.SkillInputs)
				}
				fmt.Fprintf(e.stdout, "%d. %s\n", i+1, text)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")

	var sessionID string
	var inputs []string
	var runJSON bool
	run := &cobra.Command{
		Use:   "run NAME [--input key=value ...] [--session ID]",
		Short: "Run a promptbook's prompts in order and print each answer",
		Example: `  spotter promptbook run suspicious-ip --input IP=185.220.101.47
  spotter promptbook run batch-ioc-reputation --input "Indicators=1.2.3.4 evil.example"`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("promptbook run: expected one promptbook name (see 'spotter promptbook list')")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			values := map[string]string{}
			for _, kv := range inputs {
				k, v, ok := strings.Cut(kv, "=")
				if k = strings.TrimSpace(k); !ok || k == "" {
					return usagef("--input %q: expected key=value", kv)
				}
				values[k] = v
			}
			r, err := src.run(c, args[0], values, sessionID)
			if err != nil && len(r.Steps) == 0 {
				return err
			}
			if r.SessionID != "" {
				fmt.Fprintf(e.stderr, "session %s\n", r.SessionID)
			}
			if runJSON {
				if jerr := writeJSON(e.stdout, r); jerr != nil {
					return jerr
				}
			} else {
				for _, st := range r.Steps {
					ask := st.Prompt.Content
					if ask == "" {
						ask = fmt.Sprintf("%s %v", st.Prompt.SkillName, st.Prompt.SkillInputs)
					}
					fmt.Fprintf(e.stdout, "## %d. %s\n\n_%s, %s_\n\n%s\n\n", st.Prompt.Seq, ask, st.Evaluation.State, st.Evaluation.ResultType, strings.TrimSpace(st.Evaluation.Content))
				}
			}
			if err != nil {
				return err
			}
			if !r.Completed {
				return fmt.Errorf("promptbook %s: not every prompt completed (session %s)", args[0], r.SessionID)
			}
			return nil
		},
	}
	run.Flags().StringVar(&sessionID, "session", "", "continue this session (default: a new one)")
	run.Flags().StringArrayVarP(&inputs, "input", "i", nil, "a promptbook input as key=value (repeatable)")
	run.Flags().BoolVar(&runJSON, "json", false, "print the run as JSON")
	cmd.AddCommand(list, show, run)
	return cmd
}

func inputList(pb copilot.Promptbook) string {
	var names []string
	for _, in := range pb.Inputs {
		n := in.Name
		if in.Required {
			n += "*"
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}
