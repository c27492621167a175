package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"md": FormatMarkdown, "markdown": FormatMarkdown, " Markdown ": FormatMarkdown, "HTML": FormatHTML, "json": FormatJSON} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseFormat("xml")
	if err == nil {
		t.Fatal("ParseFormat(xml) succeeded")
	}
	for _, s := range []string{`"xml"`, "md", "markdown", "html", "json"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, nil, FormatMarkdown, Options{}); err == nil {
		t.Error("nil report accepted")
	}
	if err := Render(&buf, emptyReport(), Format("pdf"), Options{}); err == nil {
		t.Error("unknown format accepted")
	}
	if err := Render(&buf, emptyReport(), FormatMarkdown, Options{MaxChars: -1}); err == nil {
		t.Error("negative budget accepted")
	}
}

// md renders r as Markdown at one plan.
func md(r *Report, p plan) string { return renderMarkdown(build(r, p)) }

func TestSectionOrderAndEmptySections(t *testing.T) {
	out := md(emptyReport(), plan{level: 1})
	last := -1
	for _, id := range Sections {
		i := strings.Index(out, "## "+sectionHeadings[id]+"\n")
		if i < 0 || i < last {
			t.Fatalf("section %s missing or out of order", id)
		}
		last = i
	}
	for _, s := range []string{"No public IP addresses.", "No accounts.", "No user risk findings.", "No devices.", "No command lines.", "No incident details beyond the title."} {
		if !strings.Contains(out, s) {
			t.Errorf("empty report lacks %q", s)
		}
	}
	// No section or block heading is followed directly by another heading.
	lines := strings.Split(out, "\n")
	for i := 0; i+2 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "##") && strings.HasPrefix(lines[i+2], "##") {
			t.Errorf("empty heading %q", lines[i])
		}
	}
}

func TestFindingPlacement(t *testing.T) {
	r := emptyReport()
	r.Entities.Accounts = []incident.Account{{Value: "a@contoso.example"}}
	r.Findings = []skill.Finding{
		{Indicator: "a@contoso.example", Type: "account", Level: skill.Info, Source: "Directory", Summary: "SUMMARY-ACCOUNT"},
		{Indicator: "a@contoso.example", Type: "account", Level: skill.Suspicious, Score: 60, Source: "Risk", Summary: "SUMMARY-RISK", Section: SectionUserRisk},
		{Indicator: "host1", Type: "host", Level: skill.Info, Source: "EDR", Summary: "SUMMARY-HOST"},
		{Indicator: "1.2.3.4", Type: "ip", Level: skill.Benign, Source: "Rep", Summary: "SUMMARY-IP"},
		{Indicator: "cmd /c x", Type: "process", Level: skill.Benign, Source: "Rules", Summary: "SUMMARY-PROC"},
		{Indicator: "x.example", Type: "domain", Level: skill.Benign, Source: "Rep", Summary: "SUMMARY-DOMAIN"},
		{Indicator: "odd", Type: "thing", Level: skill.Info, Source: "Rep", Summary: "SUMMARY-UNKNOWN-SECTION", Section: "nowhere"},
		{Indicator: "ctx", Type: "thing", Level: skill.Info, Source: "Rep", Summary: "SUMMARY-DEVICE-SECTION", Section: SectionDevices},
	}
	out := md(finish(r), plan{level: 1})
	sectionOf := func(s string) string {
		i := strings.Index(out, s)
		if i < 0 {
			return ""
		}
		id := ""
		for _, sid := range Sections {
			if j := strings.Index(out, "## "+sectionHeadings[sid]+"\n"); j >= 0 && j < i {
				id = sid
			}
		}
		return id
	}
	for summary, want := range map[string]string{
		"SUMMARY-ACCOUNT": SectionAccounts, "SUMMARY-RISK": SectionUserRisk, "SUMMARY-HOST": SectionDevices,
		"SUMMARY-IP": SectionIPs, "SUMMARY-PROC": SectionProcesses, "SUMMARY-DOMAIN": SectionIndicators,
		"SUMMARY-UNKNOWN-SECTION": SectionIndicators, "SUMMARY-DEVICE-SECTION": SectionDevices,
	} {
		if got := sectionOf(summary); got != want {
			t.Errorf("%s is in section %q, want %q", summary, got, want)
		}
	}
	// The account's finding hangs under the account, with its verdict.
	if !strings.Contains(out, "- `a@contoso.example` — **suspicious**, score 60 (Directory, Risk)\n  - **info** 0, Directory: SUMMARY-ACCOUNT") {
		t.Errorf("account item:\n%s", out)
	}
}

func TestCoverageAndSkipped(t *testing.T) {
	r := phishingReport()
	r.Entities.Skipped = append(r.Entities.Skipped, incident.Skip{Type: "account", Value: "svc-scan", Reason: "skip list"})
	full := md(r, plan{level: 1})
	for _, s := range []string{
		"- *IP reputation (greynoise.Community): not configured — set plugins.greynoise.api\\_key*\n",
		"- *Device lookup (mde.Alerts): failed — HTTP 403 from the Defender API*\n",
		"*2 accounts skipped: machine account (1), skip list (1).*\n",
		"- `LAPTOP-JD01$` — machine account\n- `svc-scan` — skip list\n",
	} {
		if !strings.Contains(full, s) {
			t.Errorf("level 1 lacks %q", s)
		}
	}
	if strings.Contains(full, "IP reputation (abuseipdb.CheckIP)") {
		t.Error("a skill that ran has a coverage line")
	}
	if strings.Contains(full, "cmdline.Analyze") {
		t.Error("a skill that ran with nothing to report has a coverage line")
	}
	counted := md(r, plan{level: 2, max: 1000})
	if strings.Contains(counted, "`svc-scan`") || !strings.Contains(counted, "2 accounts skipped: machine account (1), skip list (1).") {
		t.Error("level 2 does not reduce skipped items to counts")
	}
	if !strings.Contains(counted, "1 internal IP address by range: private-use (1).") {
		t.Error("level 2 does not count internal addresses by range")
	}
}

func TestLevel3And4(t *testing.T) {
	r := ransomwareReport()
	l3 := md(r, plan{level: 3, max: 1})
	if !strings.Contains(l3, "  - *also: VirusTotal (suspicious 55)*\n") {
		t.Error("level 3 does not shorten secondary findings")
	}
	if strings.Contains(l3, "5 of 94 engines flag this address") {
		t.Error("level 3 keeps a secondary finding's summary")
	}
	if !strings.Contains(l3, "*And 3 more alerts; see the incident.*") || !strings.Contains(l3, "*And 2 more comments; see the incident.*") {
		t.Error("level 3 does not cut alerts and comments to five")
	}
	if !strings.Contains(l3, r.Incident.Description) {
		t.Error("level 3 already replaces the description")
	}
	l4 := md(r, plan{level: 4, max: 1})
	if strings.Contains(l4, "descword0000") || !strings.Contains(l4, "**Description:** *2,079 characters, see the incident*") {
		t.Error("level 4 does not replace the long description by its length")
	}
	if !strings.Contains(l4, "*alert description: 1,079 characters, see the incident*") || !strings.Contains(l4, "alert1desc0000") {
		t.Error("level 4 must replace only long alert descriptions")
	}
	if strings.Contains(l4, ransomLongCmd[:80]) || !strings.Contains(l4, "*command line: 706 characters, see the incident*") {
		t.Error("level 4 does not replace the long command line")
	}
	if !strings.Contains(l4, ransomVSS) {
		t.Error("level 4 lost a short malicious command line")
	}
}

func TestPlansNeverDropBadVerdicts(t *testing.T) {
	r := ransomwareReport()
	for _, p := range plans {
		p.max = 1
		for _, f := range []Format{FormatMarkdown, FormatHTML} {
			out, err := renderDoc(build(r, p), f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range ransomBad {
				if !strings.Contains(out, v) {
					t.Errorf("%s at plan %+v lacks %s", f, p, v)
				}
			}
		}
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 48213: "48,213", 1234567: "1,234,567", -30000: "-30,000"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOtherEntitiesAndMail(t *testing.T) {
	r := emptyReport()
	r.Entities.Other = []incident.OtherEntity{{Kind: "CloudApplication", Value: "Office 365"}, {Kind: "RegistryKey", Value: `HKLM\Run`}}
	r.Entities.MailMessages = []incident.MailMessage{{Subject: "Invoice", Sender: "a@evil.example", Recipient: "b@contoso.example", Threats: []string{"Malware"}, DeliveryAction: "Blocked"}}
	r.Entities.Files = []incident.File{{Value: `C:\temp\x.exe`, Malware: []string{"Trojan:Win32/X"}}}
	out := md(finish(r), plan{level: 2, max: 1})
	for _, s := range []string{"- Invoice\n", "**Threats:** **Malware**", "`C:\\temp\\x.exe`", "**Malware:** **Trojan:Win32/X**",
		"*1 CloudApplication entity and 1 RegistryKey entity with no findings or benign verdicts.*"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	full := md(r, plan{level: 1})
	if !strings.Contains(full, "- CloudApplication: `Office 365`") {
		t.Error("other entity not listed at level 1")
	}
}
