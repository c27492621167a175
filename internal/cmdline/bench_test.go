package cmdline

import (
	"testing"
	"time"
)

// benchLines is the labelled corpus, malicious and benign lines together.
func benchLines(b *testing.B) []Input {
	return append(readCorpus(b, "malicious.txt"), readCorpus(b, "benign.txt")...)
}

func benchAnalyze(b *testing.B, a *Analyzer) {
	lines := benchLines(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		a.Analyze(lines[i%len(lines)])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lines/s")
	b.ReportMetric(float64(a.Rules().Len()), "rules")
}

// BenchmarkAnalyze measures command lines per second through the whole
// analyser (standard filter, deobfuscation, every layer against the
// built-in pack plus every SigmaHQ process_creation rule, indicators).
func BenchmarkAnalyze(b *testing.B) {
	dir := sharedSigmaDir(b)
	if dir == "" {
		b.Skip("../shared/sigma not found")
	}
	res, err := LoadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	benchAnalyze(b, NewAnalyzer(NewRuleSet(append(LoadBuiltin().Rules, res.Rules...)), AnalyzerOptions{}))
}

// BenchmarkAnalyzeBuiltinOnly is the baseline: the same lines against the
// built-in pack alone.
func BenchmarkAnalyzeBuiltinOnly(b *testing.B) {
	benchAnalyze(b, NewAnalyzer(NewRuleSet(LoadBuiltin().Rules), AnalyzerOptions{}))
}

// BenchmarkMatchAllRules isolates rule evaluation: one prepared event
// against the built-in pack plus SigmaHQ, every rule, no deobfuscation.
func BenchmarkMatchAllRules(b *testing.B) {
	dir := sharedSigmaDir(b)
	if dir == "" {
		b.Skip("../shared/sigma not found")
	}
	res, err := LoadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	set := NewRuleSet(append(LoadBuiltin().Rules, res.Rules...))
	lines := benchLines(b)
	events := make([]Event, len(lines))
	for i, in := range lines {
		events[i] = BuildEvent(in)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		set.Match(events[i%len(events)], "")
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
