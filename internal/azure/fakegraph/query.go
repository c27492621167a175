package fakegraph

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Clause is one comparison of a $filter: Field Op Value.
type Clause struct {
	Field, Op, Value string
	// Quoted is true for string literals, false for bare ones (dates, numbers).
	Quoted bool
}

// Filter is a parsed $filter: clauses joined by one connective ("and",
// "or", or "" for a single clause). Mixed connectives, parentheses and
// functions are not understood; the fake answers them with 400.
type Filter struct {
	Join    string
	Clauses []Clause
}

// ParseFilter reads the subset of OData $filter syntax the plugins send:
// `field op 'string'` or `field op literal`, joined by all-"and" or all-"or".
// String literals double their single quotes.
func ParseFilter(s string) (Filter, error) {
	var f Filter
	rest := strings.TrimSpace(s)
	if rest == "" {
		return f, errors.New("empty filter")
	}
	for {
		var c Clause
		var err error
		c, rest, err = parseClause(rest)
		if err != nil {
			return f, err
		}
		f.Clauses = append(f.Clauses, c)
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return f, nil
		}
		join, after, ok := strings.Cut(rest, " ")
		if !ok || (join != "and" && join != "or") {
			return f, fmt.Errorf("expected and/or at %q", rest)
		}
		if f.Join != "" && f.Join != join {
			return f, errors.New("mixed and/or")
		}
		f.Join, rest = join, strings.TrimLeft(after, " ")
	}
}

func parseClause(s string) (Clause, string, error) {
	var c Clause
	field, rest, ok := strings.Cut(s, " ")
	if !ok || field == "" || strings.ContainsAny(field, "()'") {
		return c, "", fmt.Errorf("expected a property at %q", s)
	}
	op, rest, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
	switch op {
	case "eq", "ne", "ge", "gt", "le", "lt":
	default:
		return c, "", fmt.Errorf("unsupported operator %q", op)
	}
	if !ok {
		return c, "", errors.New("missing value")
	}
	c.Field, c.Op = field, op
	rest = strings.TrimLeft(rest, " ")
	if strings.HasPrefix(rest, "'") {
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			if rest[i] != '\'' {
				b.WriteByte(rest[i])
				continue
			}
			if i+1 < len(rest) && rest[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			c.Value, c.Quoted = b.String(), true
			return c, rest[i+1:], nil
		}
		return c, "", errors.New("unterminated string literal")
	}
	value, after, _ := strings.Cut(rest, " ")
	if value == "" || strings.ContainsAny(value, "()'") {
		return c, "", fmt.Errorf("bad literal %q", value)
	}
	c.Value = value
	if after != "" {
		after = " " + after
	}
	return c, after, nil
}

// unsupported answers a query the fake (standing in for Graph) refuses.
func unsupported(w http.ResponseWriter, why string) {
	graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported query: "+why, "")
}

// project applies $select to an object; selected properties the object lacks
// come back as null, as Graph does. @odata.type is always kept.
func project(o Object, sel []string) Object {
	if len(sel) == 0 {
		return o
	}
	out := Object{}
	if t, ok := o["@odata.type"]; ok {
		out["@odata.type"] = t
	}
	for _, k := range sel {
		out[k] = o[k]
	}
	return out
}

// selectList reads $select.
func selectList(q url.Values) []string {
	v := q.Get("$select")
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// writePage serves items as one page of a collection, with an absolute
// @odata.nextLink when more remain. The page size is the smaller of $top and
// the server's page size; $skiptoken is an opaque offset.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, context string, items []Object) {
	q := r.URL.Query()
	s.mu.Lock()
	size := s.pageSize
	s.mu.Unlock()
	if top := q.Get("$top"); top != "" {
		n, err := strconv.Atoi(top)
		if err != nil || n < 1 || n > 999 {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value for $top: "+top, "")
			return
		}
		size = min(size, n)
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		if err != nil || err2 != nil || n < 0 || n > len(items) {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.", "")
			return
		}
		offset = n
	}
	sel := selectList(q)
	end := min(offset+size, len(items))
	page := make([]Object, 0, end-offset)
	for _, o := range items[offset:end] {
		page = append(page, project(o, sel))
	}
	body := map[string]any{"@odata.context": s.GraphURL() + "/$metadata#" + context, "value": page}
	if end < len(items) {
		body["@odata.nextLink"] = s.nextLink(r, end)
	}
	writeJSON(w, http.StatusOK, body)
}

// nextLink keeps the request's own query options and replaces $skiptoken.
func (s *Server) nextLink(r *http.Request, offset int) string {
	var keep []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part != "" && !strings.HasPrefix(part, "$skiptoken=") && !strings.HasPrefix(part, "%24skiptoken=") {
			keep = append(keep, part)
		}
	}
	keep = append(keep, "$skiptoken="+base64.RawURLEncoding.EncodeToString([]byte("offset:"+strconv.Itoa(offset))))
	return s.srv.URL + r.URL.EscapedPath() + "?" + strings.Join(keep, "&")
}

// parseTime reads an OData DateTimeOffset literal.
func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
