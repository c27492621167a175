package playbook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// invokeFunc is a fake Invoker.
type invokeFunc func(ctx context.Context, name string, raw map[string]any) (*skill.Result, error)

func (f invokeFunc) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	return f(ctx, name, raw)
}

// echo answers with the arguments as the result's data.
var echo = invokeFunc(func(_ context.Context, name string, raw map[string]any) (*skill.Result, error) {
	return &skill.Result{Data: raw, Summary: name}, nil
})

func mustParse(t *testing.T, src string) *Playbook {
	t.Helper()
	pb, diags := Check("test.yaml", []byte(src), LintOptions{})
	if len(diags) > 0 {
		t.Fatalf("playbook does not lint:\n%v", diags)
	}
	return pb
}

func runPB(t *testing.T, in *Interpreter, src string, inputs map[string]any) *Result {
	t.Helper()
	if in.Sleep == nil {
		in.Sleep = func(context.Context, time.Duration) error { return nil }
	}
	res, err := in.Run(context.Background(), mustParse(t, src), Request{Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const head = "name: t\ntriggers:\n  - manual: {}\n"

func TestStepKinds(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		inputs map[string]any
		inv    Invoker
		status string
		out    string // the output "r", printed
	}{
		{"call with inputs from expressions", `
inputs:
  who: {type: string, required: true}
steps:
  - id: a
    call: x.Echo
    with: {name: "lower(inputs.who)", n: "1 + 2"}
outputs:
  r: steps.a.output.data`, map[string]any{"who": "ALICE"}, echo, StatusSucceeded, "map[n:3 name:alice]"},
		{"dynamic skill name", `
steps:
  - id: a
    call: = "x." + "Dyn"
outputs:
  r: steps.a.output.skill`, nil, echo, StatusSucceeded, "x.Dyn"},
		{"for_each over a list", `
steps:
  - id: loop
    for_each: "[1, 2, 3]"
    concurrency: 2
    steps:
      - id: sq
        call: x.Echo
        with: {v: "item", i: index}
outputs:
  r: "map(steps.loop.output, it.data.v)"`, nil, echo, StatusSucceeded, "[1 2 3]"},
		{"for_each over an empty list", `
steps:
  - id: loop
    for_each: "[]"
    steps:
      - id: never
        call: x.Echo
outputs:
  r: len(steps.loop.output)`, nil, nil, StatusSucceeded, "0"},
		{"batch: exact multiple yields no empty batch", `
steps:
  - id: b
    batch: "[1, 2, 3, 4]"
    size: 2
outputs:
  r: steps.b.output`, nil, nil, StatusSucceeded, "[[1 2] [3 4]]"},
		{"batch: remainder", `
steps:
  - id: b
    batch: "[1, 2, 3, 4, 5]"
    size: 2
outputs:
  r: steps.b.output`, nil, nil, StatusSucceeded, "[[1 2] [3 4] [5]]"},
		{"batch: empty list is no batch", `
steps:
  - id: b
    batch: "[]"
    size: 10
    steps:
      - id: c
        call: x.Echo
outputs:
  r: len(steps.b.output)`, nil, nil, StatusSucceeded, "0"},
		{"batch: size below one fails", `
steps:
  - id: b
    batch: "[1]"
    size: 0
outputs:
  r: steps.b.status`, nil, nil, StatusFailed, "failed"},
		{"if then", `
inputs:
  n: {type: int, default: 5}
vars:
  r: "''"
steps:
  - id: c
    if: inputs.n > 3 && !(inputs.n in [7, 8])
    then:
      - id: big
        set: {r: "'big'"}
    else:
      - id: small
        set: {r: "'small'"}
outputs:
  r: vars.r`, nil, nil, StatusSucceeded, "big"},
		{"if else", `
inputs:
  n: {type: int, default: 1}
vars:
  r: "''"
steps:
  - id: c
    if: inputs.n > 3
    then:
      - id: big
        set: {r: "'big'"}
    else:
      - id: small
        set: {r: "'small'"}
outputs:
  r: vars.r + ' ' + steps.c.output`, nil, nil, StatusSucceeded, "small else"},
		{"when skips a step", `
steps:
  - id: a
    when: "false"
    call: x.Echo
outputs:
  r: steps.a.status`, nil, nil, StatusSucceeded, "skipped"},
		{"set and append", `
vars:
  l: "[]"
steps:
  - id: a
    append: {l: "1"}
  - id: b
    append: {l: "[2, 3]"}
  - id: c
    set: {n: len(vars.l)}
outputs:
  r: "[vars.l, vars.n]"`, nil, nil, StatusSucceeded, "[[1 2 3] 3]"},
		{"parallel branches", `
vars:
  l: "[]"
steps:
  - id: p
    parallel:
      - id: one
        append: {l: "'a'"}
      - id: two
        steps:
          - id: inner
            append: {l: "'b'"}
outputs:
  r: sort(vars.l)`, nil, nil, StatusSucceeded, "[a b]"},
		{"failing branch fails the run", `
steps:
  - id: p
    parallel:
      - id: bad
        call: x.Fail
      - id: good
        call: x.Echo
  - id: after
    call: x.Echo
outputs:
  r: steps.p.status`, nil, failing("x.Fail"), StatusFailed, "failed"},
		{"failing branch with continue_on_error", `
steps:
  - id: p
    parallel:
      - id: bad
        continue_on_error: true
        call: x.Fail
      - id: good
        call: x.Echo
  - id: after
    call: x.Echo
outputs:
  r: "steps.bad.status + ' ' + steps.good.status + ' ' + steps.after.status"`, nil, failing("x.Fail"), StatusSucceeded, "failed succeeded succeeded"},
		{"loop with continue_on_error keeps the other iterations", `
steps:
  - id: loop
    for_each: "['ok', 'bad', 'ok2']"
    continue_on_error: true
    steps:
      - id: c
        call: = "x." + item
outputs:
  r: "[steps.loop.status, len(steps.loop.errors), map(filter(steps.loop.output, it != null), it.skill)]"`, nil, failing("x.bad"), StatusSucceeded, "[failed 1 [x.ok x.ok2]]"},
		{"terminate", `
steps:
  - id: stop
    terminate: {status: cancelled, message: "'nothing to do'"}
  - id: never
    call: x.Echo
outputs:
  r: steps.never.status`, nil, nil, StatusCancelled, "<nil>"},
		{"terminate inside a loop", `
steps:
  - id: loop
    for_each: "[1, 2]"
    steps:
      - id: stop
        terminate: {status: failed}`, nil, nil, StatusFailed, "<nil>"},
		{"expression error fails the step", `
steps:
  - id: a
    set: {x: "1 < 'a'"}`, nil, nil, StatusFailed, "<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tt.inv
			if inv == nil {
				inv = echo
			}
			res := runPB(t, &Interpreter{Invoker: inv}, head+tt.src, tt.inputs)
			if res.Status != tt.status {
				t.Errorf("status = %s (%s), want %s", res.Status, res.Message, tt.status)
			}
			if got := sprint(res.Outputs["r"]); got != tt.out {
				t.Errorf("r = %s, want %s", got, tt.out)
			}
		})
	}
}

func sprint(v any) string {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = sprint(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		keys := sortedKeys(v)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + sprint(v[k])
		}
		return "map[" + strings.Join(parts, " ") + "]"
	case nil:
		return "<nil>"
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return "?"
}

func failing(name string) Invoker {
	return invokeFunc(func(ctx context.Context, n string, raw map[string]any) (*skill.Result, error) {
		if n == name {
			return nil, errors.New("provider down")
		}
		return echo(ctx, n, raw)
	})
}

func TestRetry(t *testing.T) {
	var calls atomic.Int32
	flaky := invokeFunc(func(context.Context, string, map[string]any) (*skill.Result, error) {
		if calls.Add(1) < 3 {
			return nil, errors.New("try again")
		}
		return &skill.Result{Summary: "ok"}, nil
	})
	var waits []time.Duration
	in := &Interpreter{Invoker: flaky, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	res := runPB(t, in, head+`
steps:
  - id: a
    retry: {attempts: 3, backoff: 1s}
    call: x.Flaky
outputs:
  r: steps.a.attempts`, nil)
	if res.Status != StatusSucceeded || sprint(res.Outputs["r"]) != "3" {
		t.Fatalf("status %s (%s), attempts %v", res.Status, res.Message, res.Outputs["r"])
	}
	if len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Errorf("waits = %v, want [1s 2s]", waits)
	}

	calls.Store(-10) // never succeeds within two attempts
	res = runPB(t, &Interpreter{Invoker: flaky}, head+`
steps:
  - id: a
    retry: {attempts: 2}
    call: x.Flaky`, nil)
	if res.Status != StatusFailed || !strings.Contains(res.Message, "try again") {
		t.Errorf("status %s (%s), want failed with the skill's error", res.Status, res.Message)
	}
}

func TestTimeout(t *testing.T) {
	slow := invokeFunc(func(ctx context.Context, _ string, _ map[string]any) (*skill.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	res := runPB(t, &Interpreter{Invoker: slow}, head+`
steps:
  - id: a
    timeout: 20ms
    continue_on_error: true
    call: x.Slow
outputs:
  r: steps.a.error`, nil)
	if res.Status != StatusSucceeded || sprint(res.Outputs["r"]) != "timed out after 20ms" {
		t.Errorf("status %s (%s), error %v", res.Status, res.Message, res.Outputs["r"])
	}
	res = runPB(t, &Interpreter{Invoker: slow}, head+`
steps:
  - id: a
    timeout: 20ms
    call: x.Slow`, nil)
	if res.Status != StatusFailed || !strings.Contains(res.Message, "timed out") {
		t.Errorf("status %s (%s), want failed with a timeout", res.Status, res.Message)
	}
}

func TestForEachConcurrencyLimit(t *testing.T) {
	var cur, peak atomic.Int32
	var mu sync.Mutex
	inv := invokeFunc(func(context.Context, string, map[string]any) (*skill.Result, error) {
		n := cur.Add(1)
		mu.Lock()
		if n > peak.Load() {
			peak.Store(n)
		}
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		cur.Add(-1)
		return &skill.Result{}, nil
	})
	res := runPB(t, &Interpreter{Invoker: inv}, head+`
steps:
  - id: loop
    for_each: "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
    concurrency: 3
    steps:
      - id: c
        call: x.Slow`, nil)
	if res.Status != StatusSucceeded {
		t.Fatal(res.Message)
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency %d, want at most 3", p)
	}
}

func TestSinks(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = r.Method + " " + string(b)
		if strings.Contains(got, "boom") {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "out.txt")
	res := runPB(t, &Interpreter{HTTP: srv.Client()}, head+`
inputs:
  path: {type: string}
  url: {type: string}
steps:
  - id: file
    write_file: {path: inputs.path, content: "'hello ' + 'world'"}
  - id: hook
    webhook: {url: inputs.url, body: "len([1]) + 1", method: PUT}
outputs:
  r: steps.hook.output.status`, map[string]any{"path": path, "url": srv.URL})
	if res.Status != StatusSucceeded || sprint(res.Outputs["r"]) != "200" {
		t.Fatalf("status %s (%s) %v", res.Status, res.Message, res.Outputs)
	}
	if data, _ := os.ReadFile(path); string(data) != "hello world" {
		t.Errorf("file = %q", data)
	}
	if got != "PUT 2" {
		t.Errorf("webhook got %q", got)
	}
	res = runPB(t, &Interpreter{HTTP: srv.Client()}, head+`
inputs:
  url: {type: string}
steps:
  - id: hook
    webhook: {url: inputs.url, body: "'boom'"}`, map[string]any{"url": srv.URL})
	if res.Status != StatusFailed || !strings.Contains(res.Message, "502") {
		t.Errorf("status %s (%s), want failed with 502", res.Status, res.Message)
	}
}

func TestInputs(t *testing.T) {
	pb := mustParse(t, head+`
inputs:
  need: {type: int, required: true}
  flag: {type: bool, default: false}
  list: {type: list, default: [a]}
steps:
  - id: a
    set: {x: inputs.need}`)
	if _, err := ResolveInputs(pb, nil); err == nil || !strings.Contains(err.Error(), `missing required input "need"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := ResolveInputs(pb, map[string]any{"need": "x"}); err == nil {
		t.Error("a non-number for an int input was accepted")
	}
	if _, err := ResolveInputs(pb, map[string]any{"need": "1", "other": "1"}); err == nil || !strings.Contains(err.Error(), "unknown input") {
		t.Errorf("err = %v", err)
	}
	got, err := ResolveInputs(pb, map[string]any{"need": "4", "list": "x, y"})
	if err != nil || sprint(got) != "map[flag:false list:[x y] need:4]" {
		t.Errorf("got %s, %v", sprint(got), err)
	}
}
