package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// Role is what a token may do: viewers read; analysts also submit prompts
// and cancel evaluations; admins also manage tokens and read the audit log.
type Role string

// Roles, from least to most privileged.
const (
	RoleViewer  Role = "viewer"
	RoleAnalyst Role = "analyst"
	RoleAdmin   Role = "admin"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleViewer, RoleAnalyst, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("role %q: expected viewer, analyst or admin", s)
}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleAnalyst:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether the role includes the rights of need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() && need.rank() > 0 }

// TokenPrefix starts every API token, so secret scanners recognise them.
const TokenPrefix = "spt_"

// Token describes an API token; the secret itself is never stored.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// ErrUnauthorized means a token is missing, unknown or revoked.
var ErrUnauthorized = errors.New("missing, unknown or revoked API token")

// ErrNoToken is wrapped by errors for an unknown token id.
var ErrNoToken = errors.New("no such token")

// Tokens keeps API tokens, hashed with SHA-256, in the database.
type Tokens struct {
	st *store.Store
}

// NewTokens returns the token table of a store.
func NewTokens(st *store.Store) *Tokens { return &Tokens{st: st} }

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Create makes a token and returns it with its secret, which is shown this
// once and cannot be recovered.
func (t *Tokens) Create(ctx context.Context, name string, role Role) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Token{}, "", errors.New("token name: expected a non-empty name, e.g. the person or system using it")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", fmt.Errorf("generating a token: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	now := time.Now().UTC().Truncate(time.Millisecond)
	tok := Token{ID: "tok_" + hex.EncodeToString(idb), Name: name, Role: role, CreatedAt: now}
	_, err := t.st.DB().ExecContext(ctx, t.st.Rebind(`INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)`),
		tok.ID, tok.Name, string(tok.Role), hashToken(secret), now.UnixMilli())
	if err != nil {
		return Token{}, "", fmt.Errorf("storing the token: %w", err)
	}
	return tok, secret, nil
}

// List returns every token, revoked ones included, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	rows, err := t.st.DB().QueryContext(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, rows.Err()
}

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var tok Token
	var role string
	var created int64
	var used, revoked sql.NullInt64
	if err := sc.Scan(&tok.ID, &tok.Name, &role, &created, &used, &revoked); err != nil {
		return Token{}, fmt.Errorf("reading a token: %w", err)
	}
	tok.Role, tok.CreatedAt = Role(role), time.UnixMilli(created).UTC()
	if used.Valid {
		u := time.UnixMilli(used.Int64).UTC()
		tok.LastUsedAt = &u
	}
	if revoked.Valid {
		r := time.UnixMilli(revoked.Int64).UTC()
		tok.RevokedAt = &r
	}
	return tok, nil
}

// Revoke makes a token unusable. Revoking a revoked token is not an error.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	res, err := t.st.DB().ExecContext(ctx, t.st.Rebind(`UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), time.Now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("revoking token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %q: %w", id, ErrNoToken)
	}
	return nil
}

// lastUsedEvery limits how often a token's last use is written.
const lastUsedEvery = time.Minute

// Authenticate returns the token a secret belongs to, or ErrUnauthorized.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, ErrUnauthorized
	}
	row := t.st.DB().QueryRowContext(ctx, t.st.Rebind(`SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens WHERE hash = ?`), hashToken(secret))
	tok, err := scanToken(row)
	if err != nil || tok.RevokedAt != nil {
		return Token{}, ErrUnauthorized
	}
	now := time.Now()
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > lastUsedEvery {
		_, _ = t.st.DB().ExecContext(ctx, t.st.Rebind(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), now.UnixMilli(), tok.ID)
	}
	return tok, nil
}
