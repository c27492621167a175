// Package azure holds what the Microsoft plugins (entra, intune, mdti) share:
// credentials built from plugin settings with azidentity, and a thin
// Microsoft Graph client on azcore's HTTP pipeline.
package azure

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Authentication modes accepted by the auth setting.
const (
	AuthClientSecret      = "client_secret"
	AuthClientCertificate = "client_certificate"
	AuthManagedIdentity   = "managed_identity"
	AuthWorkloadIdentity  = "workload_identity"
	AuthAzureCLI          = "azure_cli"
)

// AuthModes lists the accepted values of the auth setting.
var AuthModes = []string{AuthClientSecret, AuthClientCertificate, AuthManagedIdentity, AuthWorkloadIdentity, AuthAzureCLI}

// Defaults of the shared settings.
const (
	DefaultAuthorityHost = "https://login.microsoftonline.com/"
	DefaultGraphURL      = "https://graph.microsoft.com/v1.0"
)

// Environment variables read by workload identity when the settings leave
// the tenant or client unset; they are the ones the AKS webhook injects.
const (
	envTenantID  = "AZURE_TENANT_ID"
	envClientID  = "AZURE_CLIENT_ID"
	envTokenFile = "AZURE_FEDERATED_TOKEN_FILE"
)

// Settings returns the settings every Graph-backed plugin declares. Which of
// tenant_id, client_id and client_secret are needed depends on auth, so they
// are not marked required here: New checks the combination and names what is
// missing (a system-assigned managed identity or the Azure CLI needs none).
func Settings() []skill.Setting {
	return []skill.Setting{
		{Name: "auth", Description: "How to authenticate: " + strings.Join(AuthModes, ", ") + ".", Default: AuthClientSecret},
		{Name: "tenant_id", Description: "Directory (tenant) id or domain of the app registration; required for client_secret, client_certificate and workload_identity."},
		{Name: "client_id", Description: "Application (client) id; required for client_secret and client_certificate, optional for managed_identity (a user-assigned identity)."},
		{Name: "client_secret", Description: "Client secret value (not its id); required when auth is client_secret.", Secret: true},
		{Name: "certificate_path", Description: "PEM or PFX file with the certificate and private key; required when auth is client_certificate."},
		{Name: "certificate_password", Description: "Password of the PFX file or encrypted key, if any.", Secret: true},
		{Name: "authority_host", Description: "Microsoft Entra authority, e.g. https://login.microsoftonline.us/ for US Government or https://login.chinacloudapi.cn/ for China.", Default: DefaultAuthorityHost},
		{Name: "graph_url", Description: "Microsoft Graph base URL; national clouds use their own host (e.g. https://graph.microsoft.us/v1.0). The token scope is derived from its host.", Default: DefaultGraphURL},
	}
}

// Secret is a setting value that never renders: it prints and marshals as
// "<secret>" so a Config can be logged or wrapped in an error safely.
type Secret string

// String implements fmt.Stringer.
func (Secret) String() string { return "<secret>" }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return `"<secret>"` }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"<secret>"`), nil }

// Reveal returns the value itself, for the credential constructor only.
func (s Secret) Reveal() string { return string(s) }

// Config is the parsed form of the shared settings.
type Config struct {
	Plugin              string
	Auth                string
	TenantID            string
	ClientID            string
	ClientSecret        Secret
	CertificatePath     string
	CertificatePassword Secret
	AuthorityHost       string
	GraphURL            string
	// TokenFile is the federated token of workload identity (from AZURE_FEDERATED_TOKEN_FILE).
	TokenFile string
}

// ParseConfig reads the shared settings of plugin, applies defaults and checks
// that the combination fits the auth mode. Errors name the missing or wrong
// setting and how to set it; they never contain secret values.
func ParseConfig(plugin string, settings map[string]string) (Config, error) {
	get := func(name string) string { return strings.TrimSpace(settings[name]) }
	c := Config{
		Plugin:              plugin,
		Auth:                strings.ToLower(get("auth")),
		TenantID:            get("tenant_id"),
		ClientID:            get("client_id"),
		ClientSecret:        Secret(get("client_secret")),
		CertificatePath:     get("certificate_path"),
		CertificatePassword: Secret(settings["certificate_password"]),
		AuthorityHost:       get("authority_host"),
		GraphURL:            get("graph_url"),
	}
	if c.Auth == "" {
		c.Auth = AuthClientSecret
	}
	if c.AuthorityHost == "" {
		c.AuthorityHost = DefaultAuthorityHost
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")

	missing := func(name string) error {
		return fmt.Errorf("%s: setting %s is required when auth is %s (set plugins.%s.%s or SPOTTER_%s_%s)",
			plugin, name, c.Auth, plugin, name, strings.ToUpper(plugin), strings.ToUpper(name))
	}
	switch c.Auth {
	case AuthClientSecret:
		for _, req := range []struct{ name, value string }{
			{"tenant_id", c.TenantID}, {"client_id", c.ClientID}, {"client_secret", string(c.ClientSecret)},
		} {
			if req.value == "" {
				return c, missing(req.name)
			}
		}
	case AuthClientCertificate:
		for _, req := range []struct{ name, value string }{
			{"tenant_id", c.TenantID}, {"client_id", c.ClientID}, {"certificate_path", c.CertificatePath},
		} {
			if req.value == "" {
				return c, missing(req.name)
			}
		}
	case AuthWorkloadIdentity:
		if c.TenantID == "" {
			c.TenantID = os.Getenv(envTenantID)
		}
		if c.ClientID == "" {
			c.ClientID = os.Getenv(envClientID)
		}
		c.TokenFile = os.Getenv(envTokenFile)
		switch {
		case c.TenantID == "":
			return c, fmt.Errorf("%s: workload identity needs a tenant: set tenant_id or %s", plugin, envTenantID)
		case c.ClientID == "":
			return c, fmt.Errorf("%s: workload identity needs a client: set client_id or %s", plugin, envClientID)
		case c.TokenFile == "":
			return c, fmt.Errorf("%s: workload identity needs %s (the federated token file)", plugin, envTokenFile)
		}
	case AuthManagedIdentity, AuthAzureCLI:
	default:
		return c, fmt.Errorf("%s: setting auth: %q is not one of %s", plugin, c.Auth, strings.Join(AuthModes, ", "))
	}
	if _, err := httpsURL(c.AuthorityHost); err != nil {
		return c, fmt.Errorf("%s: setting authority_host: %v", plugin, err)
	}
	if _, err := httpsURL(c.GraphURL); err != nil {
		return c, fmt.Errorf("%s: setting graph_url: %v", plugin, err)
	}
	return c, nil
}

// Scope is the token scope for the Graph host of the config:
// https://graph.microsoft.com/.default in the public cloud, the national
// host's own .default elsewhere.
func (c Config) Scope() string {
	u, err := url.Parse(c.GraphURL)
	if err != nil || u.Host == "" {
		return "https://graph.microsoft.com/.default"
	}
	return "https://" + u.Host + "/.default"
}

// secrets lists the secret values of the config, for scrubbing messages.
func (c Config) secrets() []string {
	var out []string
	for _, s := range []Secret{c.ClientSecret, c.CertificatePassword} {
		if len(s) >= 4 {
			out = append(out, string(s))
		}
	}
	return out
}

func httpsURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q: expected an https:// URL", raw)
	}
	return u, nil
}
