package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Failure reasons, as reported by Classify and counted in ProviderMetrics.Errors.
const (
	ReasonAuth        = "auth"         // 401, 403
	ReasonClient      = "client"       // any other 4xx but 404, 410 and 429
	ReasonNotFound    = "not_found"    // 404, 410
	ReasonRateLimited = "rate_limited" // 429, or the provider asked us to wait longer than we may
	ReasonServer      = "server"       // 5xx
	ReasonTimeout     = "timeout"      // an attempt or the caller's deadline ran out
	ReasonNetwork     = "network"      // connection, DNS or TLS failure
	ReasonBreakerOpen = "breaker_open" // failed fast: the provider's circuit breaker is open
	ReasonQuota       = "quota"        // the daily quota is used up
	ReasonCanceled    = "canceled"     // the caller gave up
)

// Classify is the one place that decides what an HTTP outcome means: the
// failure reason ("" for success) and whether the gateway should try the
// request again. Retry decisions and metrics both use it.
//
// Retried: 429, 500, 502, 503, 504 (and 529, "overloaded"), timeouts and
// connection errors. Never retried: any other status, certificate errors,
// unknown hosts, a cancelled caller, and *Error values, which are the
// gateway's final answer after its own retries.
func Classify(resp *http.Response, err error) (reason string, retryable bool) {
	if err != nil {
		return classifyError(err)
	}
	if resp == nil {
		return ReasonNetwork, false
	}
	return classifyStatus(resp.StatusCode)
}

func classifyStatus(code int) (string, bool) {
	switch {
	case code < 400:
		return "", false
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return ReasonAuth, false
	case code == http.StatusNotFound, code == http.StatusGone:
		return ReasonNotFound, false
	case code == http.StatusTooManyRequests:
		return ReasonRateLimited, true
	case code == http.StatusInternalServerError, code == http.StatusBadGateway,
		code == http.StatusServiceUnavailable, code == http.StatusGatewayTimeout,
		code == 529: // "overloaded", sent by some model APIs
		return ReasonServer, true
	case code >= 500:
		return ReasonServer, false
	default:
		return ReasonClient, false
	}
}

func classifyError(err error) (string, bool) {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Reason, false
	}
	var pe *skill.ProviderError
	if errors.As(err, &pe) && pe.Status != 0 {
		return classifyStatus(pe.Status)
	}
	if errors.Is(err, context.Canceled) {
		return ReasonCanceled, false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout, true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout, true
	}
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		dnsErr      *net.DNSError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth),
		errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return ReasonNetwork, false
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return ReasonNetwork, false
	}
	return ReasonNetwork, true
}

// breakerFailure reports whether a reason counts against the circuit breaker:
// signs that the provider is down or overloaded, not that the request was wrong.
func breakerFailure(reason string) bool {
	switch reason {
	case ReasonServer, ReasonTimeout, ReasonNetwork, ReasonRateLimited:
		return true
	}
	return false
}
