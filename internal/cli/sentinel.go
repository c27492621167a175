package cli

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/store"
)

// sentinelInputs are the playbook inputs of runs started by Sentinel: the
// enrichment switches and the write-back switches of sentinel.write_back.
func sentinelInputs(cfg config.Config) map[string]any {
	in := maps.Clone(enrichmentInputs(cfg))
	details, summary := cfg.Sentinel.WriteBack.Comments()
	wb := cfg.Sentinel.WriteBack
	maps.Copy(in, map[string]any{
		"post_to_incident": details, "post_summary": summary,
		"set_active": wb.SetActive, "add_labels": wb.Labels, "adjust_severity": wb.Severity,
	})
	return in
}

// playbookInputs answers whether a playbook (a file NAME.yaml in dir, else
// a built-in one) declares an input, so the configuration's defaults only
// go to playbooks that take them. Unknown playbooks take none: their runs
// fail at start with the engine's own message.
func playbookInputs(dir string) func(name, input string) bool {
	var mu sync.Mutex
	cache := map[string]map[string]bool{}
	return func(name, input string) bool {
		mu.Lock()
		defer mu.Unlock()
		declared, ok := cache[name]
		if !ok {
			declared = map[string]bool{}
			var pb *playbook.Playbook
			if dir != "" {
				if data, err := os.ReadFile(filepath.Join(dir, name+".yaml")); err == nil {
					pb, _ = playbook.Parse(name+".yaml", data)
				}
			}
			if pb == nil {
				pb, _ = playbook.Builtin(name)
			}
			if pb != nil {
				for _, in := range pb.Inputs {
					declared[in.Name] = true
				}
			}
			cache[name] = declared
		}
		return declared[input]
	}
}

// sentinelWrites opens the record of Spotter's own incident changes in
// the database returned by open (opened on first use).
func sentinelWrites(open func() (*store.Store, error)) sentinel.WritesOpener {
	return func(context.Context) (sentinel.Writes, error) {
		st, err := open()
		if err != nil {
			return nil, err
		}
		return sentinel.NewDBWrites(st), nil
	}
}

// storeWrites is sentinelWrites for an open database.
func storeWrites(st *store.Store) sentinel.WritesOpener {
	return sentinelWrites(func() (*store.Store, error) { return st, nil })
}

// sentinelWanted reports whether serve has Sentinel work: polling or hooks.
func sentinelWanted(cfg config.Config) bool {
	return cfg.Sentinel.Poll.Interval > 0 || len(cfg.Sentinel.Hooks) > 0
}

// startSentinel starts the Sentinel poller (sentinel.poll.interval > 0)
// on starter and returns the webhook handler (nil without sentinel.hooks).
// Runs go through starter, the durable run engine, so a delivery or a
// polled incident revision starts one run, which survives restarts.
func (e *env) startSentinel(ctx context.Context, cfg config.Config, st *store.Store, gw *gateway.Gateway, starter runs.Starter) (http.Handler, error) {
	s := cfg.Sentinel
	inputs := sentinelInputs(cfg)
	declares := playbookInputs(cfg.Runs.PlaybooksDir)
	var hooks http.Handler
	if len(s.Hooks) > 0 {
		wh, err := sentinel.NewWebhook(sentinel.WebhookOptions{Hooks: s.Hooks, Starter: starter, Inputs: inputs, Declares: declares, Writes: sentinel.NewDBWrites(st), Log: e.logger()})
		if err != nil {
			return nil, err
		}
		hooks = wh
	}
	if s.Poll.Interval > 0 {
		if len(s.Workspaces) == 0 && len(s.Defender) == 0 {
			return nil, &config.Error{Key: "sentinel.poll.interval", Msg: "polling needs sentinel.workspaces or sentinel.defender"}
		}
		var sources []sentinel.Source
		for _, ws := range s.Workspaces {
			c, err := sentinel.NewClient(ws, sentinel.Options{HTTP: gw.Client(sentinel.Provider, sentinel.ARMLimits), Log: e.logger()})
			if err != nil {
				return nil, err
			}
			sources = append(sources, sentinel.SentinelSource{C: c})
		}
		for _, t := range s.Defender {
			c, err := sentinel.NewDefenderClient(t, sentinel.Options{HTTP: gw.Client(sentinel.DefenderProvider, sentinel.DefenderLimits), Log: e.logger()})
			if err != nil {
				return nil, err
			}
			sources = append(sources, sentinel.DefenderSource{C: c})
		}
		p, err := sentinel.NewPoller(sentinel.PollerOptions{
			Sources: sources, Rules: s.Poll.Rules, Starter: starter, Cursors: sentinel.NewDBCursors(st), Seen: sentinel.NewDBSeen(st),
			Writes: sentinel.NewDBWrites(st), Lookback: s.Poll.Lookback, Overlap: s.Poll.Overlap, Interval: s.Poll.Interval, Inputs: inputs, Declares: declares, Log: e.logger(),
		})
		if err != nil {
			return nil, err
		}
		go p.Run(ctx)
		fmt.Fprintf(e.stderr, "spotter: polling %d Sentinel workspace(s) and Defender tenant(s) every %s\n", len(sources), s.Poll.Interval)
	}
	return hooks, nil
}
