package ioc

import (
	"net/netip"
	"testing"
)

func TestClassifyIP(t *testing.T) {
	tests := []struct {
		ip     string
		public bool
		rng    string
		prefix string // "" for none
	}{
		// IPv4 special-purpose registry.
		{"0.0.0.0", false, "unspecified", "0.0.0.0/32"},
		{"0.1.2.3", false, "this network", "0.0.0.0/8"},
		{"10.0.0.1", false, "private", "10.0.0.0/8"},
		{"10.172.26.5", false, "private", "10.0.0.0/8"},
		{"100.64.0.1", false, "shared address space (CGNAT)", "100.64.0.0/10"},
		{"100.127.255.254", false, "shared address space (CGNAT)", "100.64.0.0/10"},
		{"100.128.0.1", true, "", ""},
		{"127.0.0.1", false, "loopback", "127.0.0.0/8"},
		{"127.255.1.2", false, "loopback", "127.0.0.0/8"},
		{"169.254.169.254", false, "link-local", "169.254.0.0/16"},
		{"172.16.0.1", false, "private", "172.16.0.0/12"},
		{"172.26.0.1", false, "private", "172.16.0.0/12"},
		{"172.31.255.255", false, "private", "172.16.0.0/12"},
		{"172.15.0.1", true, "", ""},
		{"172.32.0.1", true, "", ""},
		{"192.0.0.1", false, "DS-Lite", "192.0.0.0/29"},
		{"192.0.0.8", false, "dummy address", "192.0.0.8/32"},
		{"192.0.0.9", true, "PCP anycast", "192.0.0.9/32"},
		{"192.0.0.10", true, "TURN anycast", "192.0.0.10/32"},
		{"192.0.0.100", false, "IETF protocol assignments", "192.0.0.0/24"},
		{"192.0.0.170", false, "NAT64/DNS64 discovery", "192.0.0.170/32"},
		{"192.0.2.1", false, "documentation", "192.0.2.0/24"},
		{"192.31.196.1", true, "AS112", "192.31.196.0/24"},
		{"192.52.193.1", true, "AMT", "192.52.193.0/24"},
		{"192.88.99.1", false, "6to4", "192.88.99.0/24"},
		{"192.168.1.1", false, "private", "192.168.0.0/16"},
		{"192.169.1.1", true, "", ""},
		{"192.175.48.1", true, "AS112", "192.175.48.0/24"},
		{"198.18.0.1", false, "benchmarking", "198.18.0.0/15"},
		{"198.19.255.255", false, "benchmarking", "198.18.0.0/15"},
		{"198.20.0.1", true, "", ""},
		{"198.51.100.7", false, "documentation", "198.51.100.0/24"},
		{"203.0.113.9", false, "documentation", "203.0.113.0/24"},
		{"224.0.0.251", false, "multicast", "224.0.0.0/4"},
		{"239.255.255.250", false, "multicast", "224.0.0.0/4"},
		{"240.0.0.1", false, "reserved", "240.0.0.0/4"},
		{"255.255.255.254", false, "reserved", "240.0.0.0/4"},
		{"255.255.255.255", false, "limited broadcast", "255.255.255.255/32"},
		// Public IPv4, including strings that a prefix/suffix test on the
		// text would misjudge.
		{"8.8.8.8", true, "", ""},
		{"8.172.26.1", true, "", ""},
		{"1.10.0.1", true, "", ""},
		{"11.0.0.1", true, "", ""},
		{"185.220.101.45", true, "", ""},
		// IPv4-mapped IPv6 is classified as IPv4.
		{"::ffff:192.168.1.1", false, "private", "192.168.0.0/16"},
		{"::ffff:8.8.8.8", true, "", ""},
		{"::ffff:100.64.0.1", false, "shared address space (CGNAT)", "100.64.0.0/10"},
		// IPv6 special-purpose registry.
		{"::", false, "unspecified", "::/128"},
		{"::1", false, "loopback", "::1/128"},
		{"64:ff9b::808:808", true, "NAT64 (well-known prefix)", "64:ff9b::/96"},
		{"64:ff9b:1::1", false, "NAT64 (local-use)", "64:ff9b:1::/48"},
		{"100::1", false, "discard-only", "100::/64"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, "teredo", "2001::/32"},
		{"2001:1::1", true, "PCP anycast", "2001:1::1/128"},
		{"2001:1::2", true, "TURN anycast", "2001:1::2/128"},
		{"2001:1::4", false, "IETF protocol assignments", "2001::/23"},
		{"2001:2::1", false, "benchmarking", "2001:2::/48"},
		{"2001:3::1", true, "AMT", "2001:3::/32"},
		{"2001:4:112::1", true, "AS112", "2001:4:112::/48"},
		{"2001:10::1", false, "ORCHID (deprecated)", "2001:10::/28"},
		{"2001:20::1", true, "ORCHIDv2", "2001:20::/28"},
		{"2001:1ff::1", false, "IETF protocol assignments", "2001::/23"},
		{"2001:db8::1", false, "documentation", "2001:db8::/32"},
		{"3fff::1", false, "documentation", "3fff::/20"},
		{"2002:c000:204::1", false, "6to4", "2002::/16"},
		{"2620:4f:8000::1", true, "AS112", "2620:4f:8000::/48"},
		{"5f00::1", false, "SRv6 SIDs", "5f00::/16"},
		{"fc00::1", false, "unique-local", "fc00::/7"},
		{"fd12:3456:789a::1", false, "unique-local", "fc00::/7"},
		{"fe80::1", false, "link-local", "fe80::/10"},
		{"fe80::1%eth0", false, "link-local", "fe80::/10"},
		{"ff02::1", false, "multicast", "ff00::/8"},
		{"::1.2.3.4", false, "reserved", "::/3"},
		{"1000::1", false, "reserved", "::/3"},
		{"4000::1", false, "reserved", "4000::/2"},
		{"c000::1", false, "reserved", "8000::/1"},
		// Public IPv6.
		{"2001:4860:4860::8888", true, "", ""},
		{"2606:4700:4700::1111", true, "", ""},
		{"2a00:1450:4001:82b::200e", true, "", ""},
		{"2001:200::1", true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			a := netip.MustParseAddr(tt.ip)
			got := ClassifyIP(a)
			var wantPrefix netip.Prefix
			if tt.prefix != "" {
				wantPrefix = netip.MustParsePrefix(tt.prefix)
			}
			want := IPClass{Public: tt.public, Range: tt.rng, Prefix: wantPrefix}
			if got != want {
				t.Errorf("ClassifyIP(%s) = %+v, want %+v", tt.ip, got, want)
			}
		})
	}
}

func TestClassifyIPInvalid(t *testing.T) {
	if got := ClassifyIP(netip.Addr{}); got.Public || got.Range != "invalid" {
		t.Errorf("ClassifyIP(zero) = %+v", got)
	}
}

func TestRangeTables(t *testing.T) {
	for _, table := range [][]ipRange{v4Ranges, v6Ranges} {
		for i, e := range table {
			if e.prefix != e.prefix.Masked() {
				t.Errorf("%s is not a masked prefix", e.prefix)
			}
			if i > 0 && table[i-1].prefix.Bits() < e.prefix.Bits() {
				t.Errorf("table not sorted most specific first at %s", e.prefix)
			}
			if e.name == "" {
				t.Errorf("%s has no name", e.prefix)
			}
		}
	}
	// The "reserved" blocks must cover exactly what lies outside 2000::/3.
	global := netip.MustParsePrefix("2000::/3")
	for _, s := range []string{"::", "1fff:ffff::", "4000::", "7fff::", "8000::", "ffff::"} {
		a := netip.MustParseAddr(s)
		if ClassifyIP(a).Public {
			t.Errorf("%s outside 2000::/3 classified public", s)
		}
	}
	if !global.Contains(netip.MustParseAddr("2a01::1")) || !ClassifyIP(netip.MustParseAddr("2a01::1")).Public {
		t.Error("2a01::1 should be public")
	}
}

func TestParseIP(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means ok=false
	}{
		{"8.8.8.8", "8.8.8.8"},
		{"  10.0.0.1\n", "10.0.0.1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{" [::1] ", "::1"},
		{"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{"fe80::1%eth0", "fe80::1"},
		{"::ffff:192.168.1.1", "192.168.1.1"},
		{"::ffff:8.8.8.8", "8.8.8.8"},
		{"::", "::"},
		{"010.0.0.1", ""},
		{"192.168.001.1", ""},
		{"999.1.1.1", ""},
		{"1.2.3", ""},
		{"1.2.3.4.5", ""},
		{"10.0.0.0/8", ""},
		{"1.2.3.4:80", ""},
		{"[2001:db8::1]:443", ""},
		{"[2001:db8::1", ""},
		{"2001:db8::1::2", ""},
		{"12:30:45", ""},
		{"00:1a:2b:3c:4d:5e", ""},
		{"example.com", ""},
		{"", ""},
		{"[]", ""},
	}
	for _, tt := range tests {
		a, ok := ParseIP(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("ParseIP(%q) = %v, want failure", tt.in, a)
			}
			continue
		}
		if !ok || a.String() != tt.want {
			t.Errorf("ParseIP(%q) = %v, %v; want %s", tt.in, a, ok, tt.want)
		}
		if a.Zone() != "" || a.Is4In6() {
			t.Errorf("ParseIP(%q) = %v kept a zone or a mapping", tt.in, a)
		}
	}
}
