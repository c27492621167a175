package copilot

import (
	"fmt"
	"strings"
)

// renderPlanned writes the Markdown answer of a planned prompt: which
// skills ran and why, then each call's summary and verdicts.
func renderPlanned(p Plan, sources []SkillSource) string {
	var b strings.Builder
	ok := 0
	for _, s := range sources {
		if s.Error == "" {
			ok++
		}
	}
	fmt.Fprintf(&b, "Ran %s (%d succeeded).\n", plural(len(sources), "skill call"), ok)
	if len(p.FromContext) > 0 {
		fmt.Fprintf(&b, "\nTook %s from earlier in this session.\n", kindWords(p.FromContext))
	}
	for _, s := range sources {
		b.WriteString("\n")
		writeSource(&b, s)
	}
	return b.String()
}

// renderDirect writes the Markdown answer of a direct skill call.
func renderDirect(s SkillSource) string {
	var b strings.Builder
	writeSource(&b, s)
	return b.String()
}

func writeSource(b *strings.Builder, s SkillSource) {
	fmt.Fprintf(b, "### %s\n\n", s.Skill)
	if s.Reason != "" {
		fmt.Fprintf(b, "_Why:_ %s.\n\n", s.Reason)
	}
	if s.Error != "" {
		fmt.Fprintf(b, "**Failed:** %s\n", s.Error)
		return
	}
	if s.CacheHit {
		b.WriteString("_(from cache)_\n\n")
	}
	if sum := strings.TrimSpace(s.summary); sum != "" {
		b.WriteString(sum + "\n")
	}
	if len(s.findings) > 0 {
		b.WriteString("\n| Indicator | Verdict | Score | Source | Summary |\n|---|---|---|---|---|\n")
		for _, f := range s.findings {
			ind := cell(f.Indicator)
			if f.Link != "" {
				ind = "[" + ind + "](" + f.Link + ")"
			}
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s |\n", ind, f.Level, f.Score, cell(f.Source), cell(f.Summary))
		}
	}
}

// cell keeps a value on one table row.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.Join(strings.Fields(s), " ")
}

// renderRejected explains why a prompt was not mapped and suggests skills.
func renderRejected(p Plan, inv Invoker) string {
	var b strings.Builder
	fmt.Fprintf(&b, "I could not map this prompt to a skill: %s.\n", p.Reason)
	if len(p.Suggestions) > 0 {
		b.WriteString("\nSkills that may help (name what they need, e.g. an IP address, a user or a command line):\n\n")
		for _, id := range p.Suggestions {
			spec, err := inv.Skill(id)
			if err != nil {
				continue
			}
			fmt.Fprintf(&b, "- `%s`: %s", spec.ID, spec.Description)
			if len(spec.Examples) > 0 {
				fmt.Fprintf(&b, " Example: \"%s\"", spec.Examples[0])
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\nYou can also call a skill directly with skillName and skillInputs.\n")
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
