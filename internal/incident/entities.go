package incident

// Entities is an incident's entities sorted into the categories an
// investigation works on, deduplicated and normalised. Every list is non-nil.
// Each item keeps Sources: where it was seen ("entity:Ip", "text:description", ...).
type Entities struct {
	IPsPublic        []IP          `json:"ips_public"`
	IPsPrivate       []IP          `json:"ips_private"`
	Accounts         []Account     `json:"accounts"`
	Hosts            []Host        `json:"hosts"`
	CmdlinesAnalyzed []Process     `json:"cmdlines_analyzed"`
	CmdlinesSkipped  []Process     `json:"cmdlines_skipped"`
	Hashes           []Hash        `json:"hashes"`
	URLs             []URL         `json:"urls"`
	Domains          []Domain      `json:"domains"`
	Emails           []Email       `json:"emails"`
	MailMessages     []MailMessage `json:"mail_messages"`
	Files            []File        `json:"files"`
	CVEs             []Indicator   `json:"cves"`
	// Other holds entities of kinds that have no category of their own
	// (registry keys, cloud applications, kinds added by later API versions):
	// kept and shown, never dropped.
	Other []OtherEntity `json:"other"`
	// Skipped lists what a skip list, a switch or a rule kept out of enrichment, and why.
	Skipped []Skip `json:"skipped"`
}

// Indicator is a plain observable with the places it was seen.
type Indicator struct {
	Value   string   `json:"value"`
	Sources []string `json:"sources"`
}

// IP is an address from an Ip entity or from text.
type IP struct {
	Value       string        `json:"value"`
	Version     int           `json:"version"`
	Range       string        `json:"range,omitempty"` // special-purpose range name for non-public addresses
	Country     string        `json:"country,omitempty"`
	City        string        `json:"city,omitempty"`
	ASN         int           `json:"asn,omitempty"`
	ThreatIntel []ThreatIntel `json:"threat_intel,omitempty"`
	Sources     []string      `json:"sources"`
}

// ThreatIntel is threat-intelligence context Sentinel attached to an entity.
type ThreatIntel struct {
	Provider    string  `json:"provider,omitempty"`
	Type        string  `json:"type,omitempty"`
	Name        string  `json:"name,omitempty"`
	Description string  `json:"description,omitempty"`
	Confidence  float64 `json:"confidence"` // 0-1 as Sentinel reports it
	Link        string  `json:"link,omitempty"`
}

// Account is a user identity. Value is the UPN when one is known.
type Account struct {
	Value       string   `json:"value"`
	UPN         string   `json:"upn,omitempty"`
	Name        string   `json:"name,omitempty"`
	NTDomain    string   `json:"nt_domain,omitempty"`
	UPNSuffix   string   `json:"upn_suffix,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	AADUserID   string   `json:"aad_user_id,omitempty"`
	AADTenantID string   `json:"aad_tenant_id,omitempty"`
	SID         string   `json:"sid,omitempty"`
	ObjectGUID  string   `json:"object_guid,omitempty"`
	Sources     []string `json:"sources"`
}

// Host is a device. Value is the FQDN when the DNS domain is known.
type Host struct {
	Value       string   `json:"value"`
	HostName    string   `json:"host_name,omitempty"`
	DNSDomain   string   `json:"dns_domain,omitempty"`
	NetBIOSName string   `json:"netbios_name,omitempty"`
	NTDomain    string   `json:"nt_domain,omitempty"`
	AzureID     string   `json:"azure_id,omitempty"`
	OMSAgentID  string   `json:"oms_agent_id,omitempty"`
	OSFamily    string   `json:"os_family,omitempty"`
	OSVersion   string   `json:"os_version,omitempty"`
	Sources     []string `json:"sources"`
}

// Process is a command line. Value is the original text, kept for analysis;
// Normalized is the form used to compare and deduplicate.
type Process struct {
	Value         string   `json:"value"`
	Normalized    string   `json:"normalized"`
	Image         string   `json:"image,omitempty"`
	ProcessID     string   `json:"process_id,omitempty"`
	ParentCmdline string   `json:"parent_cmdline,omitempty"`
	Host          string   `json:"host,omitempty"`
	Account       string   `json:"account,omitempty"`
	Created       string   `json:"created,omitempty"`
	Elevation     string   `json:"elevation,omitempty"`
	SkipReason    string   `json:"skip_reason,omitempty"`
	Sources       []string `json:"sources"`
}

// Hash is a file hash, lower-cased. Algorithm is md5, sha1 or sha256.
type Hash struct {
	Value     string   `json:"value"`
	Algorithm string   `json:"algorithm"`
	FileNames []string `json:"file_names,omitempty"`
	Sources   []string `json:"sources"`
}

// URL is a full URL as found; Host is its host name or address.
type URL struct {
	Value   string   `json:"value"`
	Host    string   `json:"host,omitempty"`
	Sources []string `json:"sources"`
}

// Domain is a registrable or fully qualified domain name, lower-cased.
type Domain struct {
	Value       string   `json:"value"`
	ResolvedIPs []string `json:"resolved_ips,omitempty"`
	Sources     []string `json:"sources"`
}

// Email is a mail address and the roles it played (sender, recipient, mailbox, text).
type Email struct {
	Value   string   `json:"value"`
	Roles   []string `json:"roles"`
	Sources []string `json:"sources"`
}

// MailMessage is a message from a MailMessage entity.
type MailMessage struct {
	Subject           string   `json:"subject,omitempty"`
	Sender            string   `json:"sender,omitempty"`
	SenderDisplayName string   `json:"sender_display_name,omitempty"`
	SenderIP          string   `json:"sender_ip,omitempty"`
	Recipient         string   `json:"recipient,omitempty"`
	URLs              []string `json:"urls"`
	Threats           []string `json:"threats"`
	DeliveryAction    string   `json:"delivery_action,omitempty"`
	DeliveryLocation  string   `json:"delivery_location,omitempty"`
	Direction         string   `json:"direction,omitempty"`
	Received          string   `json:"received,omitempty"`
	NetworkMessageID  string   `json:"network_message_id,omitempty"`
	InternetMessageID string   `json:"internet_message_id,omitempty"`
}

// File is a file entity; Hashes are the values of its linked FileHash entities.
type File struct {
	Value     string   `json:"value"` // directory + name
	Name      string   `json:"name,omitempty"`
	Directory string   `json:"directory,omitempty"`
	Host      string   `json:"host,omitempty"`
	Hashes    []string `json:"hashes,omitempty"`
	Malware   []string `json:"malware,omitempty"` // names of Malware entities that reference this file
	Sources   []string `json:"sources"`
}

// OtherEntity is an entity kept as Sentinel described it.
type OtherEntity struct {
	Kind       string         `json:"kind"`
	Value      string         `json:"value"`
	ID         string         `json:"id,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Skip records an item kept out of enrichment.
type Skip struct {
	Type   string `json:"type"` // ip, account, hash, domain, url, email, process, entity
	Value  string `json:"value"`
	Reason string `json:"reason"`
}
