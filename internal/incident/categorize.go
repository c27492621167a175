package incident

import (
	"cmp"
	"fmt"
	"net/netip"
	"path"
	"strings"

	"github.com/spotter-soc/spotter/internal/ioc"
)

// Categorize sorts the incident's entities, and the indicators found in its
// free text, into Entities. Every entity appears somewhere: in a category, in
// Other, or in Skipped with the reason.
func Categorize(inc *Incident, opts Options) *Entities {
	c := newCollector(inc, opts)
	for _, e := range inc.Entities {
		c.entity(e)
	}
	if opts.ExtractFromText {
		c.text("title", inc.Title)
		c.text("description", inc.Description)
		for _, a := range inc.Alerts {
			c.text("alert", a.Name)
			c.text("alert description", a.Description)
		}
		for _, p := range c.out.CmdlinesAnalyzed {
			c.text("command line", p.Value)
			if opts.DecodeCommandLine != nil {
				for _, d := range opts.DecodeCommandLine(p.Value) {
					c.text("decoded command line", d)
				}
			}
		}
		for _, m := range c.out.MailMessages {
			c.text("mail subject", m.Subject)
		}
		for _, cm := range inc.Comments {
			c.text("comment", cm.Message)
		}
	}
	c.finish()
	return c.out
}

func (c *collector) entity(e Entity) {
	src := "entity:" + e.Kind
	switch strings.ToLower(e.Kind) {
	case "ip":
		c.ipEntity(e, src)
	case "account":
		c.account(e, src)
	case "host":
		c.host(e, src)
	case "process":
		c.process(e, src)
	case "file":
		c.file(e, src)
	case "filehash":
		c.hash(e.Str("hashValue"), e.Str("algorithm"), src)
	case "url":
		c.url(e.Str("url"), src)
	case "dnsresolution":
		d := c.domain(e.Str("domainName"), src)
		for _, id := range e.Strs("ipAddressEntityIds") {
			if ipe, ok := c.byID[id]; ok && d != nil {
				d.ResolvedIPs = appendNew(d.ResolvedIPs, ipe.Str("address"))
			}
		}
	case "mailmessage":
		c.mailMessage(e, src)
	case "mailbox":
		c.email(e.Str("mailboxPrimaryAddress"), "mailbox", src)
		c.other(e)
	case "submissionmail":
		c.email(e.Str("sender"), "sender", src)
		c.email(e.Str("recipient"), "recipient", src)
		c.ip(e.Str("senderIp"), src, nil)
		c.other(e)
	case "malware":
		for _, id := range e.Strs("fileEntityIds") {
			c.fileMalware[id] = appendNew(c.fileMalware[id], e.Str("malwareName"))
		}
		c.other(e)
	default:
		c.other(e)
	}
}

func (c *collector) ipEntity(e Entity, src string) {
	addr := e.Str("address")
	ip := c.ip(addr, src, &e)
	if ip == nil && addr == "" {
		c.skip("ip", e.Display(), "Ip entity without an address")
	}
}

// ip adds an address; it returns nil when the value is not an IP address or is skipped.
func (c *collector) ip(value, src string, e *Entity) *IP {
	if value == "" {
		return nil
	}
	a, ok := ioc.ParseIP(value)
	if !ok {
		c.skip("ip", value, "not a valid IP address")
		return nil
	}
	key := a.String()
	if p := c.ipSkipped(a); p != "" {
		c.skipOnce("ip", key, "skip list ("+p+")")
		return nil
	}
	cls := ioc.ClassifyIP(a)
	list := &c.out.IPsPublic
	if !cls.Public {
		list = &c.out.IPsPrivate
	}
	i, seen := c.ips[key]
	if !seen {
		version := 4
		if a.Is6() {
			version = 6
		}
		*list = append(*list, IP{Value: key, Version: version, Range: cls.Range})
		i = len(*list) - 1
		c.ips[key] = i
	}
	ip := &(*list)[i]
	ip.Sources = appendNew(ip.Sources, src)
	if e != nil {
		if loc := e.Obj("location"); loc != nil {
			ip.Country = cmp.Or(ip.Country, asString(loc["countryCode"]), asString(loc["countryName"]))
			ip.City = cmp.Or(ip.City, asString(loc["city"]))
			if ip.ASN == 0 {
				fmt.Sscan(asString(loc["asn"]), &ip.ASN)
			}
		}
		for _, ti := range e.Objs("threatIntelligence") {
			t := ThreatIntel{
				Provider:    asString(ti["providerName"]),
				Type:        asString(ti["threatType"]),
				Name:        asString(ti["threatName"]),
				Description: asString(ti["threatDescription"]),
				Link:        asString(ti["reportLink"]),
			}
			fmt.Sscan(asString(ti["confidence"]), &t.Confidence)
			ip.ThreatIntel = append(ip.ThreatIntel, t)
		}
	}
	return ip
}

func (c *collector) ipSkipped(a netip.Addr) string {
	for _, p := range c.skipIPs {
		if p.Contains(a) {
			return p.String()
		}
	}
	return ""
}

func (c *collector) account(e Entity, src string) {
	name := e.Str("accountName")
	suffix := e.Str("upnSuffix")
	upn := cmp.Or(e.AdditionalString("UserPrincipalName"), e.AdditionalString("userPrincipalName"))
	if upn == "" && name != "" && suffix != "" {
		upn = name + "@" + suffix
	}
	upn = strings.ToLower(upn)
	a := Account{
		UPN: upn, Name: name, NTDomain: e.Str("ntDomain"), UPNSuffix: strings.ToLower(suffix),
		DisplayName: e.Str("displayName"), AADUserID: strings.ToLower(e.Str("aadUserId")),
		AADTenantID: e.Str("aadTenantId"), SID: e.Str("sid"), ObjectGUID: e.Str("objectGuid"),
	}
	switch {
	case upn != "":
		a.Value = upn
	case a.NTDomain != "" && name != "":
		a.Value = a.NTDomain + `\` + name
	default:
		a.Value = cmp.Or(name, a.AADUserID, a.SID, a.ObjectGUID, e.Str("friendlyName"))
	}
	if a.Value == "" {
		c.skip("account", e.Display(), "Account entity without a name, UPN or id")
		return
	}
	if strings.HasSuffix(name, "$") || (name == "" && strings.HasSuffix(a.Value, "$")) {
		c.skipOnce("account", a.Value, "machine account")
		return
	}
	if c.matchAccountSkip(a) {
		c.skipOnce("account", a.Value, "skip list")
		return
	}
	keys := accountKeys(a)
	for _, k := range keys {
		if i, ok := c.accounts[k]; ok {
			mergeAccount(&c.out.Accounts[i], a, src)
			for _, k2 := range keys {
				c.accounts[k2] = i
			}
			return
		}
	}
	a.Sources = []string{src}
	c.out.Accounts = append(c.out.Accounts, a)
	for _, k := range keys {
		c.accounts[k] = len(c.out.Accounts) - 1
	}
}

func accountKeys(a Account) []string {
	var keys []string
	for _, k := range []string{a.AADUserID, a.UPN, a.SID, a.ObjectGUID} {
		if k != "" {
			keys = append(keys, strings.ToLower(k))
		}
	}
	if len(keys) == 0 {
		keys = append(keys, strings.ToLower(a.Value))
	}
	return keys
}

func mergeAccount(dst *Account, src Account, source string) {
	if dst.UPN == "" && src.UPN != "" {
		dst.UPN, dst.Value = src.UPN, src.UPN
	}
	dst.Name = cmp.Or(dst.Name, src.Name)
	dst.NTDomain = cmp.Or(dst.NTDomain, src.NTDomain)
	dst.UPNSuffix = cmp.Or(dst.UPNSuffix, src.UPNSuffix)
	dst.DisplayName = cmp.Or(dst.DisplayName, src.DisplayName)
	dst.AADUserID = cmp.Or(dst.AADUserID, src.AADUserID)
	dst.AADTenantID = cmp.Or(dst.AADTenantID, src.AADTenantID)
	dst.SID = cmp.Or(dst.SID, src.SID)
	dst.ObjectGUID = cmp.Or(dst.ObjectGUID, src.ObjectGUID)
	dst.Sources = appendNew(dst.Sources, source)
}

func (c *collector) matchAccountSkip(a Account) bool {
	for _, v := range []string{a.Value, a.UPN, a.Name, a.SID} {
		if v == "" {
			continue
		}
		if _, ok := c.skipAccounts[strings.ToLower(v)]; ok {
			return true
		}
	}
	if a.NTDomain != "" && a.Name != "" {
		_, ok := c.skipAccounts[strings.ToLower(a.NTDomain+`\`+a.Name)]
		return ok
	}
	return false
}

func (c *collector) host(e Entity, src string) {
	name := strings.ToLower(cmp.Or(e.Str("hostName"), e.Str("netBiosName")))
	dns := strings.ToLower(strings.TrimSuffix(e.Str("dnsDomain"), "."))
	h := Host{
		HostName: name, DNSDomain: dns, NetBIOSName: e.Str("netBiosName"), NTDomain: e.Str("ntDomain"),
		AzureID: e.Str("azureID"), OMSAgentID: e.Str("omsAgentID"), OSFamily: e.Str("osFamily"), OSVersion: e.Str("osVersion"),
	}
	h.Value = name
	if name != "" && dns != "" && !strings.HasSuffix(name, "."+dns) {
		h.Value = name + "." + dns
	}
	if h.Value == "" {
		h.Value = strings.ToLower(cmp.Or(h.AzureID, e.Str("friendlyName")))
	}
	if h.Value == "" {
		c.skip("host", e.Display(), "Host entity without a name or id")
		return
	}
	if i, ok := c.hosts[h.Value]; ok {
		d := &c.out.Hosts[i]
		d.AzureID = cmp.Or(d.AzureID, h.AzureID)
		d.OSFamily = cmp.Or(d.OSFamily, h.OSFamily)
		d.OSVersion = cmp.Or(d.OSVersion, h.OSVersion)
		d.Sources = appendNew(d.Sources, src)
		return
	}
	h.Sources = []string{src}
	c.out.Hosts = append(c.out.Hosts, h)
	c.hosts[h.Value] = len(c.out.Hosts) - 1
	if dns != "" {
		c.ownDomains[dns] = struct{}{}
	}
}

func (c *collector) process(e Entity, src string) {
	cmd := strings.TrimSpace(e.Str("commandLine"))
	p := Process{
		Value: cmd, Normalized: NormalizeCommandLine(cmd), ProcessID: e.Str("processId"),
		Created: e.Str("creationTimeUtc"), Elevation: e.Str("elevationToken"),
	}
	if f, ok := c.byID[e.Str("imageFileEntityId")]; ok {
		p.Image = filePath(f)
	}
	if parent, ok := c.byID[e.Str("parentProcessEntityId")]; ok {
		p.ParentCmdline = parent.Str("commandLine")
	}
	if h, ok := c.byID[e.Str("hostEntityId")]; ok {
		p.Host = h.Display()
	}
	if a, ok := c.byID[e.Str("accountEntityId")]; ok {
		p.Account = a.Display()
	}
	if cmd == "" {
		if p.Image == "" {
			c.skip("process", e.Display(), "Process entity without a command line")
			return
		}
		p.Value, p.Normalized = p.Image, NormalizeCommandLine(p.Image)
	}
	list := &c.out.CmdlinesAnalyzed
	if c.standard.IsStandard(p.Value) {
		p.SkipReason = "standard OS execution"
		list = &c.out.CmdlinesSkipped
	}
	// The same command run from a system directory or from PATH is one command.
	key := stripStandardDir(p.Normalized)
	if i, ok := c.procs[key]; ok {
		d := &(*list)[i]
		d.Sources = appendNew(d.Sources, src)
		return
	}
	p.Sources = []string{src}
	*list = append(*list, p)
	c.procs[key] = len(*list) - 1
}

func filePath(f Entity) string {
	dir, name := f.Str("directory"), f.Str("fileName")
	switch {
	case dir == "":
		return name
	case name == "":
		return dir
	case strings.Contains(dir, `\`):
		return strings.TrimSuffix(dir, `\`) + `\` + name
	default:
		return path.Join(dir, name)
	}
}

func (c *collector) file(e Entity, src string) {
	f := File{Name: e.Str("fileName"), Directory: e.Str("directory"), Value: filePath(e)}
	if h, ok := c.byID[e.Str("hostEntityId")]; ok {
		f.Host = h.Display()
	}
	if f.Value == "" {
		c.skip("file", e.Display(), "File entity without a name")
		return
	}
	for _, id := range e.Strs("fileHashEntityIds") {
		if he, ok := c.byID[id]; ok {
			v := strings.ToLower(he.Str("hashValue"))
			f.Hashes = appendNew(f.Hashes, v)
			c.hashFiles[v] = appendNew(c.hashFiles[v], f.Name)
		}
	}
	f.Malware = c.fileMalware[e.ID]
	f.Sources = []string{src}
	c.out.Files = append(c.out.Files, f)
	c.fileIDs = append(c.fileIDs, e.ID)
}

// emptyFileHashes are the hashes of zero bytes: every reputation source
// knows them, none can say anything useful about them.
var emptyFileHashes = map[string]struct{}{
	"d41d8cd98f00b204e9800998ecf8427e":                                 {},
	"da39a3ee5e6b4b0d3255bfef95601890afd80709":                         {},
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": {},
}

// hashAlgorithms maps Sentinel's algorithm names to the length they imply.
var hashAlgorithms = map[string]string{"md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha256ac": "sha256ac"}

func (c *collector) hash(value, algorithm, src string) {
	v := strings.ToLower(strings.TrimSpace(value))
	if v == "" {
		return
	}
	byLen := ioc.HashType(v)
	if byLen == "" {
		c.skipOnce("hash", v, "not an MD5, SHA1 or SHA256 hash (expected 32, 40 or 64 hex characters)")
		return
	}
	alg := byLen
	// SHA256AC is an Authenticode hash: same length as SHA256, different meaning.
	if hashAlgorithms[strings.ToLower(algorithm)] == "sha256ac" && byLen == "sha256" {
		alg = "sha256ac"
	}
	if _, ok := c.skipHashes[v]; ok {
		c.skipOnce("hash", v, "skip list")
		return
	}
	if _, ok := emptyFileHashes[v]; ok {
		c.skipOnce("hash", v, "hash of an empty file")
		return
	}
	if i, ok := c.hashes[v]; ok {
		c.out.Hashes[i].Sources = appendNew(c.out.Hashes[i].Sources, src)
		return
	}
	c.out.Hashes = append(c.out.Hashes, Hash{Value: v, Algorithm: alg, Sources: []string{src}})
	c.hashes[v] = len(c.out.Hashes) - 1
}

func (c *collector) url(value, src string) {
	u := strings.TrimSpace(value)
	if u == "" {
		return
	}
	key := ioc.NormalizeURL(u)
	if i, ok := c.urls[key]; ok {
		c.out.URLs[i].Sources = appendNew(c.out.URLs[i].Sources, src)
		return
	}
	host := urlHost(key)
	c.out.URLs = append(c.out.URLs, URL{Value: u, Host: host, Sources: []string{src}})
	c.urls[key] = len(c.out.URLs) - 1
	if host == "" {
		return
	}
	if _, ok := ioc.ParseIP(host); ok {
		c.ip(host, "url host", nil)
	} else if ioc.IsDomain(host) {
		c.domain(host, "url host")
	}
}

// urlHost returns the host of a normalised URL without port or brackets.
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	h := u[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j > 0 {
			return h[1:j]
		}
	}
	if j := strings.LastIndexByte(h, ':'); j >= 0 && strings.Count(h, ":") == 1 {
		h = h[:j]
	}
	return strings.ToLower(h)
}

func (c *collector) domain(value, src string) *Domain {
	d := ioc.NormalizeDomain(value)
	if d == "" {
		return nil
	}
	if i, ok := c.domains[d]; ok {
		c.out.Domains[i].Sources = appendNew(c.out.Domains[i].Sources, src)
		return &c.out.Domains[i]
	}
	c.out.Domains = append(c.out.Domains, Domain{Value: d, Sources: []string{src}})
	c.domains[d] = len(c.out.Domains) - 1
	return &c.out.Domains[len(c.out.Domains)-1]
}

func (c *collector) email(value, role, src string) {
	v := strings.ToLower(strings.TrimSpace(value))
	if v == "" {
		return
	}
	if i, ok := c.emails[v]; ok {
		c.out.Emails[i].Roles = appendNew(c.out.Emails[i].Roles, role)
		c.out.Emails[i].Sources = appendNew(c.out.Emails[i].Sources, src)
		return
	}
	c.out.Emails = append(c.out.Emails, Email{Value: v, Roles: []string{role}, Sources: []string{src}})
	c.emails[v] = len(c.out.Emails) - 1
}

func (c *collector) mailMessage(e Entity, src string) {
	m := MailMessage{
		Subject: e.Str("subject"), Sender: cmp.Or(e.Str("p1Sender"), e.Str("p2Sender")),
		SenderDisplayName: cmp.Or(e.Str("p1SenderDisplayName"), e.Str("p2SenderDisplayName")),
		SenderIP:          e.Str("senderIP"), Recipient: e.Str("recipient"), URLs: nonNil(e.Strs("urls")),
		Threats: nonNil(e.Strs("threats")), DeliveryAction: e.Str("deliveryAction"), DeliveryLocation: e.Str("deliveryLocation"),
		Direction: e.Str("antispamDirection"), Received: e.Str("receiveDate"),
		NetworkMessageID: e.Str("networkMessageId"), InternetMessageID: e.Str("internetMessageId"),
	}
	c.out.MailMessages = append(c.out.MailMessages, m)
	c.email(e.Str("p1Sender"), "sender", src)
	c.email(e.Str("p2Sender"), "sender", src)
	c.email(m.Recipient, "recipient", src)
	c.ip(m.SenderIP, src, nil)
	for _, u := range m.URLs {
		c.url(u, src)
	}
}

func (c *collector) other(e Entity) {
	c.out.Other = append(c.out.Other, OtherEntity{Kind: e.Kind, Value: e.Display(), ID: e.ID, Properties: e.Properties})
}

// text adds the indicators found in one free-text field.
func (c *collector) text(field, s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	src := "text:" + field
	set := ioc.Extract(s)
	for _, list := range [][]string{set.IPv4, set.IPv6, set.PrivateIPs} {
		for _, v := range list {
			c.ip(v, src, nil)
		}
	}
	for _, v := range set.URLs {
		c.url(v, src)
	}
	for _, v := range set.Domains {
		if _, isHost := c.hosts[v]; isHost {
			continue // a device of the incident, already under hosts
		}
		c.domain(v, src)
	}
	for _, v := range set.Emails {
		c.email(v, "text", src)
	}
	for _, list := range [][]string{set.MD5, set.SHA1, set.SHA256} {
		for _, v := range list {
			c.hash(v, "", src)
		}
	}
	for _, v := range set.CVEs {
		if i, ok := c.cves[v]; ok {
			c.out.CVEs[i].Sources = appendNew(c.out.CVEs[i].Sources, src)
			continue
		}
		c.out.CVEs = append(c.out.CVEs, Indicator{Value: v, Sources: []string{src}})
		c.cves[v] = len(c.out.CVEs) - 1
	}
}
