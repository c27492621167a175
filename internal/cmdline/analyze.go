package cmdline

import (
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Analysis is the result for one command line.
type Analysis struct {
	CommandLine string      `json:"cmdline"`
	OS          string      `json:"os,omitempty"`
	Verdict     skill.Level `json:"verdict"`
	Score       int         `json:"score"`
	// Skipped is set for a standard execution, which is not analysed.
	Skipped bool `json:"skipped"`
	// Rules are the matched rules, most severe first.
	Rules []RuleHit `json:"rules"`
	// Decoded are the layers after the original: Decoded[n-1] is layer n.
	Decoded []Layer `json:"decoded"`
	// Indicators are found in the original and every decoded layer.
	Indicators ioc.Set `json:"indicators"`
	Summary    string  `json:"summary"`
}

// RuleHit is a matched rule with what made it match.
type RuleHit struct {
	ID         string   `json:"id,omitempty"`
	Title      string   `json:"title"`
	Level      string   `json:"level"`
	Techniques []string `json:"techniques,omitempty"`
	Source     string   `json:"source"`
	Allow      bool     `json:"allow,omitempty"`
	// Layer is where the rule first matched: 0 the original, n the decoded layer n.
	Layer          int          `json:"layer"`
	LayerTechnique string       `json:"layer_technique"`
	Matched        []FieldMatch `json:"matched"`
}

// AnalyzerOptions configure an Analyzer.
type AnalyzerOptions struct {
	// SkipCommands are standard executions skipped in addition to
	// incident.DefaultStandardCommands (same syntax).
	SkipCommands []string
	// Deobfuscate bounds the decoding (zero values take the defaults).
	Deobfuscate DeobfuscateOptions
}

// Analyzer analyses command lines against a rule set. It is safe for
// concurrent use.
type Analyzer struct {
	rules *RuleSet
	std   *incident.StandardCommands
	deob  DeobfuscateOptions
}

// NewAnalyzer returns an analyser over rules (nil means no rules).
func NewAnalyzer(rules *RuleSet, opts AnalyzerOptions) *Analyzer {
	if rules == nil {
		rules = NewRuleSet(nil)
	}
	return &Analyzer{rules: rules, std: incident.NewStandardCommands(opts.SkipCommands, false), deob: opts.Deobfuscate}
}

// Rules returns the analyser's rule set.
func (a *Analyzer) Rules() *RuleSet { return a.rules }

// payloadTechniques produce script text rather than a new command line: the
// layer keeps the image of the process that runs the script.
var payloadTechniques = map[string]bool{TechEncodedCommand: true, TechBase64Literal: true}

// Analyze checks the standard-execution list, deobfuscates the line, runs
// the rules against the original and every decoded layer, scores the
// matches (see Score) and extracts indicators.
func (a *Analyzer) Analyze(in Input) Analysis {
	res := Analysis{CommandLine: in.CommandLine, Verdict: skill.Unknown, Rules: []RuleHit{}, Decoded: []Layer{}, Indicators: ioc.Extract("")}
	if strings.TrimSpace(in.CommandLine) == "" {
		res.Summary = "empty command line"
		return res
	}
	if a.std.IsStandard(in.CommandLine) {
		res.Skipped, res.Verdict, res.Summary = true, skill.Benign, "standard execution, not analysed"
		return res
	}
	os := in.ResolvedOS()
	opts := a.deob
	opts.OS = os
	layers := Deobfuscate(in.CommandLine, opts)
	if os == "" {
		for _, l := range layers[1:] {
			if os = GuessOS(l.Text, ""); os != "" {
				break
			}
		}
	}
	res.OS = os
	// An unknown OS is evaluated twice: Windows rules against a
	// Windows-shaped event (Image \name.exe) and the other rules against a
	// Unix-shaped one (Image /name), so that neither family's path tests
	// misfire on the other's conventions.
	type plan struct{ ruleOS, eventOS string }
	plans := []plan{{os, os}}
	if os == "" {
		plans = []plan{{OSWindows, OSWindows}, {osUnix, OSLinux}}
	}
	seen := map[*Rule]bool{}
	texts := make([]string, 0, len(layers))
	for _, l := range layers {
		texts = append(texts, l.Text)
	}
	for i := range layers[1:] {
		res.Decoded = append(res.Decoded, layers[i+1])
	}
	for _, p := range plans {
		pin := in
		pin.OS = p.eventOS
		events := make([]Event, len(layers))
		events[0] = BuildEvent(pin)
		for i, l := range layers {
			if i > 0 {
				ev := maps.Clone(events[l.From])
				ev[FieldCommandLine] = l.Text
				if in.Image == "" && !payloadTechniques[l.Technique] {
					if img := NormalizeImage(ImageFromCommandLine(l.Text, p.eventOS), p.eventOS); img != "" {
						ev[FieldImage] = img
					}
				}
				events[i] = ev
			}
			for _, m := range a.rules.Match(events[i], p.ruleOS) {
				if seen[m.Rule] {
					continue
				}
				seen[m.Rule] = true
				res.Rules = append(res.Rules, RuleHit{
					ID: m.Rule.ID, Title: m.Rule.Title, Level: m.Rule.Level, Techniques: m.Rule.Techniques,
					Source: m.Rule.Source, Allow: m.Rule.Allow, Layer: i, LayerTechnique: l.Technique, Matched: m.Fields,
				})
			}
		}
	}
	sort.SliceStable(res.Rules, func(i, j int) bool {
		x, y := res.Rules[i], res.Rules[j]
		if x.Allow != y.Allow {
			return !x.Allow
		}
		return levelRank(x.Level) < levelRank(y.Level)
	})
	res.Verdict, res.Score = Score(res.Rules)
	res.Indicators = ioc.Extract(strings.Join(texts, "\n"))
	res.Summary = summarize(res)
	return res
}

// summarize gives the verdict with the top rule titles.
func summarize(a Analysis) string {
	if len(a.Rules) == 0 {
		if len(a.Decoded) > 0 {
			return "no rule matched the line or its decoded layers"
		}
		return "no rule matched"
	}
	var titles []string
	for _, h := range a.Rules {
		if len(titles) == 3 {
			break
		}
		titles = append(titles, h.Title)
	}
	s := strings.Join(titles, "; ")
	if n := len(a.Rules) - len(titles); n > 0 {
		s += " (+" + strconv.Itoa(n) + " more)"
	}
	return s
}
