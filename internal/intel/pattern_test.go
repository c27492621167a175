package intel

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestPatternCorpus runs every pattern of testdata/stix/patterns.txt,
// supported, unsupported and malformed.
func TestPatternCorpus(t *testing.T) {
	f, err := os.Open("testdata/stix/patterns.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		pattern, want, ok := strings.Cut(text, " ==> ")
		if !ok {
			t.Fatalf("patterns.txt:%d: no ' ==> '", line)
		}
		n++
		got := describePattern(pattern)
		if got != want {
			t.Errorf("patterns.txt:%d: %s\n got  %s\n want %s", line, pattern, got, want)
		}
	}
	if n < 50 {
		t.Errorf("only %d patterns in the corpus", n)
	}
}

// describePattern renders ParsePattern's outcome in the corpus notation.
func describePattern(p string) string {
	values, err := ParsePattern(p)
	var ue *UnsupportedError
	var pe *PatternError
	switch {
	case errors.As(err, &ue):
		return "unsupported " + ue.Reason
	case errors.As(err, &pe):
		return "error"
	case err != nil:
		return "unexpected error " + err.Error()
	}
	var parts []string
	for _, v := range values {
		parts = append(parts, string(v.Type)+" "+v.Value)
	}
	return strings.Join(parts, " | ")
}

func TestPatternErrorsLocate(t *testing.T) {
	_, err := ParsePattern("[ipv4-addr:value = '1.2.3.4' OR]")
	var pe *PatternError
	if !errors.As(err, &pe) || pe.Offset != 31 || !strings.Contains(err.Error(), "object path") {
		t.Errorf("error %v; want a PatternError at byte 31 expecting an object path", err)
	}
	if _, err := ParsePattern(strings.Repeat("x", maxPatternLen+1)); err == nil {
		t.Error("overlong pattern accepted")
	}
}
