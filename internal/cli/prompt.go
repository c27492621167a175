package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/copilot"
)

func (e *env) promptCmd() *cobra.Command {
	var sessionID, skillName string
	var pluginScope, inputs []string
	var asJSON bool
	var remote remoteFlags
	cmd := &cobra.Command{
		Use:   `prompt ["TEXT"] [--session ID] [--plugins a,b] [--skill NAME --input k=v ...]`,
		Short: "Ask the copilot a question, or run one skill, in a session",
		Long: `Submits a prompt against the local data directory and prints the answer in Markdown.
Without --session a new session is created; its id is printed on standard error, so a
follow-up can refer to earlier results ("Is this IP on VirusTotal?"). --plugins limits
the skills the planner may use. --skill with --input key=value runs one skill directly;
its inputs are checked against the skill's spec and every problem is reported at once.

A prompt the planner cannot map is answered with suggested skills (result "rejected").
With --server URL --token T the prompt runs on that Spotter server instead; the output is the same.
Exit codes: 0 answered (also rejected), 2 invalid prompt, 1 the evaluation failed.`,
		Example: `  spotter prompt "Is 185.220.101.47 malicious?"
  spotter prompt --session ses_... "Check this IP on VirusTotal"
  spotter prompt --skill abuseipdb.CheckIP --input ip=185.220.101.47 --json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("prompt: expected the prompt text as one argument (quote it)")
			}
			if len(args) == 0 && skillName == "" {
				return usagef("prompt: expected the prompt text, or --skill NAME with --input key=value")
			}
			if len(args) == 1 && skillName != "" {
				return usagef("prompt: expected either the prompt text or --skill, not both")
			}
			if len(inputs) > 0 && skillName == "" {
				return usagef("--input: only with --skill")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			req := copilot.PromptRequest{SkillName: skillName, Plugins: splitList(pluginScope)}
			if len(args) == 1 {
				req.Content = args[0]
			}
			if skillName != "" {
				raw, err := parseInputs(inputs)
				if err != nil {
					return err
				}
				req.SkillInputs = raw
			}
			p, ev, err := e.submitPrompt(c, &remote, sessionID, req)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(e.stdout, map[string]any{"prompt": p, "evaluation": ev}); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(e.stdout, strings.TrimSpace(ev.Content))
				if u := ev.Usage; u.ModelCalls > 0 {
					fmt.Fprintf(e.stderr, "spotter: %s: %d model calls, %d prompt + %d completion tokens, about $%.4f\n",
						ev.Planner, u.ModelCalls, u.PromptTokens, u.CompletionTokens, u.CostUSD)
				}
			}
			if ev.State != copilot.StateCompleted {
				return fmt.Errorf("evaluation %s %s (%s): %s", ev.ID, ev.State, ev.ResultType, ev.Error)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&sessionID, "session", "", "continue this session (default: a new one)")
	cmd.Flags().StringSliceVar(&pluginScope, "plugins", nil, "plugins the planner may use (comma-separated)")
	cmd.Flags().StringVar(&skillName, "skill", "", "run this skill directly (id or alias)")
	cmd.Flags().StringArrayVarP(&inputs, "input", "i", nil, "a skill input as key=value (repeatable; with --skill)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the prompt and its evaluation as JSON")
	remote.register(cmd.Flags())
	return cmd
}

// submitPrompt runs a prompt in a session (a new one when sessionID is
// empty) locally or, with --server, on a Spotter server, and waits for its
// evaluation.
func (e *env) submitPrompt(c *cobra.Command, remote *remoteFlags, sessionID string, req copilot.PromptRequest) (copilot.Prompt, copilot.Evaluation, error) {
	ctx := c.Context()
	sessionName := req.Content
	if sessionName == "" {
		sessionName = req.SkillName
	}
	api, err := remote.client(e)
	if err != nil {
		return copilot.Prompt{}, copilot.Evaluation{}, err
	}
	if api != nil {
		if sessionID == "" {
			s, err := api.createSession(ctx, firstChars(sessionName, 80))
			if err != nil {
				return copilot.Prompt{}, copilot.Evaluation{}, err
			}
			sessionID = s.ID
			fmt.Fprintf(e.stderr, "session %s\n", sessionID)
		}
		return api.submit(ctx, sessionID, req)
	}
	rt, err := e.openCopilot(ctx, "", copilot.Options{Workers: 1, Queue: 1})
	if err != nil {
		return copilot.Prompt{}, copilot.Evaluation{}, err
	}
	defer rt.close()
	if err := copilot.CheckRequest(rt.engine.Invoker(), req); err != nil {
		return copilot.Prompt{}, copilot.Evaluation{}, &usageError{err}
	}
	repo := rt.engine.Repo()
	if sessionID == "" {
		s, err := repo.CreateSession(ctx, firstChars(sessionName, 80), "cli")
		if err != nil {
			return copilot.Prompt{}, copilot.Evaluation{}, err
		}
		sessionID = s.ID
		fmt.Fprintf(e.stderr, "session %s\n", sessionID)
	} else if _, err := repo.Session(ctx, sessionID); err != nil {
		if errors.Is(err, copilot.ErrNotFound) {
			return copilot.Prompt{}, copilot.Evaluation{}, usagef("--session %s: no such session ('spotter sessions list' shows them)", sessionID)
		}
		return copilot.Prompt{}, copilot.Evaluation{}, err
	}
	p, ev, err := rt.engine.Submit(ctx, sessionID, req, "cli")
	if re, ok := copilot.IsRequestError(err); ok {
		return copilot.Prompt{}, copilot.Evaluation{}, &usageError{re}
	}
	if err != nil {
		return copilot.Prompt{}, copilot.Evaluation{}, err
	}
	ev, err = rt.engine.Wait(ctx, sessionID, ev.ID)
	return p, ev, err
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func firstChars(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

func (e *env) sessionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List copilot sessions, or show one with its prompts and answers",
	}
	var remote remoteFlags
	remote.register(cmd.PersistentFlags())
	var asJSON bool
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List sessions, most recently used first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var all []copilot.Session
			api, err := remote.client(e)
			if err != nil {
				return err
			}
			if api != nil {
				all, err = api.sessions(c.Context(), limit)
			} else {
				rt, oerr := e.openCopilot(c.Context(), "", copilot.Options{Workers: 1, Queue: 1})
				if oerr != nil {
					return oerr
				}
				defer rt.close()
				all, err = rt.engine.Repo().ListSessions(c.Context(), limit)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, all)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tUPDATED\tNAME")
			for _, s := range all {
				fmt.Fprintf(w, "%s\t%s\t%s\n", s.ID, s.UpdatedAt.Format("2006-01-02 15:04"), s.Name)
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.Flags().IntVar(&limit, "limit", 50, "most sessions to list")

	var showJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a session's prompts and evaluations in order",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("sessions show: expected one session id (see 'spotter sessions list')")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			var d copilot.SessionDetail
			api, err := remote.client(e)
			if err != nil {
				return err
			}
			if api != nil {
				d, err = api.session(c.Context(), args[0])
			} else {
				rt, oerr := e.openCopilot(c.Context(), "", copilot.Options{Workers: 1, Queue: 1})
				if oerr != nil {
					return oerr
				}
				defer rt.close()
				d, err = rt.engine.Repo().SessionDetail(c.Context(), args[0])
			}
			if errors.Is(err, copilot.ErrNotFound) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			if showJSON {
				return writeJSON(e.stdout, d)
			}
			fmt.Fprintf(e.stdout, "# Session %s %s\n", d.ID, d.Name)
			for _, p := range d.Prompts {
				ask := p.Content
				if ask == "" {
					ask = fmt.Sprintf("%s %v", p.SkillName, p.SkillInputs)
				}
				fmt.Fprintf(e.stdout, "\n## %d. %s\n\n", p.Seq, ask)
				if ev := p.Evaluation; ev != nil {
					fmt.Fprintf(e.stdout, "_%s, %s_\n\n%s\n", ev.State, ev.ResultType, strings.TrimSpace(ev.Content))
				}
			}
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	cmd.AddCommand(list, show)
	return cmd
}
