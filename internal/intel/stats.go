package intel

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// FeedStats describes one source in the store.
type FeedStats struct {
	Name string `json:"name"`
	// Kind is how the feed arrives: file, text, csv, stix, misp or taxii.
	Kind       string       `json:"kind,omitempty"`
	URL        string       `json:"url,omitempty"`
	Indicators int          `json:"indicators"`
	ByType     map[Type]int `json:"by_type"`
	// LastAttempt is the last import or sync attempt, successful or not;
	// LastSync the last one that confirmed the feed (a 304 included);
	// LastChange the last one that changed entries.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastSync    time.Time `json:"last_sync,omitzero"`
	LastChange  time.Time `json:"last_change,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Validators are held for conditional requests.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// The figures of the last import.
	Added       int `json:"added"`
	Updated     int `json:"updated"`
	Unchanged   int `json:"unchanged"`
	Removed     int `json:"removed"`
	Unsupported int `json:"unsupported"`
	Invalid     int `json:"invalid"`
}

// Stats describes the whole store.
type Stats struct {
	Indicators int          `json:"indicators"`
	ByType     map[Type]int `json:"by_type"`
	Feeds      []FeedStats  `json:"feeds"`
}

// Stats counts the entries per source and type and reports each feed's
// last import or sync.
func (s *Store) Stats(ctx context.Context) (*Stats, error) {
	st := &Stats{ByType: map[Type]int{}, Feeds: []FeedStats{}}
	rows, err := s.db.DB().QueryContext(ctx, `SELECT name, kind, url, etag, last_modified, last_attempt, last_sync, last_change,
	last_error, added, updated, unchanged, removed, unsupported, invalid FROM intel_feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("intel: reading feeds: %w", err)
	}
	for rows.Next() {
		f := FeedStats{ByType: map[Type]int{}}
		err := rows.Scan(&f.Name, &f.Kind, &f.URL, &f.ETag, &f.LastModified, nullTime{&f.LastAttempt}, nullTime{&f.LastSync},
			nullTime{&f.LastChange}, &f.LastError, &f.Added, &f.Updated, &f.Unchanged, &f.Removed, &f.Unsupported, &f.Invalid)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("intel: reading feeds: %w", err)
		}
		st.Feeds = append(st.Feeds, f)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("intel: reading feeds: %w", err)
	}
	index := map[string]int{}
	for i, f := range st.Feeds {
		index[f.Name] = i
	}
	counts, err := s.db.DB().QueryContext(ctx, `SELECT source, type, COUNT(*) FROM intel_indicators GROUP BY source, type`)
	if err != nil {
		return nil, fmt.Errorf("intel: counting entries: %w", err)
	}
	defer counts.Close()
	for counts.Next() {
		var source, t string
		var n int
		if err := counts.Scan(&source, &t, &n); err != nil {
			return nil, fmt.Errorf("intel: counting entries: %w", err)
		}
		i, ok := index[source]
		if !ok { // entries without a feed row
			i = len(st.Feeds)
			index[source] = i
			st.Feeds = append(st.Feeds, FeedStats{Name: source, ByType: map[Type]int{}})
		}
		st.Feeds[i].ByType[Type(t)] += n
		st.Feeds[i].Indicators += n
		st.ByType[Type(t)] += n
		st.Indicators += n
	}
	if err := counts.Err(); err != nil {
		return nil, fmt.Errorf("intel: counting entries: %w", err)
	}
	sort.SliceStable(st.Feeds, func(i, j int) bool { return st.Feeds[i].Name < st.Feeds[j].Name })
	return st, nil
}

// Expire deletes the entries whose valid_until is at or before now and
// returns how many there were.
func (s *Store) Expire(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.DB().ExecContext(ctx, s.db.Rebind(`DELETE FROM intel_indicators WHERE valid_until IS NOT NULL AND valid_until <= ?`), s.timeArg(now))
	if err != nil {
		return 0, fmt.Errorf("intel: expiring entries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("intel: counting expired entries: %w", err)
	}
	return n, nil
}

// Empty reports whether the store holds no entry at all.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var one int
	err := s.db.DB().QueryRowContext(ctx, `SELECT 1 FROM intel_indicators LIMIT 1`).Scan(&one)
	if errNoRows(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("intel: reading the store: %w", err)
	}
	return false, nil
}

// feedState is what a sync needs to know about a feed.
type feedState struct {
	ETag, LastModified, State string
	LastAttempt, LastSync     time.Time
}

// feedState reads a feed's validators and times; zero when unknown.
func (s *Store) feedState(ctx context.Context, name string) (feedState, error) {
	var f feedState
	err := s.db.DB().QueryRowContext(ctx, s.db.Rebind(`SELECT etag, last_modified, state, last_attempt, last_sync FROM intel_feeds WHERE name = ?`), name).
		Scan(&f.ETag, &f.LastModified, &f.State, nullTime{&f.LastAttempt}, nullTime{&f.LastSync})
	if err != nil && err != sql.ErrNoRows {
		return f, fmt.Errorf("intel: reading feed %s: %w", name, err)
	}
	return f, nil
}

// recordAttempt notes a sync that stored nothing: a 304 or unchanged
// validators (ok, which also confirms the feed) or a failure (msg).
func (s *Store) recordAttempt(ctx context.Context, name, kind, url string, ok bool, msg string, now time.Time) error {
	var synced any
	if ok {
		synced = s.timeArg(now)
	}
	q := `INSERT INTO intel_feeds (name, kind, url, last_attempt, last_sync, last_error) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, last_attempt = excluded.last_attempt,
	last_sync = COALESCE(excluded.last_sync, intel_feeds.last_sync), last_error = excluded.last_error`
	if _, err := s.db.DB().ExecContext(ctx, s.db.Rebind(q), name, kind, url, s.timeArg(now), synced, clip(msg, 1000)); err != nil {
		return fmt.Errorf("intel: recording the sync of %s: %w", name, err)
	}
	return nil
}
