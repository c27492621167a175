package runs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/skill"
)

// sleepInvoker answers every call after a fixed latency.
type sleepInvoker time.Duration

func (d sleepInvoker) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	select {
	case <-time.After(time.Duration(d)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &skill.Result{Data: raw, Summary: name}, nil
}

const benchPlaybook = `name: bench
triggers:
  - manual: {}
inputs:
  items: {type: list, required: true}
steps:
  - id: look
    for_each: inputs.items
    concurrency: 10
    steps:
      - id: lookup
        call: test.Lookup
        with: {ip: item}
outputs:
  n: len(steps.look.output)
`

// BenchmarkDurableRun compares a durable run of 50 lookups (SQLite, each
// lookup recorded) with the same playbook run in process, for a provider
// latency of 200 ms (the overhead a durable run adds in practice) and of
// 0 (the engine's own cost per recorded effect).
//
//	go test ./internal/runs/ -run '^$' -bench DurableRun -benchtime 5x
func BenchmarkDurableRun(b *testing.B) {
	items := make([]any, 50)
	for i := range items {
		items[i] = fmt.Sprintf("192.0.2.%d", i+1)
	}
	for _, latency := range []time.Duration{200 * time.Millisecond, 0} {
		b.Run(fmt.Sprintf("latency=%s", latency), func(b *testing.B) {
			ctx := context.Background()
			pb, diags := playbook.Check("bench.yaml", []byte(benchPlaybook), playbook.LintOptions{})
			if len(diags) > 0 {
				b.Fatal(diags)
			}
			in := &playbook.Interpreter{Invoker: sleepInvoker(latency)}
			t0 := time.Now()
			const inProcRuns = 5
			for range inProcRuns {
				if res, err := in.Run(ctx, pb, playbook.Request{Inputs: map[string]any{"items": items}}); err != nil || res.Status != playbook.StatusSucceeded {
					b.Fatalf("in process: %v %+v", err, res)
				}
			}
			inProc := time.Since(t0) / inProcRuns

			d := testDB{dataDir: b.TempDir()}
			e, closeEngine := openEngine(b, ctx, d, "", "bench", func(o *Options) {
				o.Env = Env{Invoker: sleepInvoker(latency)}
				o.PollInterval = 20 * time.Millisecond
			})
			defer closeEngine()
			b.ResetTimer()
			for range b.N {
				id, _, err := e.Start(ctx, StartRequest{Playbook: "bench", Source: benchPlaybook, Inputs: map[string]any{"items": items}})
				if err != nil {
					b.Fatal(err)
				}
				run, err := e.Wait(ctx, id)
				if err != nil || run.Status != StatusSucceeded {
					b.Fatalf("durable: %v %+v", err, run)
				}
			}
			b.StopTimer()
			durable := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(durable.Milliseconds()), "ms/run")
			b.ReportMetric(float64(inProc.Milliseconds()), "ms/in-process-run")
			b.ReportMetric(float64(durable)/float64(inProc), "x_in_process")
			b.ReportMetric(float64(durable-inProc)/float64(time.Millisecond)/51, "ms_overhead/effect")
		})
	}
}
