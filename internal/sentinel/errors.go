package sentinel

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

// cloudError is ARM's error envelope (Sentinel often adds "innerError": null).
type cloudError struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// armError turns a failed ARM reply into words an analyst can act on. The
// body may be anything (HTML from a proxy, nothing at all).
func armError(workspace, what string, status int, h http.Header, body []byte) *skill.ProviderError {
	code, msg := "", ""
	var env cloudError
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		code, msg = clean(env.Error.Code, 80), clean(env.Error.Message, 300)
	}
	var text string
	switch {
	case status == http.StatusUnauthorized:
		text = "Azure Resource Manager rejected the access token; check the credential's tenant and that arm_url and authority_host are in the same cloud"
	case status == http.StatusForbidden:
		text = "permission denied on " + what + ": assign Microsoft Sentinel Responder (or Reader for reads) on the workspace to the app"
	case status == http.StatusNotFound:
		text = what + " does not exist in workspace " + workspace
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		text = what + " was changed by someone else meanwhile (stale etag)"
	case status == http.StatusTooManyRequests:
		text = "Azure Resource Manager throttled the request"
		if s := strings.TrimSpace(h.Get("Retry-After")); s != "" {
			if n, err := strconv.Atoi(s); err == nil {
				text += "; retry after " + strconv.Itoa(n) + " s"
			}
		}
	case status >= 500:
		text = "Microsoft Sentinel is unavailable"
	default:
		text = "Azure Resource Manager answered " + strconv.Itoa(status) + " for " + what
	}
	if msg != "" && status != http.StatusUnauthorized {
		text += ": " + strings.TrimRight(msg, ".")
	}
	if code != "" {
		text += " (" + code + ")"
	}
	return &skill.ProviderError{Provider: Provider, Status: status, Code: code, Msg: text}
}

// clean keeps the first line of provider text, without control characters,
// cut to at most n runes.
func clean(s string, n int) string { return azure.CleanText(s, n) }
