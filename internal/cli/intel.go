package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/intel"
	intelplugin "github.com/spotter-soc/spotter/internal/plugins/intel"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

func (e *env) intelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Manage the local threat-intelligence store",
		Long: `The local threat-intelligence store holds indicators from feeds (IP addresses and CIDR
ranges, domains, URLs, MD5/SHA-1/SHA-256 hashes, e-mail addresses) in Spotter's database, so
that investigations enrich them offline through the intel.Lookup skill.

Feeds come from files (spotter intel import) or over HTTP (spotter intel sync, and on a
schedule in spotter serve): the built-in feeds named in plugins.intel.feeds (feodo,
urlhaus, threatfox, tor-exits, spamhaus-drop), a TAXII 2.1 collection (taxii_url) and a
MISP feed (misp_url).`,
	}
	cmd.AddCommand(e.intelImportCmd(), e.intelSyncCmd(), e.intelLookupCmd(), e.intelStatsCmd(), e.intelExpireCmd())
	return cmd
}

// openIntel opens the database the way the runtime does (database.url, else
// SQLite in the data directory) and returns the intelligence store in it.
func (e *env) openIntel(ctx context.Context) (*intel.Store, config.Config, func(), error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, cfg, nil, err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, cfg, nil, fmt.Errorf("database: %w", err)
	}
	return intel.NewStore(db), cfg, func() { _ = db.Close() }, nil
}

// intelSettings returns plugins.intel.* as the strings plugin settings are.
func intelSettings(cfg config.Config) (map[string]any, map[string]string) {
	for name, raw := range cfg.Plugins {
		if strings.EqualFold(name, intelplugin.Name) {
			out := map[string]string{}
			for k, v := range raw {
				if v != nil {
					out[strings.ToLower(k)] = fmt.Sprint(v)
				}
			}
			return raw, out
		}
	}
	return nil, map[string]string{}
}

// intelConfig checks the intel plugin's settings.
func intelConfig(cfg config.Config) (intel.Config, error) {
	_, settings := intelSettings(cfg)
	ic, err := intel.ParseSettings(settings)
	if err != nil {
		return ic, &config.Error{Source: "plugins", Key: "plugins.intel", Msg: err.Error()}
	}
	return ic, nil
}

func (e *env) intelImportCmd() *cobra.Command {
	var (
		format, source, columns, tags, malware, reference string
		confidence                                        int
		replace, asJSON                                   bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|DIR",
		Short: "Import a feed file or directory into the local store",
		Long: `Imports one feed, atomically: either every valid entry is stored or, when the feed cannot be
read, nothing. Importing the same feed again changes nothing. Entries are unique per
(type, value, source); --replace also removes the source's entries the feed no longer lists.

Formats (--format; detected from the name and content when omitted):
  text  one indicator per line; # and ; comments, inline comments kept as descriptions,
        defanged forms, CIDR ranges, hosts-file lines
  csv   comma-separated; --columns maps fields to 1-based positions or header names
        (value, type, confidence, tags, malware, reference, description, first_seen,
        last_seen, valid_until, id); without it the header names are recognised, else the
        first column is the value; the type is inferred when no column gives it
  stix  a STIX 2.1 bundle: indicators with stix patterns of supported comparisons
        (ipv4-addr, ipv6-addr, domain-name, url, email-addr, file hashes), OR-joined;
        other patterns are counted as unsupported with their reason
  misp  a MISP feed directory (manifest.json and event files), one event file, or hashes.csv

Invalid and unsupported entries are counted and located (file:line or object id); they do
not fail the import. Exit codes: 0 imported, 2 unreadable feed or bad flags, 1 other failures.`,
		Example: `  spotter intel import examples/intel/sample-feed.json
  spotter intel import --format csv --columns value=3,type=4 --source partner partner.csv
  spotter intel import --format misp ./circl-osint/
  spotter intel import --source blocklist --confidence 90 --replace blocklist.txt`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("intel import: expected one feed file or directory (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts := intel.ImportOptions{Source: source, Columns: columns, Replace: replace,
				Defaults: intel.Defaults{Confidence: confidence, Malware: malware, Reference: reference}}
			if format != "" {
				f, err := intel.ParseFormat(format)
				if err != nil {
					return usagef("--format: %v", err)
				}
				opts.Format = f
			}
			if confidence < 0 || confidence > 100 {
				return usagef("--confidence %d: expected 1 to 100 (0 for the default, %d)", confidence, intel.DefaultConfidence)
			}
			if columns != "" {
				if _, err := intel.ParseColumns(columns); err != nil {
					return usagef("--columns: %v", err)
				}
			}
			if source != "" {
				if err := intel.ValidSourceName(source); err != nil {
					return usagef("--source: %v", err)
				}
			}
			for _, t := range strings.Split(tags, ",") {
				if t = strings.TrimSpace(t); t != "" {
					opts.Defaults.Tags = append(opts.Defaults.Tags, t)
				}
			}
			st, _, done, err := e.openIntel(c.Context())
			if err != nil {
				return err
			}
			defer done()
			rep, err := st.ImportPath(c.Context(), args[0], opts)
			var ie *intel.InputError
			if errors.As(err, &ie) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, rep)
			}
			printIntelImport(e.stdout, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "feed format: text, csv, stix or misp (default: detected)")
	f.StringVar(&source, "source", "", "source name of the entries (default: the file or directory name)")
	f.StringVar(&columns, "columns", "", "CSV column mapping, e.g. value=1,type=2,confidence=5 or value=ioc_value")
	f.IntVar(&confidence, "confidence", 0, fmt.Sprintf("confidence 1-100 for entries without one (default %d)", intel.DefaultConfidence))
	f.StringVar(&tags, "tags", "", "comma-separated tags added to every entry")
	f.StringVar(&malware, "malware", "", "malware family for entries without one")
	f.StringVar(&reference, "reference", "", "link for entries without one; {value} and {id} are replaced")
	f.BoolVar(&replace, "replace", false, "remove the source's stored entries that the feed does not list")
	f.BoolVar(&asJSON, "json", false, "print the import report as JSON")
	return cmd
}

// printImport prints a report and its first problems.
func printIntelImport(w io.Writer, rep *intel.ImportReport) {
	fmt.Fprintln(w, rep.Summary())
	const shown = 20
	for i, p := range rep.Problems {
		if i == shown {
			fmt.Fprintf(w, "  ... and %d more\n", rep.Invalid+rep.UnsupportedTotal()-shown)
			break
		}
		fmt.Fprintf(w, "  %s\n", p)
	}
}

func (e *env) intelSyncCmd() *cobra.Command {
	var feeds []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync [--feed NAME]...",
		Short: "Pull the configured feeds over HTTP now",
		Long: `Downloads every configured feed (or those named by --feed) and imports what changed.
Requests are conditional (If-None-Match, If-Modified-Since): an unchanged feed costs one
request and no writes. MISP feeds fetch only changed events; TAXII collections fetch the
objects added since the last sync, following "next" pages. A feed that fails or does not
parse leaves its stored entries untouched; the error is kept for spotter intel stats.

Configure feeds under plugins.intel: feeds (comma list of feodo, urlhaus, threatfox,
tor-exits, spamhaus-drop), <feed>_url to override a download address, taxii_url with
taxii_collection, taxii_user and taxii_password, misp_url with misp_auth_key.

Exit codes: 0 every feed synced, 1 a feed failed, 2 no feed configured or an unknown name.`,
		Example: `  SPOTTER_INTEL_FEEDS=feodo,tor-exits spotter intel sync
  spotter intel sync --feed threatfox --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, cfg, done, err := e.openIntel(c.Context())
			if err != nil {
				return err
			}
			defer done()
			ic, err := intelConfig(cfg)
			if err != nil {
				return err
			}
			if len(ic.Feeds) == 0 {
				return usagef("intel sync: no feed configured; set plugins.intel.feeds (feodo, urlhaus, threatfox, tor-exits, spamhaus-drop), taxii_url or misp_url")
			}
			client, err := e.intelClient(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			results, err := intel.NewSyncer(st, client, ic.Feeds, e.logger()).Sync(ctx, feeds...)
			if err != nil {
				return &usageError{err}
			}
			if asJSON {
				if err := writeJSON(e.stdout, results); err != nil {
					return err
				}
			}
			failed := 0
			for _, r := range results {
				if r.Error != "" {
					failed++
				}
				if asJSON {
					continue
				}
				if r.Error != "" {
					fmt.Fprintf(e.stdout, "%s: failed: %s\n", r.Feed, r.Error)
					continue
				}
				fmt.Fprintf(e.stdout, "%s (%s)\n", r.Report.Summary(), r.Took.Round(time.Millisecond))
			}
			if failed > 0 {
				return fmt.Errorf("intel sync: %d of %d feeds failed; their stored entries are unchanged", failed, len(results))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&feeds, "feed", nil, "sync only this feed (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}

// intelClient returns the gateway's HTTP client for the intel plugin, with
// the configured retries, timeouts and limits.
func (e *env) intelClient(cfg config.Config) (*http.Client, error) {
	gw, err := e.intelGateway(cfg)
	if err != nil {
		return nil, err
	}
	return gw.Client(intelplugin.Name, intelplugin.Limits), nil
}

func (e *env) intelLookupCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lookup VALUE...",
		Short: "Look indicators up in the local store",
		Long: `Looks each value up in the local store: exact matches, CIDR ranges containing an address,
listed parent domains and MISP value digests, and prints the verdict each match supports
(malicious for a current entry of confidence 70 or more, suspicious for lower confidence or
stale entries; plugins.intel.fresh_days and min_confidence tune this).`,
		Example: `  spotter intel lookup 91.92.251.103 update-check.fabrikam-cdn[.]net
  spotter intel lookup --json 8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("intel lookup: expected at least one value")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			st, cfg, done, err := e.openIntel(c.Context())
			if err != nil {
				return err
			}
			defer done()
			ic, err := intelConfig(cfg)
			if err != nil {
				return err
			}
			results, err := st.Lookup(c.Context(), args...)
			if err != nil {
				return err
			}
			now := time.Now()
			out := make([]lookupJSON, 0, len(results))
			for _, r := range results {
				lj := lookupJSON{Result: r, Verdict: skill.Unknown, Matches: []matchJSON{}}
				for _, m := range r.Matches {
					j := ic.Policy.Judge(m, now)
					lj.Matches = append(lj.Matches, matchJSON{Match: m, Judgement: j})
					if j.Level.Rank() > lj.Verdict.Rank() || j.Level == lj.Verdict && j.Score > lj.Score {
						lj.Verdict, lj.Score = j.Level, j.Score
					}
				}
				out = append(out, lj)
			}
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			for _, r := range out {
				switch {
				case r.Error != "":
					fmt.Fprintf(e.stdout, "%s: not an indicator: %s\n", r.Query, r.Error)
				case len(r.Matches) == 0:
					fmt.Fprintf(e.stdout, "%s (%s): unknown — not listed\n", r.Value, r.Type)
				default:
					fmt.Fprintf(e.stdout, "%s (%s): %s %d\n", r.Value, r.Type, r.Verdict, r.Score)
					for _, m := range r.Matches {
						fmt.Fprintf(e.stdout, "  %-10s %3d  %s\n", m.Judgement.Level, m.Judgement.Score, m.Judgement.Summary)
						fmt.Fprintf(e.stdout, "             %s\n", strings.Join(m.Judgement.Reasons, "; "))
						if m.Reference != "" {
							fmt.Fprintf(e.stdout, "             %s\n", m.Reference)
						}
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: per value its matches with their verdicts")
	return cmd
}

// lookupJSON is the --json form of one looked-up value.
type lookupJSON struct {
	intel.Result
	Verdict skill.Level `json:"verdict"`
	Score   int         `json:"score"`
	Matches []matchJSON `json:"matches"`
}

type matchJSON struct {
	intel.Match
	Judgement intel.Judgement `json:"judgement"`
}

func (e *env) intelStatsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the entries per feed and each feed's last import or sync",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, _, done, err := e.openIntel(c.Context())
			if err != nil {
				return err
			}
			defer done()
			stats, err := st.Stats(c.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, stats)
			}
			feeds := "feeds"
			if len(stats.Feeds) == 1 {
				feeds = "feed"
			}
			fmt.Fprintf(e.stdout, "%d indicators in %d %s%s\n", stats.Indicators, len(stats.Feeds), feeds, intelTypeCounts(stats.ByType))
			for _, f := range stats.Feeds {
				fmt.Fprintf(e.stdout, "\n%s: %d indicators%s\n", f.Name, f.Indicators, intelTypeCounts(f.ByType))
				if f.URL != "" {
					fmt.Fprintf(e.stdout, "  from      %s (%s)\n", f.URL, f.Kind)
				}
				if !f.LastSync.IsZero() {
					fmt.Fprintf(e.stdout, "  synced    %s; last change %s\n", intelStamp(f.LastSync), intelStamp(f.LastChange))
					fmt.Fprintf(e.stdout, "  last run  %d added, %d updated, %d unchanged, %d removed, %d unsupported, %d invalid\n",
						f.Added, f.Updated, f.Unchanged, f.Removed, f.Unsupported, f.Invalid)
				}
				if f.LastError != "" {
					fmt.Fprintf(e.stdout, "  error     %s (%s)\n", f.LastError, intelStamp(f.LastAttempt))
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func intelTypeCounts(m map[intel.Type]int) string {
	var parts []string
	for _, t := range intel.Types {
		if m[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[t], t))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func intelStamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (e *env) intelExpireCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "expire",
		Short: "Delete the entries past their valid_until",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, _, done, err := e.openIntel(c.Context())
			if err != nil {
				return err
			}
			defer done()
			n, err := st.Expire(c.Context(), time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%d expired entr%s deleted\n", n, map[bool]string{true: "y", false: "ies"}[n == 1])
			return nil
		},
	}
}

// intelGateway builds a gateway holding only the intel plugin, so feed
// downloads get the configured retries, timeouts, breaker and limits, and
// plugins.intel settings are checked the same way as elsewhere.
func (e *env) intelGateway(cfg config.Config) (*gateway.Gateway, error) {
	reg := skill.NewRegistry()
	reg.MustRegister(intelplugin.New(nil))
	raw, _ := intelSettings(cfg)
	gw := gateway.New(reg, map[string]map[string]any{intelplugin.Name: raw}, cfg.Gateway, nil, e.logger())
	if err := gw.ConfigErr(); err != nil {
		return nil, &config.Error{Source: "plugins", Msg: err.Error()}
	}
	return gw, nil
}

// intelSyncer returns the scheduler spotter serve runs for the configured
// feeds (nil when none is configured), over db and the gateway's client
// for the intel plugin:
//
//	if sy, err := e.intelSyncer(cfg, st, gw); err != nil { ... } else if sy != nil { go sy.Run(ctx) }
func (e *env) intelSyncer(cfg config.Config, db *store.Store, gw *gateway.Gateway) (*intel.Syncer, error) {
	ic, err := intelConfig(cfg)
	if err != nil || len(ic.Feeds) == 0 {
		return nil, err
	}
	return intel.NewSyncer(intel.NewStore(db), gw.Client(intelplugin.Name, intelplugin.Limits), ic.Feeds, e.logger()), nil
}
