package runs

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
)

const secretMark = "<secret>"

// redact removes configured secret values from text bound for run history.
func (e *Engine) redact(s string) string {
	if e.opts.Secrets == nil || s == "" {
		return s
	}
	for _, sec := range e.opts.Secrets() {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, secretMark)
		}
	}
	return s
}

// redactJSON encodes v for run history without secret values. Values under
// secret-looking keys (api_key, token, password, secret, authorization)
// are replaced as well.
func (e *Engine) redactJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(maskKeys(v))
	if err != nil {
		return json.RawMessage(`null`)
	}
	out := e.redact(string(data))
	if !json.Valid([]byte(out)) {
		return json.RawMessage(`null`)
	}
	return json.RawMessage(out)
}

var secretKey = regexp.MustCompile(`(?i)(^|_|-)(api_?key|token|secret|password|passwd|authorization|client_secret|sig|signature)$`)

func maskKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if s, ok := val.(string); ok && s != "" && secretKey.MatchString(k) {
				out[k] = secretMark
				continue
			}
			out[k] = maskKeys(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = maskKeys(val)
		}
		return out
	}
	return v
}

// stripQuery drops a URL's query, fragment and user info, which often
// carry signatures or tokens (a webhook's ?code= or ?sig=).
func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// scrubDSN keeps a database URL's password out of an error.
func scrubDSN(err error, dsn string) error {
	if err == nil || dsn == "" {
		return err
	}
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, secretMark))
}
