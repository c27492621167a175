// Package intel is Spotter's local threat-intelligence store: indicators
// imported from feeds (IPv4 and IPv6 addresses and CIDR ranges, domains,
// URLs, e-mail addresses, MD5/SHA-1/SHA-256 hashes) with their source,
// confidence, tags, malware family, first and last seen times, expiry and
// reference link, kept in Spotter's database so that enrichment works
// offline and without API keys.
//
// Feeds are read from STIX 2.1 bundles, MISP feeds, CSV with a column
// mapping and plain lists (ImportPath, ImportReader), or pulled over HTTP
// with conditional requests (Syncer): plain and CSV exports such as the
// abuse.ch and Tor lists, MISP feed directories and TAXII 2.1 collections.
// One feed import is one transaction: a feed that fails to parse leaves
// the store as it was, and importing the same feed twice changes nothing.
//
// Lookup finds exact matches, CIDR ranges containing an address and
// listed parent domains; Policy.Judge turns a match into a verdict.
package intel
