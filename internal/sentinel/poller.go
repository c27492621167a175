package sentinel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/runs"
)

// DefaultPlaybook runs when a rule or hook names none.
const DefaultPlaybook = "incident-enrichment"

// cursorTick is the precision of the services' timestamps (100 ns): the
// step a cursor is moved back to list a revision again.
const cursorTick = 100 * time.Nanosecond

// Change is one incident revision a poll found.
type Change struct {
	Source   string // the workspace's or tenant's configured name
	ID       string // the incident's name (GUID) or Defender id
	Title    string
	Severity string
	Products []string
	Created  time.Time
	Modified time.Time
	// Revision names this revision (see RevisionKey); Key is its run key
	// for a playbook (see RunKey).
	Revision string
	Key      func(playbook string) string
	// Document fetches the incident with its entities and alerts, in a
	// shape incident.Parse reads.
	Document func(ctx context.Context) (json.RawMessage, error)
	// Inputs are playbook inputs the source needs (over the poller's
	// defaults, under the rule's own).
	Inputs map[string]any
}

// Source lists the incidents of one workspace or tenant changed since a time.
// Changes may end with a *ThroughError when it listed the changes only up
// to a time.
type Source interface {
	Name() string
	Changes(ctx context.Context, since time.Time, fn func(Change) error) error
}

// ThroughError ends a Source's Changes that listed every change from since
// up to Through only (and possibly some later ones): the cursor advances no
// further than Through.
type ThroughError struct {
	Through time.Time
	Err     error // why the list stopped there
}

func (e *ThroughError) Error() string {
	return "listed the changes up to " + e.Through.UTC().Format(time.RFC3339) + " only: " + e.Err.Error()
}

func (e *ThroughError) Unwrap() error { return e.Err }

// PollerOptions configure NewPoller.
type PollerOptions struct {
	Sources []Source
	Rules   []config.SentinelRule
	Starter runs.Starter
	Cursors Cursors
	// Writes, when set, are the revisions Spotter wrote itself: updates
	// that are Spotter's own start no run.
	Writes Writes
	// Seen is the record of the incidents handled, which tells new
	// incidents from updates (kept in memory when nil: a restart then
	// classifies by the cursor for one poll).
	Seen Seen
	// Lookback is how far back the first poll of a source looks (24h when 0).
	Lookback time.Duration
	// Overlap is how far before its cursor each poll lists again, for
	// incidents the service shows only after a later change was listed
	// (0: none). Revisions listed again are skipped as seen.
	Overlap time.Duration
	// Interval between polls in Run (1m when 0).
	Interval time.Duration
	// Inputs are passed to every run (the write-back switches); a rule's
	// own inputs win.
	Inputs map[string]any
	// Declares, when set, says whether a playbook declares an input: the
	// defaults of Inputs and of the source go only to playbooks that take
	// them (a rule's own inputs are passed as written).
	Declares func(playbook, input string) bool
	Log      *slog.Logger
	Now      func() time.Time
}

// Poller finds new and updated incidents and starts a run for each one a
// rule matches, once per incident revision.
type Poller struct {
	o     PollerOptions
	rules []rule
}

type rule struct {
	config.SentinelRule
	title, product *regexp.Regexp
}

// PollStats count what one poll did.
type PollStats struct {
	Seen, Started, Duplicates, Unmatched int
	// Own counts updates that were Spotter's own write-back.
	Own int
	// Known counts revisions listed again (the overlap, the cursor's own)
	// that were handled before: skipped without a start.
	Known int
}

// NewPoller checks the rules and returns a poller.
func NewPoller(o PollerOptions) (*Poller, error) {
	if o.Starter == nil || o.Cursors == nil {
		return nil, errors.New("sentinel poller: a runs.Starter and cursors are required")
	}
	if o.Lookback <= 0 {
		o.Lookback = 24 * time.Hour
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Overlap < 0 {
		o.Overlap = 0
	}
	if o.Seen == nil {
		o.Seen = newMemSeen()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Poller{o: o}
	for i, r := range o.Rules {
		cr := rule{SentinelRule: r}
		var err error
		if r.Title != "" {
			if cr.title, err = regexp.Compile("(?i)" + r.Title); err != nil {
				return nil, fmt.Errorf("sentinel.poll.rules[%d].title: %w", i, err)
			}
		}
		if r.Product != "" {
			if cr.product, err = regexp.Compile("(?i)" + r.Product); err != nil {
				return nil, fmt.Errorf("sentinel.poll.rules[%d].product: %w", i, err)
			}
		}
		if cr.Playbook == "" {
			cr.Playbook = DefaultPlaybook
		}
		if len(cr.Events) == 0 {
			cr.Events = []string{"created"}
		}
		p.rules = append(p.rules, cr)
	}
	if len(p.rules) == 0 {
		p.rules = []rule{{SentinelRule: config.SentinelRule{Name: "default", Playbook: DefaultPlaybook, Events: []string{"created"}}}}
	}
	return p, nil
}

// match returns the first rule matching the change and event, or nil.
func (p *Poller) match(c Change, event string) *rule {
	for i := range p.rules {
		r := &p.rules[i]
		if len(r.Workspaces) > 0 && !slices.Contains(r.Workspaces, c.Source) {
			continue
		}
		if len(r.Severities) > 0 && !slices.ContainsFunc(r.Severities, func(s string) bool { return strings.EqualFold(s, c.Severity) }) {
			continue
		}
		if r.title != nil && !r.title.MatchString(c.Title) {
			continue
		}
		if r.product != nil && !slices.ContainsFunc(c.Products, r.product.MatchString) {
			continue
		}
		if !slices.Contains(r.Events, event) {
			continue
		}
		return r
	}
	return nil
}

// Run polls every interval until ctx ends. Failures are logged; the next
// poll retries from the stored cursor.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	for {
		if st, err := p.PollOnce(ctx); err != nil {
			p.o.Log.Warn("sentinel poll failed", "error", err.Error())
		} else if st.Started > 0 {
			p.o.Log.Info("sentinel poll started runs", "runs", st.Started, "seen", st.Seen)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollOnce polls every source once. Each source's cursor advances past the
// revisions handed to the starter, never past one that failed.
func (p *Poller) PollOnce(ctx context.Context) (PollStats, error) {
	var total PollStats
	var errs []error
	for _, src := range p.o.Sources {
		st, err := p.pollSource(ctx, src)
		total.Seen += st.Seen
		total.Started += st.Started
		total.Duplicates += st.Duplicates
		total.Unmatched += st.Unmatched
		total.Own += st.Own
		total.Known += st.Known
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", src.Name(), err))
		}
	}
	return total, errors.Join(errs...)
}

func (p *Poller) pollSource(ctx context.Context, src Source) (PollStats, error) {
	var st PollStats
	name := src.Name()
	since, ok, err := p.o.Cursors.Get(ctx, name)
	if err != nil {
		return st, err
	}
	stored, tracked, err := p.o.Seen.Horizon(ctx, name)
	if err != nil {
		return st, err
	}
	// horizon: an incident without a seen entry created at or after it is
	// new. listFrom: where the list starts, the overlap before the cursor
	// so that incidents the service shows late are still found, but never
	// before the horizon (the entries of older revisions are pruned).
	horizon := stored
	switch {
	case !ok:
		since = p.o.Now().Add(-p.o.Lookback)
		if !tracked || horizon.Before(since) {
			horizon = since
		}
	case !tracked:
		// Polled before the seen record existed (or with one that did not
		// last): incidents created after the cursor are new, and this poll
		// lists from the cursor, as the record holds nothing before it.
		horizon = since.Add(cursorTick)
	}
	listFrom := since.Add(-p.o.Overlap)
	if floor := minTime(horizon, since); listFrom.Before(floor) {
		listFrom = floor
	}
	newest := since
	var failedAt, pendingCreated time.Time
	var firstErr error
	advance := func(c Change) {
		if c.Modified.After(newest) {
			newest = c.Modified
		}
	}
	mark := func(c Change) error {
		advance(c)
		return p.o.Seen.Mark(ctx, name, c.ID, c.Revision, c.Modified)
	}
	handle := func(c Change) error {
		st.Seen++
		last, known, err := p.o.Seen.Last(ctx, name, c.ID)
		if err != nil {
			return err
		}
		if known && !c.Modified.After(last) {
			// This revision (or a newer one) was handled already.
			st.Known++
			advance(c)
			return nil
		}
		event := "updated"
		if !known && !c.Created.Before(horizon) {
			event = "created"
		}
		if event == "updated" && p.o.Writes != nil && c.Revision != "" {
			own, err := p.o.Writes.Written(ctx, c.Revision)
			if err != nil {
				return err
			}
			if own {
				st.Own++
				return mark(c)
			}
		}
		r := p.match(c, event)
		if r == nil {
			st.Unmatched++
			return mark(c)
		}
		started, existed, err := p.start(ctx, c, r, event)
		switch {
		case err != nil:
			// Not marked: the next poll lists it again and, as it is
			// still unseen, takes it for what it was.
			if firstErr == nil {
				firstErr = err
			}
			if failedAt.IsZero() || c.Modified.Before(failedAt) {
				failedAt = c.Modified
			}
			if event == "created" && (pendingCreated.IsZero() || c.Created.Before(pendingCreated)) {
				pendingCreated = c.Created
			}
			return nil
		case existed:
			st.Duplicates++
		case started:
			st.Started++
		}
		return mark(c)
	}
	err = src.Changes(ctx, listFrom, handle)
	var through *ThroughError
	if errors.As(err, &through) && listFrom.Before(since) && !through.Through.After(since) {
		// The overlap alone held more changes than one list reads: list
		// from the cursor, as without overlap, so that the cursor moves.
		p.o.Log.Info("sentinel poll read part of the overlap", "source", name, "reason", through.Error())
		err = src.Changes(ctx, since, handle)
	}
	if errors.As(err, &through) {
		p.o.Log.Info("sentinel poll read part of the changes", "source", name, "reason", through.Error())
		if through.Through.Before(newest) {
			newest = through.Through
		}
		err = nil
	}
	if err != nil {
		return st, err
	}
	if !failedAt.IsZero() {
		// The cursor stays just before the revision that failed, so the
		// next poll lists it again; what else is listed again is skipped
		// as seen.
		if before := failedAt.Add(-cursorTick); before.Before(newest) {
			newest = before
		}
	}
	if newest.Before(since) {
		newest = since // a failure inside the overlap: listed again anyway
	}
	if !newest.Equal(since) || !ok {
		if err := p.o.Cursors.Set(ctx, name, newest); err != nil {
			return st, err
		}
	}
	// The horizon follows the cursor by the overlap (an incident created
	// since then and not listed yet is new), never passes the creation of
	// a new incident whose run could not be started, and never goes back.
	next := newest.Add(-p.o.Overlap)
	if !pendingCreated.IsZero() && pendingCreated.Before(next) {
		next = pendingCreated
	}
	if next.Before(horizon) {
		next = horizon
	}
	if !tracked || !next.Equal(stored) {
		if err := p.o.Seen.Advance(ctx, name, next); err != nil {
			return st, err
		}
	}
	return st, firstErr
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (p *Poller) start(ctx context.Context, c Change, r *rule, event string) (started, existed bool, err error) {
	doc, err := c.Document(ctx)
	if err != nil {
		return false, false, fmt.Errorf("incident %s: %w", c.ID, err)
	}
	inputs := RunInputs(r.Playbook, p.o.Declares, p.o.Inputs, c.Inputs)
	maps.Copy(inputs, r.Inputs)
	id, existed, err := p.o.Starter.Start(ctx, runs.StartRequest{
		Playbook: r.Playbook, Trigger: "incident", Event: event, Incident: doc, Inputs: inputs,
		Key: c.Key(r.Playbook), Origin: "sentinel-poll:" + c.Source,
	})
	if err != nil {
		return false, false, fmt.Errorf("incident %s: starting %s: %w", c.ID, r.Playbook, err)
	}
	p.o.Log.Debug("sentinel incident handed to a run", "source", c.Source, "incident", c.ID, "rule", r.Name, "run", id, "existed", existed)
	return !existed, existed, nil
}

// RunInputs merges default inputs, later maps winning, keeping only those
// the playbook declares when declares is set.
func RunInputs(playbook string, declares func(playbook, input string) bool, defaults ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range defaults {
		for k, v := range m {
			if declares == nil || declares(playbook, k) {
				out[k] = v
			}
		}
	}
	return out
}

// normTime writes an RFC 3339 time in UTC with the precision it has, so
// the same instant spelled two ways gives one key.
func normTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return strings.TrimSpace(s)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// SentinelSource polls one Sentinel workspace.
type SentinelSource struct{ C *Client }

// Name is the workspace's configured name.
func (s SentinelSource) Name() string { return s.C.ws.Name }

// Changes lists the incidents modified at or after since, oldest first.
func (s SentinelSource) Changes(ctx context.Context, since time.Time, fn func(Change) error) error {
	_, err := s.C.ListIncidents(ctx, ListOptions{
		Filter:  "properties/lastModifiedTimeUtc ge " + since.UTC().Format(time.RFC3339Nano),
		OrderBy: "properties/lastModifiedTimeUtc asc",
		Top:     200,
	}, func(inc *Incident) error {
		created, _ := time.Parse(time.RFC3339Nano, inc.Created())
		modified, err := time.Parse(time.RFC3339Nano, inc.LastModified())
		if err != nil {
			return fmt.Errorf("incident %s: lastModifiedTimeUtc %q: expected an RFC 3339 time", inc.Name, clean(inc.LastModified(), 40))
		}
		raw := inc
		return fn(Change{
			Source: s.Name(), ID: inc.Name, Title: inc.Title(), Severity: inc.Severity(), Products: inc.Products(),
			Created: created, Modified: modified,
			Revision: RevisionKey(s.C.ws, raw.Name, raw.LastModified()),
			Key:      func(pb string) string { return RunKey(s.C.ws, raw.Name, raw.LastModified(), pb) },
			Document: func(ctx context.Context) (json.RawMessage, error) { return s.C.Document(ctx, raw) },
		})
	})
	return err
}

// Document fetches an incident's entities and alerts and returns
// {"incident": <the incident with its alerts>, "entities": <the list-entities response>},
// which incident.Parse reads.
func (c *Client) Document(ctx context.Context, inc *Incident) (json.RawMessage, error) {
	ents, err := c.ListEntities(ctx, inc.Name)
	if err != nil {
		return nil, err
	}
	alerts, err := c.ListAlerts(ctx, inc.Name)
	if err != nil {
		return nil, err
	}
	props := maps.Clone(inc.Properties)
	if len(alerts) > 0 {
		props["alerts"] = alerts
	}
	if ents.Entities == nil {
		ents.Entities = []Entity{}
	}
	doc := map[string]any{
		"incident": map[string]any{"id": inc.ID, "name": inc.Name, "type": inc.Type, "etag": inc.ETag, "properties": props},
		"entities": ents,
	}
	return json.Marshal(doc)
}
