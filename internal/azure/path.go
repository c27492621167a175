package azure

import (
	"net/url"
	"strings"
	"time"
)

// UserPath returns the Graph path of a user addressed by object id or user
// principal name. Graph reads a leading $ as a system segment, so such UPNs
// are addressed by key, /users('$x@y.com'); every other character that is
// not safe in a path segment is percent-encoded, including the # of B2B
// guests' UPNs (x_y.com#EXT#@tenant.onmicrosoft.com), which becomes %23.
func UserPath(idOrUPN string) string {
	if strings.HasPrefix(idOrUPN, "$") {
		return "/users('" + url.PathEscape(strings.ReplaceAll(idOrUPN, "'", "''")) + "')"
	}
	return "/users/" + Segment(idOrUPN)
}

// Segment escapes one path segment (a host name, an id).
func Segment(s string) string { return url.PathEscape(s) }

// Quote returns s as an OData string literal: in single quotes, with every
// single quote inside doubled, so o'brien@contoso.com becomes
//
//	'o''brien@contoso.com'
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Eq returns the filter clause "field eq 'value'".
func Eq(field, value string) string { return field + " eq " + Quote(value) }

// DateTime formats t as an OData DateTimeOffset literal (UTC, whole seconds,
// unquoted), as $filter=createdDateTime ge 2025-01-01T00:00:00Z expects.
func DateTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
