package runs

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
)

// Engines announce themselves in playbook_workers and renew their
// heartbeat; each engine looks for engines that stopped (a heartbeat older
// than the worker timeout, or, on the same host, a process that no longer
// exists), claims one by deleting its row, and hands its unfinished
// workflows back to the queue, where any live engine picks them up.

func (e *Engine) heartbeat(ctx context.Context) error {
	host, _ := os.Hostname()
	now := time.Now()
	_, err := e.history.exec(ctx, `INSERT INTO playbook_workers (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, e.opts.WorkerID, host, os.Getpid(), ms(now), ms(now))
	return err
}

func (e *Engine) maintain(ctx context.Context) {
	defer e.wg.Done()
	beat := time.NewTicker(max(e.opts.WorkerTimeout/4, 100*time.Millisecond))
	defer beat.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if err := e.heartbeat(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("renewing the worker heartbeat failed", "worker", e.opts.WorkerID, "err", err)
			}
			e.recoverDead(ctx)
		case <-prune.C:
			e.prune(ctx)
		}
	}
}

type worker struct {
	id        string
	host      string
	pid       int
	heartbeat int64
}

// recoverDead recovers the runs of engines that stopped.
func (e *Engine) recoverDead(ctx context.Context) {
	rows, err := e.opts.Store.DB().QueryContext(ctx, `SELECT id, host, pid, heartbeat_at FROM playbook_workers`)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("listing workers failed", "err", err)
		}
		return
	}
	var all []worker
	for rows.Next() {
		var w worker
		if err := rows.Scan(&w.id, &w.host, &w.pid, &w.heartbeat); err == nil {
			all = append(all, w)
		}
	}
	rows.Close()
	host, _ := os.Hostname()
	stale := ms(time.Now().Add(-e.opts.WorkerTimeout))
	for _, w := range all {
		if w.id == e.opts.WorkerID {
			continue
		}
		dead := w.heartbeat < stale || (w.host == host && w.pid > 0 && w.pid != os.Getpid() && !processAlive(w.pid))
		if !dead {
			continue
		}
		res, err := e.history.exec(ctx, `DELETE FROM playbook_workers WHERE id = ? AND heartbeat_at = ?`, w.id, w.heartbeat)
		if err != nil {
			continue
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue // another engine claimed it, or it came back
		}
		n, err := e.recoverWorker(w.id)
		if err != nil {
			e.log.Warn("recovering the runs of a stopped worker failed", "worker", w.id, "err", err)
			continue
		}
		if n > 0 {
			e.log.Info("recovered the unfinished work of a stopped worker", "worker", w.id, "workflows", n)
		}
	}
}

// recoverWorker re-queues the unfinished workflows of a stopped engine.
func (e *Engine) recoverWorker(id string) (int, error) {
	r, ok := e.dctx.(interface {
		RecoverPendingWorkflows([]string) ([]dbos.WorkflowHandle[any], error)
	})
	if !ok {
		return 0, errors.New("the engine cannot recover other workers' runs")
	}
	hs, err := r.RecoverPendingWorkflows([]string{id})
	return len(hs), err
}

func (e *Engine) prune(ctx context.Context) {
	if e.opts.Retention < 0 {
		return
	}
	n, err := e.history.Prune(ctx, time.Now().Add(-e.opts.Retention))
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, sql.ErrConnDone) {
			e.log.Warn("pruning run history failed", "err", err)
		}
		return
	}
	if n > 0 {
		e.log.Info("pruned run history", "runs", n)
	}
	e.pruneEngine(time.Now().Add(-e.opts.Retention))
}

// pruneEngine deletes the engine's records of workflows (runs and their
// effects) that ended before cutoff, so its tables do not grow forever.
func (e *Engine) pruneEngine(cutoff time.Time) {
	for range 20 { // at most 20 batches a pass
		ws, err := dbos.ListWorkflows(e.dctx,
			dbos.WithFilterStatus(dbos.WorkflowStatusSuccess, dbos.WorkflowStatusError, dbos.WorkflowStatusCancelled),
			dbos.WithFilterCompletedBefore(cutoff), dbos.WithFilterLimit(1000),
			dbos.WithFilterLoadInput(false), dbos.WithFilterLoadOutput(false))
		if err != nil || len(ws) == 0 {
			if err != nil {
				e.log.Warn("pruning the run engine's records failed", "err", err)
			}
			return
		}
		ids := make([]string, len(ws))
		for i, w := range ws {
			ids[i] = w.ID
		}
		if err := dbos.DeleteWorkflows(e.dctx, ids); err != nil {
			e.log.Warn("pruning the run engine's records failed", "err", err)
			return
		}
		if len(ws) < 1000 {
			return
		}
	}
}
