package azure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/spotter-soc/spotter/internal/skill"
)

// maxMessage bounds provider text copied into an error.
const maxMessage = 300

// graphErrorBody is Graph's error envelope. Live responses spell the inner
// object innerError; nothing here needs it.
type graphErrorBody struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseGraphError turns a failed Graph response into words an analyst can act
// on, using what the request was for (r.What, r.Permission, r.License). The
// body may be anything: HTML from a proxy, truncated JSON, nothing.
func parseGraphError(plugin string, r Request, status int, header http.Header, body []byte) *skill.ProviderError {
	code, msg := "", ""
	var env graphErrorBody
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		code, msg = CleanText(env.Error.Code, 80), CleanText(env.Error.Message, maxMessage)
	}
	what := r.What
	if what == "" {
		what = "the requested object"
	}
	var text string
	switch {
	case status == http.StatusBadRequest:
		text = "Microsoft Graph rejected the request"
		if msg != "" {
			text += ": " + msg
		}
	case status == http.StatusUnauthorized:
		text = "Microsoft Graph rejected the access token; check that the app registration belongs to tenant_id and that graph_url and authority_host are in the same cloud"
	case status == http.StatusForbidden && isLicenseError(code, msg):
		license := r.License
		if license == "" {
			license = "a license the tenant does not have"
		}
		text = "reading " + what + " requires " + license
	case status == http.StatusForbidden:
		text = "permission denied reading " + what
		if r.Permission != "" {
			text += ": grant the application permission " + r.Permission + " (with admin consent)"
		}
	case status == http.StatusNotFound:
		text = what + " does not exist"
	case status == http.StatusTooManyRequests:
		text = "Microsoft Graph throttled the request"
		if s := retryAfter(header); s != "" {
			text += "; retry after " + s
		}
	case status >= 500:
		text = "Microsoft Graph is unavailable"
		if msg != "" {
			text += ": " + strings.TrimRight(msg, ".")
		}
		if s := retryAfter(header); s != "" {
			text += "; retry after " + s
		}
	default:
		text = "Microsoft Graph answered " + strconv.Itoa(status)
		if msg != "" {
			text += ": " + msg
		}
	}
	if code != "" {
		text += " (" + code + ")"
	}
	return &skill.ProviderError{Provider: plugin, Status: status, Code: code, Msg: text}
}

// isLicenseError recognises the 403 a tenant without the needed Entra ID or
// Defender TI license gets (e.g. Authentication_RequestFromNonPremiumTenantOrB2CTenant).
func isLicenseError(code, msg string) bool {
	s := strings.ToLower(code + " " + msg)
	return strings.Contains(s, "premium") || strings.Contains(s, "licens") || strings.Contains(s, "b2ctenant")
}

// retryAfter renders a Retry-After header given in seconds.
func retryAfter(h http.Header) string {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return strconv.Itoa(n) + " s"
	}
	return ""
}

// malformed reports a 2xx response whose body is not the JSON expected.
func malformed(plugin string, r Request, status int, err error) *skill.ProviderError {
	detail := CleanText(err.Error(), 120)
	return &skill.ProviderError{Provider: plugin, Status: status, Code: "malformed_response",
		Msg: fmt.Sprintf("Microsoft Graph returned a malformed response for %s: %s", r.whatOrPath(), detail)}
}

// CleanText keeps the first line of provider text, without control
// characters, cut to at most n runes: what may go into an error message.
func CleanText(s string, n int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<secret>")
		}
	}
	return s
}
