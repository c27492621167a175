package fakegraph

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// token serves POST /{tenant}/oauth2/v2.0/token (client credentials with a
// secret in the body or in Basic auth, or with a certificate-signed client
// assertion).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	if f := s.takeFault(r.URL.Path); f != nil {
		if f.Body != "" {
			writeFault(w, f)
			return
		}
		tokenError(w, f.Status, f.Code, 0, f.Message)
		return
	}
	if r.Method != http.MethodPost {
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	if !strings.EqualFold(tenant, s.TenantID) {
		tokenError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	form := r.PostForm
	if g := form.Get("grant_type"); g != "client_credentials" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", g))
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if clientID != s.ClientID {
		tokenError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant))
		return
	}
	scope, ok := s.checkScope(form.Get("scope"))
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_scope", 70011,
			fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", form.Get("scope")))
		return
	}
	switch {
	case form.Get("client_assertion_type") == jwtBearer && s.federated != "" &&
		subtle.ConstantTimeCompare([]byte(form.Get("client_assertion")), []byte(s.federated)) == 1:
	case form.Get("client_assertion_type") == jwtBearer:
		if err := s.verifyAssertion(form.Get("client_assertion"), "https://"+r.Host+r.URL.Path); err != nil {
			tokenError(w, http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation. "+err.Error())
			return
		}
	case secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) != 1:
		tokenError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
		return
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	tok := "fakeAT." + hex.EncodeToString(raw[:])
	s.mu.Lock()
	s.tokens[tok] = issued{scope: scope, expires: time.Now().Add(s.tokenLifetime)}
	s.everIssued = append(s.everIssued, tok)
	lifetime := int(s.tokenLifetime / time.Second)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": tok,
	})
}

// checkScope accepts exactly the fake's Graph .default scope, ignoring the
// OpenID scopes a library may add.
func (s *Server) checkScope(scope string) (string, bool) {
	var resource []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access":
		default:
			resource = append(resource, sc)
		}
	}
	if len(resource) != 1 || resource[0] != s.Scope() {
		return "", false
	}
	return resource[0], true
}

// tokenError writes the identity platform's OAuth error body.
func tokenError(w http.ResponseWriter, status int, code string, sts int, description string) {
	now := time.Now().UTC()
	desc := description
	var codes []int
	if sts != 0 {
		desc = fmt.Sprintf("AADSTS%d: %s", sts, description)
		codes = []int{sts}
	}
	desc += "\r\nTrace ID: 2f6a7f0e-0000-4000-8000-000000000001\r\nCorrelation ID: 2f6a7f0e-0000-4000-8000-000000000002\r\nTimestamp: " +
		now.Format("2006-01-02 15:04:05Z")
	writeJSON(w, status, map[string]any{
		"error": code, "error_description": desc, "error_codes": codes,
		"timestamp": now.Format("2006-01-02 15:04:05Z"), "trace_id": "2f6a7f0e-0000-4000-8000-000000000001",
		"correlation_id": "2f6a7f0e-0000-4000-8000-000000000002", "error_uri": "https://login.microsoftonline.com/error?code=" + fmt.Sprint(sts),
	})
}

// verifyAssertion checks a client assertion: an RS256 or PS256 JWT signed
// with the registered certificate's key, issued by and for the client,
// addressed to the token endpoint and not expired.
func (s *Server) verifyAssertion(assertion, audience string) error {
	s.mu.Lock()
	cert := s.cert
	s.mu.Unlock()
	if cert == nil {
		return errors.New("no certificate is registered for the application")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("the registered certificate has no RSA key")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("the assertion is not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Aud any    `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return err
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("bad signature encoding")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch header.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		err = fmt.Errorf("unsupported alg %q", header.Alg)
	}
	if err != nil {
		return errors.New("signature does not match the registered certificate")
	}
	if claims.Iss != s.ClientID || claims.Sub != s.ClientID {
		return errors.New("iss and sub must be the client id")
	}
	if aud := fmt.Sprint(claims.Aud); !strings.EqualFold(aud, audience) && !strings.Contains(aud, audience) {
		return fmt.Errorf("audience %q is not the token endpoint", aud)
	}
	if time.Unix(claims.Exp, 0).Before(time.Now()) {
		return errors.New("the assertion has expired")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errors.New("bad JWT segment encoding")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.New("bad JWT segment JSON")
	}
	return nil
}

// openIDConfiguration serves the tenant's OpenID metadata, which MSAL reads to
// find the token endpoint even with instance discovery disabled.
func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/v2.0/.well-known/openid-configuration")
	base := s.srv.URL + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"issuer":                                base + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"tenant_region_scope":                   "WW",
	})
}

// instanceDiscovery answers MSAL's instance metadata request, in case a
// caller leaves instance discovery on.
func (s *Server) instanceDiscovery(w http.ResponseWriter, _ *http.Request) {
	host := s.srv.Listener.Addr().String()
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": s.srv.URL + "/" + s.TenantID + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  []map[string]any{{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
	})
}
