package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/cmdline"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/plugins/scriptanalyzer"
	"github.com/spotter-soc/spotter/internal/skill"
)

func (e *env) analyzeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "analyze",
		Short: "Analyse artefacts locally (command lines)",
	}
	var (
		file                        string
		asJSON, noCache             bool
		osName, image, parent, user string
	)
	cl := &cobra.Command{
		Use:   `cmdline "COMMAND LINE"... | --file F`,
		Short: "Judge command lines with the built-in and user Sigma rules",
		Long: `Analyses command lines offline: plain standard executions are skipped, obfuscation is
decoded layer by layer (PowerShell -EncodedCommand, FromBase64String, base64 -d pipes,
carets, backticks, quote splitting, string concatenation, [char] codes, URL encoding),
and every layer is matched against the built-in rule pack plus the Sigma
process_creation rules in plugins.scriptanalyzer.rules_dirs. Each line gets a verdict
(malicious, suspicious, benign, unknown) with a score, the rules that matched and why,
the decoded forms and the indicators found in them.

--file reads one command line per line (blank lines are ignored). --json prints one
JSON object per input line with cmdline, verdict, score, skipped, rules, decoded and
indicators.`,
		Example: `  spotter analyze cmdline "powershell -nop -w hidden -enc SQBFAFgA..."
  spotter analyze cmdline --file cmdlines.txt --json`,
		RunE: func(c *cobra.Command, args []string) error {
			lines := args
			if file != "" {
				if len(args) > 0 {
					return usagef("analyze cmdline: give command lines as arguments or --file, not both")
				}
				data, err := e.readInput(file)
				if err != nil {
					return err
				}
				lines = splitLines(data)
			}
			if len(lines) == 0 {
				return usagef("analyze cmdline: expected at least one command line (as an argument or with --file)")
			}
			rt, err := e.openRuntime(c.Context(), true)
			if err != nil {
				return err
			}
			defer rt.close()
			ctx, cancel := context.WithTimeout(c.Context(), rt.cfg.Enrich.Timeout)
			defer cancel()
			for _, batch := range skill.Batches(lines, scriptanalyzer.MaxLines) {
				raw := map[string]any{"cmdlines": batch}
				for k, v := range map[string]string{"os": osName, "image": image, "parent": parent, "user": user} {
					if v != "" {
						raw[k] = v
					}
				}
				res, err := rt.gw.Invoke(ctx, scriptanalyzer.ID, raw, gateway.InvokeOptions{NoCache: noCache})
				if err != nil {
					var ie *skill.InputError
					if errors.As(err, &ie) {
						return &usageError{err}
					}
					return err
				}
				analyses, err := decodeAnalyses(res.Data)
				if err != nil {
					return err
				}
				for _, a := range analyses {
					if asJSON {
						if err := writeJSONLine(e.stdout, a); err != nil {
							return err
						}
						continue
					}
					printAnalysis(e.stdout, a)
				}
			}
			return nil
		},
	}
	cl.Flags().StringVar(&file, "file", "", "read command lines from FILE (- for standard input), one per line")
	cl.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per command line")
	cl.Flags().BoolVar(&noCache, "no-cache", false, "analyse again instead of reusing cached results")
	cl.Flags().StringVar(&osName, "os", "", "operating system of the lines: windows, linux or macos (guessed when empty)")
	cl.Flags().StringVar(&image, "image", "", "executable path of the process, when known")
	cl.Flags().StringVar(&parent, "parent", "", "parent process image or command line, when known")
	cl.Flags().StringVar(&user, "user", "", "account that ran the process, when known")
	cmd.AddCommand(cl)
	return cmd
}

// decodeAnalyses turns the skill's data (generic JSON after the gateway) back into analyses.
func decodeAnalyses(data any) ([]cmdline.Analysis, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	var out []cmdline.Analysis
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("scriptanalyzer: unexpected result shape: %w", err)
	}
	return out, nil
}

func splitLines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func printAnalysis(w io.Writer, a cmdline.Analysis) {
	state := fmt.Sprintf("%s %d", a.Verdict, a.Score)
	if a.Skipped {
		state = "skipped (standard execution)"
	}
	fmt.Fprintf(w, "%s\n  %s\n", a.CommandLine, state)
	for _, r := range a.Rules {
		fmt.Fprintf(w, "  - %s\n", r.Explanation())
	}
	for i, d := range a.Decoded {
		fmt.Fprintf(w, "  decoded %d (%s): %s\n", i+1, d.Technique, clipLine(d.Text, 400))
	}
	if n := a.Indicators.Len(); n > 0 {
		var vals []string
		for _, l := range [][]string{a.Indicators.URLs, a.Indicators.Domains, a.Indicators.IPv4, a.Indicators.IPv6, a.Indicators.SHA256, a.Indicators.SHA1, a.Indicators.MD5} {
			vals = append(vals, l...)
		}
		if len(vals) > 0 {
			fmt.Fprintf(w, "  indicators: %s\n", strings.Join(vals, ", "))
		}
	}
	fmt.Fprintln(w)
}

func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
