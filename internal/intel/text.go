package intel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spotter-soc/spotter/internal/ioc"
)

// maxTextLine bounds one line of a plain list; longer lines are invalid.
const maxTextLine = 16 << 10

// ParseText reads a plain list without storing it. See parseText for the
// format.
func ParseText(r io.Reader, name string, def Defaults) (*Parsed, error) {
	k, p := collector(name, FormatText, def)
	if err := parseText(r, k); err != nil {
		return nil, err
	}
	return p, nil
}

// parseText reads a plain list: one indicator per line (IP address, CIDR
// range, domain, URL, e-mail address or hash, defanged or not), with
//
//   - blank lines and lines starting with #, ; or // ignored;
//   - inline comments after white space and # or ; kept as the entry's
//     description ("203.0.113.0/24 ; SBL123456");
//   - hosts-file lines ("0.0.0.0 evil.example") read as the name;
//   - anything after the first word of a line without a comment marker kept
//     as the description;
//   - JSON objects, one per line, read by their "value", "indicator", "ioc",
//     "cidr", "ip", "domain" or "url" member (Spamhaus's drop_v4.json form);
//     objects without one, such as a closing metadata line, are skipped.
//
// Malformed lines are counted as invalid with their line numbers; they do
// not stop the import.
func parseText(r io.Reader, k *sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		raw, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, errLineTooLong) {
				k.invalid(line, "", fmt.Sprintf("line longer than %d bytes", maxTextLine))
				continue
			}
			return &InputError{File: k.file, Line: line, Msg: "reading: " + err.Error()}
		}
		if line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		if len(raw) > 0 {
			if e := textEntry(string(raw), line, k); e != nil {
				return e
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// textEntry handles one line of a plain list.
func textEntry(s string, line int, k *sink) error {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '#' || s[0] == ';' || strings.HasPrefix(s, "//") {
		return nil
	}
	if s[0] == '{' {
		return jsonLineEntry(s, line, k)
	}
	value, comment := splitComment(s)
	// Refang before splitting into words: "evil [.] example" is one value.
	fields := strings.Fields(ioc.Refang(value))
	if len(fields) == 0 {
		return nil
	}
	v, rest := fields[0], fields[1:]
	if len(rest) > 0 && (v == "0.0.0.0" || v == "127.0.0.1" || v == "::" || v == "::1") {
		v, rest = rest[0], rest[1:]
	}
	desc := comment
	if len(rest) > 0 {
		desc = strings.TrimSpace(strings.Join(rest, " ") + " " + comment)
	}
	return k.entry(line, "", Indicator{Value: v, Confidence: NoConfidence, Description: desc})
}

// jsonValueKeys are the members a JSON line's value is read from, in order.
var jsonValueKeys = []string{"value", "indicator", "ioc", "cidr", "ip", "domain", "url"}

// jsonLineEntry handles a line holding one JSON object.
func jsonLineEntry(s string, line int, k *sink) error {
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		k.invalid(line, "", "a line starting with { is not a JSON object: "+jsonMsg(err))
		return nil
	}
	for _, key := range jsonValueKeys {
		v, ok := obj[key].(string)
		if !ok {
			continue
		}
		desc, _ := obj["sblid"].(string)
		if d, ok := obj["description"].(string); ok {
			desc = d
		}
		return k.entry(line, "", Indicator{Value: v, Confidence: NoConfidence, Description: desc})
	}
	return nil
}

// splitComment separates an inline comment: # or ; preceded by white space.
func splitComment(s string) (value, comment string) {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i]), strings.TrimSpace(strings.TrimLeft(s[i:], "#; \t"))
		}
	}
	return s, ""
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its end-of-line bytes. A line
// longer than maxTextLine is consumed and reported as errLineTooLong; the
// last line is returned with io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxTextLine {
			// Skip to the end of the line.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return bytes.TrimRight(buf, "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return bytes.TrimRight(buf, "\r\n"), io.EOF
		default:
			return nil, err
		}
	}
}
