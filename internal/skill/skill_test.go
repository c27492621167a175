package skill

import (
	"fmt"
	"testing"
)

// The reference playbook sent an extra, empty batch when the indicator count
// was a multiple of ten.
func TestBatches(t *testing.T) {
	tests := []struct{ n, size, want, last int }{
		{0, 10, 0, 0}, {1, 10, 1, 1}, {9, 10, 1, 9}, {10, 10, 1, 10}, {11, 10, 2, 1},
		{20, 10, 2, 10}, {30, 10, 3, 10}, {31, 10, 4, 1}, {5, 0, 5, 1}, {3, -2, 3, 1},
	}
	for _, tt := range tests {
		items := make([]int, tt.n)
		for i := range items {
			items[i] = i
		}
		got := Batches(items, tt.size)
		if len(got) != tt.want {
			t.Errorf("%d items in %d: %d batches, want %d", tt.n, tt.size, len(got), tt.want)
			continue
		}
		total := 0
		for i, b := range got {
			if len(b) == 0 {
				t.Errorf("%d items in %d: batch %d is empty", tt.n, tt.size, i)
			}
			for j, v := range b {
				if v != total+j {
					t.Errorf("batch %d out of order: %v", i, b)
				}
			}
			total += len(b)
		}
		if total != tt.n || (tt.n > 0 && len(got[len(got)-1]) != tt.last) {
			t.Errorf("%d items in %d: covered %d, last batch %v", tt.n, tt.size, total, got)
		}
	}
	// appending to one batch must not overwrite the next
	b := Batches([]int{1, 2, 3, 4}, 2)
	_ = append(b[0], 99)
	if b[1][0] != 3 {
		t.Errorf("batches share capacity: %v", b)
	}
}

func TestAggregate(t *testing.T) {
	f := []Finding{
		{Indicator: "1.2.3.4", Type: "ip", Level: Benign, Score: 0, Source: "A"},
		{Indicator: "1.2.3.4", Type: "ip", Level: Suspicious, Score: 40, Source: "B", Reasons: []string{"scanner"}},
		{Indicator: "1.2.3.4", Type: "ip", Level: Suspicious, Score: 55, Source: "C", Reasons: []string{"scanner", "tor"}},
		{Indicator: "evil.test", Type: "domain", Level: Malicious, Score: 90, Source: "A"},
		{Indicator: "evil.test", Type: "domain", Level: Info, Score: 0, Source: "D"},
		{Indicator: "ok.test", Type: "domain", Level: Unknown, Source: "A"},
		{Indicator: "ok.test", Type: "domain", Level: Benign, Source: "B"},
	}
	got := Aggregate(f)
	want := []string{
		"domain evil.test malicious 90 [A D] []",
		"ip 1.2.3.4 suspicious 55 [A B C] [scanner tor]",
		"domain ok.test benign 0 [A B] []",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d verdicts: %+v", len(got), got)
	}
	for i, v := range got {
		s := fmt.Sprintf("%s %s %s %d %v %v", v.Type, v.Indicator, v.Level, v.Score, v.Sources, v.Reasons)
		if v.Reasons == nil {
			s = fmt.Sprintf("%s %s %s %d %v []", v.Type, v.Indicator, v.Level, v.Score, v.Sources)
		}
		if s != want[i] {
			t.Errorf("verdict %d = %s, want %s", i, s, want[i])
		}
	}
}

func TestParseLevel(t *testing.T) {
	for _, s := range []string{"malicious", "Suspicious", " BENIGN ", "unknown", "info"} {
		if _, err := ParseLevel(s); err != nil {
			t.Errorf("ParseLevel(%q): %v", s, err)
		}
	}
	if _, err := ParseLevel("evil"); err == nil {
		t.Error("ParseLevel(evil) must fail")
	}
}
