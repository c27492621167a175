package provider

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	for in, want := range map[string]string{
		"  a\tb\n\nc  ":             "a b c",
		"abcdefghijkl":              "abcdefghij…",
		"\x00x\u0085y":              "x y",
		strings.Repeat("é", 10):     strings.Repeat("é", 10),
		"line one\r\nline two ends": "line one l…",
	} {
		if got := Clip(in, 10); got != want {
			t.Errorf("Clip(%q, 10) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	if got := MD("*a* [b](c) `d`"); got != "\\*a\\* \\[b\\](c) \\`d\\`" {
		t.Errorf("MD: %q", got)
	}
	if got := MDJoin([]string{"a_b", "c"}); got != "a\\_b, c" {
		t.Errorf("MDJoin: %q", got)
	}
	if got := Tick("a`b"); got != "a%60b" {
		t.Errorf("Tick: %q", got)
	}
	if got := ClipAll([]string{"a", " ", "b", "c"}, 2); strings.Join(got, ",") != "a,b" {
		t.Errorf("ClipAll: %q", got)
	}
}

func TestWords(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{{1, "report", "1 report"}, {0, "report", "0 reports"}, {3, "address", "3 addresses"}} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q", c.n, c.noun, got)
		}
	}
	if Redact("key=k3y-123 again k3y-123", "k3y-123") != "key=<secret> again <secret>" || Redact("x", "") != "x" {
		t.Error("Redact")
	}
	if OrDefault("", "d") != "d" || OrDefault("s", "d") != "s" {
		t.Error("OrDefault")
	}
	if HexOnly(" ABCdef01 ") != "abcdef01" || HexOnly("abcg") != "" || HexOnly("") != "" || HexOnly(strings.Repeat("a", 129)) != "" {
		t.Error("HexOnly")
	}
}
