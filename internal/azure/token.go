package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spotter-soc/spotter/internal/skill"
)

// explainedCredential wraps a credential so that a failed token request
// becomes a *skill.ProviderError in words an administrator can act on, rather
// than azidentity's multi-line dump of the token endpoint's reply.
type explainedCredential struct {
	cred azcore.TokenCredential
	cfg  Config
}

// GetToken implements azcore.TokenCredential.
func (e explainedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := e.cred.GetToken(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return tok, fmt.Errorf("%s: getting an access token: %w", e.cfg.Plugin, ctx.Err())
		}
		return tok, tokenError(e.cfg, err)
	}
	return tok, nil
}

// tokenEndpointError is the identity platform's OAuth error body.
type tokenEndpointError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

var aadsts = regexp.MustCompile(`AADSTS(\d+)`)

// tokenError explains a credential failure. With a reply from the token
// endpoint it maps the AADSTS code; otherwise (managed identity not
// reachable, Azure CLI not logged in) it keeps the first line of the
// credential's message. Secrets of the config are scrubbed either way.
func tokenError(c Config, err error) error {
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		body, _ := runtime.Payload(afe.RawResponse)
		return explainTokenReply(c, afe.RawResponse.StatusCode, body)
	}
	msg := CleanText(scrub(err.Error(), c.secrets()), maxMessage)
	return &skill.ProviderError{Provider: c.Plugin, Code: "credential_unavailable",
		Msg: fmt.Sprintf("could not get an access token with auth %s: %s", c.Auth, msg)}
}

// explainTokenReply maps a token endpoint error reply.
func explainTokenReply(c Config, status int, body []byte) *skill.ProviderError {
	var te tokenEndpointError
	_ = json.Unmarshal(body, &te)
	code := 0
	if len(te.Codes) > 0 {
		code = te.Codes[0]
	} else if m := aadsts.FindStringSubmatch(te.Description); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	sts := ""
	if code != 0 {
		sts = "AADSTS" + strconv.Itoa(code)
	}
	var msg string
	switch code {
	case 7000215:
		msg = "the client secret was rejected (AADSTS7000215): set client_secret to the secret's value (not its id) and check that it still exists on the app registration"
	case 7000222:
		msg = "the client secret has expired (AADSTS7000222): create a new one and update client_secret"
	case 700016:
		msg = fmt.Sprintf("no application with client_id %s in tenant %s (AADSTS700016): check client_id, tenant_id and admin consent", c.ClientID, c.TenantID)
	case 90002:
		msg = fmt.Sprintf("tenant %s was not found (AADSTS90002): check tenant_id and authority_host", c.TenantID)
	case 700027:
		msg = "the client certificate was rejected (AADSTS700027): upload its public certificate to the app registration"
	case 70011:
		msg = fmt.Sprintf("the token scope %s was rejected (AADSTS70011): check graph_url", c.Scope())
	default:
		msg = "the token request failed"
		if te.Error != "" {
			msg += ": " + CleanText(te.Error, 60)
		}
		if sts != "" {
			msg += " (" + sts + ")"
		}
		if d := CleanText(aadsts.ReplaceAllString(te.Description, ""), 160); d != "" && d != ":" {
			msg += ": " + trimColon(d)
		}
		if te.Error == "" && sts == "" {
			msg += " with HTTP " + strconv.Itoa(status) + " " + http.StatusText(status)
		}
	}
	return &skill.ProviderError{Provider: c.Plugin, Status: status, Code: CleanText(te.Error, 60), Msg: scrub(msg, c.secrets())}
}

func trimColon(s string) string {
	for len(s) > 0 && (s[0] == ':' || s[0] == ' ') {
		s = s[1:]
	}
	return s
}
