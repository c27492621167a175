package runs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The crash tests run the engine in child processes (this test binary,
// started again with SPOTTER_RUNS_CHILD set) and kill them with SIGKILL at
// chosen points: when the fake provider receives a given lookup, or the
// webhook delivery. A second process then recovers the run.

func TestMain(m *testing.M) {
	if mode := os.Getenv("SPOTTER_RUNS_CHILD"); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// child runs an engine in this process. "run" starts (or rejoins) the run
// described by SPOTTER_RUNS_REQUEST and prints its outcome; "worker" works
// the queue until killed or until stdin closes.
func child(mode string) int {
	ctx := context.Background()
	d := dbFromEnv()
	worker := os.Getenv("SPOTTER_RUNS_WORKER")
	t := &childT{}
	e, closeEngine := openEngine(t, ctx, d, os.Getenv("SPOTTER_RUNS_PROVIDER"), worker, nil)
	if t.failed != "" {
		fmt.Fprintln(os.Stderr, t.failed)
		return 3
	}
	defer closeEngine()
	switch mode {
	case "run":
		var req StartRequest
		if err := json.Unmarshal([]byte(os.Getenv("SPOTTER_RUNS_REQUEST")), &req); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		id, _, err := e.Start(ctx, req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Printf("started %s\n", id)
		run, err := e.Wait(ctx, id)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Printf("finished %s %s\n", run.ID, run.Status)
	case "worker":
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	}
	return 0
}

// childT stands in for testing.TB in a child process.
type childT struct {
	testing.TB
	failed string
}

func (c *childT) Fatal(args ...any) { c.failed = fmt.Sprint(args...) }

type childProc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

func startChild(t *testing.T, mode string, d testDB, p *provider, worker string, req *StartRequest) *childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SPOTTER_RUNS_CHILD="+mode, "SPOTTER_RUNS_WORKER="+worker, "SPOTTER_RUNS_PROVIDER="+p.srv.URL)
	cmd.Env = append(cmd.Env, d.env()...)
	if req != nil {
		data, _ := json.Marshal(req)
		cmd.Env = append(cmd.Env, "SPOTTER_RUNS_REQUEST="+string(data))
	}
	c := &childProc{cmd: cmd, done: make(chan struct{}), out: &syncBuffer{}, stderr: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.stderr
	if mode == "worker" {
		pipe, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pipe.Close() })
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (c *childProc) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		t.Fatalf("child did not finish in %s; stderr:\n%s", timeout, c.stderr.String())
	}
}

func TestCrashResume(t *testing.T) {
	ips := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}
	cases := []struct {
		name string
		// kill decides, at each lookup (n ≥ 1) or delivery (sink true),
		// whether to kill the first process now.
		kill        func(n int, sink bool) bool
		concurrency int
		// want is the number of lookups per address and of deliveries.
		want      map[string]int
		wantSinks int
	}{
		{"first lookup in flight", func(n int, sink bool) bool { return !sink && n == 1 }, 1,
			map[string]int{ips[0]: 2, ips[1]: 1, ips[2]: 1}, 1},
		{"second lookup in flight", func(n int, sink bool) bool { return !sink && n == 2 }, 1,
			map[string]int{ips[0]: 1, ips[1]: 2, ips[2]: 1}, 1},
		{"delivery in flight", func(n int, sink bool) bool { return sink }, 1,
			map[string]int{ips[0]: 1, ips[1]: 1, ips[2]: 1}, 2},
		{"concurrent lookups in flight", func(n int, sink bool) bool { return !sink && n == 3 }, 3, nil, 1},
	}
	for dbName, db := range map[string]func(*testing.T) testDB{"sqlite": sqliteDB, "postgres": postgresDB} {
		for _, tc := range cases {
			t.Run(dbName+"/"+tc.name, func(t *testing.T) {
				d := db(t)
				p := newProvider(t, 150*time.Millisecond)
				req := startRequest(p, "crash-"+strings.ReplaceAll(tc.name, " ", "-")+"-"+dbName, ips...)
				req.Source = testPlaybook(tc.concurrency)
				var first atomic.Pointer[childProc]
				killed := make(chan struct{})
				var once sync.Once
				kill := func() {
					once.Do(func() {
						c := first.Load()
						_ = c.cmd.Process.Kill() // SIGKILL
						<-c.done
						close(killed)
					})
				}
				var armed atomic.Bool
				armed.Store(true)
				p.mu.Lock()
				p.onLookup = func(n int, _ string) {
					if armed.Load() && tc.kill(n, false) {
						kill()
					}
				}
				p.onSink = func(n int) {
					if armed.Load() && tc.kill(n, true) {
						kill()
					}
				}
				p.mu.Unlock()
				first.Store(startChild(t, "run", d, p, "first", &req))
				select {
				case <-killed:
				case <-time.After(60 * time.Second):
					t.Fatalf("the kill point was never reached; stdout:\n%s\nstderr:\n%s", first.Load().out.String(), first.Load().stderr.String())
				}
				armed.Store(false)

				second := startChild(t, "run", d, p, "second", &req)
				second.wait(t, 90*time.Second)
				if second.err != nil || !strings.Contains(second.out.String(), " succeeded") {
					t.Fatalf("resumed run: %v\nstdout:\n%s\nstderr:\n%s", second.err, second.out.String(), second.stderr.String())
				}
				lookups, sinks := p.counts()
				if tc.want != nil {
					for ip, n := range tc.want {
						if lookups[ip] != n {
							t.Errorf("%s looked up %d times, want %d (all: %v)", ip, lookups[ip], n, lookups)
						}
					}
				} else {
					total := 0
					for _, ip := range ips {
						if lookups[ip] < 1 || lookups[ip] > 2 {
							t.Errorf("%s looked up %d times", ip, lookups[ip])
						}
						total += lookups[ip]
					}
					t.Logf("lookups %v (%d in all)", lookups, total)
				}
				if len(sinks) != 1 {
					t.Errorf("deliveries under %d idempotency keys, want 1: %v", len(sinks), sinks)
				}
				for _, n := range sinks {
					if n != tc.wantSinks {
						t.Errorf("%d deliveries, want %d", n, tc.wantSinks)
					}
				}
				// The history shows the run done by the second process,
				// executed twice, with an interrupted effect performed again.
				ctx := context.Background()
				st, err := d.open(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				id := strings.Fields(strings.TrimPrefix(second.out.String(), "started "))[0]
				run, err := NewHistory(st).Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if run.Status != StatusSucceeded || run.Executions != 2 || run.Worker != "second" {
					t.Errorf("history: status %s executions %d worker %s", run.Status, run.Executions, run.Worker)
				}
				again := 0
				for _, ef := range run.Effects {
					if ef.Executions > 1 {
						again++
					}
				}
				if again == 0 {
					t.Errorf("no effect shows that it was performed again: %+v", run.Effects)
				}
			})
		}
	}
}

// TestWorkersShareRuns runs two worker processes against one PostgreSQL
// database, kills the one that took the run in the middle of it, and
// checks that the other completes it.
func TestWorkersShareRuns(t *testing.T) {
	d := postgresDB(t)
	p := newProvider(t, 150*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	workers := map[string]*childProc{}
	for _, w := range []string{"worker-a", "worker-b"} {
		workers[w] = startChild(t, "worker", d, p, w, nil)
	}
	for w, c := range workers {
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(c.out.String(), "ready") {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not start: %s", w, c.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	var victim string
	killed := make(chan struct{})
	p.mu.Lock()
	p.onLookup = func(n int, ip string) {
		if n != 3 {
			return
		}
		p.mu.Lock()
		for w := range p.workers[ip] {
			victim = w
		}
		p.mu.Unlock()
		_ = workers[victim].cmd.Process.Kill()
		<-workers[victim].done
		close(killed)
	}
	p.mu.Unlock()
	// This engine only queues the run: it listens to no queue.
	e, closeEngine := openEngine(t, ctx, d, p.srv.URL, "starter", func(o *Options) { o.NoWork = true })
	defer closeEngine()
	ips := []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"}
	id, _, err := e.Start(ctx, startRequest(p, "", ips...))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-killed:
	case <-ctx.Done():
		t.Fatal("no worker reached the third lookup")
	}
	run, err := e.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	survivor := "worker-a"
	if victim == "worker-a" {
		survivor = "worker-b"
	}
	if run.Status != StatusSucceeded || run.Worker != survivor {
		t.Fatalf("run %s by %s (victim %s): %s", run.Status, run.Worker, victim, run.Message)
	}
	lookups, sinks := p.counts()
	for i, ip := range ips {
		want := 1
		if i == 2 {
			want = 2 // in flight when its worker died
		}
		if lookups[ip] != want {
			t.Errorf("%s looked up %d times, want %d", ip, lookups[ip], want)
		}
	}
	if len(sinks) != 1 {
		t.Errorf("deliveries: %v", sinks)
	}
	p.mu.Lock()
	t.Logf("lookups by worker: %v (victim %s)", p.workers, victim)
	defer p.mu.Unlock()
	if !p.workers[ips[4]][survivor] || p.workers[ips[4]][victim] {
		t.Errorf("the last lookup was not done by the survivor: %v", p.workers[ips[4]])
	}
}
