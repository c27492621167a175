package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// flightResult is what one run of a skill yields to everyone waiting for
// it: the JSON-encoded result, so that each waiter decodes a copy of its own.
type flightResult struct {
	data     []byte
	cached   bool
	cachedAt time.Time
}

// flight is one run in progress.
type flight struct {
	done    chan struct{}
	res     flightResult
	err     error
	waiters int
	cancel  context.CancelFunc
}

// flightGroup makes concurrent identical requests share one run. The run
// does not belong to any single caller: it keeps the first caller's context
// values but not its deadline or cancellation, each caller may stop waiting
// when its own context ends, and the run is cancelled only when every caller
// has stopped waiting.
type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flight
}

// do runs fn once for all concurrent callers with the same key. leader
// reports whether this caller started the run.
func (g *flightGroup) do(ctx context.Context, key string, fn func(ctx context.Context) (flightResult, error)) (res flightResult, leader bool, err error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*flight{}
	}
	f, joined := g.m[key]
	if !joined {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		g.m[key] = f
		go g.run(fctx, key, f, fn)
	}
	f.waiters++
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.res, !joined, f.err
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody wants the answer any more: stop the run, and let the
			// next caller start afresh rather than join a cancelled run.
			f.cancel()
			if g.m[key] == f {
				delete(g.m, key)
			}
		}
		g.mu.Unlock()
		return flightResult{}, !joined, ctx.Err()
	}
}

func (g *flightGroup) run(ctx context.Context, key string, f *flight, fn func(context.Context) (flightResult, error)) {
	defer f.cancel()
	res, err := protect(ctx, fn)
	g.mu.Lock()
	f.res, f.err = res, err
	if g.m[key] == f {
		delete(g.m, key)
	}
	g.mu.Unlock()
	close(f.done)
}

// protect turns a panic in a skill into an error, so one faulty plugin
// cannot take the process down.
func protect(ctx context.Context, fn func(context.Context) (flightResult, error)) (res flightResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("skill panicked: %v", r)
		}
	}()
	return fn(ctx)
}
