package copilot

import (
	"context"
	"fmt"
	"time"
)

// Each engine names itself as the worker of the evaluations it queues and
// renews their heartbeat while they are unfinished. An evaluation still
// created or running whose heartbeat is old was cut off by a process that
// stopped; one with a fresh heartbeat belongs to a live instance, which may
// share a PostgreSQL database with this one.

// claim records the engine as the worker of an evaluation.
func (r *Repo) claim(ctx context.Context, evalID, worker string) error {
	if _, err := r.exec(ctx, `UPDATE copilot_evaluations SET worker = ?, heartbeat_at = ? WHERE id = ?`, worker, millis(time.Now()), evalID); err != nil {
		return fmt.Errorf("claiming evaluation %s: %w", evalID, err)
	}
	return nil
}

// renew refreshes the heartbeat of a worker's unfinished evaluations.
func (r *Repo) renew(ctx context.Context, worker string) error {
	_, err := r.exec(ctx, `UPDATE copilot_evaluations SET heartbeat_at = ? WHERE worker = ? AND state IN ('created', 'running')`, millis(time.Now()), worker)
	if err != nil {
		return fmt.Errorf("renewing the evaluations of worker %s: %w", worker, err)
	}
	return nil
}

// FailOrphaned ends, as failed, the evaluations left created or running
// whose heartbeat (or, without one, creation) is older than staleAfter:
// no live worker owns them. It returns how many there were.
func (r *Repo) FailOrphaned(ctx context.Context, staleAfter time.Duration) (int64, error) {
	now := time.Now()
	res, err := r.exec(ctx, `UPDATE copilot_evaluations SET state = ?, result_type = ?, error = ?, completed_at = ?
		WHERE state IN ('created', 'running') AND COALESCE(heartbeat_at, created_at) < ?`,
		string(StateFailed), string(ResultError), "interrupted: the server running the evaluation stopped before it finished",
		millis(now), millis(now.Add(-staleAfter)))
	if err != nil {
		return 0, fmt.Errorf("closing orphaned evaluations: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// FailOrphaned ends the evaluations no live engine owns: those whose
// heartbeat is older than four heartbeat periods. Engines sharing the
// database must use the same heartbeat period.
func (e *Engine) FailOrphaned(ctx context.Context) (int64, error) {
	return e.repo.FailOrphaned(ctx, 4*e.opts.Heartbeat)
}

// heartbeat renews the engine's evaluations until the engine stops.
func (e *Engine) heartbeat() {
	t := time.NewTicker(e.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-e.base.Done():
			return
		case <-t.C:
			e.mu.Lock()
			busy := len(e.jobs) > 0
			e.mu.Unlock()
			if !busy {
				continue
			}
			if err := e.repo.renew(e.base, e.id); err != nil && e.base.Err() == nil {
				e.opts.Log.Warn("renewing the evaluation lease failed", "worker", e.id, "err", err)
			}
		}
	}
}
