package cmdline

import (
	"fmt"
	"strings"
	"testing"
)

// ruleWith builds a process_creation rule from a detection body.
func ruleWith(t *testing.T, detection string) *Rule {
	t.Helper()
	src := "title: test\nid: 00000000-0000-4000-8000-000000000000\nlevel: high\nlogsource:\n    category: process_creation\ndetection:\n" + detection
	r, err := ParseRule([]byte(src), "test.yml")
	if err != nil {
		t.Fatalf("ParseRule: %v\n%s", err, src)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
	return r
}

func matches(r *Rule, ev Event) bool {
	return len(NewRuleSet([]*Rule{r}).Match(ev, "")) == 1
}

func TestModifiers(t *testing.T) {
	cases := []struct {
		name, detection string
		yes, no         []Event
	}{
		{"default equality is case-insensitive", "    sel:\n        Image: 'C:\\Windows\\System32\\cmd.exe'\n    condition: sel",
			[]Event{{"Image": `c:\windows\system32\CMD.EXE`}}, []Event{{"Image": `C:\Windows\System32\cmd.exe.bak`}, {}}},
		{"contains startswith endswith", "    sel:\n        CommandLine|contains: 'urlcache'\n        CommandLine|startswith: 'certutil'\n        CommandLine|endswith: '.exe'\n    condition: sel",
			[]Event{{"CommandLine": "CertUtil -URLCACHE -f http://x/a.EXE"}}, []Event{{"CommandLine": "x certutil -urlcache a.exe"}}},
		{"list is any, all is every", "    sel:\n        CommandLine|contains|all:\n            - 'a1'\n            - 'b2'\n    condition: sel",
			[]Event{{"CommandLine": "b2 a1"}}, []Event{{"CommandLine": "a1 only"}}},
		{"wildcards in values", "    sel:\n        CommandLine: 'cmd*/c?whoami*'\n    condition: sel",
			[]Event{{"CommandLine": "cmd.exe /c whoami /all"}}, []Event{{"CommandLine": "cmd.exe /c  whoami"}, {"CommandLine": "x cmd /c whoami"}}},
		{"escaped wildcards are literal", "    sel:\n        CommandLine|contains: 'a\\*b\\?c\\\\d'\n    condition: sel",
			[]Event{{"CommandLine": `x a*b?c\d y`}}, []Event{{"CommandLine": `aXb?c\d`}, {"CommandLine": `a*bXc\d`}}},
		{"single backslash is literal", "    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel",
			[]Event{{"Image": `C:\Windows\cmd.exe`}}, []Event{{"Image": `/usr/bin/cmd.exe.sh`}}},
		{"cased", "    sel:\n        CommandLine|contains|cased: 'IEX'\n    condition: sel",
			[]Event{{"CommandLine": "a IEX b"}}, []Event{{"CommandLine": "a iex b"}}},
		{"windash", "    sel:\n        CommandLine|contains|windash: ' -enc '\n    condition: sel",
			[]Event{{"CommandLine": "p -enc x"}, {"CommandLine": "p /enc x"}, {"CommandLine": "p \u2013enc x"}, {"CommandLine": "p \u2014enc x"}, {"CommandLine": "p \u2015enc x"}},
			[]Event{{"CommandLine": "p +enc x"}}},
		{"base64", "    sel:\n        CommandLine|base64|contains: 'http://'\n    condition: sel",
			[]Event{{"CommandLine": "x aHR0cDovLw== y"}}, []Event{{"CommandLine": "http://"}, {"CommandLine": "AHR0CDOVLW=="}}},
		{"base64offset", "    sel:\n        CommandLine|base64offset|contains: 'IEX'\n    condition: sel",
			[]Event{{"CommandLine": "SUVY"}, {"CommandLine": "QUlFWA"}, {"CommandLine": "QUFJRVg"}}, []Event{{"CommandLine": "iex"}}},
		{"utf16le and wide with base64offset", "    sel:\n        CommandLine|wide|base64offset|contains: 'iex'\n    condition: sel",
			[]Event{{"CommandLine": "-enc " + utf16Base64("iex (x)")}, {"CommandLine": "-enc " + utf16Base64("a iex")}}, []Event{{"CommandLine": "-enc " + utf16Base64("IEX")}}},
		{"utf16be", "    sel:\n        CommandLine|utf16be|base64: 'ab'\n    condition: sel",
			[]Event{{"CommandLine": "AGEAYg=="}}, []Event{{"CommandLine": "YQBiAA=="}}},
		{"re is case-sensitive, re|i is not", "    sel:\n        CommandLine|re: '^cmd\\s+/c'\n    sel2:\n        User|re|i: 'ADMIN$'\n    condition: sel and sel2",
			[]Event{{"CommandLine": "cmd /c x", "User": "corp\\admin"}}, []Event{{"CommandLine": "CMD /c x", "User": "admin"}}},
		{"re with m and s flags", "    sel:\n        CommandLine|re|m|s: '^b.c$'\n    condition: sel",
			[]Event{{"CommandLine": "a\nb\nc"}}, []Event{{"CommandLine": "abxc"}}},
		{"cidr", "    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - '2001:db8::/32'\n    condition: sel",
			[]Event{{"DestinationIp": "10.1.2.3"}, {"DestinationIp": "2001:db8::1"}}, []Event{{"DestinationIp": "11.0.0.1"}, {"DestinationIp": "nope"}}},
		{"fieldref", "    sel:\n        User|fieldref: ParentUser\n    condition: sel",
			[]Event{{"User": "CORP\\a", "ParentUser": "corp\\a"}}, []Event{{"User": "a", "ParentUser": "b"}, {"User": "a"}}},
		{"exists", "    sel:\n        ParentImage|exists: true\n        OriginalFileName|exists: false\n    condition: sel",
			[]Event{{"ParentImage": "x"}}, []Event{{}, {"ParentImage": "x", "OriginalFileName": "y"}}},
		{"null means absent", "    sel:\n        Image|endswith: '\\x.exe'\n    filter:\n        CommandLine: null\n    condition: sel and not filter",
			[]Event{{"Image": `\x.exe`, "CommandLine": "x.exe -a"}}, []Event{{"Image": `\x.exe`}, {"Image": `\x.exe`, "CommandLine": ""}}},
		{"numbers", "    sel:\n        ProcessId|gt: 100\n        ProcessId|lte: 200\n    condition: sel",
			[]Event{{"ProcessId": "150"}, {"ProcessId": "200"}}, []Event{{"ProcessId": "100"}, {"ProcessId": "x"}}},
		{"expand placeholders", "    sel:\n        CommandLine|contains|expand: '%TEMP%\\a.exe'\n    condition: sel",
			[]Event{{"CommandLine": `copy x C:\Users\b\AppData\Local\Temp\a.exe`}}, []Event{{"CommandLine": "a.exe"}}},
		{"placeholders without expand are literal", "    sel:\n        CommandLine|contains: '%TEMP%\\a.exe'\n    condition: sel",
			[]Event{{"CommandLine": `copy x %temp%\a.exe`}}, []Event{{"CommandLine": `copy x C:\Temp\a.exe`}}},
		{"list of maps is any", "    sel:\n        - Image|endswith: '\\a.exe'\n        - CommandLine|contains: 'zz'\n    condition: sel",
			[]Event{{"Image": `\a.exe`}, {"CommandLine": "zz"}}, []Event{{"Image": `\b.exe`}}},
		{"keywords search the command line", "    keywords:\n        - 'mimikatz'\n        - 'sekurlsa'\n    condition: keywords",
			[]Event{{"CommandLine": "run sekurlsa::x"}}, []Event{{"Image": "mimikatz"}}},
		{"numbers as values", "    sel:\n        EventID: 4688\n    condition: sel",
			[]Event{{"EventID": "4688"}}, []Event{{"EventID": "46880"}}},
		{"empty string value", "    sel:\n        CommandLine: ''\n    condition: sel",
			[]Event{{"CommandLine": ""}}, []Event{{"CommandLine": "x"}, {}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ruleWith(t, c.detection)
			for _, ev := range c.yes {
				if !matches(r, ev) {
					t.Errorf("expected a match on %v", ev)
				}
			}
			for _, ev := range c.no {
				if matches(r, ev) {
					t.Errorf("expected no match on %v", ev)
				}
			}
		})
	}
}

func TestConditions(t *testing.T) {
	body := `    selection_1_img:
        Image|endswith: '\a.exe'
    selection_1_cli:
        CommandLine|contains: 'one'
    selection_2_img:
        Image|endswith: '\b.exe'
    selection_2_cli:
        CommandLine|contains: 'two'
    filter_main_x:
        CommandLine|contains: 'skip'
    _helper:
        CommandLine|contains: 'never'
    condition: (all of selection_1_* or all of selection_2_*) and not 1 of filter_main_*
`
	r := ruleWith(t, body)
	if !r.rewritten {
		t.Error("condition with selection_1_* should need the identifier rewrite")
	}
	for ev, want := range map[[2]string]bool{
		{`\a.exe`, "one"}:      true,
		{`\b.exe`, "two"}:      true,
		{`\a.exe`, "two"}:      false,
		{`\a.exe`, "one skip"}: false,
	} {
		if got := matches(r, Event{"Image": ev[0], "CommandLine": ev[1]}); got != want {
			t.Errorf("%v: got %v, want %v", ev, got, want)
		}
	}
	them := ruleWith(t, "    a:\n        CommandLine|contains: 'x'\n    b:\n        CommandLine|contains: 'y'\n    _c:\n        CommandLine|contains: 'never'\n    condition: all of them\n")
	if !matches(them, Event{"CommandLine": "x y"}) {
		t.Error("all of them should ignore _c")
	}
	one := ruleWith(t, "    set1a:\n        CommandLine|contains: 'x'\n    set1b:\n        CommandLine|contains: 'y'\n    condition: 1 of set1*\n")
	if !matches(one, Event{"CommandLine": "y"}) || matches(one, Event{"CommandLine": "z"}) {
		t.Error("1 of set1*")
	}
	list := ruleWith(t, "    a:\n        CommandLine|contains: 'x'\n    b:\n        CommandLine|contains: 'y'\n    condition:\n        - a\n        - b\n")
	if !matches(list, Event{"CommandLine": "y"}) {
		t.Error("a list of conditions is any of them")
	}
}

func TestProblemsAreCountedNotDropped(t *testing.T) {
	cases := map[string]string{
		"unsupported modifier": "    sel:\n        CommandLine|gzip: 'x'\n    condition: sel\n",
		"bad regex":            "    sel:\n        CommandLine|re: '(?<=x)y'\n    condition: sel\n",
		"aggregation":          "    sel:\n        CommandLine: 'x'\n    condition: sel | count() > 5\n",
		"unknown search":       "    sel:\n        CommandLine: 'x'\n    condition: sel and other\n",
		"bad cidr":             "    sel:\n        Ip|cidr: 'x'\n    condition: sel\n",
	}
	for name, det := range cases {
		src := "title: t\nlogsource:\n    category: process_creation\ndetection:\n" + det
		r, err := ParseRule([]byte(src), "p.yml")
		if err != nil {
			t.Errorf("%s: ParseRule failed (%v); expected a rule with problems", name, err)
			continue
		}
		if len(r.Problems) == 0 {
			t.Errorf("%s: no problems recorded", name)
		}
		set := NewRuleSet([]*Rule{r})
		set.Match(Event{"CommandLine": "x", "Ip": "1.2.3.4"}, "")
		if errs := set.EvalErrors(); len(errs) != 1 || errs[0].Count == 0 {
			t.Errorf("%s: evaluation errors %v", name, errs)
		}
	}
	// the problem names the line of the offending field
	src := "title: t\nlogsource:\n    category: process_creation\ndetection:\n    sel:\n        Image: 'x'\n        CommandLine|gzip: 'x'\n    condition: sel\n"
	r, _ := ParseRule([]byte(src), "p.yml")
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "line 7") || !strings.Contains(r.Problems[0], `"gzip"`) {
		t.Errorf("problem message: %v", r.Problems)
	}
}

func TestExplanation(t *testing.T) {
	r := ruleWith(t, "    sel:\n        Image|endswith: '\\certutil.exe'\n        CommandLine|contains:\n            - 'nothing'\n            - 'urlcache'\n    filter:\n        CommandLine|contains: 'skip'\n    condition: sel and not filter\n")
	m := NewRuleSet([]*Rule{r}).Match(Event{"Image": `C:\Windows\System32\certutil.exe`, "CommandLine": "certutil -urlcache"}, "")
	if len(m) != 1 {
		t.Fatal("no match")
	}
	got := fmt.Sprint(m[0].Fields)
	want := `[{Image|endswith \certutil.exe} {CommandLine|contains urlcache}]`
	if got != want {
		t.Errorf("fields %s, want %s", got, want)
	}
}
