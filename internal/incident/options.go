package incident

// Options are the categorisation rules a deployment can change. The zero
// value extracts nothing from text; use DefaultOptions as the starting point.
type Options struct {
	// ExtractFromText pulls indicators out of the title, description, alert
	// texts, command lines, mail subjects and comments.
	ExtractFromText bool `koanf:"extract_from_text"`
	// SkipAccounts are UPNs, account names or DOMAIN\name values never enriched.
	SkipAccounts []string `koanf:"skip_accounts"`
	// SkipCommands are extra standard command lines (normalised comparison).
	SkipCommands []string `koanf:"skip_commands"`
	// ReplaceDefaultCommands drops the built-in standard command list.
	ReplaceDefaultCommands bool `koanf:"replace_default_commands"`
	// SkipHashes are hashes never enriched (known-good internal tools).
	SkipHashes []string `koanf:"skip_hashes"`
	// SkipDomains are domains never enriched, together with their subdomains.
	SkipDomains []string `koanf:"skip_domains"`
	// SkipIPs are addresses or CIDR prefixes never enriched (egress proxies, scanners).
	SkipIPs []string `koanf:"skip_ips"`
	// SkipOwnDomains keeps the organisation's own domains (account UPN
	// suffixes and host DNS domains seen in the incident) out of enrichment.
	SkipOwnDomains bool `koanf:"skip_own_domains"`
	// DecodeCommandLine, when set, returns the decoded forms of an obfuscated
	// command line (base64 payloads, escapes removed, ...); the indicators in
	// them are extracted too, so a C2 address hidden in -EncodedCommand is
	// enriched like any other.
	DecodeCommandLine func(cmdline string) []string `koanf:"-" json:"-" yaml:"-"`
}

// DefaultOptions returns the rules used when nothing is configured.
func DefaultOptions() Options {
	return Options{ExtractFromText: true, SkipOwnDomains: true}
}
