package cmdline

import (
	"net/netip"
	"strconv"
	"strings"
)

// fieldVal is one event field as logged and lower-cased.
type fieldVal struct {
	has      bool
	raw, low string
}

// evalCtx is the state of evaluating rules against one event.
type evalCtx struct {
	set     *RuleSet
	base    int
	vals    [numKnownFields]fieldVal
	extra   map[string]*fieldVal
	memo    []uint8 // per slot: 0 unknown, 1 true, 2 false
	hits    [][]uint8
	negated bool
	errs    int
	rec     *[]FieldMatch
}

func (c *evalCtx) load(ev Event) {
	c.vals = [numKnownFields]fieldVal{}
	clear(c.extra)
	clear(c.memo)
	for k, v := range ev {
		fv := fieldVal{has: true, raw: v, low: strings.ToLower(v)}
		if i := knownFieldIndex(k); i >= 0 {
			c.vals[i] = fv
			continue
		}
		if c.extra == nil {
			c.extra = map[string]*fieldVal{}
		}
		c.extra[k] = &fv
	}
	c.scanFields()
}

// value returns the event's value of a leaf's field.
func (c *evalCtx) value(fid int, name string) *fieldVal {
	if fid >= 0 {
		return &c.vals[fid]
	}
	if v, ok := c.extra[name]; ok {
		return v
	}
	return &fieldVal{}
}

// rule evaluates rule i, counting errors.
func (c *evalCtx) rule(i int) bool {
	r := c.set.rules[i]
	if r.cond == nil {
		c.set.errs[i].Add(1)
		return false
	}
	c.base, c.errs, c.negated = c.set.base[i], 0, false
	ok := r.cond.eval(c)
	if c.errs > 0 {
		c.set.errs[i].Add(int64(c.errs))
	}
	return ok
}

// explain re-evaluates rule i recording the field values of the searches
// that matched outside any negation.
func (c *evalCtx) explain(i int) []FieldMatch {
	var rec []FieldMatch
	c.rec = &rec
	r := c.set.rules[i]
	c.base, c.negated = c.set.base[i], false
	if r.cond != nil {
		r.cond.eval(c)
	}
	c.rec = nil
	return rec
}

func (c *evalCtx) search(s *search) bool {
	for _, alt := range s.alts {
		ok := true
		for _, fm := range alt {
			if !c.field(fm) {
				ok = false
				break
			}
		}
		if ok {
			if c.rec != nil && !c.negated {
				c.record(alt)
			}
			return true
		}
	}
	return false
}

func (c *evalCtx) field(fm *fieldMatcher) bool {
	if fm.err != "" {
		c.errs++
		return false
	}
	if fm.all {
		for _, g := range fm.groups {
			if !c.group(g) {
				return false
			}
		}
		return true
	}
	for _, g := range fm.groups {
		if c.group(g) {
			return true
		}
	}
	return false
}

func (c *evalCtx) group(g []*leaf) bool {
	for _, l := range g {
		if c.leaf(l) {
			return true
		}
	}
	return false
}

func (c *evalCtx) leaf(l *leaf) bool {
	if r := c.set.leafAC[c.base+l.ord]; r.aut >= 0 {
		return c.hits[r.aut][r.needle]&r.mask != 0
	}
	if lits := c.set.leafLits[c.base+l.ord]; lits != nil && !c.anyHit(lits) {
		return false
	}
	slot := c.set.memoSlot[c.base+l.ord]
	if slot >= 0 {
		if v := c.memo[slot]; v != 0 {
			return v == 1
		}
	}
	ok := c.match(l, c.value(l.fid, l.field))
	if slot >= 0 {
		c.memo[slot] = 2
		if ok {
			c.memo[slot] = 1
		}
	}
	return ok
}

func (c *evalCtx) match(l *leaf, v *fieldVal) bool {
	switch l.kind {
	case opNull:
		return !v.has || v.raw == ""
	case opExists:
		return v.has == l.exists
	}
	if !v.has {
		return false
	}
	s := v.low
	if l.cased {
		s = v.raw
	}
	switch l.kind {
	case opEquals:
		return s == l.needle
	case opContains:
		return strings.Contains(s, l.needle)
	case opPrefix:
		return strings.HasPrefix(s, l.needle)
	case opSuffix:
		return strings.HasSuffix(s, l.needle)
	case opGlob:
		return l.re.MatchString(s)
	case opRegex:
		return l.re.MatchString(v.raw)
	case opCIDR:
		a, err := netip.ParseAddr(strings.TrimSpace(v.raw))
		return err == nil && l.prefix.Contains(a.Unmap())
	case opFieldRef:
		o := c.value(knownFieldIndex(l.ref), l.ref)
		if !o.has {
			return false
		}
		needle := o.low
		if l.cased {
			needle = o.raw
		}
		return compareOp(l.refOp, s, needle)
	case opNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(v.raw), 64)
		if err != nil {
			return false
		}
		switch l.cmp {
		case "lt":
			return n < l.num
		case "lte":
			return n <= l.num
		case "gt":
			return n > l.num
		case "gte":
			return n >= l.num
		}
	}
	return false
}

func compareOp(op leafKind, s, needle string) bool {
	switch op {
	case opContains:
		return strings.Contains(s, needle)
	case opPrefix:
		return strings.HasPrefix(s, needle)
	case opSuffix:
		return strings.HasSuffix(s, needle)
	}
	return s == needle
}

// record notes, for each field matcher of a matched alternative, the first
// value that matched in each of its groups.
func (c *evalCtx) record(alt []*fieldMatcher) {
	for _, fm := range alt {
		for _, g := range fm.groups {
			for _, l := range g {
				if c.match(l, c.value(l.fid, l.field)) {
					fmatch := FieldMatch{Field: fm.key, Value: l.raw}
					dup := false
					for _, x := range *c.rec {
						if x == fmatch {
							dup = true
							break
						}
					}
					if !dup {
						*c.rec = append(*c.rec, fmatch)
					}
					break
				}
			}
		}
	}
}
