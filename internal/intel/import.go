package intel

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// maxFeedFile bounds one feed file read from disk or the network.
const maxFeedFile = 1 << 30

// ImportOptions say how to read and store one feed.
type ImportOptions struct {
	// Source names the feed in the store; entries are unique per
	// (type, value, source). Empty means the file or directory name without
	// its extension.
	Source string
	// Format is the feed format; empty means detect it from the name and
	// the first bytes.
	Format Format
	// Columns is the CSV column mapping (see ParseColumns); empty means the
	// header names, else the first column holds the value.
	Columns  string
	Defaults Defaults
	// Replace deletes the source's stored entries that this import does not
	// list, making the source a copy of the feed. Without it imports add and
	// update only.
	Replace bool
	// Kind and URL describe the feed in the statistics.
	Kind, URL string
}

// feedMeta is what an import records about its feed besides the figures.
type feedMeta struct {
	kind, url          string
	etag, lastModified string
	state              *string // nil keeps the stored state
}

// ImportPath imports a feed file, or every file of a directory (a MISP feed
// directory is read through its manifest.json), as one atomic import:
// either all of it is stored or, on error, nothing.
func (s *Store) ImportPath(ctx context.Context, path string, opts ImportOptions) (*ImportReport, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &InputError{File: path, Msg: "cannot read: " + errText(err)}
	}
	files := []string{path}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil && (opts.Format == "" || opts.Format == FormatMISP) {
			opts.Format = FormatMISP
			files = []string{filepath.Join(path, "manifest.json")}
		} else if files, err = listFeedFiles(path); err != nil {
			return nil, err
		}
	}
	if opts.Source == "" {
		clean, err := filepath.Abs(path)
		if err != nil {
			clean = filepath.Clean(path)
		}
		switch base := filepath.Base(clean); {
		case fi.IsDir():
			opts.Source = base
		case base == "manifest.json" || base == "hashes.csv":
			opts.Source = filepath.Base(filepath.Dir(clean))
		default:
			opts.Source = strings.TrimSuffix(base, filepath.Ext(base))
		}
	}
	if opts.Kind == "" {
		opts.Kind = "file"
	}
	if opts.URL == "" {
		if abs, err := filepath.Abs(path); err == nil {
			opts.URL = "file://" + filepath.ToSlash(abs)
		}
	}
	open := func(_ context.Context, name string) (io.ReadCloser, error) {
		dir := filepath.Dir(files[0])
		f, err := os.Open(filepath.Join(dir, filepath.Base(name)))
		if err != nil {
			return nil, errors.New(errText(err))
		}
		return f, nil
	}
	return s.importFiles(ctx, opts, feedMeta{kind: opts.Kind, url: opts.URL}, func(ctx context.Context, k *sink) error {
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return &InputError{File: name, Msg: "cannot read: " + errText(err)}
			}
			err = s.parseOne(ctx, f, name, opts, k, open)
			f.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportReader imports one feed read from r, named name in messages, as
// one atomic import. A MISP manifest read this way cannot fetch its event
// files; use ImportPath or a sync for those.
func (s *Store) ImportReader(ctx context.Context, r io.Reader, name string, opts ImportOptions) (*ImportReport, error) {
	if opts.Source == "" {
		opts.Source = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	return s.importFiles(ctx, opts, feedMeta{kind: opts.Kind, url: opts.URL}, func(ctx context.Context, k *sink) error {
		return s.parseOne(ctx, r, name, opts, k, nil)
	})
}

// importFiles runs parse against a sink that writes into one transaction,
// then records the feed's figures in the same transaction.
func (s *Store) importFiles(ctx context.Context, opts ImportOptions, meta feedMeta, parse func(context.Context, *sink) error) (*ImportReport, error) {
	if err := ValidSourceName(opts.Source); err != nil {
		return nil, err
	}
	if opts.Format != "" {
		if _, err := ParseFormat(string(opts.Format)); err != nil {
			return nil, err
		}
	}
	now := s.now()
	rep := newReport(opts.Source, opts.Format)
	defer s.bigCache(ctx)()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w := newWriter(ctx, s, tx, opts.Source, rep)
		defer w.stmts.close()
		k := &sink{rep: rep, def: opts.Defaults, now: now, put: w.put, remove: w.remove, dropObject: w.dropObject}
		if err := parse(ctx, k); err != nil {
			return err
		}
		if rep.Read == 0 && rep.Invalid > 0 {
			first := rep.Problems[0]
			return &InputError{File: first.File, Line: first.Line, Msg: fmt.Sprintf("no valid entry, %d invalid; expected a %s feed (first problem: %s)", rep.Invalid, formatName(rep.Format), first.Msg)}
		}
		if err := w.finish(opts.Replace); err != nil {
			return err
		}
		return s.saveFeed(ctx, tx, opts.Source, meta, rep, now)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// importCacheKiB is SQLite's page cache during an import: a large import
// touches pages of the table and both indexes all over, and with the
// default 2 MiB cache it spends most of its time writing pages out and
// reading them back.
const importCacheKiB = 64 << 10

// bigCache raises SQLite's page cache and keeps temporary files in memory
// for the duration of an import, and returns the function that restores
// both. The pool has a single
// connection, so the setting applies to the import's transaction.
func (s *Store) bigCache(ctx context.Context) func() {
	if s.db.Dialect() != store.DialectSQLite {
		return func() {}
	}
	var old int64
	if err := s.db.DB().QueryRowContext(ctx, "PRAGMA cache_size").Scan(&old); err != nil {
		return func() {}
	}
	var oldTemp int64
	if err := s.db.DB().QueryRowContext(ctx, "PRAGMA temp_store").Scan(&oldTemp); err != nil {
		return func() {}
	}
	// Statement journals of the multi-row upserts stay in memory too.
	if _, err := s.db.DB().ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB)); err != nil {
		return func() {}
	}
	_, _ = s.db.DB().ExecContext(ctx, "PRAGMA temp_store = MEMORY")
	return func() {
		_, _ = s.db.DB().ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = %d", old))
		_, _ = s.db.DB().ExecContext(context.Background(), fmt.Sprintf("PRAGMA temp_store = %d", oldTemp))
	}
}

func formatName(f Format) string {
	if f == "" {
		return "text, csv, stix or misp"
	}
	return string(f)
}

// parseOne reads one feed file in its format (detected when not given).
func (s *Store) parseOne(ctx context.Context, r io.Reader, name string, opts ImportOptions, k *sink, open opener) error {
	k.file = name
	k.rep.Files = append(k.rep.Files, name)
	f := opts.Format
	if f == "" {
		var head []byte
		head, r = peek(r, 4096)
		f = DetectFormat(name, head)
		if k.rep.Format == "" {
			k.rep.Format = f
		}
	}
	r = io.LimitReader(r, maxFeedFile)
	switch f {
	case FormatText:
		return parseText(r, k)
	case FormatCSV:
		m, err := ParseColumns(opts.Columns)
		if err != nil {
			return &InputError{File: name, Msg: err.Error()}
		}
		return parseCSV(r, k, m)
	case FormatSTIX:
		return parseSTIX(r, k)
	case FormatMISP:
		return parseMISP(ctx, r, k, open)
	}
	return &InputError{File: name, Msg: fmt.Sprintf("format %q: expected one of text, csv, stix, misp", f)}
}

// DetectFormat guesses a feed's format from its file name and first bytes:
// manifest.json, hashes.csv and MISP events are misp; other JSON is stix;
// .csv files are csv; anything else is a plain list.
func DetectFormat(name string, head []byte) Format {
	base := strings.ToLower(filepath.Base(name))
	if base == "manifest.json" || base == "hashes.csv" {
		return FormatMISP
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if bytes.Contains(head, []byte(`"Event"`)) || bytes.Contains(head, []byte(`"Attribute"`)) {
			return FormatMISP
		}
		return FormatSTIX
	}
	if strings.HasSuffix(base, ".csv") {
		return FormatCSV
	}
	return FormatText
}

// peek returns up to n leading bytes of r and a reader that still yields them.
func peek(r io.Reader, n int) ([]byte, io.Reader) {
	buf := make([]byte, n)
	m, _ := io.ReadFull(r, buf)
	buf = buf[:m]
	return buf, io.MultiReader(bytes.NewReader(buf), r)
}

// listFeedFiles lists a directory's regular, non-hidden files, sorted.
func listFeedFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &InputError{File: dir, Msg: "cannot list: " + errText(err)}
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	if len(out) == 0 {
		return nil, &InputError{File: dir, Msg: "no feed files in the directory"}
	}
	slices.Sort(out)
	return out, nil
}

// errText is an error's message without the path os errors repeat.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// saveFeed records an import's figures and the feed's validators.
func (s *Store) saveFeed(ctx context.Context, tx *sql.Tx, name string, meta feedMeta, rep *ImportReport, now time.Time) error {
	var state string
	err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT state FROM intel_feeds WHERE name = ?`), name).Scan(&state)
	if err != nil && !errNoRows(err) {
		return fmt.Errorf("intel: reading feed %s: %w", name, err)
	}
	if meta.state != nil {
		state = *meta.state
	}
	var change any
	if rep.Changed() {
		change = s.timeArg(now)
	}
	q := `INSERT INTO intel_feeds (name, kind, url, etag, last_modified, state, last_attempt, last_sync, last_change, last_error,
	added, updated, unchanged, removed, unsupported, invalid)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, etag = excluded.etag,
	last_modified = excluded.last_modified, state = excluded.state, last_attempt = excluded.last_attempt,
	last_sync = excluded.last_sync, last_change = COALESCE(excluded.last_change, intel_feeds.last_change),
	last_error = '', added = excluded.added, updated = excluded.updated, unchanged = excluded.unchanged,
	removed = excluded.removed, unsupported = excluded.unsupported, invalid = excluded.invalid`
	_, err = tx.ExecContext(ctx, s.db.Rebind(q), name, meta.kind, meta.url, meta.etag, meta.lastModified, state,
		s.timeArg(now), s.timeArg(now), change, rep.Added, rep.Updated, rep.Unchanged, rep.Removed, rep.UnsupportedTotal(), rep.Invalid)
	if err != nil {
		return fmt.Errorf("intel: recording feed %s: %w", name, err)
	}
	return nil
}
