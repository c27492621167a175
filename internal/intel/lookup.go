package intel

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// How a stored entry matched a looked-up value.
const (
	MatchExact  = "exact"
	MatchRange  = "range"         // the address lies in a stored CIDR range
	MatchParent = "parent domain" // a stored domain is a parent of the name
	MatchDigest = "digest"        // a MISP hashes.csv lists the value's MD5
)

// Match is one stored entry that matched a looked-up value.
type Match struct {
	Indicator
	// How is MatchExact, MatchRange, MatchParent or MatchDigest.
	How string `json:"how"`
	// FeedSynced is when the entry's feed last confirmed its contents (the
	// last import or sync, 304 included); it stands in for LastSeen when the
	// feed gives none.
	FeedSynced time.Time `json:"feed_synced,omitzero"`
}

// Seen is when the feed last vouched for the entry: its last seen time,
// else when its feed was last confirmed current.
func (m Match) Seen() time.Time {
	if !m.LastSeen.IsZero() {
		return m.LastSeen
	}
	return m.FeedSynced
}

// Result is what the store holds about one looked-up value.
type Result struct {
	// Query is the value as given.
	Query string `json:"query"`
	// Type and Value are its normalised form; empty when it is no indicator.
	Type  Type   `json:"type,omitempty"`
	Value string `json:"value,omitempty"`
	// Error says why the value is not an indicator.
	Error   string  `json:"error,omitempty"`
	Matches []Match `json:"matches"`
}

// probe is one key a lookup asks for, on behalf of one result.
type probe struct {
	res int
	how string
}

// lookupChunk bounds the values of one IN list.
const lookupChunk = 400

// Lookup finds the stored entries matching each value: exact matches of
// the normalised value, CIDR ranges containing an address (or a range),
// stored parent domains of a name up to its registrable domain, and MISP
// value digests. Results come in the order of values, matches sorted by
// source, type and value. Values that are no indicators get a Result with
// Error set; they are not an error of the call.
func (s *Store) Lookup(ctx context.Context, values ...string) ([]Result, error) {
	out := make([]Result, len(values))
	bits, digests, err := s.lookupShape(ctx)
	if err != nil {
		return nil, err
	}
	probes := map[Key][]probe{}
	add := func(k Key, res int, how string) { probes[k] = append(probes[k], probe{res, how}) }
	for i, v := range values {
		out[i] = Result{Query: v, Matches: []Match{}}
		t, norm, err := Normalize("", v)
		if err != nil {
			out[i].Error = err.Error()
			continue
		}
		out[i].Type, out[i].Value = t, norm
		add(Key{t, norm}, i, MatchExact)
		switch t {
		case TypeIP, TypeCIDR:
			for _, c := range cidrCandidates(t, norm, bits) {
				add(Key{TypeCIDR, c}, i, MatchRange)
			}
		case TypeDomain:
			for _, p := range parentDomains(norm) {
				add(Key{TypeDomain, p}, i, MatchParent)
			}
		}
		if digests {
			add(Key{TypeDigest, digestOf(norm)}, i, MatchDigest)
		}
	}
	found, err := s.fetch(ctx, probes)
	if err != nil {
		return nil, err
	}
	synced, err := s.feedSyncTimes(ctx)
	if err != nil {
		return nil, err
	}
	for k, rows := range found {
		for _, p := range probes[k] {
			for _, in := range rows {
				out[p.res].Matches = append(out[p.res].Matches, Match{Indicator: in, How: p.how, FeedSynced: synced[in.Source]})
			}
		}
	}
	for i := range out {
		m := out[i].Matches
		sort.Slice(m, func(a, b int) bool {
			if m[a].Source != m[b].Source {
				return m[a].Source < m[b].Source
			}
			if m[a].Type != m[b].Type {
				return m[a].Type < m[b].Type
			}
			return m[a].Value < m[b].Value
		})
	}
	return out, nil
}

// lookupShape reads the CIDR prefix lengths in use and whether any digests
// are stored, so lookups probe only what can match.
func (s *Store) lookupShape(ctx context.Context) (map[int][]int, bool, error) {
	rows, err := s.db.DB().QueryContext(ctx, `SELECT family, bits FROM intel_cidr_bits ORDER BY family, bits`)
	if err != nil {
		return nil, false, fmt.Errorf("intel: reading CIDR prefix lengths: %w", err)
	}
	bits := map[int][]int{}
	for rows.Next() {
		var fam, b int
		if err := rows.Scan(&fam, &b); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("intel: reading CIDR prefix lengths: %w", err)
		}
		bits[fam] = append(bits[fam], b)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, false, fmt.Errorf("intel: reading CIDR prefix lengths: %w", err)
	}
	var one int
	err = s.db.DB().QueryRowContext(ctx, s.db.Rebind(`SELECT 1 FROM intel_indicators WHERE type = ? LIMIT 1`), string(TypeDigest)).Scan(&one)
	if err != nil && !errNoRows(err) {
		return nil, false, fmt.Errorf("intel: checking for value digests: %w", err)
	}
	return bits, err == nil, nil
}

// cidrCandidates lists the networks of the given prefix lengths that
// contain an address or range, as stored (masked) text.
func cidrCandidates(t Type, v string, bits map[int][]int) []string {
	var a netip.Addr
	limit := 0
	if t == TypeIP {
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return nil
		}
		a, limit = addr, addr.BitLen()
	} else {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil
		}
		a, limit = p.Addr(), p.Bits()
	}
	fam := 4
	if a.Is6() {
		fam = 6
	}
	var out []string
	for _, b := range bits[fam] {
		if b >= limit {
			continue
		}
		if p, err := a.Prefix(b); err == nil {
			out = append(out, p.String())
		}
	}
	return out
}

// parentDomains lists the parents of a name down to its registrable
// domain: a.b.example.co.uk -> b.example.co.uk, example.co.uk.
func parentDomains(d string) []string {
	reg, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil || reg == d {
		return nil
	}
	var out []string
	for rest := d; rest != reg; {
		_, after, ok := strings.Cut(rest, ".")
		if !ok {
			break
		}
		out = append(out, after)
		rest = after
	}
	return out
}

// fetch reads the stored entries of every probed key, grouped by key.
func (s *Store) fetch(ctx context.Context, probes map[Key][]probe) (map[Key][]Indicator, error) {
	byType := map[Type][]string{}
	for k := range probes {
		byType[k.Type] = append(byType[k.Type], k.Value)
	}
	out := map[Key][]Indicator{}
	for t, values := range byType {
		sort.Strings(values)
		for start := 0; start < len(values); start += lookupChunk {
			chunk := values[start:min(start+lookupChunk, len(values))]
			args := make([]any, 0, len(chunk)+1)
			args = append(args, string(t))
			for _, v := range chunk {
				args = append(args, v)
			}
			q := `SELECT ` + indicatorColumns + ` FROM intel_indicators WHERE type = ? AND value IN (` + placeholders(len(chunk), 1) + `)`
			rows, err := s.db.DB().QueryContext(ctx, s.db.Rebind(q), args...)
			if err != nil {
				return nil, fmt.Errorf("intel: looking up %s values: %w", t, err)
			}
			for rows.Next() {
				in, err := scanRow(rows)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("intel: looking up %s values: %w", t, err)
				}
				out[in.Key()] = append(out[in.Key()], in)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("intel: looking up %s values: %w", t, err)
			}
		}
	}
	return out, nil
}

// feedSyncTimes reads when each feed was last confirmed current.
func (s *Store) feedSyncTimes(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.db.DB().QueryContext(ctx, `SELECT name, last_sync FROM intel_feeds`)
	if err != nil {
		return nil, fmt.Errorf("intel: reading feeds: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var t time.Time
		if err := rows.Scan(&name, nullTime{&t}); err != nil {
			return nil, fmt.Errorf("intel: reading feeds: %w", err)
		}
		out[name] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("intel: reading feeds: %w", err)
	}
	return out, nil
}
