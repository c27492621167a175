package runs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// Run statuses in the history. A run is queued until a worker takes it,
// running while a worker executes it (also while it waits for recovery
// after its worker died), then succeeded, failed or cancelled.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Run is one run's history record.
type Run struct {
	ID         string          `json:"id"`
	Playbook   string          `json:"playbook"`
	Trigger    string          `json:"trigger"`
	Origin     string          `json:"origin,omitempty"`
	Key        string          `json:"key,omitempty"`
	Incident   string          `json:"incident,omitempty"`
	Status     string          `json:"status"`
	Message    string          `json:"message,omitempty"`
	Worker     string          `json:"worker,omitempty"`
	Executions int             `json:"executions"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Steps      json.RawMessage `json:"steps,omitempty"`
	Outputs    json.RawMessage `json:"outputs,omitempty"`
	Report     string          `json:"report,omitempty"`
	Effects    []EffectRecord  `json:"effects,omitempty"`
}

// Duration is the run's wall time so far, or in all once finished.
func (r Run) Duration(now time.Time) time.Duration {
	if r.StartedAt == nil {
		return 0
	}
	end := now
	if r.FinishedAt != nil {
		end = *r.FinishedAt
	}
	return end.Sub(*r.StartedAt)
}

// EffectRecord is one side effect of a run: a skill call, a file written,
// a webhook sent or a clock read.
type EffectRecord struct {
	Key        string          `json:"key"`
	Step       string          `json:"step"`
	Kind       string          `json:"kind"`
	Target     string          `json:"target,omitempty"`
	Status     string          `json:"status"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	Cached     bool            `json:"cached,omitempty"`
	Executions int             `json:"executions"`
	Worker     string          `json:"worker,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// History reads and writes run history in the store.
type History struct {
	st *store.Store
}

// NewHistory returns the run history kept in st.
func NewHistory(st *store.Store) *History { return &History{st: st} }

// ErrNotFound is returned for an unknown run id, ErrAmbiguous for a
// prefix that matches several runs.
var (
	ErrNotFound  = errors.New("no such run")
	ErrAmbiguous = errors.New("matches more than one run; give more of it")
)

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMilli(v.Int64).UTC()
	return &t
}

func (h *History) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return h.st.DB().ExecContext(ctx, h.st.Rebind(q), args...)
}

// create records a queued run; created is false when the id was known.
func (h *History) create(ctx context.Context, id string, req StartRequest, incidentLabel string, now time.Time) (created bool, err error) {
	res, err := h.exec(ctx, `INSERT INTO playbook_runs (id, playbook, trigger_kind, origin, run_key, incident, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		id, req.Playbook, req.Trigger, req.Origin, req.Key, incidentLabel, StatusQueued, ms(now))
	if err != nil {
		return false, fmt.Errorf("run history: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// started marks an execution of the run: the first one or one after a
// recovery.
func (h *History) started(ctx context.Context, id string, req StartRequest, incidentLabel, worker string, now time.Time) error {
	if _, err := h.create(ctx, id, req, incidentLabel, now); err != nil {
		return err
	}
	_, err := h.exec(ctx, `UPDATE playbook_runs SET status = ?, worker = ?, executions = executions + 1,
		started_at = COALESCE(started_at, ?) WHERE id = ?`, StatusRunning, worker, ms(now), id)
	if err != nil {
		return fmt.Errorf("run history: %w", err)
	}
	return nil
}

// finished records a run's outcome.
func (h *History) finished(ctx context.Context, id, status, message string, steps, outputs json.RawMessage, report string, now time.Time) error {
	_, err := h.exec(ctx, `UPDATE playbook_runs SET status = ?, message = ?, steps = ?, outputs = ?, report = ?, finished_at = ?
		WHERE id = ?`, status, message, string(steps), string(outputs), report, ms(now), id)
	if err != nil {
		return fmt.Errorf("run history: %w", err)
	}
	return nil
}

// cancelled records a cancellation, unless the run has already ended.
func (h *History) cancelled(ctx context.Context, id string, now time.Time) error {
	_, err := h.exec(ctx, `UPDATE playbook_runs SET status = ?, message = ?, finished_at = ?
		WHERE id = ? AND status IN (?, ?)`, StatusCancelled, "cancelled", ms(now), id, StatusQueued, StatusRunning)
	if err != nil {
		return fmt.Errorf("run history: %w", err)
	}
	return nil
}

// effectStarted records that an effect is being performed.
func (h *History) effectStarted(ctx context.Context, runID string, rec EffectRecord) error {
	_, err := h.exec(ctx, `INSERT INTO playbook_run_effects (run_id, effect_key, step, kind, target, status, input, executions, worker, started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT (run_id, effect_key) DO UPDATE SET executions = playbook_run_effects.executions + 1,
			status = excluded.status, worker = excluded.worker`,
		runID, rec.Key, rec.Step, rec.Kind, rec.Target, StatusRunning, string(rec.Input), rec.Worker, ms(rec.StartedAt))
	if err != nil {
		return fmt.Errorf("run history: %w", err)
	}
	return nil
}

// effectFinished records an effect's outcome.
func (h *History) effectFinished(ctx context.Context, runID string, rec EffectRecord) error {
	cached := 0
	if rec.Cached {
		cached = 1
	}
	_, err := h.exec(ctx, `UPDATE playbook_run_effects SET status = ?, output = ?, error = ?, cached = ?, finished_at = ?
		WHERE run_id = ? AND effect_key = ?`,
		rec.Status, string(rec.Output), rec.Error, cached, ms(*rec.FinishedAt), runID, rec.Key)
	if err != nil {
		return fmt.Errorf("run history: %w", err)
	}
	return nil
}

// ListOptions filter List.
type ListOptions struct {
	Status   string // one status, or all
	Playbook string
	Limit    int // 50 when 0
}

const runColumns = `id, playbook, trigger_kind, origin, run_key, incident, status, message, worker, executions, created_at, started_at, finished_at`

func scanRun(row interface{ Scan(...any) error }, extra ...any) (Run, error) {
	var r Run
	var created int64
	var started, finished sql.NullInt64
	dst := append([]any{&r.ID, &r.Playbook, &r.Trigger, &r.Origin, &r.Key, &r.Incident, &r.Status, &r.Message, &r.Worker, &r.Executions, &created, &started, &finished}, extra...)
	if err := row.Scan(dst...); err != nil {
		return r, err
	}
	r.CreatedAt = time.UnixMilli(created).UTC()
	r.StartedAt, r.FinishedAt = fromMS(started), fromMS(finished)
	return r, nil
}

// List returns runs, newest first.
func (h *History) List(ctx context.Context, o ListOptions) ([]Run, error) {
	q := `SELECT ` + runColumns + ` FROM playbook_runs WHERE 1=1`
	var args []any
	if o.Status != "" {
		q += ` AND status = ?`
		args = append(args, o.Status)
	}
	if o.Playbook != "" {
		q += ` AND playbook = ?`
		args = append(args, o.Playbook)
	}
	limit := o.Limit
	if limit <= 0 {
		limit = 50
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id LIMIT %d`, limit)
	rows, err := h.st.DB().QueryContext(ctx, h.st.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("run history: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Get returns one run with its effects. A unique prefix of the id is
// enough.
func (h *History) Get(ctx context.Context, id string) (*Run, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, fmt.Errorf("run id: empty")
	}
	rows, err := h.st.DB().QueryContext(ctx, h.st.Rebind(`SELECT `+runColumns+`, steps, outputs, report FROM playbook_runs WHERE id = ? OR id LIKE ? ORDER BY id LIMIT 2`),
		id, strings.NewReplacer("%", "", "_", "").Replace(id)+"%")
	if err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	var found []Run
	for rows.Next() {
		var steps, outputs, report string
		r, err := scanRun(rows, &steps, &outputs, &report)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("run history: %w", err)
		}
		r.Report = report
		r.Steps, r.Outputs = json.RawMessage(steps), json.RawMessage(outputs)
		found = append(found, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	var run *Run
	for i := range found {
		if found[i].ID == id {
			run = &found[i]
		}
	}
	switch {
	case run != nil:
	case len(found) == 1:
		run = &found[0]
	case len(found) > 1:
		return nil, fmt.Errorf("run id %q: %w", id, ErrAmbiguous)
	default:
		return nil, fmt.Errorf("run id %q: %w", id, ErrNotFound)
	}
	eff, err := h.st.DB().QueryContext(ctx, h.st.Rebind(`SELECT effect_key, step, kind, target, status, input, output, error, cached, executions, worker, started_at, finished_at
		FROM playbook_run_effects WHERE run_id = ? ORDER BY started_at, effect_key`), run.ID)
	if err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	defer eff.Close()
	for eff.Next() {
		var e EffectRecord
		var in, out string
		var cached, started int64
		var finished sql.NullInt64
		if err := eff.Scan(&e.Key, &e.Step, &e.Kind, &e.Target, &e.Status, &in, &out, &e.Error, &cached, &e.Executions, &e.Worker, &started, &finished); err != nil {
			return nil, fmt.Errorf("run history: %w", err)
		}
		if in != "" {
			e.Input = json.RawMessage(in)
		}
		if out != "" {
			e.Output = json.RawMessage(out)
		}
		e.Cached = cached != 0
		e.StartedAt = time.UnixMilli(started).UTC()
		e.FinishedAt = fromMS(finished)
		run.Effects = append(run.Effects, e)
	}
	return run, eff.Err()
}

// Prune deletes finished runs (and their effects) that finished before
// cutoff, and returns how many runs went.
func (h *History) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	tx, err := h.st.DB().BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("run history: %w", err)
	}
	defer tx.Rollback()
	cond := `finished_at IS NOT NULL AND finished_at < ?`
	if _, err := tx.ExecContext(ctx, h.st.Rebind(`DELETE FROM playbook_run_effects WHERE run_id IN (SELECT id FROM playbook_runs WHERE `+cond+`)`), ms(cutoff)); err != nil {
		return 0, fmt.Errorf("run history: %w", err)
	}
	res, err := tx.ExecContext(ctx, h.st.Rebind(`DELETE FROM playbook_runs WHERE `+cond), ms(cutoff))
	if err != nil {
		return 0, fmt.Errorf("run history: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), tx.Commit()
}

// Counts returns how many runs history holds per status.
func (h *History) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := h.st.DB().QueryContext(ctx, `SELECT status, COUNT(*) FROM playbook_runs GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("run history: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}
