package server

import (
	"context"
	"fmt"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	TokenID   string    `json:"tokenId"`
	TokenName string    `json:"tokenName"`
	Role      Role      `json:"role"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Status    int       `json:"status"`
}

// Audit is the audit log: who did what, and how it ended.
type Audit struct {
	st *store.Store
}

// NewAudit returns the audit log of a store.
func NewAudit(st *store.Store) *Audit { return &Audit{st: st} }

// Record appends an entry.
func (a *Audit) Record(ctx context.Context, e AuditEntry) error {
	_, err := a.st.DB().ExecContext(ctx, a.st.Rebind(`INSERT INTO audit_log (at, token_id, token_name, role, action, target, status) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		time.Now().UnixMilli(), e.TokenID, e.TokenName, string(e.Role), e.Action, e.Target, e.Status)
	if err != nil {
		return fmt.Errorf("writing the audit log: %w", err)
	}
	return nil
}

// List returns the newest entries first.
func (a *Audit) List(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := a.st.DB().QueryContext(ctx, a.st.Rebind(`SELECT id, at, token_id, token_name, role, action, target, status FROM audit_log ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at int64
		var role string
		if err := rows.Scan(&e.ID, &at, &e.TokenID, &e.TokenName, &role, &e.Action, &e.Target, &e.Status); err != nil {
			return nil, fmt.Errorf("reading the audit log: %w", err)
		}
		e.At, e.Role = time.UnixMilli(at).UTC(), Role(role)
		out = append(out, e)
	}
	return out, rows.Err()
}
