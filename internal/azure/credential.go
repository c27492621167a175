package azure

import (
	"fmt"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// NewCredential builds the azidentity credential the config asks for.
//
// Token requests of the app-registration modes (client secret, certificate,
// workload identity) go through transport, the gateway's client, so they
// share its proxy, timeouts and TLS trust; azidentity's own retries are
// disabled because the gateway retries. Managed identity and the Azure CLI
// keep azidentity's defaults: the managed identity endpoint is a link-local
// or loopback service with its own probing and retry rules, and the CLI makes
// no HTTP request. A nil transport means Go's default client.
//
// Instance discovery is disabled: the authority is taken from the
// authority_host setting as configured (public, sovereign or a test server).
func NewCredential(c Config, transport *http.Client) (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: c.AuthorityHost},
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{ApplicationID: "spotter"},
	}
	if transport != nil {
		opts.Transport = transport
	}
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch c.Auth {
	case AuthClientSecret:
		cred, err = azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret.Reveal(),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	case AuthClientCertificate:
		cred, err = certificateCredential(c, opts)
	case AuthWorkloadIdentity:
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, TenantID: c.TenantID, ClientID: c.ClientID, TokenFilePath: c.TokenFile,
			DisableInstanceDiscovery: true,
		})
	case AuthManagedIdentity:
		mi := &azidentity.ManagedIdentityCredentialOptions{}
		if c.ClientID != "" {
			mi.ID = azidentity.ClientID(c.ClientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(mi)
	case AuthAzureCLI:
		cred, err = azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: c.TenantID})
	default:
		return nil, fmt.Errorf("%s: setting auth: %q is not supported", c.Plugin, c.Auth)
	}
	if err != nil {
		// azidentity's constructor errors are about the inputs (tenant id
		// format, authority URL, certificate), never echo secret values, but
		// scrub anyway.
		return nil, fmt.Errorf("%s: %s credential: %s", c.Plugin, c.Auth, scrub(err.Error(), c.secrets()))
	}
	return cred, nil
}

// certificateCredential reads the PEM or PFX file named by certificate_path.
func certificateCredential(c Config, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	data, err := os.ReadFile(c.CertificatePath)
	if err != nil {
		return nil, fmt.Errorf("setting certificate_path: %w", err)
	}
	certs, key, err := azidentity.ParseCertificates(data, []byte(c.CertificatePassword.Reveal()))
	if err != nil {
		return nil, fmt.Errorf("setting certificate_path: %s: not a PEM or PFX file with a certificate and its private key, or certificate_password is wrong: %v",
			c.CertificatePath, err)
	}
	return azidentity.NewClientCertificateCredential(c.TenantID, c.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
}
