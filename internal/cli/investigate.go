package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/intel"
	"github.com/spotter-soc/spotter/internal/playbook"
	intelplugin "github.com/spotter-soc/spotter/internal/plugins/intel"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

func (e *env) investigateCmd() *cobra.Command {
	var (
		format   string
		out      string
		maxChars int
		noCache  bool
		intelIn  []string
		pbFile   string
	)
	cmd := &cobra.Command{
		Use:   "investigate FILE|-",
		Short: "Investigate a Sentinel incident and write the report",
		Long: `Reads a Microsoft Sentinel incident from FILE (or standard input for -), extracts and
categorises its entities and the indicators in its free text, runs every enrichment
source that is enabled and configured, and writes the investigation report.

The work is done by the built-in playbook incident-enrichment. --playbook FILE runs
your copy instead ('spotter playbook show incident-enrichment > mine.yaml' prints the
built-in one to start from); it is linted first, and problems are reported as
file:line:col with exit code 2. Of the inputs the playbook declares, the enrich.*
switches set ips, accounts, hosts, processes, hashes, urls, domains and mail, and
report.max_chars (or --max-chars) sets presummarise_threshold. enrich.timeout bounds
the skill calls: a source that runs out of time is listed as failed in the report,
which is still written from what came back.

Accepted input shapes, detected automatically:
  - the body a Sentinel automation rule sends to a playbook's incident trigger
    ({"object": {"properties": {..., "relatedEntities": [...]}}, "workspaceInfo": ...});
  - {"incident": <ARM incident>, "entities": [<ARM entity>, ...]};
  - {"incident": <ARM incident>, "entities": {"entities": [...], "metaData": [...]}}
    (the list-entities response as returned by the API);
  - an ARM incident resource on its own.

--intel FILE imports a feed into the local intelligence store first (the same as
'spotter intel import FILE'; importing it again changes nothing), so its indicators are
matched offline.

Exit codes: 0 success, 2 bad input (the message names the file, the JSON path and
what was expected, or the playbook's problems), 1 other failures (the report could not
be written, or the playbook run did not succeed; whatever report it composed is still
written). Sources that fail are listed in the report and do not change the exit code.`,
		Example: `  spotter investigate examples/phishing-credential-theft.json
  spotter investigate --format html --out report.html incident.json
  spotter investigate --playbook mine.yaml incident.json
  az rest ... | spotter investigate --format json -`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("investigate: expected one argument, the incident file or - for standard input (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			rt, err := e.openRuntime(c.Context(), true)
			if err != nil {
				return err
			}
			defer rt.close()
			cfg := rt.cfg
			if !c.Flags().Changed("format") {
				format = cfg.Report.Format
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return usagef("--format: %v", err)
			}
			if !c.Flags().Changed("max-chars") {
				maxChars = cfg.Report.MaxChars
			}
			if maxChars < 0 {
				return usagef("--max-chars %d: expected 0 (no limit) or a positive number", maxChars)
			}
			data, err := e.readInput(args[0])
			if err != nil {
				return err
			}
			inc, err := incident.Parse(data)
			if err != nil {
				var ie *incident.InputError
				if errors.As(err, &ie) {
					return &incident.InputError{Path: inputName(args[0]) + ": " + ie.Path, Msg: ie.Msg}
				}
				return fmt.Errorf("%s: %w", inputName(args[0]), err)
			}
			pb, err := e.investigatePlaybook(rt, pbFile)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if err := e.importIntel(ctx, rt, intelIn); err != nil {
				return err
			}
			specs, err := e.enrichingSkills(ctx, rt)
			if err != nil {
				return err
			}
			in := &playbook.Interpreter{Invoker: invoker{gw: rt.gw, noCache: noCache}, Skills: specs, Options: incidentOptions(cfg),
				Summarize: rt.llm.summarizeHook(), CallDeadline: time.Now().Add(cfg.Enrich.Timeout)}
			// enrich.timeout bounds the calls; the report is then composed
			// from what came back, with the sources that ran out of time
			// listed as failed. The grace bounds composing and summarising.
			rctx, cancel := context.WithTimeout(rt.llm.withRun(ctx), cfg.Enrich.Timeout+reportGrace)
			defer cancel()
			res, err := in.Run(rctx, pb, playbook.Request{Trigger: playbook.TriggerIncident, Incident: inc,
				Inputs: investigateInputs(pb, cfg, f, maxChars)})
			if err != nil {
				return usagef("%s: %v", pb.File, err)
			}
			failed := runFailure(pb, res, rctx.Err(), cfg.Enrich.Timeout)
			if res.Report == nil {
				if failed != nil {
					return failed
				}
				return fmt.Errorf("playbook %s composed no report (add a report step)", pb.Name)
			}
			r := res.Report
			for _, m := range rt.gw.Metrics() {
				if m.Calls+m.CacheHits+m.Deduplicated == 0 {
					continue
				}
				r.Stats.Providers = append(r.Stats.Providers, report.ProviderStats{
					Provider: m.Provider, Calls: m.Calls, CacheHits: m.CacheHits, Deduplicated: m.Deduplicated,
					Retries: m.Retries, ThrottledWaits: m.ThrottledWaits, Errors: m.Errors,
					PromptTokens: m.PromptTokens, CompletionTokens: m.CompletionTokens, CostUSD: m.CostUSD,
				})
			}
			if err := e.writeOutput(out, func(w io.Writer) error {
				return report.Render(w, r, f, report.Options{MaxChars: maxChars})
			}); err != nil {
				return err
			}
			return failed
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "md", "report format: md, html or json (default from report.format)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the report to FILE instead of standard output")
	cmd.Flags().StringArrayVar(&intelIn, "intel", nil, "import a threat-intelligence feed file (STIX, MISP, CSV or a plain list) into the local store before investigating; repeatable, idempotent")
	cmd.Flags().StringVar(&pbFile, "playbook", "", "run this playbook FILE instead of the built-in incident-enrichment (linted first)")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "ignore cached skill results and ask every provider again")
	cmd.Flags().IntVar(&maxChars, "max-chars", 30000, "size budget for md and html, met by aggregating detail (0: no limit; default from report.max_chars)")
	return cmd
}

// reportGrace is how long an investigation may take past enrich.timeout
// to compose (and summarise) its report.
const reportGrace = 30 * time.Second

// investigatePlaybook loads the playbook investigate runs: the built-in
// enrichment, or FILE linted against the configured skills.
func (e *env) investigatePlaybook(rt *runtime, file string) (*playbook.Playbook, error) {
	if file == "" {
		return playbook.Builtin(playbook.EnrichmentName)
	}
	data, err := e.readInput(file)
	if err != nil {
		return nil, usagef("--playbook %v", err)
	}
	pb, diags := playbook.Check(inputName(file), data, playbook.LintOptions{Skill: func(n string) (skill.Spec, bool) {
		s, err := rt.gw.Skill(n)
		return s, err == nil
	}})
	if len(diags) > 0 {
		return nil, &usageError{fmt.Errorf("--playbook %s does not lint (%d problem%s):\n%w", file, len(diags), plural(len(diags)), diags)}
	}
	return pb, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// investigateInputs maps the configuration and flags onto the inputs the
// playbook declares: the per-type switches (enrich.*), the report budget
// (presummarise_threshold or max_chars) and the report format. Inputs the
// playbook does not declare are left out, so a trimmed copy still runs.
func investigateInputs(pb *playbook.Playbook, cfg config.Config, f report.Format, maxChars int) map[string]any {
	known := enrichmentInputs(cfg)
	known["presummarise_threshold"], known["max_chars"], known["format"] = maxChars, maxChars, string(f)
	given := map[string]any{}
	for _, in := range pb.Inputs {
		if v, ok := known[in.Name]; ok {
			given[in.Name] = v
		}
	}
	return given
}

// runFailure is the error for a run that did not succeed, nil otherwise.
func runFailure(pb *playbook.Playbook, res *playbook.Result, ctxErr error, timeout time.Duration) error {
	if res.Status == playbook.StatusSucceeded {
		return nil
	}
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		return fmt.Errorf("playbook %s %s: the run exceeded enrich.timeout (%s): %s", pb.Name, res.Status, timeout, res.Message)
	}
	return fmt.Errorf("playbook %s %s: %s", pb.Name, res.Status, res.Message)
}

// importIntel imports feed files into the local intelligence store.
func (e *env) importIntel(ctx context.Context, rt *runtime, files []string) error {
	if len(files) == 0 {
		return nil
	}
	st, err := rt.db.store()
	if err != nil {
		return err
	}
	is := intel.NewStore(st)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return usagef("--intel %s: no such file or directory", f)
		}
		rep, err := is.ImportPath(ctx, f, intel.ImportOptions{})
		if err != nil {
			return &usageError{fmt.Errorf("--intel %s: %w", f, err)}
		}
		fmt.Fprintf(e.stderr, "spotter: --intel %s: %s\n", f, rep.Summary())
	}
	return nil
}

// enrichingSkills lists the configured skills an investigation asks. The
// local intelligence lookup is left out while its store is empty, so the
// report keeps saying what would fill the IP and indicator sections.
func (e *env) enrichingSkills(ctx context.Context, rt *runtime) ([]skill.Spec, error) {
	var out []skill.Spec
	for _, s := range rt.gw.Configured() {
		if s.ID == intelplugin.LookupID {
			has, err := e.intelHasData(ctx, rt)
			if err != nil {
				return nil, err
			}
			if !has {
				continue
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// intelHasData reports whether the local store holds any indicator,
// without creating a database that does not exist yet.
func (e *env) intelHasData(ctx context.Context, rt *runtime) (bool, error) {
	if rt.cfg.Database.URL == "" {
		if _, err := os.Stat(filepath.Join(rt.cfg.DataDir, store.FileName)); err != nil {
			return false, nil
		}
	}
	st, err := rt.db.store()
	if err != nil {
		return false, err
	}
	empty, err := intel.NewStore(st).Empty(ctx)
	return !empty, err
}
