package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/intel"
	"github.com/spotter-soc/spotter/internal/investigate"
	"github.com/spotter-soc/spotter/internal/plugins"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

// runtime is the configured gateway with its database.
type runtime struct {
	cfg   config.Config
	gw    *gateway.Gateway
	llm   *llmRuntime // the optional language models
	close func()
	db    *lazyCache // the database, opened on first use
}

// openRuntime builds the gateway over every built-in plugin. With persistent
// set, skill results are cached in the database (SQLite in the data
// directory, or database.url); otherwise in memory, for commands that only
// list things.
func (e *env) openRuntime(ctx context.Context, persistent bool) (*runtime, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	var cache gateway.Cache = gateway.NewMemoryCache()
	lc := &lazyCache{open: func() (*store.Store, error) { return openStore(ctx, cfg) }}
	if persistent {
		cache = lc
	}
	opener := func(context.Context) (*intel.Store, error) {
		st, err := lc.store()
		if err != nil {
			return nil, err
		}
		return intel.NewStore(st), nil
	}
	var opts []gateway.Option
	if persistent {
		opts = append(opts, gateway.WithSharedLimits(lc.sharedLimits()))
	}
	lr := newLLMRuntime(cfg.LLM)
	gw := gateway.New(lr.register(plugins.Registry(plugins.Options{IntelStore: opener, Sentinel: cfg.Sentinel, SentinelWrites: sentinelWrites(lc.store)})), cfg.Plugins, cfg.Gateway, cache, e.logger(), opts...)
	if err := gw.ConfigErr(); err != nil {
		return nil, &config.Error{Source: "plugins", Msg: err.Error()}
	}
	if err := lr.build(gw); err != nil {
		return nil, err
	}
	return &runtime{cfg: cfg, gw: gw, close: lc.close, db: lc, llm: lr}, nil
}

// openStore opens the database: database.url when set, else spotter.db in
// the data directory.
func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	if cfg.Database.URL != "" {
		return store.Open(ctx, cfg.Database.URL)
	}
	return store.OpenDataDir(ctx, cfg.DataDir)
}

// lazyCache opens the database on the first cache access, so commands that
// end up calling no skill (nothing configured) leave no state behind.
type lazyCache struct {
	open  func() (*store.Store, error)
	once  sync.Once
	st    *store.Store
	cache gateway.Cache
	err   error
}

// store returns the database, opening it on first use.
func (l *lazyCache) store() (*store.Store, error) {
	if _, err := l.get(); err != nil {
		return nil, err
	}
	return l.st, nil
}

// sharedLimits keeps the gateway's provider limits (rate, daily quota,
// pauses) in the database when it is PostgreSQL, so that every process on
// it shares them; on SQLite they stay in the gateway's memory.
func (l *lazyCache) sharedLimits() gateway.SharedLimits {
	return gateway.LazySharedLimits(func(context.Context) (gateway.SharedLimits, error) {
		st, err := l.store()
		if err != nil {
			return nil, err
		}
		return st.SharedLimits(), nil
	})
}

func (l *lazyCache) get() (gateway.Cache, error) {
	l.once.Do(func() {
		l.st, l.err = l.open()
		if l.err != nil {
			l.err = fmt.Errorf("database: %w", l.err)
			return
		}
		l.cache = l.st.Cache()
	})
	return l.cache, l.err
}

func (l *lazyCache) Get(ctx context.Context, key string, now time.Time) (gateway.CacheEntry, bool, error) {
	c, err := l.get()
	if err != nil {
		return gateway.CacheEntry{}, false, err
	}
	return c.Get(ctx, key, now)
}

func (l *lazyCache) Put(ctx context.Context, e gateway.CacheEntry) error {
	c, err := l.get()
	if err != nil {
		return err
	}
	return c.Put(ctx, e)
}

func (l *lazyCache) close() {
	if l.st != nil {
		l.st.Close()
	}
}

// logger writes warnings and errors to stderr (more with --log-level).
func (e *env) logger() *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(e.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "error":
		level = slog.LevelError
	}
	var w io.Writer = e.stderr
	if w == nil {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// invoker adapts the gateway to investigate.Invoker.
type invoker struct {
	gw      *gateway.Gateway
	noCache bool
}

func (i invoker) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	return i.gw.Invoke(ctx, name, raw, gateway.InvokeOptions{NoCache: i.noCache})
}

// incidentOptions are the categorisation rules of the configuration, with
// obfuscated command lines decoded for indicator extraction (as the
// investigation pipeline does).
func incidentOptions(cfg config.Config) incident.Options {
	opts := cfg.Incident
	if opts.DecodeCommandLine == nil {
		opts.DecodeCommandLine = investigate.DecodedLayers
	}
	return opts
}
