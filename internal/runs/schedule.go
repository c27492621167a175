package runs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/playbook"
)

// findPlaybook reads NAME.yaml (or NAME.yml) from dir, else the built-in
// playbook NAME.
func findPlaybook(dir, name string) ([]byte, error) {
	if dir != "" && !strings.ContainsAny(name, `/\`) && name != "." && name != ".." {
		for _, ext := range []string{".yaml", ".yml"} {
			data, err := os.ReadFile(filepath.Join(dir, name+ext))
			if err == nil {
				return data, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	return playbook.BuiltinSource(name)
}

// Scheduled is a playbook with a schedule trigger.
type Scheduled struct {
	Name   string
	Source string
	Every  time.Duration
}

// ScheduledPlaybooks lists the built-in playbooks and those in dir that
// have a schedule trigger. Playbooks in dir that do not lint are reported,
// not skipped silently.
func ScheduledPlaybooks(dir string) ([]Scheduled, error) {
	sources := map[string][]byte{}
	for _, name := range playbook.Builtins() {
		data, err := playbook.BuiltinSource(name)
		if err == nil {
			sources[name] = data
		}
	}
	var errs []error
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("runs.playbooks_dir: %w", err)
		}
		for _, ent := range entries {
			ext := filepath.Ext(ent.Name())
			if ent.IsDir() || (ext != ".yaml" && ext != ".yml") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, ent.Name()))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sources[strings.TrimSuffix(ent.Name(), ext)] = data
		}
	}
	var out []Scheduled
	for name, data := range sources {
		pb, diags := playbook.Check(name+".yaml", data, playbook.LintOptions{})
		if len(diags) > 0 {
			errs = append(errs, diags)
			continue
		}
		for _, t := range pb.Triggers {
			if t.Kind == playbook.TriggerSchedule && t.Every > 0 {
				out = append(out, Scheduled{Name: name, Source: string(data), Every: t.Every})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// slotKey names one firing of a schedule: the playbook and the start of
// the interval. Every engine that fires the same slot starts the same run,
// so a schedule fires once per interval however many workers there are.
func slotKey(s Scheduled, now time.Time) string {
	return fmt.Sprintf("schedule:%s:%s:%s", s.Name, s.Every, now.UTC().Truncate(s.Every).Format(time.RFC3339))
}

// Schedule fires schedule triggers until ctx ends: each playbook with
// "schedule: {every: D}" runs once per interval of D (aligned to UTC).
func (e *Engine) Schedule(ctx context.Context) {
	list, err := ScheduledPlaybooks(e.opts.PlaybooksDir)
	if err != nil {
		e.log.Warn("some playbooks were not loaded for scheduling", "err", err)
	}
	if len(list) == 0 {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := map[string]string{} // playbook → the slot it last fired
	for {
		now := time.Now()
		for _, s := range list {
			key := slotKey(s, now)
			if last[s.Name] == key {
				continue
			}
			id, existed, err := e.Start(ctx, StartRequest{Playbook: s.Name, Source: s.Source, Trigger: playbook.TriggerSchedule, Key: key, Origin: "schedule:" + s.Name})
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("a scheduled run did not start", "playbook", s.Name, "err", err)
				}
				continue
			}
			last[s.Name] = key
			if !existed {
				e.log.Info("scheduled run started", "playbook", s.Name, "run", id)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
