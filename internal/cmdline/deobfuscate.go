package cmdline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Layer is one form of a command line: the original, or what one
// deobfuscation step made of an earlier layer.
type Layer struct {
	// Technique names the step that produced the layer ("original" for the
	// input itself); a cleanup layer lists every trick it undid, joined by "+".
	Technique string `json:"technique"`
	// Text is the layer's content.
	Text string `json:"text"`
	// From is the index of the layer this one was derived from (-1 for the original).
	From int `json:"from"`
	// Depth is the number of steps between the original and this layer.
	Depth int `json:"depth"`
}

// Technique names used in layers.
const (
	TechOriginal       = "original"
	TechEncodedCommand = "powershell-encodedcommand"
	TechBase64Literal  = "base64-literal"
	TechBase64Pipeline = "base64-pipeline"
	TechURLDecode      = "url-decode"
	TechHexEscape      = "hex-escape"
	TechCaret          = "caret"
	TechBacktick       = "backtick"
	TechQuoteSplit     = "quote-splitting"
	TechConcat         = "string-concat"
	TechCharCodes      = "char-codes"
	TechFormat         = "format-operator"
)

// DeobfuscateOptions bounds the work Deobfuscate does. Zero fields take the
// defaults.
type DeobfuscateOptions struct {
	// OS is "windows", "linux" or "macos"; empty means guessed from the text.
	// It decides whether carets are cmd escapes everywhere (Windows) or only
	// inside words.
	OS string
	// MaxDepth is how many steps may be chained (default 4).
	MaxDepth int
	// MaxLayers is how many layers are returned, the original included (default 12).
	MaxLayers int
	// MaxInput is how much of the input is examined, in bytes (default 64 KiB).
	MaxInput int
	// MaxLayerSize caps the size of one decoded layer in bytes (default 256 KiB).
	MaxLayerSize int
}

func (o DeobfuscateOptions) withDefaults() DeobfuscateOptions {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 4
	}
	if o.MaxLayers <= 0 {
		o.MaxLayers = 12
	}
	if o.MaxInput <= 0 {
		o.MaxInput = 64 << 10
	}
	if o.MaxLayerSize <= 0 {
		o.MaxLayerSize = 256 << 10
	}
	return o
}

// step is one deobfuscation result: the technique and the text it produced.
type step struct {
	tech string
	text string
}

// Deobfuscate returns the original command line as layer 0 followed by every
// distinct form that decoding and cleanup produce, breadth first, within the
// bounds of opts. Each layer is tried again, so nested encodings (an encoded
// command holding a FromBase64String literal holding a concatenated string)
// come out layer by layer. It never panics and never returns an empty slice;
// invalid UTF-8 in the input is replaced by U+FFFD in derived layers.
func Deobfuscate(cmd string, opts DeobfuscateOptions) []Layer {
	opts = opts.withDefaults()
	if len(cmd) > opts.MaxInput {
		cmd = truncateUTF8(cmd, opts.MaxInput)
	}
	osName := opts.OS
	if osName == "" {
		osName = GuessOS(cmd, "")
	}
	layers := []Layer{{Technique: TechOriginal, Text: cmd, From: -1}}
	seen := map[string]bool{cmd: true}
	for i := 0; i < len(layers) && len(layers) < opts.MaxLayers; i++ {
		if layers[i].Depth >= opts.MaxDepth {
			continue
		}
		text := layers[i].Text
		if !utf8.ValidString(text) {
			text = strings.ToValidUTF8(text, "\uFFFD")
		}
		for _, s := range expand(text, osName, opts.MaxLayerSize) {
			if len(layers) >= opts.MaxLayers {
				break
			}
			if s.text == "" || seen[s.text] || len(s.text) > opts.MaxLayerSize {
				continue
			}
			seen[s.text] = true
			layers = append(layers, Layer{Technique: s.tech, Text: s.text, From: i, Depth: layers[i].Depth + 1})
		}
	}
	return layers
}

// expand applies the cleanup pass and every decoder to one text. What the
// decoders find in the cleaned text is found when the cleaned layer is
// expanded in turn, so each layer records one step.
func expand(text, osName string, limit int) []step {
	var out []step
	if cleaned, techs := cleanup(text, osName); len(techs) > 0 {
		out = append(out, step{strings.Join(techs, "+"), cleaned})
	}
	out = append(out, decodeEncodedCommand(text, limit)...)
	out = append(out, decodeBase64Literals(text, limit)...)
	out = append(out, decodeBase64Pipelines(text, limit)...)
	if s, ok := urlDecode(text); ok {
		out = append(out, step{TechURLDecode, s})
	}
	if s, ok := hexUnescape(text); ok {
		out = append(out, step{TechHexEscape, s})
	}
	return out
}

// truncateUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// printableText reports whether s reads as text: valid UTF-8, not empty, and
// at least 90% of its runes printable or ordinary whitespace.
func printableText(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	total, good := 0, 0
	for _, r := range s {
		total++
		if unicode.IsPrint(r) || r == '\n' || r == '\r' || r == '\t' {
			good++
		}
	}
	return good*10 >= total*9
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
