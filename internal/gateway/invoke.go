package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// InvokeOptions adjust one Invoke call.
type InvokeOptions struct {
	// NoCache skips the cache read; the fresh result is still stored.
	NoCache bool
}

// Invoke runs a skill by id or alias with raw inputs (from JSON, YAML or the
// command line). Errors: an unknown skill wraps skill.ErrNotFound; a plugin
// without settings gives *skill.NotConfiguredError; bad inputs give
// *skill.InputError; provider failures are the plugin's errors or *Error.
//
// A fresh result is cached for the skill's TTL (Config.TTL, else
// Spec.CacheTTL, else Config.DefaultTTL; negative means never). Identical
// concurrent calls share one run. Every returned Result is a copy of its
// own, decoded from JSON, so Data has the same shape (maps, slices, strings,
// float64, bools) whether it came from the provider or the cache.
func (g *Gateway) Invoke(ctx context.Context, name string, raw map[string]any, opts InvokeOptions) (*skill.Result, error) {
	spec, err := g.reg.Lookup(name)
	if err != nil {
		return nil, err
	}
	st := g.plugins[spec.Plugin()]
	if st == nil || !st.runnable {
		reason := "plugin is not registered"
		if st != nil {
			reason = st.reason
		}
		return nil, &skill.NotConfiguredError{Plugin: spec.Plugin(), Reason: reason}
	}
	sk := st.skills[strings.ToLower(spec.ID)]
	if sk == nil {
		return nil, &skill.NotConfiguredError{Plugin: spec.Plugin(), Reason: "the plugin did not provide skill " + spec.ID}
	}
	in, err := spec.Validate(raw)
	if err != nil {
		return nil, err
	}
	key, err := cacheKey(spec.ID, in, st.res.set.fingerprint)
	if err != nil {
		return nil, err
	}
	ttl := g.ttlFor(spec)
	cacheable := g.cache != nil && ttl > 0
	read := cacheable && !opts.NoCache

	if read {
		if res, ok := g.cached(ctx, spec.ID, key); ok {
			st.metrics.hit()
			return decodeResult(res)
		}
	}
	flightKey := key
	if !read {
		// Callers that must not be served from the cache do not join runs
		// that may answer from it.
		flightKey += "/fresh"
	}
	res, leader, err := g.flights.do(ctx, flightKey, func(fctx context.Context) (flightResult, error) {
		if read {
			// A run for the same key may have finished between this caller's
			// cache read and now: its result is in the cache.
			if res, ok := g.cached(fctx, spec.ID, key); ok {
				return res, nil
			}
		}
		return g.run(fctx, spec, sk, in, key, ttl, cacheable)
	})
	switch {
	case leader && res.cached:
		st.metrics.hit()
	case leader:
		st.metrics.miss()
	default:
		st.metrics.miss()
		st.metrics.dedup()
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, fmt.Errorf("%s: %w", spec.ID, err)
		}
		return nil, scrubError(err, st.res.set.list())
	}
	return decodeResult(res)
}

// run executes the skill and caches its JSON-encoded result.
func (g *Gateway) run(ctx context.Context, spec skill.Spec, sk skill.Skill, in skill.Inputs, key string, ttl time.Duration, cacheable bool) (flightResult, error) {
	res, err := sk.Run(ctx, in)
	if err != nil {
		return flightResult{}, err
	}
	if res == nil {
		return flightResult{}, fmt.Errorf("%s: the skill returned neither a result nor an error; expected one of them", spec.ID)
	}
	fresh := *res
	fresh.Cached, fresh.CachedAt = false, time.Time{}
	data, err := json.Marshal(&fresh)
	if err != nil {
		return flightResult{}, fmt.Errorf("%s: result does not encode as JSON; expected JSON-compatible data: %w", spec.ID, err)
	}
	if cacheable {
		now := time.Now()
		e := CacheEntry{Key: key, Skill: spec.ID, Value: data, StoredAt: now, ExpiresAt: now.Add(ttl)}
		if err := g.cache.Put(ctx, e); err != nil {
			g.log.Warn("caching a skill result failed; continuing without", "skill", spec.ID, "err", err)
		}
	}
	return flightResult{data: data}, nil
}

// cached reads the cache; a failed read or an undecodable entry is a miss.
func (g *Gateway) cached(ctx context.Context, skillID, key string) (flightResult, bool) {
	e, ok, err := g.cache.Get(ctx, key, time.Now())
	if err != nil {
		g.log.Warn("reading the result cache failed; treating it as a miss", "skill", skillID, "err", err)
		return flightResult{}, false
	}
	if !ok {
		return flightResult{}, false
	}
	if !json.Valid(e.Value) {
		g.log.Warn("cached result is not valid JSON; ignoring it", "skill", skillID)
		return flightResult{}, false
	}
	return flightResult{data: e.Value, cached: true, cachedAt: e.StoredAt}, true
}

func (g *Gateway) ttlFor(spec skill.Spec) time.Duration {
	if d, ok := g.ttl[strings.ToLower(spec.ID)]; ok {
		return d
	}
	if spec.CacheTTL != 0 {
		return spec.CacheTTL
	}
	return g.cfg.DefaultTTL
}

// cacheKey identifies a result: the skill, its validated inputs in canonical
// JSON (object keys sorted) and the fingerprint of the plugin's settings.
// Being a hash, it reveals none of them.
func cacheKey(skillID string, in skill.Inputs, fingerprint string) (string, error) {
	enc, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("%s: inputs do not encode as JSON; expected JSON-compatible values: %w", skillID, err)
	}
	h := sha256.New()
	h.Write([]byte(skillID))
	h.Write([]byte{0})
	h.Write(enc)
	h.Write([]byte{0})
	h.Write([]byte(fingerprint))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// decodeResult gives the caller a Result of its own.
func decodeResult(fr flightResult) (*skill.Result, error) {
	var r skill.Result
	if err := json.Unmarshal(fr.data, &r); err != nil {
		return nil, fmt.Errorf("decoding a skill result: expected the JSON form of skill.Result: %w", err)
	}
	r.Cached, r.CachedAt = fr.cached, time.Time{}
	if fr.cached {
		r.CachedAt = fr.cachedAt
	}
	return &r, nil
}
