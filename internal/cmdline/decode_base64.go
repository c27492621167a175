package cmdline

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"
)

// maxDecodes bounds how many base64 candidates one text may yield.
const maxDecodes = 8

// isWinDash reports whether r introduces a Windows-style parameter: a hyphen,
// a slash, or one of the dashes that cmd and PowerShell also accept (en dash,
// em dash, horizontal bar).
func isWinDash(r rune) bool {
	switch r {
	case '-', '/', '\u2013', '\u2014', '\u2015':
		return true
	}
	return false
}

// isEncodedCommandParam reports whether tok names PowerShell's
// -EncodedCommand parameter: any unambiguous prefix of it ("-e", "-en",
// "-enc", ..., "-encodedcommand") or its alias "-ec", introduced by any
// Windows dash, case-insensitively.
func isEncodedCommandParam(tok string) bool {
	r := []rune(tok)
	if len(r) < 2 || !isWinDash(r[0]) {
		return false
	}
	name := strings.ToLower(string(r[1:]))
	return name == "ec" || strings.HasPrefix("encodedcommand", name)
}

// decodeEncodedCommand decodes the argument of every -EncodedCommand
// parameter in text as base64 of UTF-16LE (falling back to UTF-8 text, which
// some launchers pass).
func decodeEncodedCommand(text string, limit int) []step {
	if !strings.ContainsAny(text, "eE") {
		return nil
	}
	fields := strings.Fields(text)
	var out []step
	for i := 0; i+1 < len(fields) && len(out) < maxDecodes; i++ {
		if !isEncodedCommandParam(strings.Trim(fields[i], `"'`)) {
			continue
		}
		arg := strings.Trim(fields[i+1], `"'`)
		raw, ok := decodeBase64(arg)
		if !ok {
			continue
		}
		if s, ok := bytesToText(raw, limit, ""); ok {
			out = append(out, step{TechEncodedCommand, s})
		}
	}
	return out
}

var quotedBase64 = regexp.MustCompile(`['"]([A-Za-z0-9+/=\s]{8,})['"]`)

// decodeBase64Literals decodes the quoted base64 strings of a text that calls
// FromBase64String, inflating gzip and deflate payloads.
func decodeBase64Literals(text string, limit int) []step {
	lower := strings.ToLower(text)
	if !strings.Contains(lower, "frombase64string") {
		return nil
	}
	hint := ""
	if strings.Contains(lower, "deflatestream") {
		hint = "deflate"
	}
	var out []step
	for _, m := range quotedBase64.FindAllStringSubmatch(text, maxDecodes) {
		raw, ok := decodeBase64(m[1])
		if !ok {
			continue
		}
		if s, ok := bytesToText(raw, limit, hint); ok {
			out = append(out, step{TechBase64Literal, s})
		}
	}
	return out
}

var (
	base64Context = regexp.MustCompile(`(?i)base64\s+(?:-d|--decode|-D|-di|-id)\b|b64decode|openssl\s+(?:base64|enc)\b[^|;]*\s-d\b|atob\(|frombase64string`)
	base64Token   = regexp.MustCompile(`[A-Za-z0-9+/]{12,}={0,2}`)
)

// decodeBase64Pipelines decodes base64 tokens in a text that pipes them into
// a decoder (`echo ... | base64 -d | sh`, python's b64decode, openssl).
func decodeBase64Pipelines(text string, limit int) []step {
	if !base64Context.MatchString(text) {
		return nil
	}
	var out []step
	for _, tok := range base64Token.FindAllString(text, 4*maxDecodes) {
		if len(out) >= maxDecodes {
			break
		}
		raw, ok := decodeBase64(tok)
		if !ok {
			continue
		}
		if s, ok := bytesToText(raw, limit, ""); ok {
			out = append(out, step{TechBase64Pipeline, s})
		}
	}
	return out
}

// decodeBase64 decodes standard or URL-safe base64, with or without padding,
// ignoring whitespace.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	if len(s) < 4 {
		return nil, false
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, true
	}
	return nil, false
}

// maxInflate bounds nested compression (a gzip stream holding a gzip stream).
const maxInflate = 3

// bytesToText turns decoded bytes into text: gzip (by magic) or deflate (when
// hinted) streams are inflated up to limit bytes, at most maxInflate times,
// then UTF-16LE is recognised by its byte order mark or its zero high bytes,
// else the bytes must be printable UTF-8.
func bytesToText(b []byte, limit int, hint string) (string, bool) {
	for range maxInflate {
		switch {
		case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return "", false
			}
			inflated, ok := readLimited(zr, limit)
			if !ok {
				return "", false
			}
			b = inflated
		case hint == "deflate":
			hint = ""
			if inflated, ok := readLimited(flate.NewReader(bytes.NewReader(b)), limit); ok && len(inflated) > 0 {
				b = inflated
			}
		}
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return "", false
	}
	if looksUTF16LE(b) {
		s := utf16LE(b)
		if printableText(s) {
			return s, true
		}
		return "", false
	}
	s := string(b)
	if printableText(s) {
		return s, true
	}
	return "", false
}

// readLimited reads r to the end; it fails on a read error or when the
// stream is longer than limit bytes.
func readLimited(r io.Reader, limit int) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil && len(b) == 0 || len(b) > limit {
		return nil, false
	}
	return b, true
}

// looksUTF16LE reports whether b starts with the UTF-16LE byte order mark or
// has zero bytes in at least half of its odd positions (ASCII in UTF-16LE).
func looksUTF16LE(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	if b[0] == 0xff && b[1] == 0xfe {
		return true
	}
	odd, zero := 0, 0
	for i := 1; i < len(b); i += 2 {
		odd++
		if b[i] == 0 {
			zero++
		}
	}
	return zero*2 >= odd
}

// utf16LE decodes little-endian UTF-16 (an odd trailing byte is dropped, a
// byte order mark removed).
func utf16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
	}
	if len(u) > 0 && u[0] == 0xfeff {
		u = u[1:]
	}
	return string(utf16.Decode(u))
}
