package incident

import "testing"

func TestNormalizeCommandLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  cmd.exe   /c   whoami  ", "cmd.exe /c whoami"},
		{"CMD.EXE /C WHOAMI", "cmd.exe /c whoami"},
		{"cmd.exe\t/c\r\nwhoami", "cmd.exe /c whoami"},
		{"net1 user bob /add", "net user bob /add"},
		{"net1  user bob", "net user bob"},
		{`C:\Windows\system32\net1.exe localgroup administrators`, `c:\windows\system32\net.exe localgroup administrators`},
		{`"C:\Windows\System32\net1.exe" user`, `"c:\windows\system32\net.exe" user`},
		{"cmd /c net1 group", "cmd /c net group"},
		{"net1", "net"},
		{"netnet1 user", "netnet1 user"},         // not the tool name
		{"net10 user", "net10 user"},             // not the tool name
		{"echo internet1 x", "echo internet1 x"}, // word inside another word
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeCommandLine(tt.in); got != tt.want {
			t.Errorf("NormalizeCommandLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStandardCommands(t *testing.T) {
	std := NewStandardCommands([]string{"C:\\Program Files\\Agent\\agent.exe --service", "myscanner -q"}, false)
	tests := []struct {
		cmd  string
		want bool
	}{
		{"explorer.exe", true},
		{`C:\Windows\explorer.exe`, true},
		{`C:\WINDOWS\Explorer.EXE`, true},
		{"cmd.exe", true},
		{`"C:\Windows\system32\cmd.exe"`, true},
		{`C:\Windows\system32\svchost.exe -k netsvcs -p`, true},
		{`C:\Windows\System32\svchost.exe  -k  netsvcs  -p`, true},
		{"/usr/sbin/sshd -D", true},
		{"  /usr/sbin/sshd   -D ", true},
		{"sshd -D", true},
		{"bash", true},
		{"myscanner -q", true},
		// arguments make it worth analysing
		{"cmd.exe /c whoami", false},
		{"notepad.exe -param", false},
		{`C:\Windows\system32\svchost.exe -k evil`, false},
		{"powershell.exe -enc SQBFAFgA", false},
		// a standard name outside a standard directory is masquerading
		{`C:\Users\Public\svchost.exe -k netsvcs -p`, false},
		{`C:\ProgramData\explorer.exe`, false},
		{"/tmp/sshd -D", false},
		{"/dev/shm/bash", false},
		{"", false},
		// a configured entry with its own directory matches that path, quoted or not
		{`"C:\Program Files\Agent\agent.exe" --service`, true},
		{`C:\Program Files\Agent\agent.exe --service`, true},
		{"agent.exe --service", false},
		{`C:\Temp\Agent\agent.exe --service`, false},
	}
	for _, tt := range tests {
		if got := std.IsStandard(tt.cmd); got != tt.want {
			t.Errorf("IsStandard(%q) = %v, want %v", tt.cmd, got, tt.want)
		}
	}
	if NewStandardCommands(nil, true).IsStandard("explorer.exe") {
		t.Error("replaceDefaults must drop the built-in list")
	}
}
