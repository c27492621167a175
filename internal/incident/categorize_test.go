package incident

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build makes an incident from entity kinds and property objects.
func build(t *testing.T, title, desc string, ents ...string) *Incident {
	t.Helper()
	var list []string
	for i, e := range ents {
		kind, props, _ := strings.Cut(e, " ")
		list = append(list, fmt.Sprintf(`{"id":"e%d","kind":%q,"properties":%s}`, i, kind, props))
	}
	doc := fmt.Sprintf(`{"incident":{"properties":{"title":%q,"description":%q}},"entities":[%s]}`, title, desc, strings.Join(list, ","))
	inc, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return inc
}

func values[T any](items []T, get func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, get(it))
	}
	return out
}

func ipValues(l []IP) []string           { return values(l, func(x IP) string { return x.Value }) }
func accountValues(l []Account) []string { return values(l, func(x Account) string { return x.Value }) }
func procValues(l []Process) []string    { return values(l, func(x Process) string { return x.Value }) }
func hashValues(l []Hash) []string {
	return values(l, func(x Hash) string { return x.Algorithm + ":" + x.Value })
}
func domainValues(l []Domain) []string { return values(l, func(x Domain) string { return x.Value }) }
func urlValues(l []URL) []string       { return values(l, func(x URL) string { return x.Value }) }
func skipValues(l []Skip) []string {
	return values(l, func(x Skip) string { return x.Type + ":" + x.Value + ":" + x.Reason })
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestCategorizeIPs(t *testing.T) {
	inc := build(t, "t", "",
		`Ip {"address":"185.220.101.47","location":{"countryCode":"DE","asn":208294},"threatIntelligence":[{"confidence":0.9,"threatName":"Tor"}]}`,
		`Ip {"address":"172.26.0.1"}`,     // private: must not be judged by a "172.26." string test
		`Ip {"address":"8.172.26.1"}`,     // public, though it contains "172.26."
		`Ip {"address":"10.172.26.5"}`,    // private
		`Ip {"address":"172.32.0.1"}`,     // public: just past 172.16.0.0/12
		`Ip {"address":"100.64.0.1"}`,     // CGNAT
		`Ip {"address":"192.169.1.1"}`,    // public
		`Ip {"address":"::ffff:8.8.8.8"}`, // IPv4-mapped: the IPv4 address is the indicator
		`Ip {"address":"8.8.8.8"}`,        // duplicate after normalisation
		`Ip {"address":"fe80::1%eth0"}`,
		`Ip {"address":"2001:DB8::1"}`,
		`Ip {"address":"2606:4700:4700::1111"}`,
		`Ip {"address":"not-an-ip"}`,
	)
	e := Categorize(inc, DefaultOptions())
	eq(t, "public", ipValues(e.IPsPublic), []string{"185.220.101.47", "8.172.26.1", "172.32.0.1", "192.169.1.1", "8.8.8.8", "2606:4700:4700::1111"})
	eq(t, "private", ipValues(e.IPsPrivate), []string{"172.26.0.1", "10.172.26.5", "100.64.0.1", "fe80::1", "2001:db8::1"})
	if e.IPsPublic[0].Country != "DE" || e.IPsPublic[0].ASN != 208294 || len(e.IPsPublic[0].ThreatIntel) != 1 || e.IPsPublic[0].ThreatIntel[0].Confidence != 0.9 {
		t.Errorf("location/TI not kept: %+v", e.IPsPublic[0])
	}
	if e.IPsPrivate[2].Range == "" {
		t.Errorf("private IP without a range name: %+v", e.IPsPrivate[2])
	}
	eq(t, "skipped", skipValues(e.Skipped), []string{"ip:not-an-ip:not a valid IP address"})
}

func TestCategorizeAccounts(t *testing.T) {
	inc := build(t, "t", "",
		`Account {"accountName":"alice","upnSuffix":"contoso.com","aadUserId":"AAAA-1","sid":"S-1-5-21-1"}`,
		`Account {"accountName":"Alice","upnSuffix":"Contoso.com"}`,                                  // same UPN: merged
		`Account {"accountName":"x","additionalData":{"UserPrincipalName":"Bob.Smith@Contoso.com"}}`, // UPN from additionalData wins
		`Account {"accountName":"WS01$","ntDomain":"CONTOSO"}`,                                       // machine account
		`Account {"accountName":"svc_scan","ntDomain":"CONTOSO"}`,                                    // skip list by DOMAIN\name
		`Account {"accountName":"carol","ntDomain":"CONTOSO","sid":"S-1-5-21-9"}`,                    // no UPN
		`Account {"sid":"S-1-5-21-9","displayName":"Carol"}`,                                         // same SID: merged
		`Account {"aadUserId":"bbbb-2"}`,                                                             // id only
		`Account {}`,
	)
	opts := DefaultOptions()
	opts.SkipAccounts = []string{`contoso\SVC_SCAN`}
	e := Categorize(inc, opts)
	eq(t, "accounts", accountValues(e.Accounts), []string{"alice@contoso.com", "bob.smith@contoso.com", `CONTOSO\carol`, "bbbb-2"})
	a := e.Accounts[0]
	if a.AADUserID != "aaaa-1" || a.SID != "S-1-5-21-1" || len(a.Sources) != 1 {
		t.Errorf("alice: %+v", a)
	}
	if e.Accounts[2].DisplayName != "Carol" {
		t.Errorf("carol not merged by SID: %+v", e.Accounts[2])
	}
	eq(t, "skipped", skipValues(e.Skipped), []string{
		`account:CONTOSO\WS01$:machine account`, `account:CONTOSO\svc_scan:skip list`, "account:(no properties):Account entity without a name, UPN or id",
	})
}

func TestCategorizeHostsAndProcesses(t *testing.T) {
	inc := build(t, "t", "",
		`Host {"hostName":"WS01","dnsDomain":"corp.contoso.com","azureID":"/sub/x","osFamily":"Windows"}`,
		`Host {"hostName":"ws01.corp.contoso.com"}`,
		`Process {"commandLine":"C:\\Windows\\system32\\svchost.exe -k netsvcs -p","hostEntityId":"e0"}`,
		`Process {"commandLine":"explorer.exe"}`,
		`Process {"commandLine":"/usr/sbin/sshd -D"}`,
		`Process {"commandLine":"net1 user eve /add","hostEntityId":"e0"}`,
		`Process {"commandLine":"NET  user eve /add"}`, // same normalised command line
		`Process {"commandLine":"notepad.exe -param"}`,
		`Process {"commandLine":"C:\\Users\\Public\\svchost.exe -k netsvcs -p"}`,
		`Process {"processId":"12"}`,
	)
	e := Categorize(inc, DefaultOptions())
	if len(e.Hosts) != 1 || e.Hosts[0].Value != "ws01.corp.contoso.com" || e.Hosts[0].AzureID != "/sub/x" || len(e.Hosts[0].Sources) != 1 {
		t.Errorf("hosts: %+v", e.Hosts)
	}
	eq(t, "analysed", procValues(e.CmdlinesAnalyzed), []string{"net1 user eve /add", "notepad.exe -param", `C:\Users\Public\svchost.exe -k netsvcs -p`})
	eq(t, "skipped", procValues(e.CmdlinesSkipped), []string{`C:\Windows\system32\svchost.exe -k netsvcs -p`, "explorer.exe", "/usr/sbin/sshd -D"})
	if e.CmdlinesAnalyzed[0].Host != "WS01" || e.CmdlinesAnalyzed[0].Normalized != "net user eve /add" {
		t.Errorf("process detail: %+v", e.CmdlinesAnalyzed[0])
	}
	if e.CmdlinesSkipped[0].SkipReason == "" {
		t.Error("skipped command line without a reason")
	}
}

func TestCategorizeHashes(t *testing.T) {
	md5 := "44D88612FEA8A8F36DE82E1278ABB02F"
	sha1 := "3395856ce81f2b7382dee72602f798b642f14140"
	sha256 := "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
	inc := build(t, "t", "dropped "+strings.ToLower(md5)+" again",
		`FileHash {"algorithm":"MD5","hashValue":"`+md5+`"}`,
		`FileHash {"algorithm":"SHA1","hashValue":"`+sha1+`"}`,
		`FileHash {"algorithm":"Unknown","hashValue":"`+sha256+`"}`, // algorithm from the length
		`FileHash {"algorithm":"SHA256","hashValue":"`+md5+`"}`,     // mislabelled: the length decides
		`FileHash {"algorithm":"SHA256AC","hashValue":"`+strings.Repeat("ab", 32)+`"}`,
		`FileHash {"algorithm":"SHA1","hashValue":"xyz"}`,
		`FileHash {"algorithm":"MD5","hashValue":"0123456789abcdef0123456789abcdef"}`,          // on the skip list
		`FileHash {"algorithm":"SHA1","hashValue":"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"}`, // the empty file
		`File {"directory":"C:\\Temp","fileName":"a.exe","fileHashEntityIds":["e0","e1"]}`,
		`Malware {"malwareName":"EICAR","fileEntityIds":["e8"]}`,
	)
	opts := DefaultOptions()
	opts.SkipHashes = []string{"0123456789ABCDEF0123456789ABCDEF"} // the reference never applied its hash skip list
	e := Categorize(inc, opts)
	eq(t, "hashes", hashValues(e.Hashes), []string{"md5:" + strings.ToLower(md5), "sha1:" + sha1, "sha256:" + sha256, "sha256ac:" + strings.Repeat("ab", 32)})
	if got := e.Hashes[0].Sources; len(got) != 2 {
		t.Errorf("md5 seen in the entity and the description, sources %v", got)
	}
	if len(e.Files) != 1 || e.Files[0].Value != `C:\Temp\a.exe` || len(e.Files[0].Hashes) != 2 || e.Files[0].Malware[0] != "EICAR" {
		t.Errorf("files: %+v", e.Files)
	}
	if e.Hashes[0].FileNames[0] != "a.exe" {
		t.Errorf("hash file names: %+v", e.Hashes[0])
	}
	eq(t, "skipped", skipValues(e.Skipped), []string{
		"hash:xyz:not an MD5, SHA1 or SHA256 hash (expected 32, 40 or 64 hex characters)",
		"hash:0123456789abcdef0123456789abcdef:skip list",
		"hash:da39a3ee5e6b4b0d3255bfef95601890afd80709:hash of an empty file",
	})
}

func TestCategorizeURLsDomainsMail(t *testing.T) {
	inc := build(t, "Phish from hxxps://evil-login[.]com/a", "Users reached evil-login.com and cdn.badcdn.net; see readme.md and invoice.pdf; mail ops@contoso.com",
		`Account {"accountName":"alice","upnSuffix":"contoso.com"}`,
		`Url {"url":"HTTPS://Evil-Login.com:443/a"}`,
		`Url {"url":"http://203.0.113.9/payload"}`,
		`DnsResolution {"domainName":"cdn.BadCDN.net.","ipAddressEntityIds":["e4"]}`, // the reference's "DNS" case never matched this kind
		`Ip {"address":"45.155.205.233"}`,
		`MailMessage {"p1Sender":"IT@Phish.example.org","recipient":"alice@contoso.com","urls":["https://evil-login.com/a"],"threats":["Phish"],"senderIP":"45.155.205.233","subject":"Reset at mail.contoso.com"}`,
		`Mailbox {"mailboxPrimaryAddress":"alice@contoso.com"}`,
		`Url {"url":"https://portal.contoso.com/x"}`,
	)
	e := Categorize(inc, DefaultOptions())
	eq(t, "urls", urlValues(e.URLs), []string{"HTTPS://Evil-Login.com:443/a", "http://203.0.113.9/payload", "https://portal.contoso.com/x"})
	eq(t, "domains", domainValues(e.Domains), []string{"evil-login.com", "cdn.badcdn.net"})
	if d := e.Domains[1]; len(d.ResolvedIPs) != 1 || d.ResolvedIPs[0] != "45.155.205.233" {
		t.Errorf("resolved IPs: %+v", d)
	}
	emails := values(e.Emails, func(x Email) string { return x.Value + "=" + strings.Join(x.Roles, "+") })
	eq(t, "emails", emails, []string{"it@phish.example.org=sender", "alice@contoso.com=recipient+mailbox", "ops@contoso.com=text"})
	if len(e.MailMessages) != 1 || e.MailMessages[0].Threats[0] != "Phish" {
		t.Errorf("mail: %+v", e.MailMessages)
	}
	eq(t, "skipped", skipValues(e.Skipped), []string{
		"domain:portal.contoso.com:the organisation's own domain (seen as an account UPN suffix or host DNS domain)",
		"domain:mail.contoso.com:the organisation's own domain (seen as an account UPN suffix or host DNS domain)",
	})
	if len(e.Other) != 1 || e.Other[0].Kind != "Mailbox" {
		t.Errorf("other: %+v", e.Other)
	}
}

func TestCategorizeSkipLists(t *testing.T) {
	inc := build(t, "t", "seen 198.18.0.1 and 52.1.2.3 and 52.9.9.9 at intranet.corp-tools.com and x.corp-tools.com",
		`Ip {"address":"52.1.2.3"}`,
	)
	opts := DefaultOptions()
	opts.SkipIPs = []string{"52.1.0.0/16"}
	opts.SkipDomains = []string{"corp-tools.com"}
	e := Categorize(inc, opts)
	eq(t, "public", ipValues(e.IPsPublic), []string{"52.9.9.9"})
	eq(t, "private", ipValues(e.IPsPrivate), []string{"198.18.0.1"})
	eq(t, "domains", domainValues(e.Domains), []string{})
	eq(t, "skipped", skipValues(e.Skipped), []string{
		"ip:52.1.2.3:skip list (52.1.0.0/16)", "domain:intranet.corp-tools.com:skip list", "domain:x.corp-tools.com:skip list",
	})
}

func TestCategorizeTextOff(t *testing.T) {
	inc := build(t, "from 1.2.3.4", "evil.com", `Ip {"address":"5.6.7.8"}`)
	opts := DefaultOptions()
	opts.ExtractFromText = false
	e := Categorize(inc, opts)
	eq(t, "public", ipValues(e.IPsPublic), []string{"5.6.7.8"})
	eq(t, "domains", domainValues(e.Domains), []string{})
}

func TestCategorizeUnknownKindsKept(t *testing.T) {
	inc := build(t, "t", "", `Nic {"macAddress":"00:11:22:33:44:55","friendlyName":"eth0"}`, `RegistryKey {"hive":"HKEY_LOCAL_MACHINE","key":"SOFTWARE\\Run"}`)
	e := Categorize(inc, DefaultOptions())
	got := values(e.Other, func(x OtherEntity) string { return x.Kind + "=" + x.Value })
	eq(t, "other", got, []string{"Nic=eth0", `RegistryKey=SOFTWARE\Run`})
}

func TestCategorizeListsNeverNil(t *testing.T) {
	inc := build(t, "t", "")
	b, err := json.Marshal(Categorize(inc, DefaultOptions()))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "null") {
		t.Errorf("nil list marshals as null: %s", b)
	}
}

func TestCategorizeExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "ransomware-staging.json"))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	e := Categorize(inc, DefaultOptions())
	eq(t, "accounts", accountValues(e.Accounts), []string{"svc_backup@fabrikam.net"})
	if len(e.CmdlinesAnalyzed) != 5 || len(e.CmdlinesSkipped) != 3 {
		t.Errorf("analysed %q, skipped %q", procValues(e.CmdlinesAnalyzed), procValues(e.CmdlinesSkipped))
	}
	if len(e.CVEs) != 1 || e.CVEs[0].Value != "CVE-2024-21412" {
		t.Errorf("cves: %+v", e.CVEs)
	}
	for _, ip := range e.IPsPublic {
		if ip.Value == "10.0.20348.2849" || strings.HasPrefix(ip.Value, "10.0.") {
			t.Errorf("version string taken for an IP: %s", ip.Value)
		}
	}
}
