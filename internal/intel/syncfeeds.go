package intel

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// mispFetchers is how many MISP event files are downloaded at once.
const mispFetchers = 4

// syncMISP syncs a MISP feed directory: the manifest conditionally, then
// the events that are new or whose timestamp changed. The entries of
// changed events are replaced and those of events gone from the manifest
// removed, in one import. The state is the manifest's event timestamps.
func (s *Syncer) syncMISP(ctx context.Context, f Feed) (*ImportReport, error) {
	st, err := s.store.feedState(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	header := conditional(st)
	if f.AuthKey != "" {
		header.Set("Authorization", f.AuthKey)
	}
	header.Set("Accept", "application/json")
	got, err := s.get(ctx, f.URL+"/manifest.json", header)
	if err != nil {
		return nil, err
	}
	rep := newReport(f.Name, FormatMISP)
	if got.status == http.StatusNotModified {
		rep.NotModified = true
		return rep, nil
	}
	manifest, err := decodeManifest(got.body)
	if err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %w", redactURL(f.URL), err)
	}
	old := map[string]string{}
	_ = json.Unmarshal([]byte(st.State), &old) // a damaged state means a full sync
	now := map[string]string{}
	var changed, removed []string
	for _, id := range slices.Sorted(maps.Keys(manifest)) {
		ts := string(manifest[id].Timestamp)
		now[id] = ts
		if prev, ok := old[id]; !ok || prev != ts || ts == "" {
			changed = append(changed, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(old)) {
		if _, ok := now[id]; !ok {
			removed = append(removed, id)
		}
	}
	bodies, err := s.fetchEvents(ctx, f, changed)
	if err != nil {
		return nil, err
	}
	state, _ := json.Marshal(now)
	stateText := string(state)
	opts := ImportOptions{Source: f.Name, Format: FormatMISP, Defaults: f.Defaults}
	meta := feedMeta{kind: string(f.Kind), url: f.URL, etag: got.etag, lastModified: got.lastModified, state: &stateText}
	return s.store.importFiles(ctx, opts, meta, func(ctx context.Context, k *sink) error {
		for _, id := range removed {
			if err := k.dropObject(id); err != nil {
				return err
			}
		}
		for _, id := range changed {
			// Attributes the new version no longer has go too.
			if err := k.dropObject(id); err != nil {
				return err
			}
			k.file = id + ".json"
			k.rep.Files = append(k.rep.Files, k.file)
			if err := parseMISP(ctx, bytes.NewReader(bodies[id]), k, nil); err != nil {
				return err
			}
		}
		if k.rep.Invalid > k.rep.Read {
			return plausible(k.rep, f)
		}
		return nil
	})
}

// fetchEvents downloads event files, a few at a time; any failure fails
// the sync.
func (s *Syncer) fetchEvents(ctx context.Context, f Feed, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	var mu sync.Mutex
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, mispFetchers)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			h := http.Header{"Accept": {"application/json"}}
			if f.AuthKey != "" {
				h.Set("Authorization", f.AuthKey)
			}
			got, err := s.get(ctx, f.URL+"/"+id+".json", h)
			if err == nil && got.status != http.StatusOK {
				err = fmt.Errorf("GET %s/%s.json: HTTP %d", redactURL(f.URL), id, got.status)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			out[id] = got.body
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// TAXII 2.1 constants.
const (
	taxiiMediaType = "application/taxii+json;version=2.1"
	maxTAXIIPages  = 10000
)

// taxiiCollection is one entry of a TAXII collections list.
type taxiiCollection struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	CanRead bool   `json:"can_read"`
}

// syncTAXII syncs TAXII 2.1 collections: from the discovery document (or
// the API root given directly) to the collections, then every object added
// after the last sync, page by page through "next". All pages of all
// collections are one import. The state is each collection's last
// X-TAXII-Date-Added-Last.
func (s *Syncer) syncTAXII(ctx context.Context, f Feed) (*ImportReport, error) {
	st, err := s.store.feedState(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	root, err := s.taxiiRoot(ctx, f)
	if err != nil {
		return nil, err
	}
	cols, err := s.taxiiCollections(ctx, f, root)
	if err != nil {
		return nil, err
	}
	cursor := map[string]string{}
	_ = json.Unmarshal([]byte(st.State), &cursor) // a damaged state means a full sync
	next := maps.Clone(cursor)
	var raws []json.RawMessage
	for _, c := range cols {
		objs, last, err := s.taxiiObjects(ctx, f, root, c.ID, cursor[c.ID])
		if err != nil {
			return nil, err
		}
		raws = append(raws, objs...)
		if last != "" {
			next[c.ID] = last
		}
	}
	rep := newReport(f.Name, FormatSTIX)
	if len(raws) == 0 && maps.Equal(next, cursor) {
		rep.NotModified = true
		return rep, nil
	}
	state, _ := json.Marshal(next)
	stateText := string(state)
	opts := ImportOptions{Source: f.Name, Format: FormatSTIX, Defaults: f.Defaults}
	meta := feedMeta{kind: string(f.Kind), url: f.URL, state: &stateText}
	return s.store.importFiles(ctx, opts, meta, func(ctx context.Context, k *sink) error {
		k.file = redactURL(root)
		return stixImport(raws, k)
	})
}

// taxiiGet fetches a TAXII resource and decodes its JSON into v.
func (s *Syncer) taxiiGet(ctx context.Context, f Feed, u string, v any) (http.Header, error) {
	h := http.Header{"Accept": {taxiiMediaType}}
	if f.User != "" || f.Password != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(f.User+":"+f.Password)))
	}
	got, err := s.get(ctx, u, h)
	if err != nil {
		return nil, err
	}
	if got.status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", redactURL(u), got.status)
	}
	if err := json.Unmarshal(got.body, v); err != nil {
		return nil, fmt.Errorf("GET %s: not a TAXII 2.1 document: %s", redactURL(u), jsonMsg(err))
	}
	return got.header, nil
}

// taxiiRoot finds the API root: the URL itself when it is one, else the
// discovery document's default (or first) API root.
func (s *Syncer) taxiiRoot(ctx context.Context, f Feed) (string, error) {
	var doc struct {
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
		Versions []string `json:"versions"`
	}
	if _, err := s.taxiiGet(ctx, f, f.URL, &doc); err != nil {
		return "", err
	}
	if len(doc.Versions) > 0 {
		return withSlash(f.URL), nil
	}
	root := doc.Default
	if root == "" && len(doc.APIRoots) > 0 {
		root = doc.APIRoots[0]
	}
	if root == "" {
		return "", fmt.Errorf("GET %s: neither a TAXII discovery document with api_roots nor an API root with versions", redactURL(f.URL))
	}
	base, err := url.Parse(f.URL)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(root)
	if err != nil {
		return "", fmt.Errorf("TAXII discovery: API root %q: %w", clip(root, 100), err)
	}
	return withSlash(base.ResolveReference(ref).String()), nil
}

func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// taxiiCollections lists the readable collections the feed selects.
func (s *Syncer) taxiiCollections(ctx context.Context, f Feed, root string) ([]taxiiCollection, error) {
	var doc struct {
		Collections []taxiiCollection `json:"collections"`
	}
	if _, err := s.taxiiGet(ctx, f, root+"collections/", &doc); err != nil {
		return nil, err
	}
	var readable []string
	var cols []taxiiCollection
	for _, c := range doc.Collections {
		if !c.CanRead || c.ID == "" {
			continue
		}
		readable = append(readable, c.ID+" ("+c.Title+")")
		if f.Collection == "" || c.ID == f.Collection || strings.EqualFold(c.Title, f.Collection) {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		if f.Collection != "" {
			return nil, fmt.Errorf("TAXII: no readable collection %q at %s; readable: %s", f.Collection, redactURL(root), orNone(readable))
		}
		return nil, fmt.Errorf("TAXII: no readable collection at %s", redactURL(root))
	}
	return cols, nil
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// taxiiObjects reads every object of a collection added after addedAfter,
// following "next" (or, from servers without it, the last date added).
// It returns the objects and the newest date added seen.
func (s *Syncer) taxiiObjects(ctx context.Context, f Feed, root, id, addedAfter string) ([]json.RawMessage, string, error) {
	var out []json.RawMessage
	last, next := "", ""
	after := addedAfter
	for page := 0; ; page++ {
		if page >= maxTAXIIPages {
			return nil, "", fmt.Errorf("TAXII collection %s: more than %d pages", id, maxTAXIIPages)
		}
		q := url.Values{}
		if after != "" {
			q.Set("added_after", after)
		}
		if next != "" {
			q.Set("next", next)
		}
		u := root + "collections/" + url.PathEscape(id) + "/objects/"
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		var env struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		hdr, err := s.taxiiGet(ctx, f, u, &env)
		if err != nil {
			return nil, "", err
		}
		out = append(out, env.Objects...)
		if l := hdr.Get("X-TAXII-Date-Added-Last"); l != "" {
			last = l
		}
		if !env.More {
			return out, last, nil
		}
		switch {
		case env.Next != "":
			next = env.Next
		case last != "" && last != after:
			next, after = "", last
		default:
			return nil, "", fmt.Errorf("TAXII collection %s: the server has more objects but gives neither next nor X-TAXII-Date-Added-Last", id)
		}
	}
}
