package cmdline

import (
	"regexp"
	"strings"
)

// Operating-system names used in inputs, events and rule products.
const (
	OSWindows = "windows"
	OSLinux   = "linux"
	OSMacOS   = "macos"
)

// NormalizeOS maps common spellings ("Windows 11", "win", "Ubuntu", "darwin",
// "macOS") to OSWindows, OSLinux or OSMacOS; anything else gives "".
func NormalizeOS(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return ""
	case strings.HasPrefix(s, "win"):
		return OSWindows
	case strings.HasPrefix(s, "mac") || strings.HasPrefix(s, "darwin") || s == "osx" || s == "os x":
		return OSMacOS
	case strings.Contains(s, "linux") || strings.Contains(s, "ubuntu") || strings.Contains(s, "debian") ||
		strings.Contains(s, "centos") || strings.Contains(s, "rhel") || strings.Contains(s, "red hat") ||
		strings.Contains(s, "fedora") || strings.Contains(s, "suse") || strings.Contains(s, "alpine") || s == "unix":
		return OSLinux
	}
	return ""
}

var (
	windowsTools = wordSet(`cmd powershell pwsh certutil bitsadmin mshta rundll32 regsvr32 msbuild installutil wmic
		cmstp reg sc schtasks net net1 vssadmin wbadmin bcdedit wevtutil ntdsutil procdump psexec psexec64 paexec msiexec
		ipconfig systeminfo tasklist taskkill nltest netsh findstr attrib icacls takeown cscript wscript forfiles expand
		esentutl diskshadow mavinject odbcconf regasm regsvcs control explorer qwinsta quser query dsquery adfind
		csvde ldifde wusa pcalua hh infdefaultinstall msdt msconfig mmc conhost svchost lsass taskmgr notepad calc
		cipher fsutil bcdboot auditpol gpupdate klist setspn arp route robocopy xcopy where dism sfc reagentc
		mpcmdrun msiexec fodhelper eventvwr computerdefaults sdclt wsl ieexec presentationhost dnscmd
		vaultcmd cmdkey rasdial rdpclip mstsc winrm winrs sqlcmd sqlps`)
	macTools = wordSet(`osascript launchctl defaults dscl security sw_vers csrutil spctl xattr ditto hdiutil pbpaste
		pbcopy plutil system_profiler networksetup kextload kextstat softwareupdate tmutil screencapture codesign
		pkgutil installer dscacheutil scutil ioreg mdfind sysadminctl dseditgroup profiles kickstart nvram
		launchd open socketfilterfw brew`)
	unixTools = wordSet(`bash sh zsh dash ksh csh tcsh fish curl wget chmod chown chattr crontab nc ncat netcat socat
		python python2 python3 perl ruby php lua node base64 systemctl service useradd usermod userdel groupadd
		passwd chpasswd iptables ip6tables ufw firewall-cmd apt apt-get yum dnf rpm dpkg snap insmod modprobe rmmod
		setenforce nohup sudo su awk gawk sed grep egrep cat head tail id uname ls rm cp mv mkdir tar gzip unzip
		find xargs ssh scp sftp rsync history journalctl auditctl kill pkill killall ps top env export chroot
		mount umount dd shred wipe touch ln mkfifo telnet nmap masscan hydra john hashcat tcpdump tshark getent
		xmrig minerd git docker kubectl crictl ldd strace gdb busybox tftp ftp lsof ss netstat ifconfig sysctl
		at atq systemd-run visudo gcc cc make who w last ip getenforce sestatus openssl jq lsmod
		useradd apk zypper pacman`)

	winPathArg  = regexp.MustCompile(`(?i)(?:^|[\s"'=(])(?:[a-z]:\\|\\\\[a-z0-9._-]+\\|%[a-z_]+%)`)
	winSwitch   = regexp.MustCompile(`(?i)\s/[a-z?]{1,12}(?:\s|$|:)`)
	unixPathArg = regexp.MustCompile(`(?:^|[\s"'=>|;(])(?:/tmp/|/etc/|/dev/|/var/|/usr/|/bin/|/sbin/|/home/|/root/|/opt/|/proc/|~/)`)
	macPathArg  = regexp.MustCompile(`(?:^|[\s"'=>|;(])(?:~?/Users/|~?/Library/|/Applications/|/System/|/private/|/Volumes/|/usr/libexec/ApplicationFirewall/)|\.app/|\.plist\b|\.dylib\b|\.keychain\b`)
	// wrappers are commands that run the next word as the program.
	wrappers = wordSet(`sudo doas env nohup exec time nice timeout stdbuf setsid`)
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// GuessOS guesses the operating system a command line ran on from its
// executable (image, or else the first token) and the paths and switches in
// its arguments. It returns OSWindows, OSLinux, OSMacOS, or "" when the line
// gives no hint.
func GuessOS(cmdline, image string) string {
	first := image
	if first == "" {
		first = firstToken(cmdline)
		rest := strings.TrimSpace(cmdline)
		for i := 0; i < 3 && wrappers[strings.ToLower(baseName(first))]; i++ {
			rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(rest, `"'`), first))
			rest = strings.TrimSpace(strings.TrimLeft(rest, `"'`))
			for strings.HasPrefix(rest, "-") {
				_, after, _ := strings.Cut(rest, " ")
				rest = strings.TrimSpace(after)
			}
			first = firstToken(rest)
		}
	}
	win, unix, mac := 0, 0, 0
	lowFirst := strings.ToLower(first)
	name := baseName(lowFirst)
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		ext = name[i:]
	}
	switch {
	case strings.ContainsRune(first, '\\') || len(first) >= 2 && first[1] == ':' || strings.HasPrefix(first, "%"):
		win += 4
	case strings.HasPrefix(first, "/"):
		unix += 2
		if macPathArg.MatchString(first) || strings.HasPrefix(first, "/usr/libexec/") && macTools[name] {
			mac += 3
		}
	}
	switch ext {
	case ".exe", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".hta", ".dll", ".msi", ".wsf", ".cpl", ".scr":
		win += 4
	case ".sh", ".py", ".pl", ".rb", ".elf":
		unix++
	}
	stem := strings.TrimSuffix(name, ext)
	if ext != ".exe" {
		stem = name
	}
	switch {
	case windowsTools[stem]:
		win += 2
	case macTools[stem]:
		mac += 3
		unix++
	case unixTools[stem]:
		unix += 2
	}
	if winPathArg.MatchString(cmdline) {
		win += 2
	}
	if winSwitch.MatchString(cmdline) {
		win++
	}
	if unixPathArg.MatchString(cmdline) {
		unix += 2
	}
	if macPathArg.MatchString(cmdline) {
		mac += 2
		unix++
	}
	switch {
	case win == 0 && unix == 0 && mac == 0:
		return ""
	case win >= unix+mac:
		return OSWindows
	case mac >= 2:
		return OSMacOS
	}
	return OSLinux
}

// firstToken returns the first word of a command line, without quotes; a
// quoted executable keeps its spaces.
func firstToken(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return ""
	}
	if q := cmd[0]; q == '"' || q == '\'' {
		if i := strings.IndexByte(cmd[1:], q); i >= 0 {
			return cmd[1 : i+1]
		}
		cmd = cmd[1:]
	}
	if i := strings.IndexAny(cmd, " \t\r\n"); i >= 0 {
		return cmd[:i]
	}
	return cmd
}

// baseName returns the last element of a Windows or Unix path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}
