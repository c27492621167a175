package server

import (
	"net/http"
	"strings"
)

// HooksPrefix is where incoming webhooks are served. They authenticate with
// their own per-hook secrets, not with API tokens.
const HooksPrefix = "/api/v1/hooks/"

// withHooks sends requests under HooksPrefix to hooks (when set) and
// everything else to next.
func withHooks(hooks, next http.Handler) http.Handler {
	if hooks == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, HooksPrefix) {
			hooks.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
