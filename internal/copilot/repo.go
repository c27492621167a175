package copilot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// ErrNotFound is wrapped by errors for an unknown session, prompt or evaluation.
var ErrNotFound = errors.New("not found")

// Repo keeps sessions, prompts and evaluations in the database. With SQLite
// there is one connection, so every query reads its rows to the end before
// the next one starts.
type Repo struct {
	st *store.Store
}

// NewRepo returns a repository over an open, migrated store.
func NewRepo(st *store.Store) *Repo { return &Repo{st: st} }

func (r *Repo) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return r.st.DB().ExecContext(ctx, r.st.Rebind(q), args...)
}

// CreateSession stores a new session.
func (r *Repo) CreateSession(ctx context.Context, name, by string) (Session, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	s := Session{ID: newID("ses_"), Name: name, CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	_, err := r.exec(ctx, `INSERT INTO copilot_sessions (id, name, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.Name, s.CreatedBy, millis(now), millis(now))
	if err != nil {
		return Session{}, fmt.Errorf("creating a session: %w", err)
	}
	return s, nil
}

// ListSessions returns sessions, most recently updated first.
func (r *Repo) ListSessions(ctx context.Context, limit int) ([]Session, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := r.st.DB().QueryContext(ctx, r.st.Rebind(`SELECT id, name, created_by, created_at, updated_at FROM copilot_sessions ORDER BY updated_at DESC, id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var s Session
		var c, u int64
		if err := rows.Scan(&s.ID, &s.Name, &s.CreatedBy, &c, &u); err != nil {
			return nil, fmt.Errorf("listing sessions: %w", err)
		}
		s.CreatedAt, s.UpdatedAt = fromMillis(c), fromMillis(u)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Session returns one session.
func (r *Repo) Session(ctx context.Context, id string) (Session, error) {
	var s Session
	var c, u int64
	err := r.st.DB().QueryRowContext(ctx, r.st.Rebind(`SELECT id, name, created_by, created_at, updated_at FROM copilot_sessions WHERE id = ?`), id).
		Scan(&s.ID, &s.Name, &s.CreatedBy, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("reading session %q: %w", id, err)
	}
	s.CreatedAt, s.UpdatedAt = fromMillis(c), fromMillis(u)
	return s, nil
}

// SessionDetail returns a session with its prompts and evaluations in order.
func (r *Repo) SessionDetail(ctx context.Context, id string) (SessionDetail, error) {
	s, err := r.Session(ctx, id)
	if err != nil {
		return SessionDetail{}, err
	}
	d := SessionDetail{Session: s, Prompts: []PromptDetail{}}
	rows, err := r.st.DB().QueryContext(ctx, r.st.Rebind(`SELECT id, session_id, seq, content, skill_name, skill_inputs, plugins, created_by, created_at
		FROM copilot_prompts WHERE session_id = ? ORDER BY seq`), id)
	if err != nil {
		return SessionDetail{}, fmt.Errorf("reading the prompts of session %q: %w", id, err)
	}
	for rows.Next() {
		p, err := scanPrompt(rows)
		if err != nil {
			rows.Close()
			return SessionDetail{}, err
		}
		d.Prompts = append(d.Prompts, PromptDetail{Prompt: p})
	}
	if err := rows.Close(); err != nil {
		return SessionDetail{}, err
	}
	evals, err := r.evaluations(ctx, `WHERE session_id = ?`, id)
	if err != nil {
		return SessionDetail{}, err
	}
	byPrompt := map[string]*Evaluation{}
	for i := range evals {
		byPrompt[evals[i].PromptID] = &evals[i]
	}
	for i := range d.Prompts {
		d.Prompts[i].Evaluation = byPrompt[d.Prompts[i].ID]
	}
	for _, e := range evals {
		d.Usage = d.Usage.Add(e.Usage)
	}
	return d, nil
}

// DeleteSession removes a session with its prompts and evaluations.
func (r *Repo) DeleteSession(ctx context.Context, id string) error {
	// Children first: foreign keys may not cascade on every SQLite connection.
	for _, q := range []string{
		`DELETE FROM copilot_evaluations WHERE session_id = ?`,
		`DELETE FROM copilot_prompts WHERE session_id = ?`,
	} {
		if _, err := r.exec(ctx, q, id); err != nil {
			return fmt.Errorf("deleting session %q: %w", id, err)
		}
	}
	res, err := r.exec(ctx, `DELETE FROM copilot_sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("deleting session %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanPrompt(sc scanner) (Prompt, error) {
	var p Prompt
	var inputs, plugins string
	var c int64
	if err := sc.Scan(&p.ID, &p.SessionID, &p.Seq, &p.Content, &p.SkillName, &inputs, &plugins, &p.CreatedBy, &c); err != nil {
		return Prompt{}, fmt.Errorf("reading a prompt: %w", err)
	}
	p.CreatedAt = fromMillis(c)
	_ = json.Unmarshal([]byte(inputs), &p.SkillInputs)
	_ = json.Unmarshal([]byte(plugins), &p.Plugins)
	if len(p.SkillInputs) == 0 {
		p.SkillInputs = nil
	}
	return p, nil
}

// AddPrompt stores a prompt at the end of its session together with its
// evaluation in state created, in one transaction.
func (r *Repo) AddPrompt(ctx context.Context, sessionID string, req PromptRequest, by string) (Prompt, Evaluation, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	inputs, err := json.Marshal(orEmpty(req.SkillInputs))
	if err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("skillInputs: expected JSON values: %w", err)
	}
	plugins, _ := json.Marshal(nonNil(req.Plugins))
	tx, err := r.st.DB().BeginTx(ctx, nil)
	if err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("adding a prompt: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, r.st.Rebind(`UPDATE copilot_sessions SET updated_at = ? WHERE id = ?`), millis(now), sessionID)
	if err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("adding a prompt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Prompt{}, Evaluation{}, fmt.Errorf("session %q: %w", sessionID, ErrNotFound)
	}
	// The update above locks the session's row (PostgreSQL) or the database
	// (SQLite), so concurrent prompts of one session get distinct numbers.
	var seq int
	if err := tx.QueryRowContext(ctx, r.st.Rebind(`SELECT COALESCE(MAX(seq), 0) + 1 FROM copilot_prompts WHERE session_id = ?`), sessionID).Scan(&seq); err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("adding a prompt: %w", err)
	}
	p := Prompt{ID: newID("prm_"), SessionID: sessionID, Seq: seq, Content: req.Content, SkillName: req.SkillName,
		SkillInputs: req.SkillInputs, Plugins: req.Plugins, CreatedBy: by, CreatedAt: now}
	if _, err := tx.ExecContext(ctx, r.st.Rebind(`INSERT INTO copilot_prompts (id, session_id, seq, content, skill_name, skill_inputs, plugins, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), p.ID, sessionID, seq, p.Content, p.SkillName, string(inputs), string(plugins), by, millis(now)); err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("adding a prompt: %w", err)
	}
	e := Evaluation{ID: newID("evl_"), PromptID: p.ID, SessionID: sessionID, State: StateCreated, Sources: []SkillSource{}, CreatedAt: now}
	if _, err := tx.ExecContext(ctx, r.st.Rebind(`INSERT INTO copilot_evaluations (id, prompt_id, session_id, state, created_at) VALUES (?, ?, ?, ?, ?)`),
		e.ID, p.ID, sessionID, string(e.State), millis(now)); err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("adding an evaluation: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Prompt{}, Evaluation{}, fmt.Errorf("adding a prompt: %w", err)
	}
	return p, e, nil
}

// llmMeta is the llm column: what a model did in an evaluation.
type llmMeta struct {
	Planner  string `json:"planner,omitempty"`
	Fallback string `json:"fallback,omitempty"`
	Flags    []Flag `json:"flags,omitempty"`
}

// SaveEvaluation writes an evaluation's state and result.
func (r *Repo) SaveEvaluation(ctx context.Context, e Evaluation) error {
	sources, _ := json.Marshal(nonNil(e.Sources))
	sugg, _ := json.Marshal(nonNil(e.Suggestions))
	ents, _ := json.Marshal(e.Entities)
	usage, _ := json.Marshal(e.Usage)
	meta, _ := json.Marshal(llmMeta{Planner: e.Planner, Fallback: e.Fallback, Flags: e.Flags})
	_, err := r.exec(ctx, `UPDATE copilot_evaluations SET state = ?, result_type = ?, content = ?, sources = ?, suggestions = ?, entities = ?,
		usage = ?, llm = ?, error = ?, started_at = ?, completed_at = ? WHERE id = ?`,
		string(e.State), string(e.ResultType), e.Content, string(sources), string(sugg), string(ents), string(usage), string(meta), e.Error,
		optMillis(e.StartedAt), optMillis(e.CompletedAt), e.ID)
	if err != nil {
		return fmt.Errorf("saving evaluation %s: %w", e.ID, err)
	}
	return nil
}

// Evaluation returns one evaluation of a session.
func (r *Repo) Evaluation(ctx context.Context, sessionID, id string) (Evaluation, error) {
	evals, err := r.evaluations(ctx, `WHERE session_id = ? AND id = ?`, sessionID, id)
	if err != nil {
		return Evaluation{}, err
	}
	if len(evals) == 0 {
		return Evaluation{}, fmt.Errorf("evaluation %q in session %q: %w", id, sessionID, ErrNotFound)
	}
	return evals[0], nil
}

// SessionEntities returns the entities of a session's completed
// evaluations, newest first, for resolving "this IP" and the like.
func (r *Repo) SessionEntities(ctx context.Context, sessionID string) ([]Entities, error) {
	evals, err := r.evaluations(ctx, `WHERE session_id = ? AND state = 'completed'`, sessionID)
	if err != nil {
		return nil, err
	}
	out := make([]Entities, 0, len(evals))
	for i := len(evals) - 1; i >= 0; i-- {
		out = append(out, evals[i].Entities)
	}
	return out, nil
}

func (r *Repo) evaluations(ctx context.Context, where string, args ...any) ([]Evaluation, error) {
	rows, err := r.st.DB().QueryContext(ctx, r.st.Rebind(`SELECT id, prompt_id, session_id, state, result_type, content, sources, suggestions,
		entities, usage, llm, error, created_at, started_at, completed_at FROM copilot_evaluations `+where+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("reading evaluations: %w", err)
	}
	defer rows.Close()
	var out []Evaluation
	for rows.Next() {
		var e Evaluation
		var state, rt, sources, sugg, ents, usage, meta string
		var c int64
		var started, completed sql.NullInt64
		if err := rows.Scan(&e.ID, &e.PromptID, &e.SessionID, &state, &rt, &e.Content, &sources, &sugg, &ents, &usage, &meta, &e.Error,
			&c, &started, &completed); err != nil {
			return nil, fmt.Errorf("reading evaluations: %w", err)
		}
		e.State, e.ResultType, e.CreatedAt = State(state), ResultType(rt), fromMillis(c)
		_ = json.Unmarshal([]byte(sources), &e.Sources)
		_ = json.Unmarshal([]byte(sugg), &e.Suggestions)
		_ = json.Unmarshal([]byte(ents), &e.Entities)
		_ = json.Unmarshal([]byte(usage), &e.Usage)
		var m llmMeta
		if json.Unmarshal([]byte(meta), &m) == nil {
			e.Planner, e.Fallback, e.Flags = m.Planner, m.Fallback, m.Flags
		}
		if e.Sources == nil {
			e.Sources = []SkillSource{}
		}
		if started.Valid {
			t := fromMillis(started.Int64)
			e.StartedAt = &t
		}
		if completed.Valid {
			t := fromMillis(completed.Int64)
			e.CompletedAt = &t
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func optMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return millis(*t)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// FailInterrupted ends evaluations left created or running by a process
// that stopped without finishing them, and returns how many there were.
// Call it only where no other process runs evaluations on the same
// database (the embedded SQLite file of `spotter serve`).
func (r *Repo) FailInterrupted(ctx context.Context) (int64, error) {
	res, err := r.exec(ctx, `UPDATE copilot_evaluations SET state = ?, error = ?, completed_at = ? WHERE state IN ('created', 'running')`,
		string(StateFailed), "interrupted: the server stopped before the evaluation finished", millis(time.Now()))
	if err != nil {
		return 0, fmt.Errorf("closing interrupted evaluations: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
