package copilot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Errors of the promptbook library.
var (
	// ErrReadOnly is wrapped when changing a built-in or directory promptbook.
	ErrReadOnly = errors.New("read-only")
	// ErrExists is wrapped when creating a promptbook whose name is taken.
	ErrExists = errors.New("already exists")
)

// Library finds promptbooks in three places, in this order of precedence:
// built-ins shipped in the binary, YAML files in a directory (*.yaml,
// *.yml), and those created through the API (kept in the database). The
// first two are read-only; a name is unique across all three.
type Library struct {
	builtin fs.FS
	dir     string
	repo    *Repo
}

// NewLibrary returns a library over the built-in files (may be nil), a
// directory (may be empty) and the database.
func NewLibrary(builtin fs.FS, dir string, repo *Repo) *Library {
	return &Library{builtin: builtin, dir: dir, repo: repo}
}

// readFS parses every *.yaml and *.yml file at the top of fsys.
func readFS(fsys fs.FS, source, where string) ([]Promptbook, error) {
	if fsys == nil {
		return nil, nil
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading promptbooks from %s: %w", where, err)
	}
	var out []Promptbook
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading promptbook %s: %w", filepath.Join(where, e.Name()), err)
		}
		pb, err := ParsePromptbook(data)
		if err != nil {
			return nil, fmt.Errorf("promptbook %s: %w", filepath.Join(where, e.Name()), err)
		}
		pb.Source, pb.ReadOnly = source, true
		out = append(out, pb)
	}
	return out, nil
}

// files returns the built-in and directory promptbooks; a directory file
// may not reuse a built-in name.
func (l *Library) files() ([]Promptbook, error) {
	out, err := readFS(l.builtin, SourceBuiltin, "the built-ins")
	if err != nil {
		return nil, err
	}
	if l.dir != "" {
		fromDir, err := readFS(os.DirFS(l.dir), SourceDirectory, l.dir)
		if err != nil {
			return nil, err
		}
		out = append(out, fromDir...)
	}
	seen := map[string]bool{}
	for _, pb := range out {
		if seen[pb.Name] {
			return nil, fmt.Errorf("promptbook %q: defined twice (built-in names cannot be reused in %s)", pb.Name, l.dir)
		}
		seen[pb.Name] = true
	}
	return out, nil
}

// Check reads the built-in and directory promptbooks and reports the first
// broken one; serve calls it at start.
func (l *Library) Check() error {
	_, err := l.files()
	return err
}

// List returns every promptbook sorted by name.
func (l *Library) List(ctx context.Context) ([]Promptbook, error) {
	out, err := l.files()
	if err != nil {
		return nil, err
	}
	stored, err := l.stored(ctx, "")
	if err != nil {
		return nil, err
	}
	out = append(out, stored...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get returns one promptbook by name.
func (l *Library) Get(ctx context.Context, name string) (Promptbook, error) {
	files, err := l.files()
	if err != nil {
		return Promptbook{}, err
	}
	for _, pb := range files {
		if pb.Name == name {
			return pb, nil
		}
	}
	stored, err := l.stored(ctx, name)
	if err != nil {
		return Promptbook{}, err
	}
	if len(stored) == 0 {
		return Promptbook{}, fmt.Errorf("promptbook %q: %w", name, ErrNotFound)
	}
	return stored[0], nil
}

// Create stores a new promptbook; its name may not be taken.
func (l *Library) Create(ctx context.Context, pb Promptbook, by string) (Promptbook, error) {
	if err := pb.Check(); err != nil {
		return Promptbook{}, err
	}
	if _, err := l.Get(ctx, pb.Name); err == nil {
		return Promptbook{}, fmt.Errorf("promptbook %q: %w", pb.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return Promptbook{}, err
	}
	pb.Source, pb.ReadOnly, pb.CreatedBy = SourceAPI, false, by
	def, _ := json.Marshal(pb)
	now := millis(time.Now())
	if _, err := l.repo.exec(ctx, `INSERT INTO copilot_promptbooks (name, definition, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		pb.Name, string(def), by, now, now); err != nil {
		return Promptbook{}, fmt.Errorf("storing promptbook %q: %w", pb.Name, err)
	}
	return pb, nil
}

// Update replaces an API promptbook; the name in pb must match.
func (l *Library) Update(ctx context.Context, name string, pb Promptbook) (Promptbook, error) {
	cur, err := l.Get(ctx, name)
	if err != nil {
		return Promptbook{}, err
	}
	if cur.ReadOnly {
		return Promptbook{}, fmt.Errorf("promptbook %q is %s: %w", name, cur.Source, ErrReadOnly)
	}
	if pb.Name == "" {
		pb.Name = name
	}
	if pb.Name != name {
		return Promptbook{}, &RequestError{Problems: []Problem{{"name", fmt.Sprintf("%q: expected %q, the name in the path (renaming is not supported)", pb.Name, name)}}}
	}
	if err := pb.Check(); err != nil {
		return Promptbook{}, err
	}
	pb.Source, pb.ReadOnly, pb.CreatedBy = SourceAPI, false, cur.CreatedBy
	def, _ := json.Marshal(pb)
	if _, err := l.repo.exec(ctx, `UPDATE copilot_promptbooks SET definition = ?, updated_at = ? WHERE name = ?`, string(def), millis(time.Now()), name); err != nil {
		return Promptbook{}, fmt.Errorf("updating promptbook %q: %w", name, err)
	}
	return pb, nil
}

// Delete removes an API promptbook.
func (l *Library) Delete(ctx context.Context, name string) error {
	cur, err := l.Get(ctx, name)
	if err != nil {
		return err
	}
	if cur.ReadOnly {
		return fmt.Errorf("promptbook %q is %s: %w", name, cur.Source, ErrReadOnly)
	}
	if _, err := l.repo.exec(ctx, `DELETE FROM copilot_promptbooks WHERE name = ?`, name); err != nil {
		return fmt.Errorf("deleting promptbook %q: %w", name, err)
	}
	return nil
}

// stored reads API promptbooks: all of them, or the one named.
func (l *Library) stored(ctx context.Context, name string) ([]Promptbook, error) {
	if l.repo == nil {
		return nil, nil
	}
	q, args := `SELECT definition FROM copilot_promptbooks ORDER BY name`, []any{}
	if name != "" {
		q, args = `SELECT definition FROM copilot_promptbooks WHERE name = ?`, []any{name}
	}
	rows, err := l.repo.st.DB().QueryContext(ctx, l.repo.st.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading promptbooks: %w", err)
	}
	defer rows.Close()
	var out []Promptbook
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return nil, fmt.Errorf("reading promptbooks: %w", err)
		}
		var pb Promptbook
		if err := json.Unmarshal([]byte(def), &pb); err != nil {
			return nil, fmt.Errorf("reading promptbooks: a stored definition is not JSON: %w", err)
		}
		pb.Source, pb.ReadOnly = SourceAPI, false
		out = append(out, pb)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return out, nil
}
