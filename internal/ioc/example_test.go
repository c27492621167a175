package ioc_test

import (
	"fmt"

	"github.com/spotter-soc/spotter/internal/ioc"
)

func ExampleExtract() {
	report := `Stage 2 was pulled from hxxps://cdn-update[.]net/a.bin (185[.]220[.]101[.]45:443),
then the host talked to 10.0.0.5 and [2001:db8::1]:8443. Dropper SHA256
9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 exploits cve-2024-3400;
questions to soc [at] example [dot] com. Build 10.0.19041.1, file update.exe, readme.md.`
	s := ioc.Extract(report)
	fmt.Println("urls:   ", s.URLs)
	fmt.Println("domains:", s.Domains)
	fmt.Println("ipv4:   ", s.IPv4)
	fmt.Println("private:", s.PrivateIPs)
	fmt.Println("sha256: ", s.SHA256)
	fmt.Println("cves:   ", s.CVEs)
	fmt.Println("emails: ", s.Emails)
	fmt.Println("total:  ", s.Len())
	// Output:
	// urls:    [https://cdn-update.net/a.bin]
	// domains: [cdn-update.net]
	// ipv4:    [185.220.101.45]
	// private: [10.0.0.5 2001:db8::1]
	// sha256:  [9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08]
	// cves:    [CVE-2024-3400]
	// emails:  [soc@example.com]
	// total:   8
}

func ExampleClassify() {
	for _, s := range []string{"hxxp://Evil[.]com:80/x", "185[.]220[.]101[.]45", "::ffff:8.8.8.8", "readme.md"} {
		t, norm, ok := ioc.Classify(s)
		fmt.Printf("%q -> %s %q %v\n", s, t, norm, ok)
	}
	// Output:
	// "hxxp://Evil[.]com:80/x" -> url "http://evil.com/x" true
	// "185[.]220[.]101[.]45" -> ipv4 "185.220.101.45" true
	// "::ffff:8.8.8.8" -> ipv4 "8.8.8.8" true
	// "readme.md" ->  "" false
}

func ExampleClassifyIP() {
	for _, s := range []string{"172.26.0.1", "172.32.0.1", "100.64.0.1", "192.0.0.9", "2001:db8::1"} {
		a, _ := ioc.ParseIP(s)
		c := ioc.ClassifyIP(a)
		fmt.Printf("%s public=%v range=%q\n", s, c.Public, c.Range)
	}
	// Output:
	// 172.26.0.1 public=false range="private"
	// 172.32.0.1 public=true range=""
	// 100.64.0.1 public=false range="shared address space (CGNAT)"
	// 192.0.0.9 public=true range="PCP anycast"
	// 2001:db8::1 public=false range="documentation"
}
