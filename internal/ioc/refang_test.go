package ioc

import "testing"

func TestRefang(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text unchanged", "nothing to see here (really) [citation needed] {x}", "nothing to see here (really) [citation needed] {x}"},
		{"hxxp", "hxxp://evil.com", "http://evil.com"},
		{"hxxps", "hxxps://evil.com", "https://evil.com"},
		{"hXXp mixed case", "hXXp://evil.com", "http://evil.com"},
		{"HXXPS upper", "HXXPS://evil.com", "https://evil.com"},
		{"hxxps with bracketed colon", "hxxps[:]//evil[.]com", "https://evil.com"},
		{"hxxp with bracketed scheme separator", "hxxp[://]evil[.]com/a", "http://evil.com/a"},
		{"fxp", "fxp://files.example.org/x", "ftp://files.example.org/x"},
		{"hxxp inside a word is left alone", "shxxp://x", "shxxp://x"},
		{"hxxp without colon is left alone", "the hxxp scheme", "the hxxp scheme"},
		{"square dot", "evil[.]com", "evil.com"},
		{"round dot", "evil(.)com", "evil.com"},
		{"curly dot", "evil{.}com", "evil.com"},
		{"square word dot", "evil[dot]com", "evil.com"},
		{"round word dot", "evil(dot)com", "evil.com"},
		{"curly word dot", "evil{dot}com", "evil.com"},
		{"upper word dot", "evil[DOT]com", "evil.com"},
		{"spaced word dot", "evil [dot] com", "evil.com"},
		{"dot with inner spaces", "evil[ dot ]com", "evil.com"},
		{"spaced square dot", "evil [.] com", "evil.com"},
		{"spaced round dot keeps spaces", "the dot (.) is", "the dot . is"},
		{"ip", "192[.]0[.]2[.]1", "192.0.2.1"},
		{"colon", "10.0.0.1[:]8080", "10.0.0.1:8080"},
		{"slash", "evil.com[/]path", "evil.com/path"},
		{"square at", "bob[@]example.com", "bob@example.com"},
		{"round at", "bob(@)example.com", "bob@example.com"},
		{"square word at", "bob[at]example[dot]com", "bob@example.com"},
		{"round word at", "bob(at)example(dot)com", "bob@example.com"},
		{"spaced words", "bob [at] example [dot] com", "bob@example.com"},
		{"spaced round words", "bob (at) example (dot) com", "bob@example.com"},
		{"backslash dot", `evil\.com`, "evil.com"},
		{"backslash dot in path kept", `C:\Users\.ssh`, `C:\Users\.ssh`},
		{"backslash dot at end kept", `ends with\.`, `ends with\.`},
		{"no round colon", "smile (:) please", "smile (:) please"},
		{"unclosed bracket", "evil[.com", "evil[.com"},
		{"word must be whole", "see [data] and [attack]", "see [data] and [attack]"},
		{"nested needs two passes", "a[[.]]b", "a[.]b"},
		{"utf8 untouched", "café[.]fr ünïcödé", "café.fr ünïcödé"},
		{"full report line", "C2: hxxps://update-check[.]net[/]gate.php from 45[.]77[.]10[.]3 mail admin[@]update-check[.]net",
			"C2: https://update-check.net/gate.php from 45.77.10.3 mail admin@update-check.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Refang(tt.in); got != tt.want {
				t.Errorf("Refang(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRefangNoAllocWhenClean(t *testing.T) {
	s := "An ordinary sentence (with brackets [1] and braces {x}) and an x or two, but no defanging."
	allocs := testing.AllocsPerRun(100, func() {
		if Refang(s) != s {
			t.Fatal("changed")
		}
	})
	if allocs != 0 {
		t.Errorf("Refang allocated %v times on clean input", allocs)
	}
}
