package intel

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"net/netip"
)

// writer stores the entries of one import inside its transaction: it
// buffers them, reads the stored versions of a batch with one query,
// and writes the new and changed ones with one multi-row upsert, so an
// unchanged feed costs reads only.
type writer struct {
	s       *Store
	tx      *sql.Tx
	ctx     context.Context
	stmts   stmtCache
	source  string
	rep     *ImportReport
	seed    maphash.Seed
	seen    map[uint64]struct{} // hashes of the keys put so far
	pending []Indicator
	bits    map[[2]int]bool // CIDR (family, bits) written
	revoked []Key
	dropped []string
}

func newWriter(ctx context.Context, s *Store, tx *sql.Tx, source string, rep *ImportReport) *writer {
	return &writer{s: s, tx: tx, ctx: ctx, stmts: stmtCache{s: s, tx: tx}, source: source, rep: rep,
		seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}, bits: map[[2]int]bool{}}
}

// keyHash identifies a key within the import. A 64-bit hash keeps a
// million-entry import's bookkeeping small; a collision (odds about 1 in
// 10^7 at that size) would only make one entry count as a duplicate.
func (w *writer) keyHash(k Key) uint64 {
	var h maphash.Hash
	h.SetSeed(w.seed)
	h.WriteString(string(k.Type))
	h.WriteByte(0)
	h.WriteString(k.Value)
	return h.Sum64()
}

// put buffers one normalised entry; the first of duplicates wins.
func (w *writer) put(in Indicator) error {
	h := w.keyHash(in.Key())
	if _, dup := w.seen[h]; dup {
		w.rep.Duplicates++
		return nil
	}
	w.seen[h] = struct{}{}
	in.Source = w.source
	w.pending = append(w.pending, in)
	if len(w.pending) >= batchSize {
		return w.flush()
	}
	return nil
}

// remove schedules an entry for deletion at the end of the import, unless
// the import stores it after all.
func (w *writer) remove(k Key) error {
	w.revoked = append(w.revoked, k)
	return nil
}

// dropObject schedules the deletion of every entry an object listed.
func (w *writer) dropObject(id string) error {
	w.dropped = append(w.dropped, id)
	return nil
}

// flush writes the buffered entries.
func (w *writer) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	batch := w.pending
	w.pending = w.pending[:0:0]
	stored, err := w.stored(batch)
	if err != nil {
		return err
	}
	var write []Indicator
	for _, in := range batch {
		old, ok := stored[in.Key()]
		switch {
		case !ok:
			w.rep.Added++
			write = append(write, in)
		case sameEntry(old, in):
			w.rep.Unchanged++
		default:
			w.rep.Updated++
			write = append(write, in)
		}
		if in.Type == TypeCIDR {
			if p, err := netip.ParsePrefix(in.Value); err == nil {
				fam := 4
				if p.Addr().Is6() {
					fam = 6
				}
				w.bits[[2]int{fam, p.Bits()}] = true
			}
		}
	}
	return w.upsert(write)
}

// stored reads the stored versions of a batch's entries, by key.
func (w *writer) stored(batch []Indicator) (map[Key]Indicator, error) {
	byType := map[Type][]any{}
	for _, in := range batch {
		byType[in.Type] = append(byType[in.Type], in.Value)
	}
	out := make(map[Key]Indicator, len(batch))
	for t, values := range byType {
		q := `SELECT ` + indicatorColumns + ` FROM intel_indicators WHERE type = ? AND source = ? AND value IN (` + placeholders(len(values), 1) + `)`
		st, err := w.stmts.get(w.ctx, q)
		if err != nil {
			return nil, fmt.Errorf("intel: preparing the read of stored entries: %w", err)
		}
		rows, err := st.QueryContext(w.ctx, append([]any{string(t), w.source}, values...)...)
		if err != nil {
			return nil, fmt.Errorf("intel: reading stored entries of %s: %w", w.source, err)
		}
		for rows.Next() {
			in, err := scanRow(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("intel: reading stored entries of %s: %w", w.source, err)
			}
			out[in.Key()] = in
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("intel: reading stored entries of %s: %w", w.source, err)
		}
	}
	return out, nil
}

// upsertSQL inserts n rows, replacing the stored ones with the same key.
func upsertSQL(n int) string {
	return `INSERT INTO intel_indicators (` + indicatorColumns + `) VALUES ` + placeholders(n, 12) + `
ON CONFLICT (type, value, source) DO UPDATE SET confidence = excluded.confidence, tags = excluded.tags,
	malware = excluded.malware, reference = excluded.reference, description = excluded.description,
	object_id = excluded.object_id, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
	valid_until = excluded.valid_until`
}

func (w *writer) upsert(rows []Indicator) error {
	if len(rows) == 0 {
		return nil
	}
	st, err := w.stmts.get(w.ctx, upsertSQL(len(rows)))
	if err != nil {
		return fmt.Errorf("intel: preparing the upsert: %w", err)
	}
	args := make([]any, 0, len(rows)*12)
	for _, in := range rows {
		args = append(args, w.s.rowArgs(in)...)
	}
	if _, err := st.ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("intel: storing %d entries of %s: %w", len(rows), w.source, err)
	}
	return nil
}

// finish flushes the buffer, applies revocations and dropped objects, and,
// when replacing, deletes the source's entries that the import did not list.
func (w *writer) finish(replace bool) error {
	if err := w.flush(); err != nil {
		return err
	}
	for k := range w.bits {
		q := `INSERT INTO intel_cidr_bits (family, bits) VALUES (?, ?) ON CONFLICT (family, bits) DO NOTHING`
		if _, err := w.tx.ExecContext(w.ctx, w.s.db.Rebind(q), k[0], k[1]); err != nil {
			return fmt.Errorf("intel: recording CIDR prefix lengths: %w", err)
		}
	}
	var doomed []Key
	for _, k := range w.revoked {
		if _, kept := w.seen[w.keyHash(k)]; !kept {
			doomed = append(doomed, k)
		}
	}
	for _, id := range w.dropped {
		keys, err := w.keysWhere(`object_id = ?`, id)
		if err != nil {
			return err
		}
		doomed = append(doomed, keys...)
	}
	if replace {
		keys, err := w.keysWhere("")
		if err != nil {
			return err
		}
		doomed = append(doomed, keys...)
	}
	return w.delete(doomed)
}

// keysWhere lists the source's stored keys matching an extra condition
// that the import did not put.
func (w *writer) keysWhere(cond string, args ...any) ([]Key, error) {
	q := `SELECT type, value FROM intel_indicators WHERE source = ?`
	if cond != "" {
		q += " AND " + cond
	}
	rows, err := w.tx.QueryContext(w.ctx, w.s.db.Rebind(q), append([]any{w.source}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("intel: listing stored entries of %s: %w", w.source, err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var t string
		if err := rows.Scan(&t, &k.Value); err != nil {
			return nil, fmt.Errorf("intel: listing stored entries of %s: %w", w.source, err)
		}
		k.Type = Type(t)
		if _, kept := w.seen[w.keyHash(k)]; !kept {
			out = append(out, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("intel: listing stored entries of %s: %w", w.source, err)
	}
	return out, nil
}

// delete removes keys of the source, counting the rows that existed.
func (w *writer) delete(keys []Key) error {
	q := `DELETE FROM intel_indicators WHERE type = ? AND value = ? AND source = ?`
	st, err := w.stmts.get(w.ctx, q)
	if err != nil {
		return fmt.Errorf("intel: preparing deletions: %w", err)
	}
	for _, k := range keys {
		res, err := st.ExecContext(w.ctx, string(k.Type), k.Value, w.source)
		if err != nil {
			return fmt.Errorf("intel: deleting %s %s of %s: %w", k.Type, k.Value, w.source, err)
		}
		if n, err := res.RowsAffected(); err == nil {
			w.rep.Removed += int(n)
		}
	}
	return nil
}
