package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/ioc"
)

func (e *env) extractCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "extract FILE|-",
		Short: "Print the indicators found in any text",
		Long: `Reads any text (a threat report, an e-mail, a log excerpt) from FILE or standard input
and prints the indicators in it: IPv4 and IPv6 addresses, domains, URLs, e-mail
addresses, MD5, SHA1 and SHA256 hashes and CVE ids. Defanged forms (hxxp, [.], (.),
[dot], [:], [@], ...) are refanged first; results are deduplicated; private and
reserved addresses are listed apart. Domains are checked against the public suffix
list, so file names such as invoice.pdf are not reported.

--json prints one object with the keys ipv4, ipv6, private_ips, domains, urls,
emails, md5, sha1, sha256 and cves.`,
		Example: `  spotter extract threat-report.txt
  pbpaste | spotter extract --json -`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("extract: expected one argument, a text file or - for standard input (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			data, err := e.readInput(args[0])
			if err != nil {
				return err
			}
			if !utf8.Valid(data) {
				data = []byte(toValidUTF8(data))
			}
			set := ioc.Extract(string(data))
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(set)
			}
			return printSet(e.stdout, set)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object instead of text")
	return cmd
}

func printSet(w io.Writer, s ioc.Set) error {
	groups := []struct {
		name string
		vals []string
	}{
		{"IPv4", s.IPv4}, {"IPv6", s.IPv6}, {"Domains", s.Domains}, {"URLs", s.URLs}, {"E-mail addresses", s.Emails},
		{"MD5", s.MD5}, {"SHA1", s.SHA1}, {"SHA256", s.SHA256}, {"CVEs", s.CVEs},
		{"Private and reserved IPs (not indicators)", s.PrivateIPs},
	}
	n := 0
	for _, g := range groups {
		if len(g.vals) == 0 {
			continue
		}
		if n > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%d)\n", g.name, len(g.vals))
		for _, v := range g.vals {
			fmt.Fprintln(w, "  "+v)
		}
		n++
	}
	if n == 0 {
		_, err := fmt.Fprintln(w, "No indicators found.")
		return err
	}
	return nil
}

// toValidUTF8 replaces invalid byte sequences (binary junk in pasted text) with spaces.
func toValidUTF8(b []byte) string {
	out := make([]rune, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			r = ' '
		}
		out = append(out, r)
		b = b[size:]
	}
	return string(out)
}
