package ioc

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// IPClass is the result of ClassifyIP.
type IPClass struct {
	// Public is true when no special-purpose range matches the address, or
	// when the most specific matching range is marked "Globally Reachable:
	// True" by IANA (for example 192.0.0.9/32, 192.31.196.0/24,
	// 192.52.193.0/24, 192.175.48.0/24, 2001:1::1/128, 2001:3::/32,
	// 2001:4:112::/48, 2001:20::/28, 2620:4f:8000::/48 and 64:ff9b::/96).
	Public bool
	// Range is the short name of the matched range, such as "private",
	// "loopback", "link-local", "shared address space (CGNAT)",
	// "documentation", "benchmarking", "multicast", "unique-local",
	// "reserved", "this network", "limited broadcast", "6to4", "teredo",
	// "discard-only", "IETF protocol assignments", "AS112", "AMT",
	// "ORCHIDv2", "NAT64 (well-known prefix)", "NAT64 (local-use)",
	// "SRv6 SIDs" or "unspecified". It is empty for a public address that
	// matched no range, and "invalid" for the zero netip.Addr.
	Range string
	// Prefix is the matched prefix; the zero Prefix when none matched.
	Prefix netip.Prefix
}

// ipRange is one row of a special-purpose address table.
type ipRange struct {
	prefix netip.Prefix
	name   string
	global bool // IANA "Globally Reachable" is True
}

func rng(prefix, name string, global bool) ipRange {
	return ipRange{netip.MustParsePrefix(prefix), name, global}
}

// byMostSpecific sorts a table so that a linear scan finds the most specific
// matching prefix first.
func byMostSpecific(t []ipRange) []ipRange {
	slices.SortStableFunc(t, func(a, b ipRange) int { return cmp.Compare(b.prefix.Bits(), a.prefix.Bits()) })
	return t
}

// v4Ranges follows the IANA IPv4 Special-Purpose Address Registry, plus the
// multicast block 224.0.0.0/4.
var v4Ranges = byMostSpecific([]ipRange{
	rng("0.0.0.0/8", "this network", false),
	rng("0.0.0.0/32", "unspecified", false), // "this host on this network"
	rng("10.0.0.0/8", "private", false),
	rng("100.64.0.0/10", "shared address space (CGNAT)", false),
	rng("127.0.0.0/8", "loopback", false),
	rng("169.254.0.0/16", "link-local", false),
	rng("172.16.0.0/12", "private", false),
	rng("192.0.0.0/24", "IETF protocol assignments", false),
	rng("192.0.0.0/29", "DS-Lite", false), // IPv4 service continuity prefix
	rng("192.0.0.8/32", "dummy address", false),
	rng("192.0.0.9/32", "PCP anycast", true),
	rng("192.0.0.10/32", "TURN anycast", true),
	rng("192.0.0.170/32", "NAT64/DNS64 discovery", false),
	rng("192.0.0.171/32", "NAT64/DNS64 discovery", false),
	rng("192.0.2.0/24", "documentation", false), // TEST-NET-1
	rng("192.31.196.0/24", "AS112", true),
	rng("192.52.193.0/24", "AMT", true),
	rng("192.88.99.0/24", "6to4", false), // deprecated 6to4 relay anycast
	rng("192.168.0.0/16", "private", false),
	rng("192.175.48.0/24", "AS112", true), // direct delegation AS112 service
	rng("198.18.0.0/15", "benchmarking", false),
	rng("198.51.100.0/24", "documentation", false), // TEST-NET-2
	rng("203.0.113.0/24", "documentation", false),  // TEST-NET-3
	rng("224.0.0.0/4", "multicast", false),
	rng("240.0.0.0/4", "reserved", false),
	rng("255.255.255.255/32", "limited broadcast", false),
})

// v6Ranges follows the IANA IPv6 Special-Purpose Address Registry, plus the
// multicast block ff00::/8. Everything outside the global unicast block
// 2000::/3 is "reserved" unless a more specific entry says otherwise; the
// three prefixes ::/3, 4000::/2 and 8000::/1 cover exactly that complement.
var v6Ranges = byMostSpecific([]ipRange{
	rng("::/128", "unspecified", false),
	rng("::1/128", "loopback", false),
	rng("64:ff9b::/96", "NAT64 (well-known prefix)", true),
	rng("64:ff9b:1::/48", "NAT64 (local-use)", false),
	rng("100::/64", "discard-only", false),
	rng("2001::/23", "IETF protocol assignments", false),
	rng("2001::/32", "teredo", false),
	rng("2001:1::1/128", "PCP anycast", true),
	rng("2001:1::2/128", "TURN anycast", true),
	rng("2001:1::3/128", "DNS-SD SRP anycast", true),
	rng("2001:2::/48", "benchmarking", false),
	rng("2001:3::/32", "AMT", true),
	rng("2001:4:112::/48", "AS112", true),
	rng("2001:10::/28", "ORCHID (deprecated)", false),
	rng("2001:20::/28", "ORCHIDv2", true),
	rng("2001:30::/28", "drone remote ID (DET)", true),
	rng("2001:db8::/32", "documentation", false),
	rng("2002::/16", "6to4", false),
	rng("2620:4f:8000::/48", "AS112", true), // direct delegation AS112 service
	rng("3fff::/20", "documentation", false),
	rng("5f00::/16", "SRv6 SIDs", false),
	rng("fc00::/7", "unique-local", false),
	rng("fe80::/10", "link-local", false),
	rng("ff00::/8", "multicast", false),
	rng("::/3", "reserved", false),
	rng("4000::/2", "reserved", false),
	rng("8000::/1", "reserved", false),
})

// ClassifyIP tells whether a is a public address and, if it lies in a
// special-purpose range, which one. A zone is ignored, and an IPv4-mapped
// IPv6 address (::ffff:a.b.c.d) is classified as the IPv4 address it maps.
// Addresses are compared as numbers against prefixes, never as strings.
func ClassifyIP(a netip.Addr) IPClass {
	if !a.IsValid() {
		return IPClass{Range: "invalid"}
	}
	a = a.WithZone("").Unmap()
	table := v6Ranges
	if a.Is4() {
		table = v4Ranges
	}
	for _, e := range table {
		if e.prefix.Contains(a) {
			return IPClass{Public: e.global, Range: e.name, Prefix: e.prefix}
		}
	}
	return IPClass{Public: true}
}

// ParseIP parses a textual IPv4 or IPv6 address strictly, following
// netip.ParseAddr (no leading zeros in IPv4 octets, no CIDR suffix, no
// port). Surrounding white space and one pair of enclosing square brackets
// are removed first. An IPv6 zone is dropped and an IPv4-mapped IPv6 address
// is returned as plain IPv4. ok is false for anything else.
func ParseIP(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
