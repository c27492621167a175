package ioc

import (
	"strings"
	"testing"
	"time"
)

// TestExtractScalesLinearly guards against inputs that make a scanner
// revisit the same bytes over and over: each unit is repeated into a 64 KiB
// and a 512 KiB text, and the larger must not take much more than 8 times as
// long as the smaller.
func TestExtractScalesLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	units := []string{
		"::", ".", "1.", "1.1", "a.", "a:", "-", "@", "a@", "@a.", "a.b.", "a-b.c-d.", "0x", "1:1:", "f:", "ff:ff:", "é.", "é",
		"http://", "x://", "hxxp://", "http://[", "'http://a.com/'", "'http://a/x", "http://a.com/(", "http://a.com/)", "http://a.com/.",
		"http://a.com/xhttp://a.com/x(", "http://a.com/x(http://b.com/", "http://a.com/[http://", "{http://a/", "(http://a/x",
		"https://a.b/?u=http://", "[.]", " [at] ", "hxxp[:]//a[.]b/", `\.a`, "cve-", "CVE-2021-", "1.1.1.1.", "1.1.1.1:",
		"2001:db8::1 ", "::1.2.3.4.", "aa:aa:aa:aa:aa:aa:aa:aa ", "d41d8cd98f00b204e9800998ecf8427e-", "a@b.c@", "x.a@b.com",
	}
	measure := func(s string) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			Extract(s)
			best = min(best, time.Since(start))
		}
		return best
	}
	// A busy machine can stall one measurement; a real quadratic path is
	// slow on every try, so the check passes if any of five tries is linear.
	for _, u := range units {
		var small, large time.Duration
		linear := false
		for try := 0; try < 5 && !linear; try++ {
			small = measure(strings.Repeat(u, (64<<10)/len(u)))
			large = measure(strings.Repeat(u, (512<<10)/len(u)))
			linear = large <= 20*time.Millisecond || large <= 24*small
		}
		if !linear {
			t.Errorf("%q: 64 KiB in %v, 512 KiB in %v: not linear", u, small, large)
		}
	}
}
