package intel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxDownload bounds one downloaded feed file.
const maxDownload = 512 << 20

// userAgent identifies sync requests to feed publishers.
const userAgent = "spotter-intel-sync/1"

// Syncer pulls feeds over HTTP into a Store. Text, CSV and STIX feeds are
// fetched with conditional requests (If-None-Match, If-Modified-Since); an
// unchanged answer (304, or the same bytes again) stores nothing. MISP
// feeds fetch only the events whose manifest timestamp changed; TAXII
// collections fetch the objects added after the last sync. A feed that
// fails to download or parse leaves its stored entries as they were and
// records the error.
type Syncer struct {
	store *Store
	http  *http.Client
	feeds []Feed
	log   *slog.Logger
}

// NewSyncer returns a Syncer of feeds. client should be the gateway's
// client for the intel plugin, so downloads get its retries and limits; a
// nil log discards messages.
func NewSyncer(st *Store, client *http.Client, feeds []Feed, log *slog.Logger) *Syncer {
	if client == nil {
		client = http.DefaultClient
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{store: st, http: client, feeds: feeds, log: log}
}

// SyncResult is the outcome of syncing one feed.
type SyncResult struct {
	Feed   string        `json:"feed"`
	Kind   Kind          `json:"kind"`
	URL    string        `json:"url"`
	Report *ImportReport `json:"report,omitempty"`
	Error  string        `json:"error,omitempty"`
	// Took is the time the sync took, download included.
	Took time.Duration `json:"took"`
}

// Sync syncs the named feeds now (every configured feed when none is
// named). A failing feed does not stop the others; its error is in its
// result. Unknown names are an error.
func (s *Syncer) Sync(ctx context.Context, names ...string) ([]SyncResult, error) {
	feeds := s.feeds
	if len(names) > 0 {
		feeds = nil
		for _, n := range names {
			f, ok := s.feed(n)
			if !ok {
				return nil, fmt.Errorf("intel: no configured feed %q; configured: %s", n, s.names())
			}
			feeds = append(feeds, f)
		}
	}
	out := make([]SyncResult, 0, len(feeds))
	for _, f := range feeds {
		out = append(out, s.SyncFeed(ctx, f))
	}
	return out, nil
}

func (s *Syncer) feed(name string) (Feed, bool) {
	for _, f := range s.feeds {
		if f.Name == name {
			return f, true
		}
	}
	return Feed{}, false
}

func (s *Syncer) names() string {
	var n []string
	for _, f := range s.feeds {
		n = append(n, f.Name)
	}
	if len(n) == 0 {
		return "none (set plugins.intel.feeds, taxii_url or misp_url)"
	}
	return strings.Join(n, ", ")
}

// SyncFeed syncs one feed and records the outcome in the store.
func (s *Syncer) SyncFeed(ctx context.Context, f Feed) SyncResult {
	start := time.Now()
	res := SyncResult{Feed: f.Name, Kind: f.Kind, URL: f.URL}
	var rep *ImportReport
	var err error
	switch f.Kind {
	case KindText, KindCSV, KindSTIX:
		rep, err = s.syncFile(ctx, f)
	case KindMISP:
		rep, err = s.syncMISP(ctx, f)
	case KindTAXII:
		rep, err = s.syncTAXII(ctx, f)
	default:
		err = fmt.Errorf("unknown feed kind %q", f.Kind)
	}
	res.Took = time.Since(start)
	if err != nil {
		res.Error = err.Error()
		if rerr := s.store.recordAttempt(ctx, f.Name, string(f.Kind), f.URL, false, err.Error(), s.store.now()); rerr != nil {
			res.Error += "; " + rerr.Error()
		}
		s.log.Warn("intel feed sync failed", "feed", f.Name, "error", err)
		return res
	}
	if rep.NotModified {
		if rerr := s.store.recordAttempt(ctx, f.Name, string(f.Kind), f.URL, true, "", s.store.now()); rerr != nil {
			res.Error = rerr.Error()
		}
	}
	res.Report = rep
	s.log.Info("intel feed synced", "feed", f.Name, "summary", rep.Summary(), "took", res.Took)
	return res
}

// fetched is a downloaded file.
type fetched struct {
	status             int
	body               []byte
	header             http.Header
	etag, lastModified string
}

// get downloads url with the given extra headers. 304 is returned as a
// status without a body; any other status but 200 is an error.
func (s *Syncer) get(ctx context.Context, url string, header http.Header) (*fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redactURL(url), err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redactURL(url), err)
	}
	defer resp.Body.Close()
	f := &fetched{status: resp.StatusCode, header: resp.Header, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch resp.StatusCode {
	case http.StatusNotModified:
		return f, nil
	case http.StatusOK:
	default:
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		return nil, fmt.Errorf("GET %s: HTTP %d; expected 200 or 304", redactURL(url), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body: %w", redactURL(url), err)
	}
	if len(body) > maxDownload {
		return nil, fmt.Errorf("GET %s: larger than %d MiB", redactURL(url), maxDownload>>20)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" || looksHTML(body) {
		return nil, fmt.Errorf("GET %s: got an HTML page, not a feed (a login, error or consent page?)", redactURL(url))
	}
	f.body = body
	return f, nil
}

// looksHTML recognises an HTML document by its first bytes.
func looksHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}

// conditional returns the validators of a previous download as request headers.
func conditional(st feedState) http.Header {
	h := http.Header{}
	if st.ETag != "" {
		h.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		h.Set("If-Modified-Since", st.LastModified)
	}
	return h
}

// syncFile syncs a feed that is one file: download (conditionally), then
// import it atomically. Its state is the SHA-256 of the last body, so a
// server that ignores validators still costs no writes.
func (s *Syncer) syncFile(ctx context.Context, f Feed) (*ImportReport, error) {
	st, err := s.store.feedState(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	got, err := s.get(ctx, f.URL, conditional(st))
	if err != nil {
		return nil, err
	}
	rep := newReport(f.Name, Format(f.Kind))
	if got.status == http.StatusNotModified {
		rep.NotModified = true
		return rep, nil
	}
	sum := sha256.Sum256(got.body)
	digest := hex.EncodeToString(sum[:])
	if digest == st.State && !st.LastSync.IsZero() {
		rep.NotModified = true
		return rep, nil
	}
	opts := ImportOptions{Source: f.Name, Format: Format(f.Kind), Columns: f.Columns, Defaults: f.Defaults, Replace: f.Replace}
	meta := feedMeta{kind: string(f.Kind), url: f.URL, etag: got.etag, lastModified: got.lastModified, state: &digest}
	return s.store.importFiles(ctx, opts, meta, func(ctx context.Context, k *sink) error {
		if err := s.store.parseOne(ctx, bytes.NewReader(got.body), f.URL, opts, k, nil); err != nil {
			return err
		}
		return plausible(k.rep, f)
	})
}

// plausible refuses to store a download that is mostly not the feed: a
// feed that turned into an error page or another format must not replace
// good data.
func plausible(rep *ImportReport, f Feed) error {
	switch {
	case rep.Read == 0 && rep.Invalid > 0:
		return fmt.Errorf("%s: no valid entry, %d invalid; expected a %s feed (first problem: %s)", f.Name, rep.Invalid, f.Kind, rep.Problems[0])
	case rep.Read == 0 && f.Replace && rep.UnsupportedTotal() == 0:
		return fmt.Errorf("%s: the feed is empty; keeping the stored entries", f.Name)
	case rep.Invalid > rep.Read:
		return fmt.Errorf("%s: %d invalid entries against %d valid; expected a %s feed (first problem: %s)", f.Name, rep.Invalid, rep.Read, f.Kind, rep.Problems[0])
	}
	return nil
}

// Run syncs every feed when it is due (its interval elapsed since the last
// attempt) and expires entries past their valid_until, until ctx ends. It
// is meant for spotter serve.
func (s *Syncer) Run(ctx context.Context) error {
	if len(s.feeds) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	for {
		next := s.store.now().Add(time.Hour)
		for _, f := range s.feeds {
			st, err := s.store.feedState(ctx, f.Name)
			if err != nil {
				s.log.Warn("intel scheduler", "feed", f.Name, "error", err)
				continue
			}
			interval := f.Interval
			if interval <= 0 {
				interval = time.Hour
			}
			due := st.LastAttempt.Add(interval)
			if !due.After(s.store.now()) {
				s.SyncFeed(ctx, f)
				due = s.store.now().Add(interval)
			}
			if due.Before(next) {
				next = due
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if n, err := s.store.Expire(ctx, s.store.now()); err != nil {
			s.log.Warn("intel expiry", "error", err)
		} else if n > 0 {
			s.log.Info("intel entries expired", "count", n)
		}
		wait := time.Until(next)
		if wait < time.Second {
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// redactURL drops credentials and the query from a URL for messages.
func redactURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndexByte(strings.SplitN(rest, "/", 2)[0], '@'); at >= 0 {
			raw = scheme + "://" + rest[at+1:]
		}
	}
	return raw
}
