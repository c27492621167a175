package incident

import (
	"strings"
	"unicode"
)

// NormalizeCommandLine returns the form command lines are compared in:
// trimmed, whitespace collapsed to single spaces, lower-cased, and `net1`
// (the binary `net` delegates to) written as `net`. The original text is
// kept elsewhere for analysis.
func NormalizeCommandLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return netOne(b.String())
}

// netOne rewrites the tool name net1 (or net1.exe) to net (net.exe) wherever
// it starts a word, so `net1 user` and `net user` compare equal.
func netOne(n string) string {
	if !strings.Contains(n, "net1") {
		return n
	}
	var b strings.Builder
	for i := 0; i < len(n); {
		j := strings.Index(n[i:], "net1")
		if j < 0 {
			b.WriteString(n[i:])
			break
		}
		j += i
		end := j + len("net1")
		if strings.HasPrefix(n[end:], ".exe") {
			end += len(".exe")
		}
		startsWord := j == 0 || strings.ContainsRune(` "'\/`, rune(n[j-1]))
		endsWord := end == len(n) || strings.ContainsRune(` "'`, rune(n[end]))
		b.WriteString(n[i:j])
		if startsWord && endsWord {
			b.WriteString("net")
			b.WriteString(n[j+len("net1") : end])
		} else {
			b.WriteString(n[j:end])
		}
		i = end
	}
	return b.String()
}

// standardDirs are the system directories a standard executable may run
// from. The same binary name anywhere else is not standard: svchost.exe in
// C:\Users\Public is exactly what an analyst wants to see.
var standardDirs = []string{
	`c:\windows\system32\`,
	`c:\windows\syswow64\`,
	`c:\windows\`,
	`c:\windows\system32\wbem\`,
	`c:\windows\system32\windowspowershell\v1.0\`,
	`\systemroot\system32\`,
	`%systemroot%\system32\`,
	`%windir%\system32\`,
	`/usr/bin/`,
	`/usr/sbin/`,
	`/bin/`,
	`/sbin/`,
	`/usr/lib/systemd/`,
	`/lib/systemd/`,
	`/usr/libexec/`,
	`/system/library/coreservices/`,
}

// DefaultStandardCommands are plain operating-system executions, in
// normalised form with the directory removed, that carry no analytic value:
// they are listed as skipped instead of being analysed. An executable with
// arguments not in this list is analysed.
var DefaultStandardCommands = []string{
	// Windows shell and session processes
	"explorer.exe", "cmd.exe", "conhost.exe", "conhost.exe 0xffffffff -forcev1", "conhost.exe 0xffffffff",
	"powershell.exe", "pwsh.exe", "notepad.exe", "calc.exe", "mspaint.exe", "taskmgr.exe", "taskmgr.exe /4", "taskmgr.exe /7",
	"winlogon.exe", "userinit.exe", "dwm.exe", "csrss.exe", "smss.exe", "wininit.exe", "lsass.exe", "services.exe",
	"sihost.exe", "ctfmon.exe", "fontdrvhost.exe", "logonui.exe", "runtimebroker.exe -embedding", "dllhost.exe",
	"searchindexer.exe /embedding", "searchprotocolhost.exe", "searchfilterhost.exe", "wuauclt.exe", "mmc.exe",
	"taskhostw.exe", "taskhostw.exe {222a245b-e637-4ae9-a93f-a59ca119a75e}", "spoolsv.exe", "audiodg.exe",
	"wmiprvse.exe", "wmiprvse.exe -embedding", "wmiprvse.exe -secured -embedding", "backgroundtaskhost.exe",
	"smartscreen.exe -embedding", "securityhealthservice.exe", "securityhealthsystray.exe", "msiexec.exe /v", "msiexec.exe /v /v",
	// svchost service groups
	"svchost.exe", "svchost.exe -k netsvcs", "svchost.exe -k netsvcs -p", "svchost.exe -k localservice",
	"svchost.exe -k localservice -p", "svchost.exe -k localservicenetworkrestricted -p", "svchost.exe -k localsystemnetworkrestricted -p",
	"svchost.exe -k networkservice", "svchost.exe -k networkservice -p", "svchost.exe -k dcomlaunch -p", "svchost.exe -k rpcss -p",
	"svchost.exe -k localservicenonetwork -p", "svchost.exe -k localservicenonetworkfirewall -p", "svchost.exe -k unistacksvcgroup",
	"svchost.exe -k appmodel -p", "svchost.exe -k wsappx -p", "svchost.exe -k utcsvc -p", "svchost.exe -k wusvcs -p",
	"svchost.exe -k netsvcs -p -s schedule", "svchost.exe -k netsvcs -p -s winmgmt", "svchost.exe -k localsystemnetworkrestricted -p -s sysmain",
	// Linux and macOS daemons and shells
	"sshd", "sshd -d", "/usr/sbin/sshd -d", "sshd: /usr/sbin/sshd -d [listener] 0 of 10-100 startups", "systemd", "systemd --user", "init",
	"cron", "cron -f", "crond", "crond -n", "rsyslogd", "rsyslogd -n", "rsyslogd -n -inone", "dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only",
	"bash", "-bash", "sh", "zsh", "-zsh", "login", "agetty", "systemd-journald", "systemd-logind", "systemd-udevd", "systemd-resolved", "systemd-networkd", "systemd-timesyncd",
	"launchd", "loginwindow", "finder", "dock",
}

// StandardCommands decides which command lines are plain standard executions.
type StandardCommands struct {
	set map[string]struct{}
}

// NewStandardCommands builds the filter from the defaults (unless
// replaceDefaults) plus extra entries. Entries are normalised the same way as
// command lines; an entry may name the executable with or without a
// standard system directory.
func NewStandardCommands(extra []string, replaceDefaults bool) *StandardCommands {
	s := &StandardCommands{set: map[string]struct{}{}}
	if !replaceDefaults {
		for _, c := range DefaultStandardCommands {
			s.set[stripStandardDir(NormalizeCommandLine(c))] = struct{}{}
		}
	}
	for _, c := range extra {
		if n := NormalizeCommandLine(c); n != "" {
			s.set[stripStandardDir(n)] = struct{}{}
		}
	}
	return s
}

// IsStandard reports whether the command line is a plain standard execution:
// its executable with its arguments is in the list, where a list entry without
// a directory matches only executables that run from a standard system
// directory (or name none).
func (s *StandardCommands) IsStandard(cmdline string) bool {
	n := NormalizeCommandLine(cmdline)
	if n == "" {
		return false
	}
	_, ok := s.set[stripStandardDir(n)]
	return ok
}

// stripStandardDir returns the canonical form of a normalised command line:
// quotes around the executable removed, and a standard system directory
// removed, so `"C:\Windows\System32\svchost.exe" -k x` compares as
// `svchost.exe -k x`. An executable elsewhere keeps its full path.
func stripStandardDir(n string) string {
	exe, rest := splitExecutable(n)
	for _, d := range standardDirs {
		if strings.HasPrefix(exe, d) && !strings.ContainsAny(exe[len(d):], `\/`) {
			return join(exe[len(d):], rest)
		}
	}
	return join(exe, rest)
}

// splitExecutable splits a normalised command line into its executable
// (quotes removed) and the rest. An unquoted Windows path with spaces ends at
// the first ".exe" followed by a space.
func splitExecutable(n string) (exe, rest string) {
	if strings.HasPrefix(n, `"`) {
		if i := strings.IndexByte(n[1:], '"'); i >= 0 {
			return n[1 : i+1], strings.TrimSpace(n[i+2:])
		}
	}
	sp := strings.IndexByte(n, ' ')
	if sp < 0 {
		return n, ""
	}
	if strings.ContainsAny(n[:sp], `\/`) {
		if i := strings.Index(n, ".exe"); i > sp && (i+4 == len(n) || n[i+4] == ' ') && !strings.Contains(n[:i], `"`) {
			return n[:i+4], strings.TrimSpace(n[i+4:])
		}
	}
	return n[:sp], n[sp+1:]
}

func join(exe, rest string) string {
	if rest == "" {
		return exe
	}
	return exe + " " + rest
}
