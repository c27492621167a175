package ioc

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// fileExtTLDs are top-level domains that are also common file-name
// extensions. A bare two-label name ending in one of them ("readme.md",
// "payload.pl", "archive.zip") is far more likely to be a file name than a
// domain, so IsDomain and the domain scanner of Extract reject it. Hosts of
// URLs and domains of e-mail addresses are exempt, and so are names with three
// or more labels ("cdn.evil.zip"). Every entry is an ICANN TLD (a test checks
// this against the public suffix list): extensions that are not TLDs
// ("invoice.pdf", "update.exe") fail the suffix check anyway. Major
// country-code TLDs that only rarely appear as extensions (.in, .ai, .io,
// .app ...) are deliberately absent.
var fileExtTLDs = map[string]bool{
	"cab":  true, // Windows cabinet
	"cc":   true, // C++ source
	"java": true, // Java source
	"md":   true, // Markdown
	"mk":   true, // makefile fragment
	"mov":  true, // QuickTime video
	"one":  true, // OneNote notebook
	"pl":   true, // Perl script
	"pm":   true, // Perl module
	"ps":   true, // PostScript
	"pub":  true, // public key
	"py":   true, // Python script
	"rs":   true, // Rust source
	"sh":   true, // shell script
	"so":   true, // shared object
	"tf":   true, // Terraform
	"zip":  true, // ZIP archive
}

// NormalizeDomain returns the canonical form of a domain name: surrounding
// white space and one trailing dot removed, lower case. Internationalised
// names are left in the form given (no punycode conversion).
func NormalizeDomain(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	return strings.ToLower(s)
}

// IsDomain reports whether s, after NormalizeDomain, is a plausible domain
// name of the public DNS:
//
//   - at least two labels separated by dots, at most 253 bytes in all;
//   - each label 1–63 bytes of a-z, 0-9, '-' (or non-ASCII letters, marks
//     and digits), not starting or ending with '-';
//   - the last label is not numeric (so IP addresses are not domains);
//   - the public suffix list knows its suffix: either an ICANN suffix with at
//     least one label in front of it ("example.co.uk", not "co.uk"), or a
//     private suffix of two or more labels such as "github.io", which is
//     accepted by itself as well as with labels in front;
//   - it is not a bare two-label file name whose extension is also a TLD
//     ("readme.md", "archive.zip"; see fileExtTLDs).
//
// Internationalised labels are checked against the suffix list through their
// punycode form.
func IsDomain(s string) bool {
	d := NormalizeDomain(s)
	return validHost(d) && !isFileName(d)
}

// isFileName reports whether the normalised domain d is a bare "name.ext"
// whose extension is in fileExtTLDs.
func isFileName(d string) bool {
	dot := strings.IndexByte(d, '.')
	return dot >= 0 && strings.IndexByte(d[dot+1:], '.') < 0 && fileExtTLDs[d[dot+1:]]
}

// validHost applies the IsDomain rules, except the file-name rule, to an
// already normalised (lower-case, no trailing dot) name. Hosts of URLs and
// domains of e-mail addresses are checked with it.
func validHost(d string) bool {
	if len(d) < 3 || len(d) > 253 {
		return false
	}
	labels, ascii := 0, true
	tldHasLetter := false
	for rest := d; ; {
		dot := strings.IndexByte(rest, '.')
		label := rest
		if dot >= 0 {
			label = rest[:dot]
		}
		ok, lascii, letter := checkLabel(label)
		if !ok {
			return false
		}
		labels++
		ascii = ascii && lascii
		if dot < 0 {
			tldHasLetter = letter
			break
		}
		rest = rest[dot+1:]
	}
	if labels < 2 || !tldHasLetter {
		return false
	}
	name := d
	if !ascii {
		var ok bool
		if name, ok = toASCII(d); !ok || len(name) > 253 {
			return false
		}
	}
	return suffixOK(name)
}

// checkLabel validates one label; it also tells whether the label is pure
// ASCII and whether it contains a letter.
func checkLabel(l string) (ok, ascii, letter bool) {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false, false, false
	}
	ascii = true
	for i := 0; i < len(l); {
		c := l[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z':
				letter = true
			case '0' <= c && c <= '9', c == '-':
			default:
				return false, false, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(l[i:])
		if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)) {
			return false, false, false
		}
		if unicode.IsUpper(r) {
			return false, false, false
		}
		letter = letter || unicode.IsLetter(r)
		ascii = false
		i += size
	}
	return true, ascii, letter
}

// suffixOK applies the public suffix rule to an ASCII (punycode) name.
func suffixOK(name string) bool {
	ps, icann := publicsuffix.PublicSuffix(name)
	if icann {
		// At least one label in front of the suffix.
		return len(name) > len(ps)+1 && name[len(name)-len(ps)-1] == '.'
	}
	// Private suffixes ("github.io", "blogspot.com") have two or more
	// labels; a single-label suffix here means an unknown TLD.
	return strings.IndexByte(ps, '.') >= 0
}

// toASCII converts every non-ASCII label of d to its "xn--" punycode form.
func toASCII(d string) (string, bool) {
	var b strings.Builder
	for i, label := range strings.Split(d, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		if isASCII(label) {
			b.WriteString(label)
			continue
		}
		enc, ok := punycodeEncode(label)
		if !ok {
			return "", false
		}
		b.WriteString("xn--")
		b.WriteString(enc)
	}
	return b.String(), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
