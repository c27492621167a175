package azure_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/azure/fakegraph"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// pfxPassword protects testdata/client.pfx (3DES, which is what
// golang.org/x/crypto/pkcs12 reads).
const pfxPassword = "pfx-password-for-tests"

func TestParseConfig(t *testing.T) {
	full := map[string]string{"tenant_id": "contoso.onmicrosoft.com", "client_id": "c1", "client_secret": "s3cr3t-value"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		settings map[string]string
		wantErr  string
	}{
		{"client secret", full, ""},
		{"no tenant", with("tenant_id", ""), "entra: setting tenant_id is required when auth is client_secret (set plugins.entra.tenant_id or SPOTTER_ENTRA_TENANT_ID)"},
		{"no client", with("client_id", " "), "setting client_id is required when auth is client_secret"},
		{"no secret", with("client_secret", ""), "setting client_secret is required when auth is client_secret"},
		{"certificate without path", with("auth", "client_certificate"), "setting certificate_path is required when auth is client_certificate"},
		{"certificate", with("auth", "Client_Certificate", "certificate_path", "/x.pem"), ""},
		{"managed identity needs nothing", map[string]string{"auth": "managed_identity"}, ""},
		{"azure cli needs nothing", map[string]string{"auth": "azure_cli"}, ""},
		{"workload identity without token file", with("auth", "workload_identity"), "AZURE_FEDERATED_TOKEN_FILE"},
		{"unknown auth", with("auth", "password"), `setting auth: "password" is not one of client_secret, client_certificate, managed_identity, workload_identity, azure_cli`},
		{"http authority", with("authority_host", "http://login.example/"), "setting authority_host"},
		{"graph url not a url", with("graph_url", "graph.microsoft.com"), "setting graph_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "")
			c, err := azure.ParseConfig("entra", tt.settings)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
			if err == nil && (c.AuthorityHost != azure.DefaultAuthorityHost || c.GraphURL != azure.DefaultGraphURL) {
				t.Errorf("defaults not applied: %+v", c)
			}
			skilltest.NoLeak(t, []string{"s3cr3t-value"}, err)
		})
	}
}

func TestConfigNeverRendersSecrets(t *testing.T) {
	c, err := azure.ParseConfig("entra", map[string]string{"tenant_id": "t", "client_id": "c", "client_secret": "s3cr3t-value", "certificate_password": "p4ssw0rd-value"})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	skilltest.NoLeak(t, []string{"s3cr3t-value", "p4ssw0rd-value"}, c, fmt.Sprintf("%v %+v %#v %s", c, c, c, js))
}

func TestScopeFollowsGraphHost(t *testing.T) {
	for url, want := range map[string]string{
		"https://graph.microsoft.com/v1.0":             "https://graph.microsoft.com/.default",
		"https://graph.microsoft.us/v1.0/":             "https://graph.microsoft.us/.default",
		"https://microsoftgraph.chinacloudapi.cn/v1.0": "https://microsoftgraph.chinacloudapi.cn/.default",
	} {
		c, err := azure.ParseConfig("entra", map[string]string{"auth": "azure_cli", "graph_url": url})
		if err != nil || c.Scope() != want {
			t.Errorf("%s: scope %q, err %v", url, c.Scope(), err)
		}
	}
}

// getAdele makes one authenticated call through a client built from settings.
func getAdele(t *testing.T, fake *fakegraph.Server, settings map[string]string) error {
	t.Helper()
	cfg, err := azure.ParseConfig("entra", settings)
	if err != nil {
		return err
	}
	c, err := azure.NewClient(cfg, azure.Options{HTTP: fake.Client()})
	if err != nil {
		return err
	}
	var u userObj
	if err := c.Get(context.Background(), azure.Request{Path: azure.UserPath("AdeleV@contoso.com"), Select: []string{"id"}}, &u); err != nil {
		return err
	}
	if u.ID != fakegraph.AdeleID {
		t.Errorf("id %q", u.ID)
	}
	return nil
}

func selfSigned(t *testing.T) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "spotter-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	return cert, pemData
}

func TestClientCertificatePEM(t *testing.T) {
	cert, pemData := selfSigned(t)
	path := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(path, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	fake := fakegraph.New(t, fakegraph.WithCertificate(cert))
	s := fake.Settings()
	s["auth"], s["client_secret"], s["certificate_path"] = "client_certificate", "", path
	if err := getAdele(t, fake, s); err != nil {
		t.Fatal(err)
	}

	// A certificate the app registration does not know.
	other, _ := selfSigned(t)
	fake2 := fakegraph.New(t, fakegraph.WithCertificate(other))
	s2 := fake2.Settings()
	s2["auth"], s2["client_secret"], s2["certificate_path"] = "client_certificate", "", path
	err := getAdele(t, fake2, s2)
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "the client certificate was rejected (AADSTS700027)") {
		t.Fatalf("got %v", err)
	}
}

func TestClientCertificatePFX(t *testing.T) {
	data, err := os.ReadFile("testdata/client.pfx")
	if err != nil {
		t.Fatal(err)
	}
	certs, _, err := azidentity.ParseCertificates(data, []byte(pfxPassword))
	if err != nil {
		t.Fatal(err)
	}
	fake := fakegraph.New(t, fakegraph.WithCertificate(certs[0]))
	s := fake.Settings()
	s["auth"], s["client_secret"], s["certificate_path"], s["certificate_password"] = "client_certificate", "", "testdata/client.pfx", pfxPassword
	if err := getAdele(t, fake, s); err != nil {
		t.Fatal(err)
	}

	s["certificate_password"] = "wrong-pfx-password"
	err = getAdele(t, fake, s)
	if err == nil || !strings.Contains(err.Error(), "setting certificate_path: testdata/client.pfx") {
		t.Fatalf("wrong password: %v", err)
	}
	skilltest.NoLeak(t, []string{pfxPassword, "wrong-pfx-password"}, err)
}

func TestWorkloadIdentity(t *testing.T) {
	const federated = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c3BvdHRlciJ9.c2lnbmF0dXJl"
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(federated), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := fakegraph.New(t, fakegraph.WithFederatedToken(federated))
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", path)
	t.Setenv("AZURE_CLIENT_ID", fake.ClientID)
	s := fake.Settings()
	s["auth"], s["client_secret"], s["client_id"] = "workload_identity", "", "" // client from AZURE_CLIENT_ID
	if err := getAdele(t, fake, s); err != nil {
		t.Fatal(err)
	}
}

func TestManagedIdentityAndCLIBuildOffline(t *testing.T) {
	for _, s := range []map[string]string{
		{"auth": "managed_identity"},
		{"auth": "managed_identity", "client_id": "11111111-2222-3333-4444-555555555555"},
		{"auth": "azure_cli", "tenant_id": "contoso.onmicrosoft.com"},
	} {
		c, err := azure.ParseConfig("intune", s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := azure.NewCredential(c, nil); err != nil {
			t.Errorf("%v: %v", s, err)
		}
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"unknown tenant", "tenant_id", "nosuch.onmicrosoft.com", "entra: tenant nosuch.onmicrosoft.com was not found (AADSTS90002): check tenant_id and authority_host (400)"},
		{"unknown client", "client_id", "00000000-0000-0000-0000-000000000000", "entra: no application with client_id 00000000-0000-0000-0000-000000000000 in tenant " + fakegraph.TenantID + " (AADSTS700016): check client_id, tenant_id and admin consent (400)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakegraph.New(t)
			s := fake.Settings()
			s[tt.key] = tt.value
			err := getAdele(t, fake, s)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got %v\nwant %s", err, tt.want)
			}
			skilltest.NoLeak(t, fake.Secrets(), err)
		})
	}

	fake := fakegraph.New(t)
	fake.Fail("/oauth2/v2.0/token", fakegraph.Fault{Status: 500, Code: "server_error", Message: "AADSTS50000: There was an error issuing a token."})
	err := getAdele(t, fake, fake.Settings())
	want := "entra: the token request failed: server_error (AADSTS50000): There was an error issuing a token. (500)"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got %v\nwant %s", err, want)
	}
}
