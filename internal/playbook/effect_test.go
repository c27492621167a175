package playbook

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// memo is an Effector that records outcomes by key and replays them, the
// way a durable runner does after a crash.
type memo struct {
	in    *Interpreter
	mu    sync.Mutex
	seen  map[string]memoEntry
	keys  []string
	fresh atomic.Int64
}

type memoEntry struct {
	v   any
	err error
}

func (m *memo) Do(ctx context.Context, key string, eff Effect) (any, error) {
	m.mu.Lock()
	if e, ok := m.seen[key]; ok {
		m.mu.Unlock()
		return e.v, e.err
	}
	m.mu.Unlock()
	m.fresh.Add(1)
	v, err := m.in.Perform(ctx, eff)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.seen[key]; dup {
		panic("effect key used twice in one run: " + key)
	}
	m.seen[key] = memoEntry{v, err}
	m.keys = append(m.keys, key)
	return v, err
}

func TestEffectsReplay(t *testing.T) {
	src := head + `inputs:
  groups: {type: list, default: [[a, b], [c], []]}
steps:
  - id: outer
    for_each: inputs.groups
    as: group
    concurrency: 3
    steps:
      - id: inner
        batch: group
        size: 1
        concurrency: 2
        steps:
          - id: look
            call: t.Look
            with: {v: "batch[0]"}
            retry: {attempts: 3}
  - id: both
    parallel:
      - id: left
        call: t.Look
        with: {v: "'left'"}
      - id: right
        call: t.Look
        with: {v: "'right'"}
outputs:
  outer: steps.outer.output
  left: steps.left.output.data.v
`
	var calls atomic.Int64
	flaky := map[string]int{}
	var fmu sync.Mutex
	inv := invokeFunc(func(_ context.Context, name string, raw map[string]any) (*skill.Result, error) {
		calls.Add(1)
		v := fmt.Sprint(raw["v"])
		fmu.Lock()
		flaky[v]++
		n := flaky[v]
		fmu.Unlock()
		if v == "b" && n == 1 {
			return nil, errors.New("transient")
		}
		return &skill.Result{Data: map[string]any{"v": v, "n": n}}, nil
	})
	in := &Interpreter{Invoker: inv, Sleep: func(context.Context, time.Duration) error { return nil }}
	m := &memo{in: in, seen: map[string]memoEntry{}}
	in.Effects = m
	pb := mustParse(t, src)
	first, err := in.Run(context.Background(), pb, Request{RunID: "run-1"})
	if err != nil || first.Status != StatusSucceeded {
		t.Fatalf("first run: %v %+v", err, first)
	}
	sort.Strings(m.keys)
	// A parallel step is no effect itself; its branches are. The retried
	// lookup of b has two.
	want := []string{
		"left@1",
		"outer[0]/inner[0]/look@1", "outer[0]/inner[1]/look@1", "outer[0]/inner[1]/look@2",
		"outer[1]/inner[0]/look@1",
		"right@1",
		"run/start",
	}
	if !reflect.DeepEqual(m.keys, want) {
		t.Errorf("effect keys\n got %q\nwant %q", m.keys, want)
	}
	n := calls.Load()
	// The replay performs nothing and reaches the same state.
	m.fresh.Store(0)
	second, err := in.Run(context.Background(), pb, Request{RunID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	if m.fresh.Load() != 0 || calls.Load() != n {
		t.Errorf("the replay performed %d effects (%d calls)", m.fresh.Load(), calls.Load()-n)
	}
	if !reflect.DeepEqual(first.Outputs, second.Outputs) || !reflect.DeepEqual(first.Steps, second.Steps) {
		t.Errorf("the replay diverged:\n%v\n%v", first.Outputs, second.Outputs)
	}
}

func TestEffectsWebhookIdempotencyKey(t *testing.T) {
	var m sync.Map
	in := &Interpreter{}
	rec := effectorFunc(func(_ context.Context, key string, eff Effect) (any, error) {
		m.Store(key, eff)
		return map[string]any{"status": 204.0}, nil
	})
	in.Effects = rec
	src := head + "steps:\n  - id: tell\n    webhook: {url: \"'https://hooks.example/x?sig=abc'\", body: \"'{}'\"}\n"
	if res, err := in.Run(context.Background(), mustParse(t, src), Request{RunID: "r-9"}); err != nil || res.Status != StatusSucceeded {
		t.Fatalf("%v %+v", err, res)
	}
	v, ok := m.Load("tell@1")
	if !ok {
		t.Fatal("no webhook effect")
	}
	if eff := v.(Effect); eff.Key != "r-9/tell@1" || eff.Kind != EffectWebhook || eff.Method != "POST" {
		t.Errorf("effect %+v", eff)
	}
}

type effectorFunc func(ctx context.Context, key string, eff Effect) (any, error)

func (f effectorFunc) Do(ctx context.Context, key string, eff Effect) (any, error) {
	if eff.Kind == EffectClock {
		return time.Now().UTC().Format(time.RFC3339Nano), nil
	}
	return f(ctx, key, eff)
}

func TestCallDeadline(t *testing.T) {
	slow := invokeFunc(func(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
		select {
		case <-time.After(5 * time.Second):
			return &skill.Result{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	src := head + `steps:
  - id: slow
    call: t.Slow
    continue_on_error: true
  - id: later
    call: t.Slow
    continue_on_error: true
  - id: after
    set: {done: "true"}
outputs:
  slow: steps.slow.status
  later: steps.later.error
  done: vars.done
`
	in := &Interpreter{Invoker: slow, CallDeadline: time.Now().Add(100 * time.Millisecond)}
	start := time.Now()
	res, err := in.Run(context.Background(), mustParse(t, src), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the deadline did not stop the call: %s", took)
	}
	if res.Status != StatusSucceeded || res.Outputs["slow"] != StatusFailed || res.Outputs["done"] != true ||
		!strings.Contains(fmt.Sprint(res.Outputs["later"]), "time for calls is over") {
		t.Errorf("%s %v", res.Status, res.Outputs)
	}
}
