package copilot

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spotter-soc/spotter/internal/plugins/reputation"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Plan is what the rule planner decided for a prompt: skill calls to make,
// or a rejection with suggestions. It never guesses: a prompt without an
// entity a candidate skill can take is rejected.
type Plan struct {
	Entities Entities `json:"entities"`
	// FromContext lists the kinds taken from earlier evaluations of the session.
	FromContext []Kind `json:"fromContext,omitempty"`
	Steps       []Step `json:"steps"`
	// Rejected is set, with Reason and Suggestions, when no skill fits.
	Rejected    bool     `json:"rejected"`
	Reason      string   `json:"reason,omitempty"`
	Suggestions []string `json:"suggestions,omitempty"`
}

// Step is one skill call.
type Step struct {
	Skill  string         `json:"skill"`
	Inputs map[string]any `json:"inputs"`
	Reason string         `json:"reason"`
}

// intent is a family of intent words: Triggers are looked for in the
// prompt, Matches in a skill's name, description and example prompts.
type intent struct {
	Name     string
	Triggers []string
	Matches  []string
}

var intents = []intent{
	{"reputation", []string{"reputation", "malicious", "suspicious", "reported", "flagged", "known bad", "threat intel", "is it safe", "bad ", "verdict", "indicators", "iocs", "look up", "lookup", "check "},
		[]string{"reputation", "threat-intelligence", "threat intelligence", "verdict"}},
	{"abuse reports", []string{"abuse", "reported", "reports", "confidence score", "tor exit"}, []string{"abuse confidence", "reported to abuseipdb"}},
	{"user risk", []string{"risk", "risky", "compromised", "identity protection"}, []string{"risk level", "user risk", "identity protection"}},
	{"sign-ins", []string{"sign-in", "sign in", "signin", "signed in", "logon", "log-in", "login", "where did"}, []string{"sign-in"}},
	{"user details", []string{"group", "role", "admin", "department", "disabled", "profile", "details", "who is", "job title", "registered devices"}, []string{"group", "profile", "roles"}},
	{"device compliance", []string{"device", "laptop", "compliant", "compliance", "check in", "checked in", "intune", "enrolled", "encrypt", "jailbr", "managed"}, []string{"compliance", "managed devices", "check-in"}},
	{"command-line analysis", []string{"command line", "command-line", "cmdline", "script", "decode", "obfuscat", "explain", "encoded", "process"}, []string{"command line", "decod", "obfuscation"}},
	{"malware", []string{"malware", "payload", "sample", "family", "c2", "command and control"}, []string{"malware family", "payloads", "malware distribution"}},
	{"antivirus engines", []string{"engine", "antivirus", "detect", "av vendors"}, []string{"engine"}},
	{"domain registration", []string{"registered", "registrar", "dns", "whois", "creation date", "created"}, []string{"registrar", "dns records"}},
	{"OTX pulses", []string{"pulse"}, []string{"pulses"}},
	{"network reports", []string{"network", "cidr", "subnet", "range", "addresses in"}, []string{"network (cidr)"}},
	{"malware hosting", []string{"hosted", "hosting", "online", "distribut"}, []string{"malware distribution urls"}},
}

// brands are provider names people use for a plugin, beyond its own name.
var brands = map[string][]string{
	"abuseipdb":      {"abuseipdb", "abuse ipdb"},
	"virustotal":     {"virustotal", "virus total"},
	"abusech":        {"abuse.ch", "abusech"},
	"otx":            {"otx", "alienvault"},
	"entra":          {"entra", "azure ad", "aad"},
	"intune":         {"intune"},
	"mdti":           {"defender ti", "defender threat intelligence", "mdti"},
	"scriptanalyzer": {"script analyzer", "scriptanalyzer"},
	"intel":          {"local intel", "local feed", "local threat", "our feeds", "our threat feeds"},
	// The aggregate is named after what it does, not after a provider.
	"reputation": {},
}

// skillBrands are product names of single skills (URLhaus, ThreatFox).
var skillBrands = map[string][]string{
	"urlhaus": {"urlhaus"}, "threatfox": {"threatfox", "threat fox"}, "malwarebazaar": {"malwarebazaar", "malware bazaar"},
	"riskyusers": {"identity protection"},
}

// candidate is a skill scored against a prompt.
type candidate struct {
	spec    skill.Spec
	accepts map[Kind]string // kind -> input that takes it
	score   int
	branded bool
	why     []string
}

// Planner maps prompts to skills by rules.
type Planner struct{}

// Plan maps a prompt to skill calls among specs (the configured skills in
// the prompt's plugin scope). context holds the entities of the session's
// earlier evaluations, newest first.
func (Planner) Plan(text string, specs []skill.Spec, context []Entities) Plan {
	ents := ExtractEntities(text)
	p := Plan{Entities: ents, Steps: []Step{}}
	p.FromContext = resolveReferences(text, ents, context)
	lower := " " + strings.ToLower(text) + " "
	cands := make([]*candidate, 0, len(specs))
	for _, s := range specs {
		cands = append(cands, score(s, lower, ents))
	}
	var fit []*candidate
	branded := false
	for _, c := range cands {
		if fillable(c, ents) {
			fit = append(fit, c)
			branded = branded || c.branded
		}
	}
	if branded {
		fit = slices.DeleteFunc(fit, func(c *candidate) bool { return !c.branded })
	}
	chosen := map[string]*candidate{}
	kindsOf := map[string][]Kind{}
	for _, k := range ents.Kinds() {
		var best *candidate
		for _, c := range fit {
			if _, ok := c.accepts[k]; ok && better(c, best) {
				best = c
			}
		}
		if best == nil {
			continue
		}
		chosen[best.spec.ID] = best
		kindsOf[best.spec.ID] = append(kindsOf[best.spec.ID], k)
	}
	if len(chosen) == 0 {
		p.Rejected = true
		p.Reason = rejectReason(ents, cands)
		p.Suggestions = suggest(cands)
		return p
	}
	ids := make([]string, 0, len(chosen))
	for id := range chosen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p.Steps = append(p.Steps, steps(chosen[id], kindsOf[id], ents)...)
	}
	return p
}

// score rates one skill: named provider (+10), intent families shared by
// prompt and skill (+3 each), kinds of entity the skill takes (+2 each).
func score(s skill.Spec, lower string, ents Entities) *candidate {
	c := &candidate{spec: s, accepts: acceptedKinds(s)}
	words := wordText(lower)
	text := strings.ToLower(s.Name + " " + s.Description + " " + strings.Join(s.Examples, " "))
	names, ok := brands[s.Plugin()]
	if !ok {
		names = []string{s.Plugin()}
	}
	for _, b := range names {
		if strings.Contains(lower, b) {
			c.branded = true
		}
	}
	idName := strings.ToLower(strings.TrimPrefix(s.ID, s.Plugin()+"."))
	for key, words := range skillBrands {
		if strings.Contains(idName, key) {
			for _, w := range words {
				if strings.Contains(lower, w) {
					c.branded = true
				}
			}
		}
	}
	if c.branded {
		c.score += 10
		c.why = append(c.why, "you named "+s.Plugin())
	}
	for _, in := range intents {
		if !hasWordStart(words, in.Triggers) || !containsAny(text, in.Matches) {
			continue
		}
		c.score += 3
		c.why = append(c.why, "intent: "+in.Name)
	}
	for k := range c.accepts {
		if len(ents[k]) > 0 {
			c.score += 2
		}
	}
	return c
}

// wordText reduces text to lower-case words separated by single spaces,
// with a space at both ends, so that intent words match at word starts.
func wordText(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '&')
	})
	return " " + strings.Join(f, " ") + " "
}

// hasWordStart reports whether one of the triggers starts a word of words.
func hasWordStart(words string, triggers []string) bool {
	for _, t := range triggers {
		if strings.Contains(words, " "+t) {
			return true
		}
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// better orders candidates: higher score, then the batch reputation skill
// (it asks every configured provider, local intelligence included), then a
// list input (one call for many entities), then more kinds accepted, then id.
func better(c, best *candidate) bool {
	if best == nil {
		return true
	}
	if c.score != best.score {
		return c.score > best.score
	}
	if ca, ba := c.spec.ID == reputation.ID, best.spec.ID == reputation.ID; ca != ba {
		return ca
	}
	cl, bl := hasListInput(c), hasListInput(best)
	if cl != bl {
		return cl
	}
	if len(c.accepts) != len(best.accepts) {
		return len(c.accepts) > len(best.accepts)
	}
	return c.spec.ID < best.spec.ID
}

func hasListInput(c *candidate) bool {
	for _, name := range c.accepts {
		if in, ok := c.spec.Input(name); ok && in.Type == skill.TypeStringList {
			return true
		}
	}
	return false
}

func kindWords(kinds []Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, "/")
}

func quoteList(vals []string) string {
	if len(vals) > 3 {
		return strings.Join(vals[:3], ", ") + fmt.Sprintf(" and %d more", len(vals)-3)
	}
	return strings.Join(vals, ", ")
}

// rejectReason explains why nothing fits.
func rejectReason(ents Entities, cands []*candidate) string {
	if len(cands) == 0 {
		return "no configured skill is in the prompt's plugin scope"
	}
	if ents.Len() == 0 {
		return "the prompt names no indicator, user, host or command line to look up (and refers to none from earlier in the session)"
	}
	if kinds := ents.Kinds(); len(kinds) == 1 && kinds[0] == KindPrivateIP {
		return quoteList(ents[KindPrivateIP]) + " is a private or reserved address; reputation services know nothing about it"
	}
	return "no configured skill in scope takes " + kindWords(ents.Kinds())
}

// suggest lists up to three skills whose intent matched, else the first
// skills that take something.
func suggest(cands []*candidate) []string {
	sorted := slices.Clone(cands)
	sort.SliceStable(sorted, func(i, j int) bool { return better(sorted[i], sorted[j]) && sorted[i] != sorted[j] })
	var out []string
	for _, c := range sorted {
		if len(out) == 3 {
			break
		}
		out = append(out, c.spec.ID)
	}
	return out
}
