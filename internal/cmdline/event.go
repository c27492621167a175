package cmdline

import (
	"strings"
)

// Input is one command line to analyse with what is known about its process.
// Only CommandLine is required.
type Input struct {
	CommandLine string `json:"cmdline"`
	// OS is "windows", "linux" or "macos" (other spellings are normalised);
	// empty means guessed from the command line.
	OS string `json:"os,omitempty"`
	// Image is the executable's path; empty means taken from the command line.
	Image string `json:"image,omitempty"`
	// ParentImage and ParentCommandLine describe the parent process.
	ParentImage       string `json:"parent_image,omitempty"`
	ParentCommandLine string `json:"parent_cmdline,omitempty"`
	User              string `json:"user,omitempty"`
	CurrentDirectory  string `json:"current_directory,omitempty"`
}

// Event is a process-creation event as Sigma rules see it: field name to
// value. Only fields that are known are present; an absent field matches
// `Field: null` and no value.
type Event map[string]string

// Sigma field names the analyser fills.
const (
	FieldImage             = "Image"
	FieldCommandLine       = "CommandLine"
	FieldParentImage       = "ParentImage"
	FieldParentCommandLine = "ParentCommandLine"
	FieldUser              = "User"
	FieldCurrentDirectory  = "CurrentDirectory"
)

// ResolvedOS returns the input's operating system: OS normalised when given,
// else guessed from the command line and image ("" when unknown).
func (in Input) ResolvedOS() string {
	if os := NormalizeOS(in.OS); os != "" {
		return os
	}
	return GuessOS(in.CommandLine, in.Image)
}

// BuildEvent turns an input into the fields Sigma rules test. Image is
// normalised with NormalizeImage (taken from the command line when not
// given); ParentImage likewise from ParentCommandLine. OriginalFileName,
// hashes and other PE metadata are never invented: rules that need them do
// not match.
func BuildEvent(in Input) Event {
	os := in.ResolvedOS()
	ev := Event{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			ev[k] = v
		}
	}
	set(FieldCommandLine, in.CommandLine)
	image := in.Image
	if strings.TrimSpace(image) == "" {
		image = ImageFromCommandLine(in.CommandLine, os)
	}
	set(FieldImage, NormalizeImage(image, os))
	parent := in.ParentImage
	if strings.TrimSpace(parent) == "" && in.ParentCommandLine != "" {
		parent = ImageFromCommandLine(in.ParentCommandLine, GuessOS(in.ParentCommandLine, ""))
	}
	if parent != "" {
		pos := os
		if pos == "" {
			pos = GuessOS(in.ParentCommandLine, parent)
		}
		set(FieldParentImage, NormalizeImage(parent, pos))
	}
	set(FieldParentCommandLine, in.ParentCommandLine)
	set(FieldUser, in.User)
	set(FieldCurrentDirectory, in.CurrentDirectory)
	return ev
}

// ImageFromCommandLine returns the executable a command line starts: the
// quoted first token, an unquoted Windows path up to ".exe" even when it
// holds spaces, or the first word. On Windows the word also ends at "," or
// ";" and right after ".exe" (`cmd.exe/c`), as cmd parses it.
func ImageFromCommandLine(cmd, os string) string {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return ""
	}
	if q := cmd[0]; q == '"' || q == '\'' {
		if i := strings.IndexByte(cmd[1:], q); i >= 0 {
			return cmd[1 : i+1]
		}
	}
	tok := firstToken(cmd)
	if os != OSLinux && os != OSMacOS {
		low := strings.ToLower(cmd)
		if strings.ContainsAny(tok, `\/`) && len(tok) < len(cmd) {
			if i := strings.Index(low, ".exe"); i > len(tok) && (i+4 == len(cmd) || cmd[i+4] == ' ') && !strings.ContainsAny(cmd[:i], `"'`) {
				return cmd[:i+4]
			}
		}
		if i := strings.IndexAny(tok, ",;"); i > 0 {
			tok = tok[:i]
		}
		if i := strings.Index(strings.ToLower(tok), ".exe"); i > 0 {
			tok = tok[:i+4]
		}
	}
	return strings.Trim(tok, `"'`)
}

// NormalizeImage makes an executable name comparable with the
// `Image|endswith: '\name.exe'` and `Image|endswith: '/name'` tests of
// Sigma rules. A bare name is resolved as a PATH lookup would: Windows and
// Unix system binaries get their standard directory (see systemImage), any
// other bare name just a path separator in front, and on Windows ".exe"
// when it has no extension. Paths are kept as they are, except that a
// Windows path written with forward slashes after a drive letter gets
// backslashes.
func NormalizeImage(image, os string) string {
	image = strings.Trim(strings.TrimSpace(image), `"'`)
	if image == "" {
		return ""
	}
	if os == "" {
		os = GuessOS(image, image)
	}
	if os != OSWindows {
		if strings.ContainsAny(image, `/\`) {
			return image
		}
		if unixTools[image] {
			return "/usr/bin/" + image
		}
		return "/" + image
	}
	if len(image) >= 3 && image[1] == ':' && image[2] == '/' {
		image = strings.ReplaceAll(image, "/", `\`)
	}
	if strings.ContainsAny(image, `\/`) {
		return image
	}
	if !strings.Contains(image, ".") {
		image += ".exe"
	}
	if dir, ok := systemImage[strings.ToLower(image)]; ok {
		return dir + image
	}
	return `\` + image
}

const (
	system32   = `C:\Windows\System32\`
	dotnetDir  = `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\`
	powershell = `C:\Windows\System32\WindowsPowerShell\v1.0\`
)

// systemImage is where the Windows binaries a bare name usually means live.
var systemImage = func() map[string]string {
	m := map[string]string{}
	for _, n := range strings.Fields(`cmd certutil bitsadmin mshta rundll32 regsvr32 reg sc schtasks net net1 vssadmin
		wbadmin bcdedit wevtutil ntdsutil msiexec ipconfig systeminfo tasklist taskkill nltest netsh findstr attrib
		icacls takeown cscript wscript forfiles expand esentutl diskshadow mavinject odbcconf control qwinsta quser
		query wusa pcalua infdefaultinstall msdt mmc conhost svchost taskmgr notepad calc cipher fsutil bcdboot
		auditpol gpupdate klist setspn arp route robocopy xcopy where dism sfc reagentc fodhelper eventvwr
		computerdefaults sdclt wsl cmdkey rasdial rdpclip mstsc winrs whoami hostname ping nslookup curl tar cmstp
		certreq bash finger ftp tftp replace extrac32 makecab msinfo32 netstat nbtstat quser logoff shutdown
		wevtutil vaultcmd dnscmd dsquery csvde ldifde mountvol cleanmgr dllhost lsass services smss winlogon
		userinit wermgr werfault runonce atbroker desktopimgdownldr ie4uinit xwizard verclsid pktmon sethc utilman
		osk magnify narrator regedit regini bitsadmin secedit gpresult manage-bde tzutil w32tm driverquery
		openfiles powercfg`) {
		m[n+".exe"] = system32
	}
	for _, n := range []string{"powershell.exe", "powershell_ise.exe"} {
		m[n] = powershell
	}
	for _, n := range []string{"msbuild.exe", "installutil.exe", "regasm.exe", "regsvcs.exe", "csc.exe", "vbc.exe", "jsc.exe", "aspnet_compiler.exe", "ilasm.exe"} {
		m[n] = dotnetDir
	}
	m["wmic.exe"] = system32 + `wbem\`
	m["explorer.exe"] = `C:\Windows\`
	m["hh.exe"] = `C:\Windows\`
	m["regedit.exe"] = `C:\Windows\`
	return m
}()

// SplitParent reads a parent process given as one string: a bare executable
// or path is the parent image; anything with arguments is the parent command
// line, whose executable becomes the parent image.
func SplitParent(p string) (image, cmdline string) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", ""
	}
	image = ImageFromCommandLine(p, GuessOS(p, ""))
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(p, `"'`), image))
	rest = strings.TrimSpace(strings.TrimLeft(rest, `"'`))
	if rest == "" {
		return image, ""
	}
	return image, p
}
